"""Checks that a stored table obeys its file definition; failures name file, line and column.

The happy path is one aggregate query per table; only when a check fails is the first offending
row located (insertion order is the file's order, so line = row number + 1 for the header).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from detente.exceptions import ValidationError
from detente.sources.definition import ColumnSpec, FileSpec
from detente.sources.reader import quote_ident, sql_literal

if TYPE_CHECKING:
    import duckdb


def parse_date_sql(col: ColumnSpec, expr: str, *, strict: bool) -> str:
    """SQL turning the text ``expr`` into a DATE (``strict`` raises on bad values)."""
    if col.format:
        fn = "strptime" if strict else "try_strptime"
        return f"CAST({fn}({expr}, {sql_literal(col.format)}) AS DATE)"
    return f"CAST({expr} AS DATE)" if strict else f"TRY_CAST({expr} AS DATE)"


def partial_date_sql(expr: str) -> tuple[str, str]:
    """SQL for the first day and the precision of a partial date such as ``1984-04-xx``."""
    day = rf"regexp_matches({expr}, '^\d{{4}}-\d{{2}}-\d{{2}}$')"
    month = rf"regexp_matches({expr}, '^\d{{4}}-\d{{2}}-[xX]{{2}}$')"
    year = rf"regexp_matches({expr}, '^\d{{4}}(-[xX]{{2}}){{0,2}}$')"
    first = (
        f"CASE WHEN {day} THEN TRY_CAST({expr} AS DATE) "
        f"WHEN {month} THEN TRY_CAST(substr({expr}, 1, 7) || '-01' AS DATE) "
        f"WHEN {year} THEN TRY_CAST(substr({expr}, 1, 4) || '-01-01' AS DATE) END"
    )
    precision = (
        f"CASE WHEN {expr} IS NULL THEN NULL WHEN {day} THEN 'day' WHEN {month} THEN 'month' "
        f"WHEN {year} THEN 'year' END"
    )
    return first, precision


def select_list(spec: FileSpec, *, strict: bool = True) -> str:
    """The SELECT list turning a raw read into the canonical table (snake_case, typed dates)."""
    out: list[str] = []
    for col in spec.columns:
        src = quote_ident(col.name)
        dst = quote_ident(col.canonical)
        if col.type == "date":
            out.append(f"{parse_date_sql(col, src, strict=strict)} AS {dst}")
        elif col.type == "integer":
            out.append(f"{whole_number_sql(src)} AS {dst}")
        elif col.type == "partial_date":
            first, precision = partial_date_sql(src)
            out.append(f"{src} AS {dst}")
            out.append(f"{first} AS {quote_ident(col.canonical + '_date')}")
            out.append(f"{precision} AS {quote_ident(col.canonical + '_precision')}")
        else:
            out.append(f"{src} AS {dst}")
    return ", ".join(out)


def whole_number_sql(expr: str) -> str:
    """SQL casting ``expr`` to BIGINT, raising when it is not a whole number."""
    return (
        f"CASE WHEN {expr} IS NULL THEN NULL WHEN {expr} = trunc({expr}) THEN CAST({expr} AS BIGINT) "
        f"ELSE CAST(error('not a whole number') AS BIGINT) END"
    )


def _bad_date_condition(col: ColumnSpec, expr: str) -> str:
    if col.type == "partial_date":
        first, _ = partial_date_sql(expr)
        return f"{expr} IS NOT NULL AND ({first}) IS NULL"
    return f"{expr} IS NOT NULL AND ({parse_date_sql(col, expr, strict=False)}) IS NULL"


def locate_bad_value(con: duckdb.DuckDBPyConnection, raw_sql: str, spec: FileSpec, label: str) -> None:
    """Raise for the first non-whole integer or unparseable date in ``raw_sql`` (original names)."""
    for col in spec.columns:
        if col.type != "integer":
            continue
        name = quote_ident(col.name)
        row = con.execute(
            f"select __rn, {name} from (select row_number() over () as __rn, * from {raw_sql}) "
            f"where {name} is not null and {name} <> trunc({name}) limit 1"
        ).fetchone()
        if row is not None:
            raise ValidationError(label, int(row[0]) + 1, col.name, f"{row[1]!r} is not a whole number (integer column)")
    for col in spec.columns:
        if col.type not in ("date", "partial_date"):
            continue
        cond = _bad_date_condition(col, quote_ident(col.name))
        row = con.execute(
            f"select __rn, {quote_ident(col.name)} from "
            f"(select row_number() over () as __rn, * from {raw_sql}) where {cond} limit 1"
        ).fetchone()
        if row is not None:
            shape = f"format {col.format}" if col.format else "ISO yyyy-mm-dd"
            if col.type == "partial_date":
                shape = "yyyy-mm-dd with xx for unknown parts"
            raise ValidationError(label, int(row[0]) + 1, col.name, f"impossible or malformed date {row[1]!r} (expected {shape})")


def _valid_set(col: ColumnSpec, spec: FileSpec, codes: dict[str, set]) -> tuple[set, str] | None:
    """The set of values a column may take and the reason named when it does not (or None)."""
    if col.allowed is not None:
        return set(col.allowed), f"value not among the allowed {list(col.allowed)}"
    if col.code in codes and col.type in ("integer", "text") and codes[col.code]:
        return set(codes[col.code]) | set(spec.extra_codes), f"unknown {col.code.upper()} country code"
    return None


def _first_bad_row(con: duckdb.DuckDBPyConnection, table: str, col: ColumnSpec, cond: str) -> tuple[int, object]:
    row = con.execute(
        f"select __rn, {quote_ident(col.canonical)} from "
        f"(select row_number() over () as __rn, * from {table}) where {cond} limit 1"
    ).fetchone()
    assert row is not None
    return int(row[0]) + 1, row[1]


def _distinct_values(con: duckdb.DuckDBPyConnection, table: str, cols: list[ColumnSpec]) -> dict[str, list[str]]:
    """Distinct non-missing values (as text) of ``cols`` in one UNPIVOT query.

    One ``list(distinct ...)`` aggregate per column makes DuckDB's planner slow on wide files
    (about 1 s for 200 columns); unpivoting to (column, value) pairs is one cheap hash aggregate.
    """
    if not cols:
        return {}
    casts = ", ".join(f"CAST({quote_ident(c.canonical)} AS VARCHAR) AS {quote_ident(c.canonical)}" for c in cols)
    names = ", ".join(quote_ident(c.canonical) for c in cols)
    rows = con.execute(
        f"select __col, list(distinct __val) from (unpivot (select {casts} from {table}) "
        f"on {names} into name __col value __val) group by __col"
    ).fetchall()
    return {name: values for name, values in rows}


def _outside(seen: list[str], valid: set, *, numeric: bool) -> list[str]:
    """The values in ``seen`` (text) that are not in ``valid``; numbers compare as numbers."""
    if numeric:
        allowed = {float(v) for v in valid}
        return [v for v in seen if float(v) not in allowed]
    allowed_text = {str(v).lower() if isinstance(v, bool) else str(v) for v in valid}
    return [v for v in seen if v not in allowed_text]


def check_table(
    con: duckdb.DuckDBPyConnection,
    table: str,
    spec: FileSpec,
    label: str,
    codes: dict[str, set] | None = None,
) -> None:
    """Run every column and key check on ``table``; raise on the first failure.

    One query computes, per checked column, the non-missing count, min, max and the distinct
    values (for allowed values and country codes); the checks are then evaluated here, and only a
    failing check scans for its first offending row.
    """
    codes = codes or {}
    aggs: list[str] = ["count(*)"]
    plan: list[tuple[ColumnSpec, list[str]]] = []
    for col in spec.columns:
        c = quote_ident(col.canonical)
        parts: list[str] = []
        if col.required:
            aggs.append(f"count({c})")
            parts.append("count")
        if col.min is not None or col.max is not None:
            aggs += [f"min({c})", f"max({c})"]
            parts.append("range")
        if _valid_set(col, spec, codes) is not None:
            parts.append("values")
        if parts:
            plan.append((col, parts))
    # one distinct count per documented key; the duplicated rows are located only on failure
    for key in spec.unique:
        cols = ", ".join(quote_ident(spec.column(k).canonical) for k in key)
        aggs.append(f"count(distinct row({cols}))")
    got = list(con.execute(f"select {', '.join(aggs)} from {table}").fetchone() or ())
    total, pos = got[0], 1
    distinct = _distinct_values(con, table, [col for col, parts in plan if "values" in parts])
    for col, parts in plan:
        c = quote_ident(col.canonical)
        for part in parts:
            if part == "count":
                n = got[pos]
                pos += 1
                if n != total:
                    line, _ = _first_bad_row(con, table, col, f"{c} IS NULL")
                    raise ValidationError(label, line, col.name, f"missing value in a required column ({total - n} rows in all)")
            elif part == "range":
                lo, hi = got[pos], got[pos + 1]
                pos += 2
                if col.min is not None and lo is not None and lo < col.min:
                    line, v = _first_bad_row(con, table, col, f"{c} < {col.min!r}")
                    raise ValidationError(label, line, col.name, f"value below the minimum {col.min}: {v!r}")
                if col.max is not None and hi is not None and hi > col.max:
                    line, v = _first_bad_row(con, table, col, f"{c} > {col.max!r}")
                    raise ValidationError(label, line, col.name, f"value above the maximum {col.max}: {v!r}")
            else:
                valid, reason = _valid_set(col, spec, codes)  # type: ignore[misc]
                bad = _outside(distinct.get(col.canonical, []), valid, numeric=col.type in ("integer", "double"))
                if bad:
                    values = ", ".join(sql_literal(v) for v in bad)
                    line, v = _first_bad_row(con, table, col, f"CAST({c} AS VARCHAR) IN ({values})")
                    more = f" ({len(bad)} distinct bad values)" if len(bad) > 1 else ""
                    raise ValidationError(label, line, col.name, f"{reason}: {v!r}{more}")
    for key, distinct in zip(spec.unique, got[pos:], strict=True):
        if distinct != total:
            check_unique(con, table, spec, key, label)


def check_unique(con: duckdb.DuckDBPyConnection, table: str, spec: FileSpec, key: Iterable[str], label: str) -> None:
    """Raise when ``key`` (original column names) is not unique, naming the duplicated rows."""
    key = list(key)
    cols = ", ".join(quote_ident(spec.column(k).canonical) for k in key)
    dup = con.execute(
        f"select {cols}, list(__rn order by __rn) from "
        f"(select row_number() over () as __rn, * from {table}) "
        f"group by all having count(*) > 1 limit 1"
    ).fetchone()
    if dup is None:
        return
    values, rows = dup[:-1], dup[-1]
    shown = ", ".join(f"{k}={v!r}" for k, v in zip(key, values, strict=True))
    lines = ", ".join(str(r + 1) for r in rows[:5])
    raise ValidationError(label, int(rows[1]) + 1, ",".join(key), f"duplicate key ({shown}) on lines {lines}")
