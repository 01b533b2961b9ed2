"""Import and export registry records as CSV, JSON and JSON Lines in the published schema.

* JSON: ``{"schema": "detente-registry/engagements/1", "engagements": [record, ...]}``
  (a bare list of records is accepted on import).
* JSON Lines: one record per line.
* CSV: one engagement per row, columns in schema order; an empty cell is null; the nested
  fields (participants, legal bases, objectives, assessments, yearly levels, status dates,
  citations) hold their JSON text.

An import validates every row first and reports each bad one (file, row, field, reason); then
it writes all rows in one transaction, or none. Ids are natural keys: importing a file twice
inserts nothing new.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from detente.exceptions import RecordValidationError
from detente.registry.api import Registry, WriteReport
from detente.registry.records import FIELDS, NESTED, Record, canonical
from detente.registry.schema import SCHEMA_ID

FORMATS = ("csv", "json", "jsonl")
_INT_FIELDS = {"personnel"}
_FLOAT_FIELDS = {"cost"}
_REQUIRED = ("id", "type", "title", "status")
#: Errors listed in one report before the rest are only counted.
MAX_ERRORS = 100


def detect_format(path: str | Path, explicit: str | None = None) -> str:
    """Return the format named, else the one the file suffix implies."""
    if explicit:
        fmt = explicit.lower()
    else:
        suffix = Path(path).suffix.lower().lstrip(".")
        fmt = {"ndjson": "jsonl", "jsonlines": "jsonl"}.get(suffix, suffix)
    if fmt not in FORMATS:
        raise RecordValidationError(
            str(path), None, None, f"unknown format {fmt!r}: use one of {', '.join(FORMATS)}"
        )
    return fmt


# -- reading ---------------------------------------------------------------------------------


def _read_json(name: str, text: str) -> Iterator[tuple[int, Any]]:
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise RecordValidationError(name, exc.lineno, None, f"not valid JSON: {exc.msg}") from None
    if isinstance(doc, dict):
        extra = sorted(set(doc) - {"schema", "engagements"})
        if doc.get("schema") != SCHEMA_ID or extra or not isinstance(doc.get("engagements"), list):
            raise RecordValidationError(
                name, None, "schema",
                f"wrong schema: expected an object with \"schema\": \"{SCHEMA_ID}\" and an "
                f"\"engagements\" list (got keys {sorted(doc)})",
            )
        records = doc["engagements"]
    elif isinstance(doc, list):
        records = doc
    else:
        raise RecordValidationError(name, None, None, "wrong schema: expected a JSON object or list")
    yield from enumerate(records, start=1)


def _read_jsonl(name: str, text: str) -> Iterator[tuple[int, Any]]:
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            yield number, json.loads(line)
        except json.JSONDecodeError as exc:
            raise RecordValidationError(name, number, None, f"not valid JSON: {exc.msg}") from None


def _cell(name: str, row: int, column: str, value: str) -> Any:
    if value == "":
        return None
    if column in NESTED:
        try:
            return json.loads(value)
        except json.JSONDecodeError as exc:
            raise RecordValidationError(name, row, column, f"malformed JSON in cell: {exc.msg}") from None
    if column in _INT_FIELDS:
        try:
            return int(value)
        except ValueError:
            raise RecordValidationError(name, row, column, f"malformed integer {value!r}") from None
    if column in _FLOAT_FIELDS:
        try:
            return float(value)
        except ValueError:
            raise RecordValidationError(name, row, column, f"malformed number {value!r}") from None
    return value


def _read_csv(name: str, text: str) -> Iterator[tuple[int, Any]]:
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except StopIteration:
        raise RecordValidationError(name, None, None, "empty file: no header") from None
    unknown = [c for c in header if c not in FIELDS]
    missing = [c for c in _REQUIRED if c not in header]
    if unknown or missing or len(set(header)) != len(header):
        what = []
        if unknown:
            what.append(f"unknown columns {unknown}")
        if missing:
            what.append(f"missing columns {missing}")
        if len(set(header)) != len(header):
            what.append("repeated columns")
        raise RecordValidationError(
            name, 1, None, f"wrong schema: {'; '.join(what)} (expected columns {list(FIELDS)})"
        )
    start = 2
    for cells in reader:
        number = start
        start = reader.line_num + 1
        if not cells:
            continue
        if len(cells) != len(header):
            more = "extra" if len(cells) > len(header) else "missing"
            raise RecordValidationError(
                name, number, None,
                f"{more} fields: {len(cells)} cells where the header has {len(header)}",
            )
        yield number, {c: _cell(name, number, c, v) for c, v in zip(header, cells, strict=True)
                       if v != ""}


def read_raw(path: str | Path, fmt: str | None = None) -> list[tuple[int, Any]]:
    """Read a file into ``(row, raw record)`` pairs without validating the records."""
    path = Path(path)
    fmt = detect_format(path, fmt)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise RecordValidationError(str(path), None, None, "file not found") from None
    except UnicodeDecodeError as exc:
        raise RecordValidationError(str(path), None, None, f"not UTF-8 text: {exc.reason}") from None
    reader = {"json": _read_json, "jsonl": _read_jsonl, "csv": _read_csv}[fmt]
    return list(reader(path.name, text))


@dataclass
class ImportResult:
    """What an import did."""

    file: str
    rows: int
    report: WriteReport
    errors: list[RecordValidationError] = field(default_factory=list)


def validate_rows(
    registry: Registry, name: str, raw: Iterable[tuple[int, Any]]
) -> tuple[list[Record], list[RecordValidationError]]:
    """Validate rows; return canonical records and every row-level error found."""
    records: list[Record] = []
    errors: list[RecordValidationError] = []
    seen: dict[str, int] = {}
    for row, item in raw:
        try:
            rec = registry.validate(item, file=name, row=row)
        except RecordValidationError as exc:
            errors.append(exc)
            continue
        if rec["id"] in seen:
            errors.append(RecordValidationError(
                name, row, "id", f"duplicate id {rec['id']!r} (first on row {seen[rec['id']]})"))
            continue
        seen[rec["id"]] = row
        records.append(rec)
    return records, errors


def raise_errors(errors: list[RecordValidationError]) -> None:
    """Raise the first error with the full list attached as ``errors`` (when there are any)."""
    if not errors:
        return
    first = errors[0]
    more = f" (and {len(errors) - 1} more errors)" if len(errors) > 1 else ""
    exc = RecordValidationError(first.file, first.row, first.field, first.reason + more)
    exc.errors = errors[:MAX_ERRORS]  # type: ignore[attr-defined]
    exc.error_count = len(errors)  # type: ignore[attr-defined]
    raise exc


def import_file(
    registry: Registry, path: str | Path, *, fmt: str | None = None, actor: str | None = None
) -> ImportResult:
    """Import a CSV, JSON or JSON Lines file: all rows or none, re-runnable (ids are natural keys).

    Raises
    ------
    RecordValidationError
        For the first bad row; ``exc.errors`` lists every bad row (up to :data:`MAX_ERRORS`).
    """
    path = Path(path)
    raw = read_raw(path, fmt)
    records, errors = validate_rows(registry, path.name, raw)
    raise_errors(errors)
    report = registry.write(records, actor=actor, action=f"import:{path.name}")
    return ImportResult(file=path.name, rows=len(raw), report=report)


# -- writing ---------------------------------------------------------------------------------


def _csv_cell(column: str, value: Any) -> str:
    if value is None:
        return ""
    if column in NESTED:
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, float):
        return repr(value)
    return str(value)


def dumps(records: Iterable[Record], fmt: str) -> str:
    """Serialise records, in canonical form, in a format (the text :func:`export_file` writes)."""
    records = [canonical(r) for r in records]
    if fmt == "json":
        return json.dumps({"schema": SCHEMA_ID, "engagements": records}, indent=2,
                          ensure_ascii=False) + "\n"
    if fmt == "jsonl":
        return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records)
    if fmt == "csv":
        buf = io.StringIO(newline="")
        writer = csv.writer(buf, lineterminator="\n")
        writer.writerow(FIELDS)
        for r in records:
            writer.writerow([_csv_cell(c, r[c]) for c in FIELDS])
        return buf.getvalue()
    raise RecordValidationError(None, None, None, f"unknown format {fmt!r}: use one of {', '.join(FORMATS)}")


def export_file(
    registry: Registry,
    path: str | Path,
    *,
    fmt: str | None = None,
    ids: list[str] | None = None,
) -> int:
    """Write records (all, or ``ids``) to a file; return how many were written."""
    path = Path(path)
    fmt = detect_format(path, fmt)
    records = registry.records(ids)
    path.write_text(dumps(records, fmt), encoding="utf-8", newline="")
    return len(records)
