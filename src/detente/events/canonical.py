"""Check parsed rows and turn them into the canonical event schema, on distinct values.

A row is rejected, with its reason, when its date does not parse, its CAMEO code is in neither
copy of the codebook, its Goldstein weight is not a number, its event id is not an integer, or
its counts are not integers. Every lookup (dates, CAMEO codes, actor types, actor countries to
CoW and G-W codes valid on the event's date) runs once per distinct value or (code, date) pair
of the batch and is spread back to the rows (:mod:`detente.events.distinct`), so checking costs
a few gathers per column whatever the number of rows.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from detente.events.cameo import cameo_table
from detente.events.codes import SCHEME_OF_LAYOUT, normalise_values, resolve
from detente.events.distinct import Distinct, constant, dictionary
from detente.events.layouts import Layout

#: The canonical event columns, in file order (``year`` and ``month`` are partition keys).
EVENT_SCHEMA = pa.schema(
    [
        ("event_id", pa.int64()),
        ("date", pa.date32()),
        ("source_cow", pa.int16()),
        ("target_cow", pa.int16()),
        ("source_gw", pa.int16()),
        ("target_gw", pa.int16()),
        ("source_actor", pa.string()),
        ("target_actor", pa.string()),
        ("source_type", pa.string()),
        ("target_type", pa.string()),
        ("cameo_code", pa.string()),
        ("root_code", pa.int8()),
        ("quad_class", pa.int8()),
        ("goldstein", pa.float64()),
        ("mentions", pa.int32()),
        ("sources", pa.int32()),
        ("articles", pa.int32()),
        ("dataset", pa.string()),
        ("source_file", pa.string()),
    ]
)

MENTION_SCHEMA = pa.schema(
    [
        ("event_id", pa.int64()),
        ("event_time", pa.timestamp("s")),
        ("mention_time", pa.timestamp("s")),
        ("mention_type", pa.int8()),
        ("mention_source", pa.string()),
        ("mention_url", pa.string()),
        ("sentence", pa.int32()),
        ("confidence", pa.int16()),
        ("doc_tone", pa.float64()),
        ("source_file", pa.string()),
    ]
)

#: CAMEO actor type codes (GDELT) -> canonical actor type. Modifiers (RAD, MOD) are skipped.
GDELT_TYPES = {
    "GOV": "government", "MIL": "military", "COP": "police", "SPY": "intelligence",
    "REB": "rebel", "INS": "rebel", "SEP": "rebel", "UAF": "armed_group",
    "OPP": "opposition", "CVL": "civilian", "BUS": "business", "MNC": "business",
    "MED": "media", "IGO": "igo", "NGO": "ngo", "NGM": "ngo", "HRI": "ngo",
    "JUD": "judiciary", "LEG": "legislature", "EDU": "education", "HLH": "health",
    "LAB": "labour", "REF": "refugee", "CRM": "criminal", "ELI": "elite",
    "AGR": "agriculture", "UIS": "unidentified_state_actor", "SET": "settler",
    "ENV": "environment", "DEV": "development", "PTY": "party",
}  # fmt: skip

#: ICEWS sector keywords -> canonical actor type, first match wins (most specific first).
ICEWS_SECTORS = (
    ("military", ("Military", "Army", "Navy", "Air Force", "Marines", "Defense / Security Ministry")),
    ("police", ("Police",)),
    ("intelligence", ("Intelligence",)),
    ("rebel", ("Rebel", "Insurgent", "Separatist")),
    ("armed_group", ("Unidentified Forces",)),
    ("igo", ("International Government Organization",)),
    ("opposition", ("Dissident", "Protestors", "Opposition")),
    ("judiciary", ("Judicial",)),
    ("legislature", ("Legislative",)),
    ("government", ("Government", "Executive", "Cabinet", "Ministry")),
    ("ngo", ("Non-Governmental", "NGO")),
    ("business", ("Business",)),
    ("media", ("Media", "News")),
    ("education", ("Education",)),
    ("criminal", ("Criminal",)),
    ("refugee", ("Refugee",)),
    ("civilian", ("Civilian", "Social")),
)

#: Every canonical actor type (the dictionary of the type columns).
ACTOR_TYPES = tuple(dict.fromkeys([*GDELT_TYPES.values(), *(k for k, _ in ICEWS_SECTORS), "other"]))
_TYPE_POS = {t: i for i, t in enumerate(ACTOR_TYPES)}

#: GDELT 1.0 was published daily from this day on; earlier rows come from the historical
#: back-file, whose DATEADDED is the day the back-file was made, not a publication day.
GDELT_DAILY_SINCE = 20130401

#: Reasons, in the order they are tested (the first that applies is reported).
_REASONS = ("date", "cameo", "goldstein", "event_id", "counts")
_NO_DAY = np.iinfo(np.int32).min
_EPOCH = dt.date(1970, 1, 1)
_INT = r"^[+-]?[0-9]{1,18}$"
_FLOAT = r"^[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?$"


@dataclass
class Checked:
    """The outcome of checking one parsed table.

    Attributes
    ----------
    table : pyarrow.Table
        The kept rows in the canonical schema plus ``year`` and ``month``.
    bad : numpy.ndarray
        Positions (in the parsed table) of the rejected rows, ascending.
    reasons : list of str
        Why each rejected row was rejected.
    covered : list of datetime.date
        The days the file speaks for (see :func:`check_events`).
    """

    table: pa.Table
    bad: np.ndarray
    reasons: list[str]
    covered: list[dt.date]


def _gdelt_day(value: object) -> int:
    """Days since 1970 of a ``YYYYMMDD`` value (int or text), or ``_NO_DAY``."""
    text = str(value).strip() if value is not None else ""
    if len(text) != 8 or not text.isdigit():
        return _NO_DAY
    try:
        return (dt.date(int(text[:4]), int(text[4:6]), int(text[6:])) - _EPOCH).days
    except ValueError:
        return _NO_DAY


def _publication_day(stamp: object) -> int:
    """The day of a GDELT ``DATEADDED`` (``YYYYMMDD`` or ``YYYYMMDDhhmmss``) from daily publication on."""
    text = "" if stamp is None else str(stamp).strip()[:8]
    if not text.isdigit() or int(text) < GDELT_DAILY_SINCE:
        return _NO_DAY
    return _gdelt_day(text)


def _iso_day(value: object) -> int:
    try:
        return (dt.date.fromisoformat(str(value).strip()) - _EPOCH).days
    except ValueError:
        return _NO_DAY


def _number(column: pa.ChunkedArray, kind: str) -> tuple[pa.Array, np.ndarray]:
    """A column as numbers (int64 or float64) and, per row, whether a non-empty value failed.

    Columns the parser already typed pass through (their nulls were empty fields); text columns
    are converted here, so one bad value costs one row, not the file.
    """
    column = column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column
    target = pa.int64() if kind == "int" else pa.float64()
    if pa.types.is_dictionary(column.type):
        column = column.cast(column.type.value_type)
    if not pa.types.is_string(column.type) and not pa.types.is_large_string(column.type):
        return column.cast(target), np.zeros(len(column), dtype=bool)
    text = pc.utf8_trim_whitespace(column)
    ok = pc.fill_null(pc.match_substring_regex(text, _INT if kind == "int" else _FLOAT), False)
    values = pc.cast(pc.if_else(ok, text, pa.scalar(None, pa.string())), target)
    failed = pc.and_(pc.invert(ok), pc.not_equal(text, ""))
    return values, np.asarray(pc.fill_null(failed, False))


def _nulls(array: pa.Array) -> np.ndarray:
    return np.asarray(array.is_null()) if array.null_count else np.zeros(len(array), dtype=bool)


def _actor(code: Distinct, group: Distinct | None, trim: bool) -> pa.DictionaryArray:
    """The actor as in the file: its country code, else (GDELT) its known-group code."""
    names: dict[str, int] = {}

    def positions(values: list[str]) -> np.ndarray:
        out = []
        for v in values:
            v = (v or "").strip() if trim else (v or "")
            out.append(names.setdefault(v, len(names)) if v else -1)
        return np.array(out, dtype=np.int32)

    pos = code.spread(positions(code.values), np.int32, -1)
    if group is not None:
        pos = np.where(pos >= 0, pos, group.spread(positions(group.values), np.int32, -1))
    return dictionary(pos, list(names))


def _gdelt_type(first: Distinct, second: Distinct) -> pa.DictionaryArray:
    def kinds(d: Distinct) -> np.ndarray:
        return d.mapped(lambda v: _TYPE_POS[GDELT_TYPES[v]] if v in GDELT_TYPES else -1, np.int32, -1)

    one = kinds(first)
    return dictionary(np.where(one >= 0, one, kinds(second)), ACTOR_TYPES)


def icews_sector_type(sectors: str | None) -> str | None:
    """The canonical actor type of an ICEWS sector list (None when the list is empty).

    Examples
    --------
    >>> icews_sector_type("Executive,Foreign Ministry,Government")
    'government'
    >>> icews_sector_type("Military,Government"), icews_sector_type("Farmers"), icews_sector_type("")
    ('military', 'other', None)
    """
    if not sectors:
        return None
    for kind, words in ICEWS_SECTORS:
        if any(w in sectors for w in words):
            return kind
    return "other"


def _icews_type(sectors: Distinct) -> pa.DictionaryArray:
    def pos(v: str | None) -> int:
        kind = icews_sector_type(v)
        return -1 if kind is None else _TYPE_POS[kind]

    return dictionary(sectors.mapped(pos, np.int32, -1), ACTOR_TYPES)


def _cameo(codes: Distinct, layout: Layout, goldstein: str, mirror: str | None) -> dict[str, np.ndarray]:
    """Per row: known, root, quad class and the table Goldstein weight of the chosen copy."""
    table = cameo_table(mirror)
    row_of = {c: i for i, c in enumerate(table["cameo_code"].to_pylist())}
    at = np.array([row_of.get(v, -1) for v in codes.values], dtype=np.int64)
    known = codes.spread(at >= 0, bool, False)

    def col(name: str, dtype: object) -> np.ndarray:
        values = table[name].to_numpy(zero_copy_only=False).astype(dtype)
        return codes.spread(values[np.maximum(at, 0)], dtype, 0)

    out = {
        "known": known,
        "root": col("root_code", np.int8),
        "quad": col("quad_icews" if layout.name == "icews" else "quad_gdelt", np.int8),
    }
    if goldstein != "file":
        first, second = (
            ("goldstein_gdelt", "goldstein_icews") if goldstein == "gdelt" else ("goldstein_icews", "goldstein_gdelt")
        )
        a, b = col(first, np.float64), col(second, np.float64)
        out["table_goldstein"] = np.where(np.isnan(a), b, a)
    return out


def _covered(raw: pa.Table, layout: Layout, dates: Distinct, day_of: np.ndarray, kept: np.ndarray) -> list[dt.date]:
    """The days a file speaks for.

    GDELT rows carry the moment they were published (``DATEADDED``): a file speaks for the days
    it was published on, whatever the dates of the events it reports (GDELT 2.0 files report
    events dated months or years back). Rows of GDELT 1.0's historical back-file (published
    before daily files began) and ICEWS rows speak for their own event days.
    """
    days: set[int] = set()
    own_day = kept
    if "added" in raw.column_names and layout.name != "icews":
        stamps = Distinct.of(raw["added"])
        per_value = [_publication_day(v) for v in stamps.values]
        published = stamps.spread(np.array(per_value, dtype=np.int64) != _NO_DAY, bool, False)
        seen = np.bincount(stamps.index[kept & published] + 1, minlength=len(per_value) + 1)[1:]
        days.update(d for d, n in zip(per_value, seen, strict=True) if n)
        own_day = kept & ~published
    if own_day.any():
        seen = np.bincount(dates.index[own_day] + 1, minlength=len(day_of) + 1)[1:]
        days.update(int(d) for d, n in zip(day_of, seen, strict=True) if n and d != _NO_DAY)
    return [_EPOCH + dt.timedelta(days=int(d)) for d in sorted(days)]


def check_events(
    raw: pa.Table, layout: Layout, goldstein: str, file: str, mirror: str | None = None
) -> Checked:
    """Check one parsed event table and return its canonical rows, rejects and covered days.

    Parameters
    ----------
    raw : pyarrow.Table
        Canonical field names (:attr:`Layout.fields`), numbers typed or as text.
    layout : Layout
        The file's layout.
    goldstein : {"file", "gdelt", "icews"}
        Keep the file's weights or take them from one copy of the CAMEO table.
    file : str
        The value of ``source_file``.
    mirror : str, optional
        The data mirror holding the CAMEO tables.
    """
    n = raw.num_rows
    icews = layout.name == "icews"
    dates = Distinct.of(raw["date"])
    day_of = np.array([(_iso_day if icews else _gdelt_day)(v) for v in dates.values], dtype=np.int64)
    bad_date = dates.spread(day_of == _NO_DAY, bool, True)
    cameo_codes = Distinct.of(raw["cameo_code"])
    cameo = _cameo(cameo_codes, layout, goldstein, mirror)
    gold, gold_failed = _number(raw["goldstein"], "float")
    event_id, id_failed = _number(raw["event_id"], "int")
    failed = {
        "date": bad_date,
        "cameo": ~cameo["known"],
        "goldstein": _nulls(gold) | gold_failed,
        "event_id": _nulls(event_id) | id_failed,
        "counts": np.zeros(n, dtype=bool),
    }
    counts: dict[str, pa.Array] = {}
    for name in ("mentions", "sources", "articles"):
        if icews:
            counts[name] = pa.array(np.ones(n, dtype=np.int32)) if name == "mentions" else pa.nulls(n, pa.int32())
            continue
        values, bad = _number(raw[name], "int")
        too_big = np.asarray(pc.fill_null(pc.greater(pc.abs(values), 2**31 - 1), False))
        failed["counts"] |= bad | too_big
        if too_big.any():
            values = pc.if_else(pa.array(too_big), pa.scalar(None, pa.int64()), values)
        counts[name] = values.cast(pa.int32())
    reason = np.zeros(n, dtype=np.int8)
    for code in range(len(_REASONS), 0, -1):  # the first reason that applies wins
        reason[failed[_REASONS[code - 1]]] = code
    kept = reason == 0

    scheme = SCHEME_OF_LAYOUT[layout.name]
    sides: dict[str, pa.Array] = {}
    for side in ("source", "target"):
        code = Distinct.of(raw[f"{side}_code"])
        keys = [*normalise_values(scheme, code.values), ""]  # the last: rows without a code
        states = resolve(scheme, keys, code.index, day_of.astype(np.int32), dates.index)
        sides[f"{side}_cow"], sides[f"{side}_gw"] = states["cow"], states["gw"]
        group = None if icews else Distinct.of(raw[f"{side}_group"])
        sides[f"{side}_actor"] = _actor(code, group, trim=icews)
        if icews:
            sides[f"{side}_type"] = _icews_type(Distinct.of(raw[f"{side}_sectors"]))
        else:
            sides[f"{side}_type"] = _gdelt_type(Distinct.of(raw[f"{side}_type1"]), Distinct.of(raw[f"{side}_type2"]))
    valid = np.where(day_of == _NO_DAY, 0, day_of)
    months = valid.astype("datetime64[D]").astype("datetime64[M]").astype(np.int64)
    columns = {
        "event_id": event_id,
        "date": pa.array(dates.spread(valid, np.int32)).view(pa.date32()),
        **{k: sides[k] for k in ("source_cow", "target_cow", "source_gw", "target_gw")},
        **{k: sides[k] for k in ("source_actor", "target_actor", "source_type", "target_type")},
        "cameo_code": dictionary(cameo_codes.index, cameo_codes.values),
        "root_code": pa.array(cameo["root"]),
        "quad_class": pa.array(cameo["quad"]),
        "goldstein": gold if goldstein == "file" else pa.array(cameo["table_goldstein"]),
        **counts,
        "dataset": constant(layout.name, n),
        "source_file": constant(file, n),
        "year": pa.array(dates.spread(1970 + months // 12, np.int16)),
        "month": pa.array(dates.spread(months % 12 + 1, np.int8)),
    }
    table = pa.table(columns)
    bad = np.flatnonzero(~kept)
    reasons = _explain(raw, reason, bad)
    if len(bad):
        table = table.filter(pa.array(kept))
    return Checked(table, bad, reasons, _covered(raw, layout, dates, day_of, kept))


def _explain(raw: pa.Table, reason: np.ndarray, bad: np.ndarray) -> list[str]:
    """The reason of each rejected row, quoting the offending value as it was read."""
    if not len(bad):
        return []
    rows = pa.array(bad)

    def shown(name: str) -> list[str]:
        return ["" if v is None else str(v) for v in raw[name].take(rows).to_pylist()]

    quoted = {
        1: ("unparseable date", shown("date")),
        2: ("unknown CAMEO code", shown("cameo_code")),
        3: ("non-numeric Goldstein", shown("goldstein")),
        4: ("non-integer event id", shown("event_id")),
    }
    out = []
    for i, code in enumerate(reason[bad]):
        if code == 5:
            out.append("non-integer mention/source/article count")
        else:
            what, values = quoted[int(code)]
            out.append(f'{what} "{values[i]}"')
    return out


MENTIONS_SQL = """
SELECT
    CASE
        WHEN TRY_CAST(nullif(event_id, '') AS BIGINT) IS NULL THEN 'non-integer event id ' || '"' || event_id || '"'
        WHEN TRY_STRPTIME(mention_time, '%Y%m%d%H%M%S') IS NULL
            THEN 'unparseable mention time ' || '"' || mention_time || '"'
    END AS reason,
    TRY_CAST(nullif(event_id, '') AS BIGINT) AS event_id,
    TRY_STRPTIME(event_time, '%Y%m%d%H%M%S') AS event_time,
    TRY_STRPTIME(mention_time, '%Y%m%d%H%M%S') AS mention_time,
    TRY_CAST(nullif(mention_type, '') AS TINYINT) AS mention_type,
    nullif(mention_source, '') AS mention_source,
    nullif(mention_url, '') AS mention_url,
    TRY_CAST(nullif(sentence, '') AS INTEGER) AS sentence,
    TRY_CAST(nullif(confidence, '') AS SMALLINT) AS confidence,
    TRY_CAST(nullif(doc_tone, '') AS DOUBLE) AS doc_tone,
    year(TRY_STRPTIME(mention_time, '%Y%m%d%H%M%S'))::SMALLINT AS year,
    month(TRY_STRPTIME(mention_time, '%Y%m%d%H%M%S'))::TINYINT AS month
FROM raw
"""


def check_mentions(raw: pa.Table, file: str) -> Checked:
    """Check one parsed GDELT 2.0 mentions table (every field read as text) with DuckDB."""
    import duckdb

    con = duckdb.connect()
    try:
        con.register("raw", raw)
        checked = con.sql(MENTIONS_SQL).to_arrow_table()
    finally:
        con.close()
    is_bad = pc.is_valid(checked["reason"])
    bad = np.flatnonzero(np.asarray(is_bad))
    reasons = checked["reason"].take(pa.array(bad)).to_pylist() if len(bad) else []
    if len(bad):
        checked = checked.filter(pc.invert(is_bad))
    checked = checked.drop_columns(["reason"]).append_column("source_file", constant(file, checked.num_rows))
    return Checked(checked, bad, reasons, [])
