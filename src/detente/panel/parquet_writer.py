"""A Parquet writer for panels: flat columns of fixed-width numbers and booleans.

General writers spend most of their time on work a panel does not need: polars tries a dictionary
on every integer column and walks validity bitmaps value by value to make definition levels;
pyarrow does the same on one thread. A panel column chunk here is one data page (format v1):

* definition levels are the Arrow validity bitmap itself, as one bit-packed run (or one RLE run
  when nothing, or everything, is missing);
* values are PLAIN: the non-missing values, 8- and 16-bit integers widened to Parquet's INT32;
* the page is compressed with zstd, pages on as many threads as there are cores (the numpy and
  zstd work releases the GIL);
* each chunk carries its null count, minimum and maximum.

The footer carries the Arrow schema (so readers get back ``int8``, ``int16`` and the panel
metadata) and the schema metadata as key-value pairs. Tables with other column types go through
:func:`supports` first; the caller writes those with a general writer.
"""

from __future__ import annotations

import base64
import functools
import os
import struct
import threading
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import BinaryIO

import numpy as np
import pyarrow as pa

from detente import __version__
from detente.panel.arrays import to_numpy
from detente.panel.thrift_compact import Field, encode_struct, uvarint

MAGIC = b"PAR1"
# Parquet enums (parquet.thrift)
_BOOLEAN, _INT32, _INT64, _FLOAT, _DOUBLE = 0, 1, 2, 4, 5
_OPTIONAL, _REQUIRED = 1, 0
_PLAIN, _RLE = 0, 3
_ZSTD = 6
_DATA_PAGE = 0


@dataclass(frozen=True)
class _Kind:
    """How one Arrow type is stored: physical type, numpy storage, annotations, statistics packing."""

    physical: int
    storage: np.dtype
    converted: int | None = None
    bits: int | None = None  # IntType logical annotation
    signed: bool = True
    pack: str = ""  # struct format of a statistic; "" for booleans


_KINDS: dict[pa.DataType, _Kind] = {
    pa.int8(): _Kind(_INT32, np.dtype("<i4"), 15, 8, True, "<i"),
    pa.int16(): _Kind(_INT32, np.dtype("<i4"), 16, 16, True, "<i"),
    pa.int32(): _Kind(_INT32, np.dtype("<i4"), 17, 32, True, "<i"),
    pa.int64(): _Kind(_INT64, np.dtype("<i8"), 18, 64, True, "<q"),
    pa.uint8(): _Kind(_INT32, np.dtype("<i4"), 11, 8, False, "<I"),
    pa.uint16(): _Kind(_INT32, np.dtype("<i4"), 12, 16, False, "<I"),
    pa.uint32(): _Kind(_INT32, np.dtype("<u4"), 13, 32, False, "<I"),
    pa.uint64(): _Kind(_INT64, np.dtype("<u8"), 14, 64, False, "<Q"),
    pa.float32(): _Kind(_FLOAT, np.dtype("<f4"), pack="<f"),
    pa.float64(): _Kind(_DOUBLE, np.dtype("<f8"), pack="<d"),
    pa.bool_(): _Kind(_BOOLEAN, np.dtype(np.bool_)),
}

#: rows per row group (a multiple of 8, so that validity bitmaps of row groups start on a byte)
ROW_GROUP = 1 << 18


Chunk = pa.Array | pa.ChunkedArray


def supports(schema: pa.Schema) -> bool:
    """Whether every column of ``schema`` is a flat number or boolean this writer stores."""
    return all(field.type in _KINDS for field in schema)


@dataclass
class _Chunk:
    """One written column chunk: its page, ready to write, and what the footer says of it."""

    page: bytes
    header: bytes
    body_size: int  # the page uncompressed
    num_values: int
    null_count: int
    minimum: bytes | None
    maximum: bytes | None

    @property
    def size(self) -> int:
        """Bytes in the file: header and compressed page."""
        return len(self.header) + len(self.page)

    @property
    def uncompressed_size(self) -> int:
        """Header and page before compression."""
        return len(self.header) + self.body_size


def write_parquet(table: pa.Table, sink: BinaryIO, **options) -> pa.Schema:
    """Write ``table`` to the open binary file ``sink`` as Parquet (see :func:`write_column_stream`)."""

    def job(i: int) -> Callable[[int, int], pa.ChunkedArray]:
        return lambda lo, hi: table.column(i).slice(lo, hi - lo)

    columns = ((field.name, field.type, job(i)) for i, field in enumerate(table.schema))
    return write_column_stream(table.num_rows, columns, sink, metadata=table.schema.metadata,
                               nullable=[f.nullable for f in table.schema], **options)


def write_column_stream(num_rows: int, columns: Iterable[tuple[str, pa.DataType, Callable[[int, int], Chunk]]],
                        sink: BinaryIO, *, metadata: dict | None = None, nullable: list[bool] | None = None,
                        row_group: int = ROW_GROUP, level: int = 3, threads: int | None = None) -> pa.Schema:
    """Write columns to the open binary file ``sink`` as Parquet, building each piece as it is encoded.

    ``columns`` yields ``(name, type, job)``; ``job(lo, hi)`` is rows ``lo`` to ``hi`` of the
    column and may be called from several threads. Each piece of a column is made and encoded in
    one task, while it is in cache, and the pieces of a column are encoded while the next columns
    are still being produced. Compressed pages are held until the last column is in, then written
    row group by row group; no whole table needs to exist.

    Parameters
    ----------
    num_rows
        The number of rows.
    columns
        ``(name, type, job)`` per column, of the types :func:`supports` accepts.
    sink
        An open, writable binary file; left open.
    metadata
        Schema metadata to keep (Arrow's and Parquet's key-value metadata).
    nullable
        Per column, whether it may hold missing values (default: all may).
    row_group
        Rows per row group, a multiple of 8.
    level
        zstd compression level.
    threads
        Pages encoded at once (default: the number of cores).

    Returns
    -------
    pyarrow.Schema
        The schema written.

    Raises
    ------
    TypeError
        A column of a type this writer does not store (nothing more is read from ``columns``).
    """
    if row_group <= 0 or row_group % 8:
        raise ValueError(f"row_group must be a positive multiple of 8, not {row_group}")
    ranges = [(lo, min(lo + row_group, num_rows)) for lo in range(0, num_rows, row_group)]
    fields: list[pa.Field] = []
    pending: list[list[Future]] = []  # per column, per row group
    workers = threads or os.cpu_count() or 1
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="detente-parquet") as pool:
        try:
            for i, (name, typ, job) in enumerate(columns):
                if typ not in _KINDS:
                    raise TypeError(f"the panel Parquet writer stores numbers and booleans, not {name} ({typ})")
                optional = True if nullable is None else nullable[i]
                fields.append(pa.field(name, typ, nullable=optional))
                pending.append([pool.submit(_build_chunk, job, lo, hi, _KINDS[typ], level, optional)
                                for lo, hi in ranges])
            schema = pa.schema(fields, metadata=metadata)
            _write_file(sink, schema, num_rows, ranges, pending)
        except BaseException:
            for future in (f for column in pending for f in column):
                future.cancel()
            raise
    return schema


def _write_file(sink: BinaryIO, schema: pa.Schema, num_rows: int, ranges: list[tuple[int, int]],
                pending: list[list[Future]]) -> None:
    """The file: magic, the column chunks row group by row group as they finish, the footer."""
    kinds = [_KINDS[f.type] for f in schema]
    sink.write(MAGIC)
    offset = len(MAGIC)
    row_groups = []
    for g, (lo, hi) in enumerate(ranges):
        columns = []
        first = offset
        chunks = [column[g].result() for column in pending]
        for field, kind, chunk in zip(schema, kinds, chunks, strict=True):
            sink.write(chunk.header)
            sink.write(chunk.page)
            columns.append(_column_chunk(field.name, kind, chunk, offset))
            offset += chunk.size
        row_groups.append([
            (1, "list:struct", columns),
            (2, "i64", sum(c.uncompressed_size for c in chunks)),
            (3, "i64", hi - lo),
            (5, "i64", first),
            (6, "i64", offset - first),
            (7, "i16", g),
        ])
    footer = encode_struct(_file_metadata(schema, num_rows, kinds, row_groups))
    sink.write(footer)
    sink.write(struct.pack("<i", len(footer)))
    sink.write(MAGIC)


def _build_chunk(job: Callable[[int, int], Chunk], lo: int, hi: int, kind: _Kind, level: int,
                 optional: bool) -> _Chunk:
    return _chunk(job(lo, hi), kind, _codec(level), optional)


@functools.cache
def _codec(level: int) -> pa.Codec:
    return pa.Codec("zstd", compression_level=level)  # stateless between calls: shared by threads


class _PageBuffer(threading.local):
    """The memory each encoding thread assembles its pages in, kept from page to page.

    Fresh memory for every page would come from the system as pages the kernel must first clear,
    which costs about as much as encoding them; a thread reuses its own instead.
    """

    def __init__(self) -> None:
        self.buffer = np.empty(0, dtype=np.uint64)

    def get(self, nbytes: int) -> np.ndarray:
        """At least ``nbytes`` bytes, 8-byte aligned."""
        if self.buffer.nbytes < nbytes:
            self.buffer = np.empty((nbytes + 7) // 8, dtype=np.uint64)
        return self.buffer.view(np.uint8)


_page_buffer = _PageBuffer()


def _chunk(column: Chunk, kind: _Kind, codec: pa.Codec, optional: bool) -> _Chunk:
    """Encode and compress one column chunk as one data page."""
    arr = column
    if isinstance(column, pa.ChunkedArray):
        arr = column.chunk(0) if column.num_chunks == 1 else column.combine_chunks()
    n, nulls = len(arr), arr.null_count
    values, valid = to_numpy(arr)
    if optional:
        levels = _definition_levels(arr, valid)
        prefix = struct.pack("<i", len(levels)) + levels
    elif nulls:
        raise ValueError(f"a column declared not nullable holds {nulls} missing values")
    else:  # a required column has no definition levels
        prefix = b""
    present = values if valid is None else values[valid]
    size = (len(present) + 7) // 8 if kind.physical == _BOOLEAN else len(present) * kind.storage.itemsize
    # the page body is [prefix | values], placed so that the values start 8-byte aligned
    lead = -len(prefix) % 8
    body = _page_buffer.get(lead + len(prefix) + size)[lead:lead + len(prefix) + size]
    body[:len(prefix)] = np.frombuffer(prefix, dtype=np.uint8)
    _plain_into(body[len(prefix):], present, kind)
    # bytes of the compressed size: the codec's own buffer has room for the whole page and would
    # stay that large while the page waits to be written
    page = codec.compress(body, asbytes=True)
    header = encode_struct([
        (1, "i32", _DATA_PAGE),
        (2, "i32", len(body)),
        (3, "i32", len(page)),
        (5, "struct", [(1, "i32", n), (2, "i32", _PLAIN), (3, "i32", _RLE), (4, "i32", _RLE)]),
    ])
    minimum, maximum = _min_max(present, kind)
    return _Chunk(page, header, len(body), n, nulls, minimum, maximum)


def _definition_levels(arr: pa.Array, valid: np.ndarray | None) -> bytes:
    """Levels of a column whose maximum definition level is 1, in the RLE/bit-packed hybrid.

    With values both present and missing, the levels are one bit-packed run: the validity bitmap
    as Arrow holds it, least significant bit first (bits past the last value are ignored).
    """
    n, nulls = len(arr), arr.null_count
    if n == 0:
        return b""
    if valid is None or nulls == n:
        return uvarint(n << 1) + (b"\x00" if nulls else b"\x01")
    groups = (n + 7) // 8
    if arr.offset % 8 == 0:
        start = arr.offset // 8
        bitmap = bytes(memoryview(arr.buffers()[0])[start:start + groups])
    else:
        bitmap = np.packbits(valid, bitorder="little").tobytes()
    return uvarint(groups << 1 | 1) + bitmap


def _plain_into(out: np.ndarray, present: np.ndarray, kind: _Kind) -> None:
    """Write the PLAIN encoding of the non-missing values into the bytes ``out``."""
    if kind.physical == _BOOLEAN:
        out[:] = np.packbits(present, bitorder="little")
    else:  # 8- and 16-bit integers are widened to INT32 on the way
        out.view(kind.storage)[:] = present


def _min_max(present: np.ndarray, kind: _Kind) -> tuple[bytes | None, bytes | None]:
    """PLAIN-encoded minimum and maximum (NaN left out), or ``None`` when there are none."""
    if not len(present):
        return None, None
    if kind.physical == _BOOLEAN:
        return bytes([bool(present.min())]), bytes([bool(present.max())])
    if kind.physical in (_FLOAT, _DOUBLE):
        low, high = np.fmin.reduce(present), np.fmax.reduce(present)
        if np.isnan(low):  # nothing but NaN
            return None, None
        # the format asks for -0.0 as a minimum of zero and +0.0 as a maximum
        low, high = (-0.0 if low == 0 else low), (0.0 if high == 0 else high)
    else:
        low, high = present.min(), present.max()
    return struct.pack(kind.pack, low), struct.pack(kind.pack, high)


def _column_chunk(name: str, kind: _Kind, chunk: _Chunk, offset: int) -> list[Field]:
    statistics = [
        (3, "i64", chunk.null_count),
        (5, "binary", chunk.maximum),
        (6, "binary", chunk.minimum),
    ]
    meta = [
        (1, "i32", kind.physical),
        (2, "list:i32", [_PLAIN, _RLE]),
        (3, "list:binary", [name]),
        (4, "i32", _ZSTD),
        (5, "i64", chunk.num_values),
        (6, "i64", chunk.uncompressed_size),
        (7, "i64", chunk.size),
        (9, "i64", offset),
        (12, "struct", statistics),
    ]
    return [(2, "i64", offset), (3, "struct", meta)]


def _file_metadata(arrow_schema: pa.Schema, num_rows: int, kinds: list[_Kind],
                   row_groups: list[list[Field]]) -> list[Field]:
    schema: list[list[Field]] = [[(4, "binary", "schema"), (5, "i32", len(arrow_schema))]]
    for field, kind in zip(arrow_schema, kinds, strict=True):
        logical = None
        if kind.bits is not None:
            logical = [(10, "struct", [(1, "i8", kind.bits), (2, "bool", kind.signed)])]
        schema.append([
            (1, "i32", kind.physical),
            (3, "i32", _OPTIONAL if field.nullable else _REQUIRED),
            (4, "binary", field.name),
            (6, "i32", kind.converted),
            (10, "struct", logical),
        ])
    metadata = {k.decode(): v.decode() for k, v in (arrow_schema.metadata or {}).items()}
    metadata["ARROW:schema"] = base64.b64encode(arrow_schema.serialize().to_pybytes()).decode()
    return [
        (1, "i32", 1),
        (2, "list:struct", schema),
        (3, "i64", num_rows),
        (4, "list:struct", row_groups),
        (5, "list:struct", [[(1, "binary", k), (2, "binary", v)] for k, v in metadata.items()]),
        (6, "binary", f"detente version {__version__}"),
        (7, "list:struct", [[(1, "struct", [])] for _ in kinds]),  # TYPE_ORDER for every column
    ]
