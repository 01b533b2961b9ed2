"""Find event files, open them (plain, zipped, even truncated zips), recognise and parse them.

Only the needed columns are converted (pyarrow's multi-threaded CSV reader): numbers as numbers,
text dictionary-encoded. One bad number makes the fast parse give up and the file is read again
with those fields as text, so a bad value never stops a file: values are checked afterwards, row
by row, in :mod:`detente.events.canonical`. A parsed table knows the line of each of its rows
(the first data line and the lines the parser rejected), so a bad row is reported by file and
line.
"""

from __future__ import annotations

import glob
import struct
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from detente.events.layouts import LAYOUTS, Detected, Layout, detect
from detente.exceptions import EventsError
from detente.threads import generator_pool

#: Fields parsed as numbers on the fast path (a file with a bad value is re-read as text).
NUMERIC: dict[str, pa.DataType] = {
    "event_id": pa.int64(),
    "date": pa.int64(),
    "goldstein": pa.float64(),
    "mentions": pa.int64(),
    "sources": pa.int64(),
    "articles": pa.int64(),
    "added": pa.int64(),
}
#: Text fields are dictionary-encoded while parsing: they repeat a few hundred values.
TEXT = pa.dictionary(pa.int32(), pa.string())
#: Fields a Parquet input may lack.
OPTIONAL = frozenset({"added"})
#: CSV block size: several blocks per core in every piece.
BLOCK_SIZE = 1 << 22
#: Bytes of an unquoted text file parsed at a time.
PIECE_BYTES = 32 << 20

#: The layout of a file that matches none (its rows are all reported).
UNKNOWN = Layout("unknown", "events", (), (0,), {})

#: File names a directory scan never treats as data.
_SKIP_SUFFIXES = {".md", ".json", ".txt.sha256", ".sha256", ".pdf", ".html", ".py"}


@dataclass(frozen=True)
class BadRow:
    """One rejected row (or file): where it is and why.

    Attributes
    ----------
    file : str
        The file name as given (zip members as ``archive.zip:member``).
    line : int or None
        1-based line in the file (a header is line 1); None when the whole file is unusable.
    reason : str
        What is wrong.
    """

    file: str
    line: int | None
    reason: str

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        return f"{where}: {self.reason}"


@dataclass
class Parsed:
    """The rows of one file: the needed fields (canonical names) and the rows rejected.

    ``first`` is the line of the first data row and ``skipped`` the lines the parser rejected
    (ascending), so the line of any kept row can be recovered without storing a line per row.
    """

    file: str
    layout: Layout
    table: pa.Table
    bad: list[BadRow] = field(default_factory=list)
    rows_read: int = 0
    first: int = 1
    skipped: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))

    def lines(self, rows: np.ndarray) -> np.ndarray:
        """The file lines of table rows ``rows`` (positions in :attr:`table`).

        Examples
        --------
        >>> p = Parsed("f", UNKNOWN, _empty(UNKNOWN), first=2, skipped=np.array([3, 4, 9]))
        >>> p.lines(np.array([0, 1, 2, 5])).tolist()
        [2, 5, 6, 10]
        """
        rows = np.asarray(rows, dtype=np.int64)
        if not len(self.skipped):
            return rows + self.first
        # The k-th skipped line sits where kept row (line - first - k) would be: count those <= row.
        before = self.skipped - self.first - np.arange(len(self.skipped))
        return rows + self.first + np.searchsorted(before, rows, side="right")


def expand(inputs: list[str | Path]) -> list[Path]:
    """Expand files, directories (recursively) and glob patterns to a sorted list of files.

    Raises
    ------
    EventsError
        When an input matches nothing.
    """
    found: list[Path] = []
    for item in inputs:
        text = str(item)
        if any(ch in text for ch in "*?["):
            matches = [Path(p) for p in sorted(glob.glob(text, recursive=True))]
            files = [p for p in matches if p.is_file()]
        elif Path(text).is_dir():
            files = sorted(
                p
                for p in Path(text).rglob("*")
                if p.is_file()
                and not p.name.startswith((".", "_"))  # hidden, and _SUCCESS-style markers
                and p.suffix.lower() not in _SKIP_SUFFIXES
                and not any(part.startswith(".") for part in p.relative_to(text).parts)
            )
        elif Path(text).is_file():
            files = [Path(text)]
        else:
            raise EventsError(f"no such file or directory: {text}")
        if not files:
            raise EventsError(f"{text} matches no file")
        found.extend(files)
    seen: set[Path] = set()
    return [p for p in found if not (p in seen or seen.add(p))]


def _salvage_zip(data: bytes) -> tuple[bytes, str]:
    """Inflate what can be read of a damaged single-member zip, from its local header on."""
    if len(data) < 30 or data[:4] != b"PK\x03\x04":
        return b"", "not a zip file"
    method, = struct.unpack("<H", data[8:10])
    name_len, extra_len = struct.unpack("<HH", data[26:30])
    start = 30 + name_len + extra_len
    if method == 0:
        return data[start:], "truncated zip"
    if method != 8:
        return b"", f"truncated zip with unsupported compression method {method}"
    inflater = zlib.decompressobj(-15)
    try:
        out = inflater.decompress(data[start:])
    except zlib.error:
        out = b""
    return out, "truncated zip"


def open_members(path: Path) -> Iterator[tuple[str, bytes | Path, str | None]]:
    """Yield ``(display name, content, damage)`` for a file or each member of a zip.

    ``content`` is the path itself for plain files (pyarrow memory-maps it) and the inflated bytes
    for zip members. ``damage`` describes a truncated or corrupt archive; the content is then what
    could be recovered, cut after its last complete line.
    """
    if path.suffix.lower() != ".zip":
        yield str(path), path, None
        return
    try:
        with zipfile.ZipFile(path) as archive:
            members = [m for m in archive.infolist() if not m.is_dir()]
            for member in members:
                try:
                    data = archive.read(member)
                except (zipfile.BadZipFile, zlib.error, EOFError) as exc:
                    yield f"{path}:{member.filename}", b"", f"corrupt zip member ({exc})"
                    continue
                yield f"{path}:{member.filename}", data, None
        return
    except zipfile.BadZipFile:
        pass
    data, damage = _salvage_zip(path.read_bytes())
    cut = data.rfind(b"\n")
    yield str(path), data[: cut + 1] if cut >= 0 else b"", damage


def _first_line(content: bytes | Path) -> str:
    if isinstance(content, Path):
        with content.open("rb") as fh:
            head = fh.read(1 << 16)
    else:
        head = content[: 1 << 16]
    return head.split(b"\n", 1)[0].decode("utf-8", errors="replace")


def _pieces(data: pa.Buffer, quoted: bool) -> list[pa.Buffer]:
    """Cut a text file into pieces of about :data:`PIECE_BYTES`, each ending after a newline.

    A quoted file (a CSV re-save) stays whole: a newline may sit inside a quoted field.
    """
    if quoted or data.size <= PIECE_BYTES:
        return [data]
    view = memoryview(data)
    out, start = [], 0
    while start < data.size:
        end = start + PIECE_BYTES
        while end < data.size:
            found = view[end : end + (1 << 16)].tobytes().find(b"\n")
            if found >= 0:
                end += found + 1
                break
            end += 1 << 16
        end = min(end, data.size)
        out.append(data.slice(start, end - start))
        start = end
    return out


def _parse_piece(
    name: str, data: pa.Buffer, form: Detected, header: bool
) -> tuple[pa.Table, list[int]]:
    """Parse the needed columns of one piece; return the table and the rejected rows' lines.

    Lines are counted within the piece (a skipped header is line 1).
    """
    layout = form.layout
    names = list(layout.columns[: max(form.width, min(layout.widths))])
    wanted = {canon: col for canon, col in layout.fields.items() if col in names}
    numbers: list[int | None] = []

    def on_invalid(row: pacsv.InvalidRow) -> str:
        numbers.append(row.number)
        return "skip"

    typed = {col: NUMERIC[canon] for canon, col in wanted.items() if canon in NUMERIC}
    if layout.name == "icews":
        typed.pop(wanted["date"], None)  # ICEWS dates are ISO text
    if layout.kind != "events":
        typed = {}
    text = TEXT if layout.kind == "events" else pa.string()

    def parse(threads: bool, types: dict[str, pa.DataType]) -> pa.Table:
        return pacsv.read_csv(
            pa.BufferReader(data),
            read_options=pacsv.ReadOptions(
                column_names=names,
                skip_rows=1 if header else 0,
                use_threads=threads,
                block_size=BLOCK_SIZE,
            ),
            parse_options=pacsv.ParseOptions(
                delimiter=form.delimiter,
                quote_char='"' if form.quoted else False,
                invalid_row_handler=on_invalid,
                ignore_empty_lines=False,
            ),
            convert_options=pacsv.ConvertOptions(
                include_columns=list(wanted.values()),
                column_types={**dict.fromkeys(wanted.values(), text), **types},
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )

    try:
        try:
            # Fast path: numbers parsed as numbers. One non-numeric value anywhere makes the
            # parser give up, and the piece is read again as text so each bad row can be named.
            table = parse(True, typed)
        except pa.ArrowInvalid as exc:
            if "conversion error" not in str(exc).lower() and "invalid value" not in str(exc).lower():
                raise
            numbers.clear()
            table = parse(True, {})
        if numbers and any(n is None for n in numbers):
            # The multi-threaded parser cannot number rejected rows: re-read this piece alone.
            types = {c: t for c, t in zip(table.column_names, table.schema.types, strict=True)}
            numbers.clear()
            table = parse(False, {wanted[k]: types[wanted[k]] for k in wanted if wanted[k] in types})
    except pa.ArrowInvalid as exc:
        raise EventsError(f"{name}: cannot be parsed as {layout.name}: {exc}") from None
    table = table.rename_columns([{v: k for k, v in wanted.items()}[c] for c in table.column_names])
    return table, sorted(n for n in numbers if n is not None)


def _read_text(name: str, content: bytes | Path, form: Detected, damage: list[BadRow]) -> Iterator[Parsed]:
    """Parse a text file piece by piece, the next piece in the background while one is checked."""
    data = pa.memory_map(str(content)).read_buffer() if isinstance(content, Path) else pa.py_buffer(content)
    pieces = _pieces(data, form.quoted)
    offset = 0  # lines before the current piece
    with generator_pool(1) as ahead:
        future = ahead.submit(_parse_piece, name, pieces[0], form, form.header)
        for i in range(len(pieces)):
            table, numbers = future.result()
            if i + 1 < len(pieces):
                future = ahead.submit(_parse_piece, name, pieces[i + 1], form, False)
            skipped = np.asarray(numbers, dtype=np.int64) + offset
            bad = [BadRow(name, int(n), f"wrong number of fields for {form.layout.name}") for n in skipped]
            header = 1 if form.header and i == 0 else 0
            if i + 1 == len(pieces):
                bad += damage  # the damage is where the file ends
            rows = table.num_rows + len(numbers)
            yield Parsed(name, form.layout, table, bad, rows, offset + header + 1, skipped)
            offset += header + rows


def _read_parquet(name: str, path: Path) -> tuple[Layout, pa.Table]:
    schema = pq.read_schema(path)
    actual = {c.lower(): c for c in schema.names}
    for layout in LAYOUTS.values():
        fields = {k: v for k, v in layout.fields.items() if v.lower() in actual or k not in OPTIONAL}
        if all(c.lower() in actual for c in fields.values()):
            cols = [actual[c.lower()] for c in fields.values()]
            table = pq.read_table(path, columns=cols)
            arrays = [_parquet_column(table[c], canon) for c, canon in zip(cols, fields, strict=True)]
            return layout, pa.table(arrays, names=list(fields))
    raise EventsError(f"{name}: a Parquet file without the columns of any known event layout")


def _parquet_column(column: pa.ChunkedArray, canon: str) -> pa.ChunkedArray:
    """Numbers stay numbers (as on the text fast path); everything else becomes text."""
    if pa.types.is_dictionary(column.type):
        column = column.cast(column.type.value_type)
    numeric = pa.types.is_integer(column.type) or pa.types.is_floating(column.type)
    if canon in NUMERIC and numeric:
        return column.cast(NUMERIC[canon])
    return pc_cast_string(column)


def pc_cast_string(column: pa.ChunkedArray) -> pa.ChunkedArray:
    """Cast a column to text the way the text reader sees it (nulls as empty strings)."""
    import pyarrow.compute as pc

    if pa.types.is_dictionary(column.type):
        column = column.cast(column.type.value_type)
    return pc.fill_null(pc.cast(column, pa.string()), "")


def read_file(path: Path) -> Iterator[Parsed]:
    """Parse one file (each member of a zip) and yield its rows, piece by piece, in file order.

    A large native file comes in pieces of about :data:`PIECE_BYTES` (the next one is parsed
    while the caller works on the last); each piece knows the file lines of its rows.

    Parameters
    ----------
    path : Path
        A native or re-saved event/mention file, a zip of them, or a Parquet file with the
        official column names.

    Rows with the wrong number of fields, and damage to the file, are returned as bad rows; the
    importer decides whether to go on (and, when strict, which line was the first bad one).
    """
    if path.suffix.lower() == ".parquet":
        layout, table = _read_parquet(str(path), path)
        yield Parsed(str(path), layout, table, [], table.num_rows)  # "lines" are row numbers
        return
    for name, content, damage in open_members(path):
        bad: list[BadRow] = []
        if damage is not None:
            lines = 0 if isinstance(content, Path) else content.count(b"\n")
            bad.append(BadRow(name, lines + 1, f"{damage}: the file ends here"))
        first = _first_line(content)
        if not first.strip():
            if damage is None:
                bad.append(BadRow(name, None, "empty file"))
            yield Parsed(name, UNKNOWN, _empty(UNKNOWN), bad, 0)
            continue
        form = detect(first)
        if form is None:
            problem = BadRow(name, 1, "not a known event layout (GDELT 1.0, GDELT 2.0, mentions, ICEWS)")
            yield Parsed(name, UNKNOWN, _empty(UNKNOWN), [*bad, problem], 0)
            continue
        yield from _read_text(name, content, form, bad)


def _empty(layout: Layout) -> pa.Table:
    return pa.schema([pa.field(k, pa.string()) for k in layout.fields]).empty_table()
