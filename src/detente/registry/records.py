"""Engagement records: validation against the published schema and the canonical form.

A record is a plain ``dict`` in the shape of ``engagement.schema.json``. :func:`validate_record`
checks one record (schema first, then the rules a schema cannot say: real dates, end after start,
known state codes, unique keys) and returns its canonical form — every field present, optional
text ``""`` turned into ``None``, numbers typed, observations and yearly levels sorted — so that
import followed by export gives back the same record.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from functools import cache
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError as SchemaError

from detente.exceptions import RecordValidationError
from detente.registry import vocab
from detente.registry.schema import DATE_PATTERN, engagement_schema

Record = dict[str, Any]

#: Field order of the canonical record (also the CSV column order).
FIELDS: tuple[str, ...] = tuple(engagement_schema()["properties"])
#: Fields that hold lists or objects (JSON-encoded in CSV cells).
NESTED: tuple[str, ...] = (
    "status_dates", "citations", "participants", "legal_bases", "objectives", "assessments", "yearly",
)

_SUB_FIELDS = {
    "participants": ("system", "code", "role", "name", "personnel"),
    "legal_bases": ("kind", "reference", "resolution", "chapter", "date", "description"),
    "objectives": ("key", "statement", "specific", "measurable", "achievable", "relevant",
                   "time_bound", "indicators"),
    "indicators": ("key", "definition", "unit", "baseline_value", "baseline_date", "target_value",
                   "target_date", "data_source", "observations"),
    "observations": ("date", "value", "recorded_by", "note"),
    "assessments": ("kind", "date", "author", "findings", "rating"),
    "yearly": ("year", "personnel", "value", "unit"),
}
_FLOATS = {"cost", "value", "baseline_value", "target_value"}

#: A function telling whether ``code`` is a known state in ``system`` (None = do not check).
CodeCheck = Callable[[str, int], bool]


@cache
def _validator() -> Draft202012Validator:
    return Draft202012Validator(engagement_schema())


@cache
def _fast_check() -> Callable[[Any], Any] | None:
    """A compiled validator (fastjsonschema, when installed) for the common, valid case.

    jsonschema takes milliseconds per nested record, too slow for the public record's tens
    of thousands; the compiled check is ~50 times faster. Only a failure falls back to
    jsonschema, whose errors name the field.
    """
    try:
        import fastjsonschema
    except ImportError:
        return None
    schema = {k: v for k, v in engagement_schema().items() if k != "$schema"}
    schema["$schema"] = "http://json-schema.org/draft-07/schema#"  # keywords used are draft 7
    return fastjsonschema.compile(schema)


def _schema_errors(record: dict[str, Any]) -> list[SchemaError]:
    fast = _fast_check()
    if fast is not None:
        import fastjsonschema

        try:
            fast(record)
            return []
        except fastjsonschema.JsonSchemaException:
            pass  # describe it with jsonschema below
    return sorted(
        _validator().iter_errors(record),
        key=lambda e: (len(e.absolute_path), [str(p) for p in e.absolute_path]),
    )


def _path(parts: Iterable[Any]) -> str | None:
    out = ""
    for p in parts:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else str(p))
    return out or None


def _explain(err: SchemaError) -> tuple[str | None, str]:
    """Turn a jsonschema error into (field path, plain reason)."""
    path = list(err.absolute_path)
    field = _path(path)
    v, kw = err.instance, err.validator
    if kw == "required":
        missing = [r for r in err.validator_value if r not in (err.instance or {})]
        name = missing[0] if missing else "?"
        return _path([*path, name]), f"missing required field {name!r}"
    if kw == "additionalProperties":
        extra = sorted(set(err.instance) - set(err.schema.get("properties", {})))
        name = extra[0] if extra else "?"
        return _path([*path, name]), f"unexpected field {name!r} (not in the published schema)"
    if kw == "enum":
        what = path[-1] if path and isinstance(path[-1], str) else "value"
        allowed = ", ".join(str(x) for x in err.validator_value if x is not None)
        return field, f"unknown {what} {v!r}: expected one of {allowed}"
    if kw == "pattern":
        if err.validator_value == DATE_PATTERN:
            return field, f"malformed date {v!r}: expected YYYY-MM-DD"
        return field, f"malformed value {v!r}: must match {err.validator_value}"
    if kw == "minimum":
        return field, f"{v!r} is negative or below the minimum {err.validator_value}"
    if kw == "anyOf":
        # a nullable field: report the error of the non-null branch
        inner = [e for e in (err.context or []) if e.validator != "type" or e.validator_value != "null"]
        if inner:
            sub_field, reason = _explain(inner[0])
            return sub_field or field, reason
    if kw == "type":
        kinds = err.validator_value if isinstance(err.validator_value, list) else [err.validator_value]
        return field, f"{v!r} is not of type {' or '.join(kinds)}"
    if kw == "minLength":
        return field, "must not be empty"
    if kw == "const":
        return field, f"{v!r} must be {err.validator_value!r}"
    return field, err.message


def _date(value: str | None, field: str, fail: Callable[[str, str], None]) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        fail(field, f"malformed date {value!r}: not a calendar date")
    return None


def _blank_to_none(value: Any) -> Any:
    return None if isinstance(value, str) and value == "" else value


def _canon_item(kind: str, item: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for f in _SUB_FIELDS[kind]:
        v = item.get(f)
        if f == "indicators":
            v = [_canon_item("indicators", i) for i in v or []]
        elif f == "observations":
            v = sorted((_canon_item("observations", o) for o in v or []), key=lambda o: o["date"])
        elif f == "data_source":
            v = v or "manual"
        elif f in _FLOATS and v is not None:
            v = float(v)
        else:
            v = _blank_to_none(v)
        out[f] = v
    return out


def canonical(record: Mapping[str, Any]) -> Record:
    """Return a record with every field present in schema order (no validation)."""
    out: Record = {}
    for f in FIELDS:
        v = record.get(f)
        if f in _SUB_FIELDS:
            items = [_canon_item(f, i) for i in v or []]
            if f == "yearly":
                items.sort(key=lambda y: y["year"])
            v = items
        elif f == "citations":
            v = list(v or [])
        elif f == "status_dates":
            v = {s: v[s] for s in vocab.STATUSES if s in (v or {})}
        elif f in _FLOATS and v is not None:
            v = float(v)
        else:
            v = _blank_to_none(v)
        out[f] = v
    return out


def validate_record(
    record: Any,
    *,
    file: str | None = None,
    row: int | None = None,
    known_code: CodeCheck | None = None,
) -> Record:
    """Validate one record and return its canonical form.

    Parameters
    ----------
    record : mapping
        The record as read from a file or given to the API.
    file, row : optional
        Where the record came from, for the error message.
    known_code : callable, optional
        ``known_code(system, code)`` tells whether a state code exists; unknown codes are errors.

    Raises
    ------
    RecordValidationError
        Naming file, row, field and the reason.
    """

    def fail(field: str | None, reason: str) -> None:
        raise RecordValidationError(file, row, field, reason)

    if not isinstance(record, Mapping):
        fail(None, f"a record must be a JSON object, got {type(record).__name__}")
    errors = _schema_errors(dict(record))
    if errors:
        fail(*_explain(errors[0]))
    rec = canonical(record)

    start = _date(rec["start"], "start", fail)
    end = _date(rec["end"], "end", fail)
    if start and end and end < start:
        fail("end", f"end {rec['end']} is before start {rec['start']}")
    if rec["status"] in vocab.STARTED and start is None:
        fail("start", f"an engagement with status {rec['status']!r} needs a start date")
    if rec["status"] == "completed" and end is None:
        fail("end", "a completed engagement needs an end date")
    previous: tuple[str, dt.date] | None = None
    for status, value in rec["status_dates"].items():
        d = _date(value, f"status_dates.{status}", fail)
        if previous and d and status != "cancelled" and d < previous[1]:
            fail(f"status_dates.{status}",
                 f"{status} on {value} is before {previous[0]} on {previous[1].isoformat()}")
        if d:
            previous = (status, d)

    seen: set[tuple[str, int, str]] = set()
    for i, p in enumerate(rec["participants"]):
        key = (p["system"], p["code"], p["role"])
        if key in seen:
            fail(f"participants[{i}]", f"duplicate participant {p['system']} {p['code']} as {p['role']}")
        seen.add(key)
        if known_code is not None and not known_code(p["system"], p["code"]):
            fail(f"participants[{i}].code", f"unknown country: {p['system']} code {p['code']}")
    for i, lb in enumerate(rec["legal_bases"]):
        _date(lb["date"], f"legal_bases[{i}].date", fail)
        if lb["chapter"] and lb["kind"] != "un_mandate":
            fail(f"legal_bases[{i}].chapter", "a UN Charter chapter belongs to a un_mandate")
    keys: set[str] = set()
    for i, o in enumerate(rec["objectives"]):
        where = f"objectives[{i}]"
        if o["key"] in keys:
            fail(f"{where}.key", f"duplicate objective key {o['key']!r}")
        keys.add(o["key"])
        _date(o["time_bound"], f"{where}.time_bound", fail)
        ikeys: set[str] = set()
        for j, ind in enumerate(o["indicators"]):
            iw = f"{where}.indicators[{j}]"
            if ind["key"] in ikeys:
                fail(f"{iw}.key", f"duplicate indicator key {ind['key']!r}")
            ikeys.add(ind["key"])
            _date(ind["baseline_date"], f"{iw}.baseline_date", fail)
            _date(ind["target_date"], f"{iw}.target_date", fail)
            dates: set[str] = set()
            for k, ob in enumerate(ind["observations"]):
                _date(ob["date"], f"{iw}.observations[{k}].date", fail)
                if ob["date"] in dates:
                    fail(f"{iw}.observations[{k}].date", f"two observations on {ob['date']}")
                dates.add(ob["date"])
    for i, a in enumerate(rec["assessments"]):
        _date(a["date"], f"assessments[{i}].date", fail)
    years: set[int] = set()
    for i, y in enumerate(rec["yearly"]):
        if y["year"] in years:
            fail(f"yearly[{i}].year", f"duplicate year {y['year']}")
        years.add(y["year"])
    return rec
