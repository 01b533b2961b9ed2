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
    """SQL casting ``expr`` to BIGINT, raising when it is not a whole number.

    A missing value compares as NULL, so it takes the ELSE branch and stays missing; the one
    comparison per value keeps the expression cheap for DuckDB to plan on wide files.
    """
    return (
        f"CASE WHEN {expr} <> trunc({expr}) THEN CAST(error('not a whole number') AS BIGINT) "
        f"ELSE CAST({expr} AS BIGINT) END"
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


def _first_bad_row(
    con: duckdb.DuckDBPyConnection, table: str, col: ColumnSpec, cond: str, params: list | None = None
) -> tuple[int, object]:
    row = con.execute(
        f"select __rn, {quote_ident(col.canonical)} from "
        f"(select row_number() over () as __rn, * from {table}) where {cond} limit 1",
        params,
    ).fetchone()
    assert row is not None
    return int(row[0]) + 1, row[1]


#: Tables up to this many rows gather distinct values as lists (``list_distinct(list(x))``);
#: longer ones use DISTINCT aggregates. A DISTINCT aggregate costs DuckDB a few milliseconds to set
#: up, which dominates on short tables (a few hundred per import), while collecting a list costs
#: per row, which dominates on long ones.
SHORT_TABLE = 20_000


def _distinct_sql(expr: str, *, short: bool) -> str:
    """SQL aggregate for the distinct values of ``expr`` (NULL among them on long tables)."""
    return f"list_distinct(list({expr}))" if short else f"list(distinct {expr})"


def _distinct_count_sql(exprs: str, *, short: bool) -> str:
    """SQL aggregate counting the distinct hashes of the row ``exprs`` (0 on an empty table)."""
    if short:
        return f"coalesce(len(list_distinct(list(hash({exprs})))), 0)"
    return f"count(distinct hash({exprs}))"


def _outside(seen: Iterable[object], valid: set, *, numeric: bool) -> list:
    """The values in ``seen`` that are not in ``valid``; numbers compare as numbers."""
    if numeric:
        allowed = {float(v) for v in valid}  # type: ignore[arg-type]
        return [v for v in seen if float(v) not in allowed]  # type: ignore[arg-type]
    allowed_text = {str(v).lower() if isinstance(v, bool) else str(v) for v in valid}
    return [v for v in seen if str(v) not in allowed_text]


def check_table(
    con: duckdb.DuckDBPyConnection,
    table: str,
    spec: FileSpec,
    label: str,
    codes: dict[str, set] | None = None,
    rows: int | None = None,
) -> int:
    """Run every column and key check on ``table``; raise on the first failure, else return its rows.

    One query computes, per checked column, the non-missing count, min and max and the distinct
    values (allowed values and country codes) and, on a short table, per documented key, the
    number of distinct key hashes (a long table's keys: :func:`_distinct_key_counts`). The checks
    are then evaluated here, and only a failing check scans for its first offending row. Equal
    keys hash equally, so as many distinct hashes as rows proves a key unique; fewer (a
    duplicate, or in principle a hash collision) runs the exact check, which names the
    duplicated lines. ``rows`` (the table's row count, when the caller knows it) picks the
    cheaper form of the distinct aggregates (see :data:`SHORT_TABLE`).
    """
    codes = codes or {}
    if rows is None:
        (rows,) = con.execute(f"select count(*) from {table}").fetchone() or (0,)
    short = rows <= SHORT_TABLE
    valid = {c.canonical: v for c in spec.columns if (v := _valid_set(c, spec, codes)) is not None}
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
        if col.canonical in valid:
            aggs.append(_distinct_sql(c, short=short))
            parts.append("values")
        if parts:
            plan.append((col, parts))
    if short:
        for key in spec.unique:
            aggs.append(_distinct_count_sql(_key_sql(spec, key), short=True))
    got = list(con.execute(f"select {', '.join(aggs)} from {table}").fetchone() or ())
    total, pos = got[0], 1
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
                seen = [v for v in got[pos] or () if v is not None]
                pos += 1
                allowed, reason = valid[col.canonical]
                bad = _outside(seen, allowed, numeric=col.type in ("integer", "double"))
                if bad:
                    line, v = _first_bad_row(con, table, col, f"list_contains(?, {c})", [bad])
                    more = f" ({len(bad)} distinct bad values)" if len(bad) > 1 else ""
                    raise ValidationError(label, line, col.name, f"{reason}: {v!r}{more}")
    if short:
        distinct = dict(zip(spec.unique, got[pos:], strict=True))
    else:
        distinct = _distinct_key_counts(con, table, spec, total)
    for key, n_distinct in distinct.items():
        if n_distinct != total:
            check_unique(con, table, spec, key, label)
    return int(total)


def _key_sql(spec: FileSpec, key: Iterable[str], prefix: str = "") -> str:
    return ", ".join(quote_ident(prefix + spec.column(k).canonical) for k in key)


def _greater_sql(cols: list[str]) -> str:
    """SQL true when the row's ``cols`` are lexicographically greater than the previous row's.

    Only a comparison decided on non-missing values is true; a missing value makes it NULL,
    which counts as not increasing.
    """
    c, p = quote_ident(cols[0]), quote_ident("__prev_" + cols[0])
    if len(cols) == 1:
        return f"{c} > {p}"
    return f"({c} > {p} OR ({c} = {p} AND {_greater_sql(cols[1:])}))"


def _distinct_key_counts(
    con: duckdb.DuckDBPyConnection, table: str, spec: FileSpec, total: int
) -> dict[tuple[str, ...], int]:
    """The number of distinct values of each documented key of a long table.

    Rows that strictly increase along a key cannot repeat it (each step is decided on a column
    where the rows differ, and lexicographic order is transitive), and long files are mostly
    sorted by their key, as documented or with its last column first (year, then the pair): one
    pass comparing each row with the one before proves such a key unique (``total`` distinct
    values) far more cheaply than hashing every row. Keys it does not prove are counted by hash.
    """
    if not spec.unique or total < 2:
        return {key: total for key in spec.unique}
    names = sorted({spec.column(k).canonical for key in spec.unique for k in key})
    lags = ", ".join(f"lag({quote_ident(n)}) over () as {quote_ident('__prev_' + n)}" for n in names)
    orders: list[tuple[tuple[str, ...], list[str]]] = []
    for key in spec.unique:
        cols = [spec.column(k).canonical for k in key]
        for order in dict.fromkeys((tuple(cols), (cols[-1], *cols[:-1]))):
            orders.append((key, list(order)))
    steps = ", ".join(f"count(*) filter (where {_greater_sql(order)})" for _, order in orders)
    current = ", ".join(quote_ident(n) for n in names)
    got = con.execute(f"select {steps} from (select {current}, {lags} from {table})").fetchone() or ()
    proven = {key for (key, _), n in zip(orders, got, strict=True) if n == total - 1}
    out = {key: total for key in spec.unique if key in proven}
    rest = [key for key in spec.unique if key not in proven]
    if rest:
        counts = ", ".join(_distinct_count_sql(_key_sql(spec, key), short=False) for key in rest)
        out.update(zip(rest, con.execute(f"select {counts} from {table}").fetchone() or (), strict=True))
    return out


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
