"""Read one mirror file into a DuckDB staging table exactly as it is, with row-level errors."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import TYPE_CHECKING

from detente.exceptions import ValidationError
from detente.sources.definition import FileSpec

if TYPE_CHECKING:
    import duckdb

#: DuckDB type used to read each definition type (dates are parsed after the read).
READ_TYPES = {
    # integers are read as DOUBLE so that 1.5 in an integer column is an error, not a rounding
    "integer": "DOUBLE",
    "double": "DOUBLE",
    "text": "VARCHAR",
    "date": "VARCHAR",
    "partial_date": "VARCHAR",
    "boolean": "BOOLEAN",
}


def sql_literal(value: object) -> str:
    """Quote a Python value as a SQL literal."""
    if isinstance(value, str):
        return "'" + value.replace("'", "''") + "'"
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    return repr(value)


def quote_ident(name: str) -> str:
    """Quote an identifier for DuckDB."""
    return '"' + name.replace('"', '""') + '"'


def check_header(path: Path, label: str, spec: FileSpec) -> None:
    """Check the file is non-empty, decodable and has exactly the defined header."""
    with path.open("rb") as fh:
        first = fh.readline()
    if not first.strip():
        raise ValidationError(label, 1, None, "the file is empty (no header line)")
    try:
        text = first.decode(spec.encoding)
    except UnicodeDecodeError as exc:
        raise ValidationError(label, 1, None, f"header is not valid {spec.encoding}: {exc.reason}") from None
    header = next(csv.reader(io.StringIO(text), delimiter=spec.delimiter, quotechar=spec.quote))
    header = [h.lstrip("\ufeff") for h in header]
    expected = [c.name for c in spec.columns]
    if header == expected:
        return
    if len(header) == 1 and len(expected) > 1:
        raise ValidationError(
            label, 1, None,
            f"header has one field; the file is not delimited by {spec.delimiter!r} "
            f"(wrong delimiter?): {header[0][:80]!r}",
        )
    for col in expected:
        if col not in header:
            raise ValidationError(label, 1, col, "column is missing from the header")
    for col in header:
        if col not in expected:
            raise ValidationError(label, 1, col, "column is not in the definition")
    raise ValidationError(label, 1, None, f"columns are out of order: expected {expected}")


def read_csv_sql(path: Path, spec: FileSpec, rejects: str | None = None) -> str:
    """Return a ``read_csv`` call reading ``path`` with the file's dialect and column types.

    Without ``rejects`` the read is strict: the first bad row fails the statement (the fast path).
    With it, bad rows are skipped and recorded in the temporary table ``rejects`` (with their
    line and column), which is how a failed read is diagnosed.
    """
    columns = "{" + ", ".join(
        f"{sql_literal(c.name)}: {sql_literal(READ_TYPES[c.type])}" for c in spec.columns
    ) + "}"
    na = "[" + ", ".join(sql_literal(v) for v in spec.na) + "]"
    opts = [
        "header = true",
        "auto_detect = false",
        f"delim = {sql_literal(spec.delimiter)}",
        f"quote = {sql_literal(spec.quote)}",
        f"escape = {sql_literal(spec.quote)}",
        f"nullstr = {na}",
        f"columns = {columns}",
        f"decimal_separator = {sql_literal(spec.decimal)}",
        "max_line_size = 10000000",
    ]
    if rejects is not None:
        opts += [
            "store_rejects = true",
            f"rejects_table = {sql_literal(rejects)}",
            f"rejects_scan = {sql_literal(rejects + '_scan')}",
        ]
    if spec.encoding.lower().replace("-", "") not in ("utf8",):
        opts.append(f"encoding = {sql_literal(spec.encoding)}")
    return f"read_csv({sql_literal(str(path))}, {', '.join(opts)})"


def read_parquet_sql(path: Path) -> str:
    """Return a ``read_parquet`` call for ``path``."""
    return f"read_parquet({sql_literal(str(path))})"


def raise_first_reject(con: duckdb.DuckDBPyConnection, rejects: str, label: str) -> None:
    """Raise a :class:`ValidationError` for the first rejected line, if any."""
    row = con.execute(
        f"select line, column_name, error_type, error_message, count(*) over () "
        f"from {rejects} order by line limit 1"
    ).fetchone()
    if row is None:
        return
    line, column, etype, message, total = row
    reasons = {
        "MISSING COLUMNS": "row has too few fields (truncated row?)",
        "TOO MANY COLUMNS": "row has too many fields (wrong delimiter or unquoted text?)",
        "INVALID ENCODING": "bytes are not valid UTF-8",
        "UNQUOTED VALUE": "a quote character inside an unquoted value",
    }
    reason = reasons.get(str(etype), str(message))
    more = f" ({total} bad rows in all)" if total > 1 else ""
    col = None if etype in ("MISSING COLUMNS", "TOO MANY COLUMNS", "INVALID ENCODING") and column is None else column
    raise ValidationError(label, int(line), col, reason + more)
