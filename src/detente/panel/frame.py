"""The panel frame: a unit plus enrichers, compiled to one DuckDB query and materialised once.

A :class:`Panel` is a recipe, not data: ``state_years(...)`` / ``dyad_years(...)`` fix the unit and
its code system, each ``add_<name>()`` returns a new panel with one more enricher, and
``to_arrow()`` (or ``to_pandas()``, ``to_polars()``, ``write()``) builds everything in the store in
one pass. The small source tables are prepared first (each checked for keys that would duplicate
rows), state-level values are gathered into one state-year table and dyad-level values into one
dyad-year table, and the unit is joined to them once per side, so a many-enricher panel costs a
few hash joins over the unit rather than one join per source column.
"""

from __future__ import annotations

import json
import sys
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from detente.exceptions import PanelError
from detente.panel import units as _units
from detente.panel.enricher import Column, Enricher, SideTable

if TYPE_CHECKING:
    import duckdb
    import pandas as pd
    import polars as pl
    import pyarrow as pa

    from detente.panel.assemble import ColumnStream

#: Arrow schema / pandas attrs key holding the panel metadata.
METADATA_KEY = "detente.panel"

#: Multipliers that pack keys into one integer (codes < 1000, years < 10000) for fast hash joins.
_STATE_KEY = "({c}::integer * 10000 + {y})"
_DYAD_KEY = "(({c1}::bigint * 1000 + {c2}) * 10000 + {y})"


def _stderr(message: str) -> None:
    print(message, file=sys.stderr)


@dataclass(frozen=True)
class BuildContext:
    """What an enricher needs to know about the frame it is added to."""

    unit: str
    system: str
    frame_system: str
    systems: tuple[str, ...]
    first: int
    last: int
    mry: int | None
    directed: bool | None

    def system_for(self, enricher: type[Enricher] | Enricher) -> str:
        """The code system to join ``enricher`` on, or a :class:`PanelError` saying how to convert."""
        if self.frame_system in enricher.systems:
            return self.frame_system
        for system in enricher.systems:
            if system in self.systems:
                return system
        want = " or ".join(enricher.systems)
        raise PanelError(
            f"enricher {enricher.name!r} is keyed on {want} codes but this panel has "
            f"{self.frame_system} codes; convert first, e.g. .convert({enricher.systems[0]!r}) "
            f"(CLI: --convert {enricher.systems[0]}), which adds year-by-year crosswalk codes"
        )

    def with_system(self, system: str) -> BuildContext:
        """The same context with ``system`` as the join system."""
        return replace(self, system=system)


@dataclass(frozen=True)
class _Added:
    enricher: Enricher
    table: SideTable


class Panel:
    """A state-year or dyad-year panel recipe; see :func:`state_years` and :func:`dyad_years`.

    Attributes
    ----------
    unit : str
        ``"state_year"`` or ``"dyad_year"``.
    system : str
        The code system of the unit (``"cow"`` or ``"gw"``).
    directed : bool or None
        For dyad-years, whether (a, b) and (b, a) are both rows.
    years : tuple of int
        First and last year.
    mry : int or None
        The year membership was extended to, if any.
    rules : list of str
        The case-exclusion rules applied so far (printed as they are added).
    """

    def __init__(
        self,
        con: duckdb.DuckDBPyConnection,
        *,
        unit: str,
        system: str,
        years: tuple[int, int],
        mry: int | None,
        last_end: str,
        directed: bool | None = None,
        relevant: bool = False,
        converted: tuple[str, ...] = (),
        added: tuple[_Added, ...] = (),
        echo: Callable[[str], None] | None = _stderr,
    ) -> None:
        self._con = con
        self.unit = unit
        self.system = system
        self.years = years
        self.mry = mry
        self.directed = directed
        self.relevant = relevant
        self._last_end = last_end
        self._converted = converted
        self._added = added
        self._echo = echo

    # -- composition -----------------------------------------------------------------------
    def _copy(self, **changes: Any) -> Panel:
        state = dict(
            unit=self.unit, system=self.system, years=self.years, mry=self.mry,
            last_end=self._last_end, directed=self.directed, relevant=self.relevant,
            converted=self._converted, added=self._added, echo=self._echo,
        )
        state.update(changes)
        return Panel(self._con, **state)

    @property
    def context(self) -> BuildContext:
        """The build context enrichers see."""
        return BuildContext(
            unit=self.unit, system=self.system, frame_system=self.system,
            systems=(self.system, *self._converted), first=self.years[0], last=self.years[1],
            mry=self.mry, directed=self.directed,
        )

    @property
    def enrichers(self) -> tuple[str, ...]:
        """Names of the enrichers added, in order."""
        return tuple(a.enricher.name for a in self._added)

    @property
    def rules(self) -> list[str]:
        """The case-exclusion rules of the enrichers added."""
        return [f"{a.enricher.name}: {a.table.rule}" for a in self._added if a.table.rule]

    def add(self, name: str, **options: Any) -> Panel:
        """Return a new panel with the enricher ``name`` added (see ``detente panel enrichers``).

        Raises
        ------
        PanelError
            Unknown enricher or option, wrong unit, a code-system mismatch, or years entirely
            outside the source's coverage.
        """
        from detente.panel.enrichers import get_enricher

        enricher = get_enricher(name)(**options)
        if enricher.name in self.enrichers:
            raise PanelError(f"enricher {enricher.name!r} is already in this panel")
        table = enricher.side_table(self.context)
        if hasattr(enricher, "post_exprs"):  # reads a column added earlier: take its coverage
            table = replace(table, coverage=self._coverage_of(enricher.opts["event"]))
        lo, hi = table.coverage
        if self.years[1] < lo or self.years[0] > hi:
            raise PanelError(
                f"enricher {enricher.name!r} covers {lo}-{hi}, and this panel's years "
                f"{self.years[0]}-{self.years[1]} lie entirely outside: every value would be missing"
            )
        if table.rule and self._echo is not None:
            self._echo(f"{enricher.name}: {table.rule}")
        return self._copy(added=(*self._added, _Added(enricher, table)))

    def _coverage_of(self, column: str) -> tuple[int, int]:
        """The coverage of the enricher that added ``column`` (detente name, with side suffix)."""
        for a in self._added:
            for c in a.table.columns:
                if column in (c.name, c.name + "1", c.name + "2"):
                    return a.table.coverage
        known = sorted(c.name for a in self._added for c in a.table.columns if not c.name.startswith("_"))
        raise PanelError(
            f"no column {column!r} in the panel yet; add its enricher first "
            f"(columns so far: {', '.join(known) or 'none'})"
        )

    def __getattr__(self, attr: str) -> Callable[..., Panel]:
        if attr.startswith("add_"):
            name = attr[4:]

            def adder(**options: Any) -> Panel:
                return self.add(name, **options)

            adder.__name__ = attr
            return adder
        raise AttributeError(attr)

    def convert(self, target: str) -> Panel:
        """Return a panel that also carries ``target`` codes (year by year, isard's crosswalk).

        Enrichers keyed on ``target`` can then be added; a code with no counterpart in a year
        leaves that enricher's values missing for the row.
        """
        target = _units.check_system(target)
        if target == self.system or target in self._converted:
            return self
        return self._copy(converted=(*self._converted, target))

    # -- metadata --------------------------------------------------------------------------
    @property
    def key_columns(self) -> list[str]:
        """The key column names of the unit (plus converted codes)."""
        names = []
        for system in (self.system, *self._converted):
            base = _units.CODE_NAMES[system]
            names += [base] if self.unit == "state_year" else [f"{base}1", f"{base}2"]
        names.insert(1 if self.unit == "state_year" else 2, "year")
        return names

    @property
    def metadata(self) -> dict[str, Any]:
        """Unit, code system, years and every enricher's sources and coverage."""
        return {
            "unit": self.unit,
            "system": self.system,
            "directed": self.directed,
            "politically_relevant": self.relevant,
            "years": list(self.years),
            "mry": self.mry,
            "converted": list(self._converted),
            "enrichers": [
                {
                    "name": a.enricher.name,
                    "sources": list(a.enricher.sources),
                    "coverage": list(a.table.coverage),
                    "system": a.table.system,
                    "options": {k: v for k, v in a.enricher.opts.items() if _jsonable(v)},
                    "rule": a.table.rule,
                }
                for a in self._added
            ],
        }

    def __repr__(self) -> str:
        kind = self.unit.replace("_", "-") + "s"
        if self.unit == "dyad_year":
            kind = ("directed " if self.directed else "non-directed ") + kind
        adds = ", ".join(self.enrichers) or "no enrichers"
        return f"<Panel {kind} {self.system} {self.years[0]}-{self.years[1]}: {adds}>"

    # -- output ----------------------------------------------------------------------------
    def to_arrow(self, *, names: str = "detente", order: bool = True, engine: str = "gather") -> pa.Table:
        """Build the panel and return it as an Arrow table (metadata in the schema).

        Parameters
        ----------
        names : {"detente", "peacesciencer"}
            Column names: detente's, or peacesciencer's (see docs/panels.md).
        order : bool
            Rows in code(s), year order (peacesciencer's). Only the ``"duckdb"`` engine can skip it.
        engine : {"gather", "duckdb"}
            ``"gather"`` (default): side tables in SQL, columns by positional gathers
            (:mod:`detente.panel.assemble`). ``"duckdb"``: one SQL query of hash joins; the same
            table, kept as a cross-check.
        """
        builder = _Builder(self, names=names, order=order)
        if engine == "gather":
            table = builder.run_gather()
        elif engine == "duckdb":
            table = builder.run()
        else:
            raise PanelError(f"engine={engine!r}: use 'gather' or 'duckdb'")
        meta = dict(table.schema.metadata or {})
        meta[METADATA_KEY.encode()] = json.dumps(self.metadata).encode()
        return table.replace_schema_metadata(meta)

    def to_pandas(self, *, names: str = "detente", order: bool = True) -> pd.DataFrame:
        """Build the panel as a pandas DataFrame (``df.attrs['detente.panel']`` holds metadata)."""
        df = self.to_arrow(names=names, order=order).to_pandas()
        df.attrs[METADATA_KEY] = self.metadata
        return df

    def to_polars(self, *, names: str = "detente", order: bool = True) -> pl.DataFrame:
        """Build the panel as a polars DataFrame."""
        import polars as pl

        return pl.from_arrow(self.to_arrow(names=names, order=order))

    def batches(self, *, rows: int = 1 << 18, names: str = "detente") -> tuple[pa.Schema, Iterator[pa.RecordBatch]]:
        """Build the panel as Arrow record batches of ``rows`` rows, each made when it is read.

        Only the batches being used are in memory, so a panel of any size can be streamed to a
        file. The store is read, and every enricher checked, before this returns.

        Returns
        -------
        schema : pyarrow.Schema
            Column names and types, with the panel metadata.
        batches : iterator of pyarrow.RecordBatch
        """
        builder = _Builder(self, names=names, order=True)
        schema, batches = builder.run_batches(rows)
        meta = dict(schema.metadata or {})
        meta[METADATA_KEY.encode()] = json.dumps(self.metadata).encode()
        schema = schema.with_metadata(meta)
        return schema, (batch.replace_schema_metadata(meta) for batch in batches)

    def column_stream(self, *, names: str = "detente") -> ColumnStream:
        """Read the store for the panel and return its columns as jobs, prepared one after another.

        Each job builds any row range of its column (``job(lo, hi)``, an Arrow array), so a
        writer can build and encode a piece of a column at once, while it is in cache, and start
        on the first columns while the later ones are prepared; no whole table is held. The unit
        and side tables are read before this returns; ``metadata`` is the schema metadata.
        """
        stream = _Builder(self, names=names, order=True).run_stream()
        return replace(stream, metadata={METADATA_KEY.encode(): json.dumps(self.metadata).encode()})

    def write(self, path: str | Path, *, names: str = "detente", order: bool = True) -> Path:
        """Build the panel and write it as Parquet, CSV or Stata ``.dta`` (by extension).

        Parquet and CSV are written in row groups while the next rows are built.
        """
        from detente.panel.output import write_panel

        path = Path(path)
        write_panel(self, path, names=names)
        return path

    def sql(self, *, names: str = "detente", order: bool = True) -> str:
        """The final ``SELECT`` (its temporary side tables exist only during a build)."""
        return _Builder(self, names=names, order=order).final_sql()


def _jsonable(value: Any) -> bool:
    try:
        json.dumps(value)
    except TypeError:
        return False
    return True


class _Builder:
    """Compiles a panel into temporary side tables and one final query."""

    def __init__(self, panel: Panel, *, names: str, order: bool) -> None:
        if names not in ("detente", "peacesciencer"):
            raise PanelError(f"names={names!r}: use 'detente' or 'peacesciencer'")
        self.p = panel
        self.names = names
        self.order = order
        self.prefix = f"__detente_panel_{uuid.uuid4().hex[:12]}"
        self.temps: list[str] = []
        self.groups: dict[tuple[str, str], list[tuple[int, SideTable, str]]] = {}
        self.masks: dict[int, bool] = {}
        self.views: list[str] = []
        self.tables: dict[int, SideTable] = {}

    # -- SQL pieces ------------------------------------------------------------------------
    def unit_sql(self) -> str:
        p = self.p
        spells = _units.spells_sql(p.system, p.mry, p._last_end)
        first, last = p.years
        base = _units.CODE_NAMES[p.system]
        if p.unit == "state_year":
            sql = _units.state_years_sql(spells, first, last)
            select = [f"u0.code as {base}", "u0.year"]
            codes = [("code", "")]
        else:
            sql = _units.dyad_years_sql(spells, first, last, bool(p.directed))
            select = [f"u0.code1 as {base}1", f"u0.code2 as {base}2", "u0.year"]
            codes = [("code1", "1"), ("code2", "2")]
        joins = []
        for target in p._converted:
            table, src, tgt = _units.CROSSWALKS[(p.system, target)]
            for i, (col, suffix) in enumerate(codes):
                alias = f"x_{target}_{i}"
                joins.append(
                    f"left join {table} {alias} on {alias}.{src} = u0.{col} and {alias}.year = u0.year"
                )
                select.append(f"{alias}.{tgt}::smallint as {_units.CODE_NAMES[target]}{suffix}")
        if not joins and not p.relevant:
            return f"select {', '.join(select)}, u0.__rid from ({sql}) u0"
        where = "where " + self._relevant_sql() if p.relevant else ""
        # filtering or joining leaves gaps or a new order: renumber so __rid is dense again
        return (
            f"select {', '.join(select)}, (row_number() over (order by u0.__rid) - 1)::integer as __rid "
            f"from ({sql}) u0 {' '.join(joins)} {where}"
        )

    def runs_sql(self) -> tuple[str, tuple[str, ...]] | None:
        """The unit as runs of years (``codes, y0, y1``, sorted), when nothing is joined or filtered.

        The assembler expands the few thousand runs into millions of rows itself.
        """
        p = self.p
        if p._converted or p.relevant:
            return None
        spells = _units.spells_sql(p.system, p.mry, p._last_end)
        first, last = p.years
        if p.unit == "state_year":
            runs, codes = _units.state_runs_sql(spells, first, last), ("code",)
        else:
            runs, codes = _units.dyad_runs_sql(spells, first, last, bool(p.directed)), ("code1", "code2")
        return f"select * from ({runs}) order by {', '.join(codes)}, y0", codes

    def _relevant_sql(self) -> str:
        """Politically relevant dyads: contiguous (types 1-5) in the year or either a major power."""
        from detente.panel.enrichers.contiguity import contiguity_years_sql
        from detente.panel.enrichers.majors import major_years_sql

        if self.p.unit != "dyad_year" or self.p.system != "cow":
            raise PanelError("the politically relevant filter needs CoW dyad-years (CoW contiguity and majors)")
        majors = major_years_sql(self.p.mry)
        cont = contiguity_years_sql()
        return (
            f"exists (select 1 from ({cont}) c where c.code1 = u0.code1 and c.code2 = u0.code2 "
            f"and c.year = u0.year and c.conttype between 1 and 5) "
            f"or exists (select 1 from ({majors}) m where m.code in (u0.code1, u0.code2) and m.year = u0.year)"
        )

    def _code_cols(self, system: str) -> list[str]:
        base = _units.CODE_NAMES[system]
        return [base] if self.p.unit == "state_year" else [f"{base}1", f"{base}2"]

    # -- build -----------------------------------------------------------------------------
    def prepare(self, con: duckdb.DuckDBPyConnection) -> None:
        """Create the unit and side tables, checking every side table's keys."""
        u = f"{self.prefix}_u"
        con.execute(f"create temp table {u} as {self.unit_sql()}")
        self.temps.append(u)
        lo, hi = self.p.years
        for i, added in enumerate(self.p._added):
            st = added.table
            if hasattr(added.enricher, "post_exprs"):
                continue  # computed over the built panel in final_sql
            t = f"{self.prefix}_e{i}"
            setup = getattr(added.enricher, "setup", None)
            if setup is not None:  # an enricher that registers helper tables (e.g. name -> code)
                ctx = self.p.context.with_system(st.system)
                self.views += setup(con, ctx, self.prefix)
                st = replace(st, sql=added.enricher.table_sql(ctx))
            if st.level == "state":
                key, keys = _STATE_KEY.format(c="code", y="year"), ("code", "year")
            else:
                key, keys = _DYAD_KEY.format(c1="code1", c2="code2", y="year"), ("code1", "code2", "year")
            cols = ", ".join(f"{_q(c.name)}::{c.type} as {_q(f'e{i}__{c.name}')}" for c in st.columns)
            # codes are below 1000 in both systems; larger ones (e.g. cShapes colonies) never match
            notnull = " and ".join(f"{c} between 0 and 999" for c in keys if c != "year")
            sql = (
                f"create temp table {t} as select {key} as k, year, {cols} from ({st.sql}) s "
                f"where year between {lo} and {hi} and {notnull}"
            )
            try:
                con.execute(sql)
            except Exception as exc:  # a missing table or column: say which enricher and source
                raise self._missing(con, added, exc) from None
            self.temps.append(t)
            self.tables[i] = st
            self._check_unique(con, t, added, st, i)
            self.groups.setdefault((st.level, st.system), []).append((i, st, t))
        # state-level values: one combined state-year table per system, so a dyad-year panel
        # joins it once per side however many state-level enrichers it has
        for (level, system), members in list(self.groups.items()):
            if level != "state" or len(members) == 1:
                continue
            t = f"{self.prefix}_{level}_{system}"
            keys = " union ".join(f"select k from {m[2]}" for m in members)
            cols = ", ".join(
                f"{m[2]}.{_q(f'e{m[0]}__{c.name}')}" for m in members for c in m[1].columns
            )
            joins = " ".join(f"left join {m[2]} using (k)" for m in members)
            con.execute(f"create temp table {t} as select k, {cols} from ({keys}) keys {joins}")
            self.temps.append(t)
            self.groups[(level, system)] = [(i, st, t) for i, st, _ in members]

    def _missing(self, con: duckdb.DuckDBPyConnection, added: _Added, exc: Exception) -> PanelError:
        from detente.store import has_table

        for sid in added.enricher.sources:
            if not any(has_table(con, f"{sid}.{t}") for t in _tables_of(sid)):
                return PanelError(
                    f"enricher {added.enricher.name!r} needs source {sid}: run `detente data import {sid}`"
                )
        return PanelError(f"enricher {added.enricher.name!r} failed: {exc}")

    def _check_unique(
        self, con: duckdb.DuckDBPyConnection, t: str, added: _Added, st: SideTable, i: int
    ) -> None:
        """Refuse keys with several records (they would duplicate unit rows); note the year span."""
        dups, first, last = con.execute(
            f"select (select list([k, n]) from (select k, count(*) as n from {t} group by k "
            f"having count(*) > 1 order by n desc, k limit 5)), min(year), max(year) from {t}"
        ).fetchall()[0]
        lo, hi = st.coverage
        # values outside the declared coverage would leak into years the source does not speak for
        self.masks[i] = first is not None and (first < lo or last > hi)
        if dups:
            self._refuse(added, st, [(k, n) for k, n in dups])

    def _refuse(self, added: _Added, st: SideTable, dups: list[tuple[int, int]]) -> None:
        """Raise the error for keys with several records, showing up to five of them."""
        shown = []
        for k, n in dups:
            year, rest = k % 10000, k // 10000
            if st.level == "state":
                shown.append(f"(code={rest}, year={year}) x{n}")
            else:
                shown.append(f"(code1={rest // 1000}, code2={rest % 1000}, year={year}) x{n}")
        raise PanelError(
            f"enricher {added.enricher.name!r} would duplicate rows: its source has several records "
            f"for one unit, e.g. {'; '.join(shown)}. Choose a rule that keeps one record per unit "
            f"(see the enricher's options) before merging"
        )

    def final_sql(self) -> str:
        p = self.p
        u = f"{self.prefix}_u"
        select = [f"u.{c}" for c in p.key_columns]
        if self.order:
            select.insert(0, "u.__rid")
        joins: list[str] = []
        alias: dict[tuple[str, str], str] = {}
        self.table_of: dict[int, str] = {}
        for (level, system), members in self.groups.items():
            codes = self._code_cols(system)
            for i, _st, table in members:
                self.table_of[i] = table
                if (table, "") in alias or (table, "1") in alias:
                    continue  # a combined table is joined once (per side)
                n = len(alias)
                if level == "state":
                    sides = [("", codes[0])] if p.unit == "state_year" else [("1", codes[0]), ("2", codes[1])]
                    for suffix, col in sides:
                        a = f"s{n}_{suffix or 0}"
                        key = _STATE_KEY.format(c="u." + col, y="u.year")
                        joins.append(f"left join {table} {a} on {a}.k = {key}")
                        alias[(table, suffix)] = a
                else:
                    if p.unit != "dyad_year":
                        raise PanelError("dyad-level values need a dyad-year unit")
                    a = f"d{n}"
                    key = _DYAD_KEY.format(c1="u." + codes[0], c2="u." + codes[1], y="u.year")
                    joins.append(f"left join {table} {a} on {a}.k = {key}")
                    alias[(table, "")] = a
        names: dict[str, str] = {}
        posts = []
        for i, added in enumerate(p._added):
            st = added.table
            if hasattr(added.enricher, "post_exprs"):
                posts.append(added)
                continue
            for expr, col, name in self._exprs(i, added, st, alias):
                select.append(f"{expr} as {_q(name)}")
                base = self._name(col)
                names[col.name + name[len(base):]] = name  # detente name (with side) -> output name
        sql = f"select {', '.join(select)} from {u} u {' '.join(joins)}"
        for added in posts:
            event = added.enricher.opts["event"]
            if event not in names:
                raise PanelError(
                    f"peace_spells: no column {event!r} in the panel; add its enricher first "
                    f"(columns so far: {', '.join(sorted(n for n in names if not n.startswith('_')))})"
                )
            keys = [f"u.{c}" for c in p.key_columns if c != "year"][: 1 if p.unit == "state_year" else 2]
            keys = [k[2:] for k in keys]
            exprs = [
                f"{e} as {_q(self._name(c))}"
                for e, c in added.enricher.post_exprs(p.context, _q(names[event]), keys)
            ]
            sql = f"select *, {', '.join(exprs)} from ({sql}) q"
        return sql

    def _exprs(self, i: int, added: _Added, st: SideTable, alias: dict) -> Iterable[tuple[str, Column, str]]:
        lo, hi = st.coverage
        masked = self.masks.get(i, False)
        by_name = {c.name: c for c in st.columns}

        def ref(colname: str, side: str = "") -> str:
            a = alias[(self.table_of[i], side if st.level == "state" and self.p.unit == "dyad_year" else "")]
            return f"{a}.{_q(f'e{i}__{colname}')}"

        def finish(expr: str, col: Column) -> str:
            if col.fill is not None:
                return (
                    f"case when u.year between {lo} and {hi} "
                    f"then coalesce({expr}, {col.fill!r}::{col.type}) end"
                )
            if masked:
                return f"case when u.year between {lo} and {hi} then {expr} end"
            return expr

        custom = getattr(added.enricher, "select_exprs", None)
        if custom is not None:
            for expr, col in custom(self.p.context, ref):
                yield finish(expr, col), col, self._name(col)
            return
        if st.level == "state" and self.p.unit == "dyad_year":
            for side in ("1", "2"):
                for c in st.columns:
                    if c.name.startswith("_"):
                        continue
                    yield finish(ref(c.name, side), c), c, self._name(c, side)
        else:
            for c in by_name.values():
                if c.name.startswith("_"):
                    continue
                yield finish(ref(c.name), c), c, self._name(c)

    def _name(self, col: Column, suffix: str = "") -> str:
        base = col.ps_name if self.names == "peacesciencer" and col.ps_name else col.name
        return base + suffix

    def run_gather(self) -> pa.Table:
        from detente.panel.assemble import GatherAssembler

        con = self.p._con
        try:
            return GatherAssembler(self).run(con)
        finally:
            self._unregister(con)

    def run_stream(self) -> ColumnStream:
        from detente.panel.assemble import GatherAssembler

        con = self.p._con
        try:
            stream = GatherAssembler(self).stream(con)
        except BaseException:
            self._unregister(con)
            raise

        def jobs():
            try:
                yield from stream.jobs
            finally:  # helper tables are read while the jobs are prepared
                self._unregister(con)

        return replace(stream, jobs=jobs())

    def _unregister(self, con) -> None:
        """Drop the helper views enrichers registered on the connection."""
        for v in self.views:
            con.unregister(v)

    def run_batches(self, rows: int) -> tuple[pa.Schema, Iterator[pa.RecordBatch]]:
        from detente.panel.assemble import GatherAssembler

        con = self.p._con
        try:
            return GatherAssembler(self).batches(con, rows)
        finally:  # helper tables are read while planning, before the first batch
            self._unregister(con)

    def run(self) -> pa.Table:
        con = self.p._con
        try:
            self.prepare(con)
            table = con.sql(self.final_sql()).to_arrow_table()
        finally:
            for t in reversed(self.temps):
                con.execute(f"drop table if exists {t}")
            self._unregister(con)
        if not self.order:
            return table
        return _restore_order(table)


def _restore_order(table: pa.Table) -> pa.Table:
    """Put rows back in unit order (code(s), year) using the dense row number ``__rid``.

    Parallel hash joins return rows in no fixed order. ``__rid`` is a permutation of 0..n-1, so
    its inverse is computed in one pass and applied with a single gather, far cheaper than a sort
    of the whole panel.
    """
    import numpy as np
    import pyarrow as pa

    rid = table.column("__rid").to_numpy()
    inverse = np.empty(len(rid), dtype=np.int64)
    inverse[rid] = np.arange(len(rid), dtype=np.int64)
    table = table.drop_columns(["__rid"])
    if len(rid) and np.all(inverse == np.arange(len(rid))):
        return table
    return table.take(pa.array(inverse))


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _tables_of(source_id: str) -> list[str]:
    from detente.sources import get_source

    try:
        return [f.table for f in get_source(source_id).files]
    except Exception:  # an unknown source id: nothing to look for
        return []


def from_arrow_metadata(table: pa.Table) -> dict[str, Any]:
    """Return the panel metadata stored in an Arrow table (e.g. read back from Parquet).

    Raises
    ------
    PanelError
        The table carries no panel metadata (it was built elsewhere or the metadata was lost).
    """
    meta = (table.schema.metadata or {}).get(METADATA_KEY.encode())
    if meta is None:
        raise PanelError(
            "this table carries no panel metadata (unit, code system, coverage), so enrichers "
            "cannot know how to merge: rebuild it with detente.panel.state_years() or dyad_years()"
        )
    return json.loads(meta)
