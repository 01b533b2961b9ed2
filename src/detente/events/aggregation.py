"""Aggregate the canonical event store to dyad-periods or state-periods, with DuckDB or Spark.

Both engines run the same query, built here from one :class:`Query`: filter, group by the unit's
keys and the partition columns (``year``, ``month``, so the period costs nothing per row), count
events per quad class and sum Goldstein weights; the period label and the ratios are formed on
the small grouped result.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from detente.events.cameo import QUAD_NAMES
from detente.events.store import EVENTS_DIR
from detente.exceptions import EventsError

UNITS = ("dyad-day", "dyad-month", "dyad-year", "state-day", "state-month", "state-year")
MEASURES = ("count", "quad", "goldstein", "coop_share")
KEYS = ("state", "cameo")
SYSTEMS = ("cow", "gw")
ENGINES = ("duckdb", "spark")
DATASETS = ("gdelt1", "gdelt2", "icews")

#: Output columns per measure, in output order.
MEASURE_COLUMNS = {
    "count": ("events",),
    "quad": tuple(QUAD_NAMES.values()),
    "goldstein": ("goldstein_mean", "goldstein_sum"),
    "coop_share": ("coop_share",),
}


@dataclass(frozen=True)
class Query:
    """One aggregation request (see :func:`aggregate` for the meaning of each field)."""

    by: str = "dyad-month"
    measures: tuple[str, ...] = MEASURES
    keys: str = "state"
    system: str = "cow"
    role: str = "source"
    weight: str | None = None
    source_types: tuple[str, ...] = ()
    target_types: tuple[str, ...] = ()
    roots: tuple[int, ...] = ()
    start: dt.date | None = None
    end: dt.date | None = None
    countries: tuple[str | int, ...] = ()
    datasets: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.by not in UNITS:
            raise EventsError(f"--by must be one of {', '.join(UNITS)}, not {self.by!r}")
        bad = [m for m in self.measures if m not in MEASURES]
        if bad or not self.measures:
            raise EventsError(f"unknown measures {bad}: choose from {', '.join(MEASURES)}")
        if self.keys not in KEYS:
            raise EventsError(f"--keys must be state or cameo, not {self.keys!r}")
        if self.system not in SYSTEMS:
            raise EventsError(f"system must be cow or gw, not {self.system!r}")
        if self.role not in ("source", "target"):
            raise EventsError(f"role must be source or target, not {self.role!r}")
        if self.weight not in (None, "mentions"):
            raise EventsError(f"weight must be None or 'mentions', not {self.weight!r}")
        if any(not 1 <= int(r) <= 20 for r in self.roots):
            raise EventsError(f"CAMEO roots must be 1..20, got {list(self.roots)}")
        if self.start and self.end and self.start > self.end:
            raise EventsError(f"start {self.start} is after end {self.end}")
        unknown = [d for d in self.datasets if d not in DATASETS]
        if unknown:
            raise EventsError(f"unknown datasets {unknown}: choose from {', '.join(DATASETS)}")

    @property
    def dyadic(self) -> bool:
        return self.by.startswith("dyad")

    @property
    def monthly(self) -> bool:
        return self.by.endswith("month")

    @property
    def daily(self) -> bool:
        return self.by.endswith("day")

    def key_column(self, side: str) -> str:
        """The stored column holding one side's key."""
        return f"{side}_actor" if self.keys == "cameo" else f"{side}_{self.system}"

    @property
    def period_columns(self) -> tuple[str, ...]:
        """The grouped columns a period is made of (``date``, or ``year`` and ``month``, or ``year``)."""
        return ("date",) if self.daily else ("year", "month") if self.monthly else ("year",)

    @property
    def key_names(self) -> tuple[str, ...]:
        """The output key columns before ``period``."""
        return ("source", "target") if self.dyadic else (self.role,)

    @property
    def columns(self) -> list[str]:
        """Every output column, in order."""
        out = [*self.key_names, "period"]
        for m in MEASURES:
            if m in self.measures:
                out.extend(MEASURE_COLUMNS[m])
        return out

    def typed_countries(self) -> list[str | int]:
        if self.keys == "cameo":
            return [str(c) for c in self.countries]
        try:
            return [int(c) for c in self.countries]
        except ValueError as exc:
            raise EventsError(
                f"with --keys state, countries are {self.system} state codes: {exc}"
            ) from None


def _sql_list(values: Sequence[str | int]) -> str:
    return ", ".join(str(v) if isinstance(v, int) else "'" + str(v).replace("'", "''") + "'" for v in values)


def where_sql(q: Query) -> str:
    """The SQL filter of a query (shared by the DuckDB engine and tests)."""
    parts = []
    for side in q.key_names:
        parts.append(f"{q.key_column(side)} IS NOT NULL")
    if q.source_types:
        parts.append(f"source_type IN ({_sql_list(q.source_types)})")
    if q.target_types:
        parts.append(f"target_type IN ({_sql_list(q.target_types)})")
    if q.roots:
        parts.append(f"root_code IN ({_sql_list([int(r) for r in q.roots])})")
    if q.start:
        parts.append(f"year >= {q.start.year} AND date >= DATE '{q.start.isoformat()}'")
    if q.end:
        parts.append(f"year <= {q.end.year} AND date <= DATE '{q.end.isoformat()}'")
    if q.datasets:
        parts.append(f"dataset IN ({_sql_list(q.datasets)})")
    if q.countries:
        values = _sql_list(q.typed_countries())
        parts.append(
            f"({q.key_column('source')} IN ({values}) OR {q.key_column('target')} IN ({values}))"
        )
    return " AND ".join(parts) if parts else "TRUE"


def duckdb_sql(q: Query, source: str, *, labelled: bool = True) -> str:
    """The DuckDB query for ``q`` reading the canonical events from ``source`` (a table expression).

    With ``labelled=False`` the result keeps the grouped period columns instead of the ``period``
    label and is not sorted: :func:`order_and_label` finishes it in memory, where a sort of the
    small result and one label per distinct period are cheaper than DuckDB's per-row formatting.
    """
    keys = [f"{q.key_column(side)} AS {name}" for side, name in zip(
        ("source", "target") if q.dyadic else (q.role,), q.key_names, strict=True)]
    period_cols = ", ".join(q.period_columns)
    w = "mentions" if q.weight else None
    count = "sum(mentions)" if w else "count(*)"
    quads = [
        (f"sum(mentions) FILTER (WHERE quad_class = {k})" if w else f"count(*) FILTER (WHERE quad_class = {k})")
        + f" AS q{k}"
        for k in QUAD_NAMES
    ]
    gsum = "sum(goldstein * mentions)" if w else "sum(goldstein)"
    inner = f"""
        SELECT {', '.join(keys)}, {period_cols}, {count} AS n, {', '.join(quads)}, {gsum} AS gsum
        FROM {source}
        WHERE {where_sql(q)}
        GROUP BY ALL
    """
    period = (
        "strftime(date, '%Y-%m-%d')" if q.daily
        else "printf('%04d-%02d', year, month)" if q.monthly
        else "printf('%04d', year)"
    )  # fmt: skip
    key_type = "::BIGINT" if q.keys == "state" else ""
    period_out = f"{period} AS period" if labelled else ", ".join(q.period_columns)
    outs = [*(f"{k}{key_type} AS {k}" for k in q.key_names), period_out]
    if "count" in q.measures:
        outs.append("n::BIGINT AS events")
    if "quad" in q.measures:
        outs.extend(f"coalesce(q{k}, 0)::BIGINT AS {name}" for k, name in QUAD_NAMES.items())
    if "goldstein" in q.measures:
        outs.extend(["gsum / n AS goldstein_mean", "gsum AS goldstein_sum"])
    if "coop_share" in q.measures:
        outs.append("(coalesce(q1, 0) + coalesce(q2, 0)) / n AS coop_share")
    # Sorted on the grouped columns, not on the period label: the same order, and a sort of
    # small integers spills less than one of strings when the result is larger than memory.
    order = ", ".join([*q.key_names, period_cols])
    select = f"SELECT {', '.join(outs)} FROM ({inner})"
    return f"{select} ORDER BY {order}" if labelled else select


def period_labels(frame: pd.DataFrame, q: Query) -> np.ndarray:
    """The period labels (``YYYY-MM-DD``, ``YYYY-MM``, ``YYYY``) of grouped rows, formatted once per period."""
    if q.daily:
        periods, inverse = np.unique(frame["date"].to_numpy(), return_inverse=True)
        labels = [pd.Timestamp(d).date().isoformat() for d in periods]
    else:
        year = frame["year"].to_numpy(np.int64)
        month = frame["month"].to_numpy(np.int64) if q.monthly else np.zeros_like(year)
        periods, inverse = np.unique(year * 100 + month, return_inverse=True)
        labels = [f"{p // 100:04d}-{p % 100:02d}" if q.monthly else f"{p // 100:04d}" for p in periods]
    return np.asarray(labels, dtype=object)[inverse.reshape(-1)]


def order_and_label(frame: pd.DataFrame, q: Query) -> pd.DataFrame:
    """Sort grouped rows on key and period and put the ``period`` label in place of its columns."""
    frame = frame.sort_values([*q.key_names, *q.period_columns], kind="stable", ignore_index=True)
    labels = period_labels(frame, q)
    frame = frame.drop(columns=list(q.period_columns))
    frame.insert(len(q.key_names), "period", labels)
    return frame


def events_glob(store: str | Path) -> str:
    """The Parquet glob of a store's events; raises when the store has none."""
    root = Path(store) / EVENTS_DIR
    if not any(root.glob("year=*/month=*/*.parquet")):
        raise EventsError(f"{store} is not an event store with events (no {EVENTS_DIR}/year=*/month=*/*.parquet)")
    return str(root / "year=*" / "month=*" / "*.parquet")


def _connect(
    memory_limit: str | None, temp_directory: str | Path | None, threads: int | None, config: dict | None
):
    """A DuckDB connection with the engine's settings (bounded memory, spilling to ``temp_directory``)."""
    import duckdb

    settings: dict[str, object] = {"preserve_insertion_order": False, "enable_progress_bar": False}
    if memory_limit:
        settings["memory_limit"] = memory_limit
    if temp_directory:
        settings["temp_directory"] = str(temp_directory)
    if threads:
        settings["threads"] = int(threads)
    settings.update(config or {})
    con = duckdb.connect()
    for key, value in settings.items():
        literal = value if isinstance(value, bool | int) else "'" + str(value).replace("'", "''") + "'"
        con.execute(f"SET {key} = {literal}")
    return con


def _source(store: str | Path) -> str:
    from detente.events.manifest import settle

    settle(Path(store))
    path = events_glob(store).replace("'", "''")
    return f"read_parquet('{path}', hive_partitioning = true)"


def _duckdb(
    store: str | Path,
    q: Query,
    *,
    memory_limit: str | None,
    temp_directory: str | Path | None,
    threads: int | None,
    config: dict | None,
    output: Path | None = None,
) -> pd.DataFrame | int:
    """Run ``q``; return the result, or with ``output`` stream it to that file and return its rows."""
    import duckdb

    source = _source(store)
    con = _connect(memory_limit, temp_directory, threads, config)
    try:
        if output is None:
            return order_and_label(con.sql(duckdb_sql(q, source, labelled=False)).df(), q)
        sql = duckdb_sql(q, source)
        fmt = "(FORMAT csv, HEADER true)" if output.suffix.lower() == ".csv" else "(FORMAT parquet, COMPRESSION snappy)"
        target = str(output).replace("'", "''")
        return int(con.execute(f"COPY ({sql}) TO '{target}' {fmt}").fetchall()[0][0])
    except duckdb.OutOfMemoryException as exc:
        raise EventsError(f"DuckDB ran out of memory under its limit ({memory_limit}): {exc}") from exc
    finally:
        con.close()


def _finish(frame: pd.DataFrame, q: Query) -> pd.DataFrame:
    # both engines return the columns in order on a fresh index: no copy unless they differ
    if list(frame.columns) != q.columns:
        frame = frame[q.columns]
    if q.keys == "state":
        frame = frame.astype(dict.fromkeys(q.key_names, "int64"), copy=False)
    frame.attrs.update({"unit": q.by, "keys": q.keys, "system": q.system if q.keys == "state" else "cameo"})
    return frame


def write_result(frame: pd.DataFrame, output: str | Path) -> Path:
    """Write an aggregate to ``.csv`` or ``.parquet`` (by suffix)."""
    path = Path(output)
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".parquet"):
        raise EventsError(f"--output must end in .csv or .parquet, not {path.name}")
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    if suffix == ".csv":
        frame.to_csv(tmp, index=False)
    else:
        frame.to_parquet(tmp, index=False)
    tmp.replace(path)
    return path


def aggregate(
    store: str | Path,
    *,
    by: str = "dyad-month",
    measures: Sequence[str] = MEASURES,
    keys: str = "state",
    system: str = "cow",
    role: str = "source",
    weight: str | None = None,
    source_types: Sequence[str] = (),
    target_types: Sequence[str] = (),
    roots: Sequence[int] = (),
    start: dt.date | str | None = None,
    end: dt.date | str | None = None,
    countries: Sequence[str | int] = (),
    datasets: Sequence[str] = (),
    engine: str = "duckdb",
    master: str | None = None,
    memory_limit: str | None = None,
    temp_directory: str | Path | None = None,
    threads: int | None = None,
    duckdb_config: dict | None = None,
    output: str | Path | None = None,
    stream: bool = False,
) -> pd.DataFrame | int:
    """Aggregate a canonical event store to dyad-periods or state-periods.

    Parameters
    ----------
    store : path
        An event store written by :func:`detente.events.import_events`.
    by : {"dyad-day", "dyad-month", "dyad-year", "state-day", "state-month", "state-year"}
        The unit. Dyads are directed (source acts on target); state units count the events in
        which the state plays ``role``.
    measures : sequence of {"count", "quad", "goldstein", "coop_share"}
        ``events``; the four quad-class counts ``verbal_coop``, ``material_coop``,
        ``verbal_conflict``, ``material_conflict``; ``goldstein_mean`` and ``goldstein_sum``;
        ``coop_share`` = (verbal + material cooperation) / events.
    keys : {"state", "cameo"}
        State codes (``system``), or the actor codes exactly as in the files (CAMEO country or
        known-group codes for GDELT, country names for ICEWS), international actors included.
    system : {"cow", "gw"}
        The state code system when ``keys="state"``.
    role : {"source", "target"}
        For state units: count the events the state initiates or receives.
    weight : {None, "mentions"}
        Weight each event by its number of mentions (ICEWS events weigh 1).
    source_types, target_types : sequence of str
        Keep events whose actors have these canonical types (``military``, ``government``, ...).
    roots : sequence of int
        Keep these CAMEO root codes (1-20).
    start, end : date or ISO string, optional
        Keep events in this date range (both days included).
    countries : sequence
        Keep events with one of these keys on either side.
    datasets : sequence of {"gdelt1", "gdelt2", "icews"}
        Keep events of these datasets (all by default).
    engine : {"duckdb", "spark"}
        DuckDB in this process (bounded memory, spills to disk), or Spark (``master`` URL,
        default local mode on all cores).
    memory_limit, temp_directory, threads, duckdb_config
        DuckDB settings: a memory cap (e.g. ``memory_limit="500MB"``) beyond which grouping and
        sorting spill to ``temp_directory`` (default: DuckDB's own, ``.tmp`` in the working
        directory), so the input may be larger than memory.
    output : path, optional
        Also write the result to ``.csv`` or ``.parquet``.
    stream : bool
        With ``output`` and the DuckDB engine: stream the result into the file and return its
        number of rows instead of a frame, so neither the input nor the result has to fit in
        memory (``detente events aggregate`` does this).

    Returns
    -------
    pandas.DataFrame or int
        ``source``, ``target``, ``period`` (``YYYY-MM-DD``, ``YYYY-MM`` or ``YYYY``) then the
        measure columns, sorted by key and period; with ``stream``, the number of rows written.

    Examples
    --------
    >>> aggregate("store", by="dyad-year", source_types=["military"],
    ...           target_types=["military"])                     # doctest: +SKIP
    """
    if engine not in ENGINES:
        raise EventsError(f"--engine must be duckdb or spark, not {engine!r}")
    q = Query(
        by=by,
        measures=tuple(measures),
        keys=keys,
        system=system,
        role=role,
        weight=weight,
        source_types=tuple(source_types),
        target_types=tuple(target_types),
        roots=tuple(int(r) for r in roots),
        start=_date(start),
        end=_date(end),
        countries=tuple(countries),
        datasets=tuple(datasets),
    )
    if output is not None and stream:
        if engine == "spark":
            raise EventsError("streaming a result to a file is done by the DuckDB engine")
        return _stream(store, q, Path(output), memory_limit=memory_limit, temp_directory=temp_directory,
                       threads=threads, config=duckdb_config)  # fmt: skip
    if engine == "duckdb":
        frame = _duckdb(
            store, q, memory_limit=memory_limit, temp_directory=temp_directory,
            threads=threads, config=duckdb_config,
        )  # fmt: skip
    else:
        from detente.events.spark import aggregate_spark

        frame = aggregate_spark(store, q, master=master)
    frame = _finish(frame, q)
    if output is not None:
        write_result(frame, output)
    return frame


def _stream(store: str | Path, q: Query, output: Path, **settings) -> int:
    """Write the result of ``q`` to ``output`` (written aside, then renamed into place)."""
    if output.suffix.lower() not in (".csv", ".parquet"):
        raise EventsError(f"--output must end in .csv or .parquet, not {output.name}")
    output.parent.mkdir(parents=True, exist_ok=True)
    tmp = output.with_name(f".{output.stem}.tmp{output.suffix}")
    try:
        rows = _duckdb(store, q, output=tmp, **settings)
        tmp.replace(output)
    finally:
        tmp.unlink(missing_ok=True)
    return int(rows)


def _date(value: dt.date | str | None) -> dt.date | None:
    if value is None or isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise EventsError(f"not an ISO date (YYYY-MM-DD): {value!r}") from None
