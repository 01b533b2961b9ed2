"""The default way a panel is materialised: side tables in SQL, output columns written by numpy.

DuckDB computes the unit (already in code, year order) and each enricher's side table (a few
thousand to a few hundred thousand rows) from the store. Every output column is then written
exactly once, in one of two ways:

* state-level values (and dyad values keyed on converted codes) are laid out on a small grid —
  one cell per code present in the unit and year, a few hundred kilobytes that stay in cache —
  and each unit row reads its cell (one ``take``);
* dyad-level values keyed like the unit are sparse: the column starts as its fill value (or 0
  under a missing mark) and only the rows with a record are written, found by binary search in
  the sorted unit keys.

Values computed from both states of a dyad (capital distance) are computed once per pair of
distinct state values rather than once per row when there are few of them. Nothing is joined,
rows never lose their order (so no sort), the work runs in threads outside the GIL, and no
pandas is imported. Expressions written in SQL (``select_exprs``) and window functions over the
built panel (``post_exprs``) are evaluated by DuckDB over the gathered Arrow columns.

The pure-SQL plan (:class:`detente.panel.frame._Builder`, ``engine="duckdb"``) builds the same
table and is kept as a cross-check.
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

import numpy as np
import pyarrow as pa

from detente.exceptions import PanelError
from detente.panel.arrays import TYPES, bitmap, from_numpy, full, numpy_type, to_numpy
from detente.panel.arrays import empty as empty_array
from detente.panel.enricher import Column, SideTable
from detente.panel.units import count_up, expand_runs
from detente.threads import generator_pool

if TYPE_CHECKING:
    from detente.panel.frame import Panel, _Added, _Builder

#: codes are below 1000 in both systems (keys pack them as code1 * 1000 + code2)
_CODES = 1000


@dataclass
class _Map:
    """Where the rows of a side table land in the unit.

    ``kind == "grid"``: kept side row ``rows[j]`` fills cell ``cells[j]`` of a grid of ``size``
    cells plus an empty last one, and unit row ``r`` reads cell ``index[r]``.
    ``kind == "rows"``: kept side row ``rows[j]`` is unit row ``cells[j]`` (increasing) of the
    ``size`` unit rows.
    """

    kind: str
    rows: np.ndarray
    cells: np.ndarray
    size: int
    index: np.ndarray | None = None

    def spread(self, values: np.ndarray, empty, lo: int = 0, hi: int | None = None) -> np.ndarray:
        """Unit rows ``lo`` to ``hi``: ``values`` (one per kept side row) where there is a record."""
        if self.kind == "rows":
            hi = self.size if hi is None else hi
            a, b = np.searchsorted(self.cells, [lo, hi])
            out = full(hi - lo, empty, values.dtype)
            out[self.cells[a:b] - lo] = values[a:b]
            return out
        grid = np.full(self.size + 1, empty, dtype=values.dtype)
        grid[self.cells] = values
        index = self.index[lo:hi]
        # every cell index is valid, so "wrap" skips the bounds checks and writes in place
        return np.take(grid, index, out=empty_array(len(index), values.dtype), mode="wrap")

    def has(self, lo: int = 0, hi: int | None = None) -> np.ndarray:
        """Unit rows ``lo`` to ``hi`` that have a record."""
        return self.spread(np.ones(len(self.rows), dtype=bool), False, lo, hi)


class GatherAssembler:
    """Materialise a panel: unit and side tables from DuckDB, output columns by numpy."""

    def __init__(self, builder: _Builder) -> None:
        self.b = builder
        self.p: Panel = builder.p

    # -- inputs ----------------------------------------------------------------------------
    def _unit(self, con) -> None:
        """The unit's key columns as numpy arrays in (codes, year) order, and its runs of years.

        A run is a stretch of rows of one state (or dyad) in consecutive years; the codes are
        constant along it, so much of the indexing is done once per run (a few thousand) rather
        than once per row (millions).
        """
        first, last = self.p.years
        self.span = last - first + 1
        self.primary = [c for c in self.p.key_columns if c != "year"][: 1 if self.p.unit == "state_year" else 2]
        runs_sql = self.b.runs_sql()
        if runs_sql is not None:
            sql, codes = runs_sql
            table = con.sql(sql).to_arrow_table()
            runs = {name: to_numpy(table.column(c))[0] for name, c in zip(self.primary, codes, strict=True)}
            runs["y0"], y1 = (to_numpy(table.column(c))[0] for c in ("y0", "y1"))
            runs["y1"] = y1
            rows = expand_runs(runs, tuple(self.primary))
            cols = {name: (rows[name], None) for name in self.p.key_columns}
            self.key_types = dict.fromkeys(self.p.key_columns, pa.int16())
            runs["length"] = y1.astype(np.intp) - runs["y0"] + 1
            runs["start"] = np.cumsum(runs["length"]) - runs["length"]
        else:  # joined (converted codes) or filtered (politically relevant): DuckDB makes the rows
            table = con.sql(self.b.unit_sql()).to_arrow_table()
            self.key_types = {name: table.schema.field(name).type for name in self.p.key_columns}
            cols = {name: to_numpy(table.column(name)) for name in table.column_names}
            # a code with no counterpart in the converted system is missing: keep 0 under the mark
            cols = {k: (v if ok is None else np.where(ok, v, 0).astype(v.dtype), ok) for k, (v, ok) in cols.items()}
            rid = cols.pop("__rid")[0]
            if len(rid) and not (rid[0] == 0 and np.all(np.diff(rid) == 1)):
                order = np.empty(len(rid), dtype=np.intp)
                order[rid] = np.arange(len(rid), dtype=np.intp)
                cols = {k: (v[order], None if ok is None else ok[order]) for k, (v, ok) in cols.items()}
            runs = _runs_of([cols[c][0] for c in self.primary], cols["year"][0], self.primary)
        begin = _dyad_key(runs[self.primary[0]], runs[self.primary[-1]], runs["y0"])
        if not np.all(begin[1:] > begin[:-1] + runs["length"][:-1] - 1):
            raise PanelError("the unit's rows are not in (codes, year) order; please report this")
        self.runs = runs
        self.keys = cols
        self.n = len(cols["year"][0])
        self._compact: dict[str, tuple[np.ndarray, int]] = {}
        self._cells: dict[str, np.ndarray] = {}
        self._inside: dict[tuple[int, int], np.ndarray | None] = {}

    def _per_row(self, base: np.ndarray) -> np.ndarray:
        """``base[run] + (year - y0)`` for every unit row: a value that counts up the years of a run."""
        return count_up(base, self.runs["length"], empty_array(self.n, np.int64))

    def _side(self, con, i: int, added: _Added, st: SideTable) -> pa.Table:
        b = self.b
        keys = ("code", "year") if st.level == "state" else ("code1", "code2", "year")
        cols = ", ".join(f"{_q(c.name)}::{c.type} as {_q(c.name)}" for c in st.columns)
        lo, hi = self.p.years
        # codes are below 1000 in both systems; larger ones (e.g. cShapes colonies) never match
        notnull = " and ".join(f"{k} between 0 and {_CODES - 1}" for k in keys if k != "year")
        sql = (
            f"select {', '.join(f'{k}::integer as {k}' for k in keys)}, {cols} from ({st.sql}) s "
            f"where year between {lo} and {hi} and {notnull}"
        )
        try:
            table = con.sql(sql).to_arrow_table()
        except Exception as exc:  # a missing table or column: say which enricher and source
            raise b._missing(con, added, exc) from None
        year = to_numpy(table.column("year"))[0]
        lo_c, hi_c = st.coverage
        # values outside the declared coverage would leak into years the source does not speak for
        b.masks[i] = len(year) > 0 and (int(year.min()) < lo_c or int(year.max()) > hi_c)
        return table

    def _fetch_sides(self, con) -> dict[int, tuple[SideTable, pa.Table]]:
        """Every side table, and the unit, read from the store.

        The queries are independent and mostly single-threaded inside DuckDB, so they run two at
        a time on their own cursors while this thread expands the unit. Enrichers with a setup
        step register helper tables on this connection and are queried here first.
        """
        p, b = self.p, self.b
        out = {}
        elsewhere = []
        for i, added in enumerate(p._added):
            st = added.table
            if hasattr(added.enricher, "post_exprs"):
                continue
            if hasattr(added.enricher, "setup"):
                ctx = p.context.with_system(st.system)
                b.views += added.enricher.setup(con, ctx, b.prefix)
                st = replace(st, sql=added.enricher.table_sql(ctx))
                out[i] = (st, self._side(con, i, added, st))
            else:
                elsewhere.append((i, added, st))

        def query(task):
            i, added, st = task
            cursor = con.cursor()
            try:
                return i, (st, self._side(cursor, i, added, st))
            finally:
                cursor.close()

        with ThreadPoolExecutor(max_workers=2) as pool:
            pending = [pool.submit(query, task) for task in elsewhere]
            self._unit(con)
            out.update(f.result() for f in pending)
        return out

    # -- where side rows land ----------------------------------------------------------------
    def _codes(self, name: str) -> tuple[np.ndarray, int]:
        """For a system's code columns: code -> compact index over the codes in the unit, and their number."""
        system = next(s for s in (self.p.system, *self.p._converted) if name in self.b._code_cols(s))
        if system not in self._compact:
            present = np.zeros(_CODES, dtype=bool)
            for col in self.b._code_cols(system):
                codes, ok = (self.runs[col], None) if col in self.primary else self.keys[col]
                present[(codes if ok is None else codes[ok]).astype(np.intp)] = True
            compact = np.cumsum(present, dtype=np.intp) - 1
            compact[~present] = -1
            self._compact[system] = (compact, int(present.sum()))
        return self._compact[system]

    def _unit_cells(self, name: str) -> np.ndarray:
        """Each unit row's grid cell for the code column ``name`` (the empty cell when it has no code)."""
        if name not in self._cells:
            compact, m = self._codes(name)
            first = self.p.years[0]
            if name in self.primary:  # constant along a run: index the runs, then count up the years
                runs = self.runs
                cells = self._per_row(compact[runs[name].astype(np.intp)] * self.span + (runs["y0"] - first))
            else:  # converted codes may change within a run
                codes, ok = self.keys[name]
                cells = compact[codes.astype(np.intp)] * self.span + (self.keys["year"][0] - first)
                if ok is not None:
                    cells[~ok] = m * self.span
            self._cells[name] = cells
        return self._cells[name]

    def _state_maps(self, side: pa.Table, codes: list[str], added, st) -> list[_Map]:
        """Grid maps of a state-level side table, one per unit code column (dyad sides)."""
        compact, m = self._codes(codes[0])
        scode = to_numpy(side.column("code"))[0]
        syear = to_numpy(side.column("year"))[0].astype(np.intp) - self.p.years[0]
        cell = compact[scode]
        rows = np.flatnonzero(cell >= 0)
        cells = cell[rows] * self.span + syear[rows]
        size = m * self.span
        # two records of one state-year would claim one cell: the row written last wins, so a
        # cell that does not hold its own row reveals a duplicate, in one pass
        grid = np.full(size + 1, -1, dtype=np.int32)
        grid[cells] = np.arange(len(cells), dtype=np.int32)
        if not np.array_equal(grid[cells], np.arange(len(cells), dtype=np.int32)):
            self._duplicates(side, "state", rows, added, st)
        return [_Map("grid", rows, cells, size, self._unit_cells(col)) for col in codes]

    def _dyad_map(self, side: pa.Table, codes: list[str], added, st) -> _Map:
        """The map of a dyad-level side table."""
        n = self.n
        skey = _dyad_key(to_numpy(side.column("code1"))[0], to_numpy(side.column("code2"))[0],
                         to_numpy(side.column("year"))[0])
        if codes == self.primary:
            # the record's run: the last run starting at or before it, if it is the same dyad's
            # and long enough (runs are sorted and a dyad's runs do not overlap)
            runs = self.runs
            if not len(runs["start"]):
                return _Map("rows", np.empty(0, dtype=np.intp), np.empty(0, dtype=np.intp), n)
            s1, s2, syear = (to_numpy(side.column(c))[0] for c in ("code1", "code2", "year"))
            j = np.searchsorted(_dyad_key(runs[codes[0]], runs[codes[1]], runs["y0"]), skey, side="right") - 1
            found = j >= 0
            j[~found] = 0
            offset = syear - runs["y0"][j].astype(np.intp)
            found &= (runs[codes[0]][j] == s1) & (runs[codes[1]][j] == s2) & (offset < runs["length"][j])
            rows = np.flatnonzero(found)
            cells = runs["start"][j[rows]] + offset[rows]
            if len(cells) > 1 and not np.all(cells[1:] > cells[:-1]):
                order = np.argsort(cells, kind="stable")
                rows, cells = rows[order], cells[order]
                if np.any(cells[1:] == cells[:-1]):  # two records for one unit row
                    self._duplicates(side, "dyad", rows, added, st)
            return _Map("rows", rows, cells, n)
        # codes of a converted system: the unit is not sorted by them, so search the side table
        c1, ok1 = self.keys[codes[0]]
        c2, ok2 = self.keys[codes[1]]
        ukey = _dyad_key(c1, c2, self.keys["year"][0])
        order = np.argsort(skey, kind="stable")
        sorted_key = skey[order]
        if np.any(sorted_key[1:] == sorted_key[:-1]):
            self._duplicates(side, "dyad", np.arange(len(skey)), added, st)
        k = len(skey)
        at = np.searchsorted(sorted_key, ukey)
        at[at == k] = 0
        found = sorted_key[at] == ukey if k else np.zeros(n, dtype=bool)
        for ok in (ok1, ok2):
            if ok is not None:
                found &= ok
        index = np.where(found, order[at] if k else 0, k).astype(np.intp)
        return _Map("grid", np.arange(k), np.arange(k), k, index)

    def _duplicates(self, side: pa.Table, level: str, rows: np.ndarray, added, st) -> None:
        """Refuse a side table with several records for a unit, showing the keys (error path)."""
        year = to_numpy(side.column("year"))[0].astype(np.int64)[rows]
        if level == "state":
            key = to_numpy(side.column("code"))[0].astype(np.int64)[rows] * 10000 + year
        else:
            key = (to_numpy(side.column("code1"))[0].astype(np.int64)[rows] * _CODES
                   + to_numpy(side.column("code2"))[0][rows]) * 10000 + year
        uniq, counts = np.unique(key, return_counts=True)
        worst = sorted(((int(k), int(c)) for k, c in zip(uniq, counts, strict=True) if c > 1),
                       key=lambda kv: (-kv[1], kv[0]))
        self.b._refuse(added, st, worst[:5])

    def _covered(self, coverage: tuple[int, int]) -> np.ndarray | None:
        """Unit rows inside a coverage window (``None``: every row is)."""
        if coverage not in self._inside:
            first, last = self.p.years
            lo, hi = coverage
            year = self.keys["year"][0]
            inside = None if lo <= first and hi >= last else (year >= max(lo, first)) & (year <= min(hi, last))
            self._inside[coverage] = inside
        return self._inside[coverage]

    # -- output ----------------------------------------------------------------------------
    def plan(self, con) -> list[tuple[str, _Job]]:
        """Query the store and prepare one job per output column, in output order."""
        return list(self.stream(con).jobs)

    def stream(self, con) -> ColumnStream:
        """Read the unit and every side table from the store now; prepare the column jobs as they are read.

        A writer can build and encode the first columns while the later ones are being prepared.
        """
        sides = self._fetch_sides(con)
        self.bitmaps: dict = {}  # validity bitmaps shared by the columns of a row range
        self.names: dict[str, str] = {}  # detente name (with side suffix) -> output name
        return ColumnStream(self.n, self._jobs(con, sides))

    def _jobs(self, con, sides: dict) -> Iterator[tuple[str, _Job]]:
        p, b = self.p, self.b
        built: dict[str, _Job] = {}
        for name in p.key_columns:
            built[name] = _Ready(from_numpy(*self.keys[name], self.key_types[name]))
            yield name, built[name]
        posts = []
        for i, added in enumerate(p._added):
            if hasattr(added.enricher, "post_exprs"):
                posts.append(added)
                continue
            st, side = sides[i]
            codes = b._code_cols(st.system)
            if st.level == "dyad":
                if p.unit != "dyad_year":
                    raise PanelError("dyad-level values need a dyad-year unit")
                maps, suffixes = [self._dyad_map(side, codes, added, st)], [""]
            else:
                codes = codes[:1] if p.unit == "state_year" else codes
                maps = self._state_maps(side, codes, added, st)
                suffixes = [""] if p.unit == "state_year" else ["1", "2"]
            masked = b.masks.get(i, False)
            if hasattr(added.enricher, "vector_exprs"):
                jobs = self._vector(added, st, side, maps, suffixes, masked)
            elif hasattr(added.enricher, "select_exprs"):
                jobs = self._select(con, i, added, st, side, maps, suffixes)
            else:
                jobs = [
                    (b._name(col, s), col.name + s, self._column(col, side, m, masked, st.coverage))
                    for s, m in zip(suffixes, maps, strict=True)
                    for col in st.columns if not col.name.startswith("_")
                ]
            for out, detente, job in jobs:
                self.names[detente] = out
                built[out] = job
                yield out, job
        for added in posts:
            for out, job in self._posts(con, added, dict(built)):
                built[out] = job
                yield out, job

    def run(self, con) -> pa.Table:
        """The whole panel as one Arrow table."""
        outputs = self.plan(con)
        with ThreadPoolExecutor(max_workers=2) as pool:
            arrays = self._rows(pool, [job for _, job in outputs], 0, self.n)
        return pa.Table.from_arrays(arrays, names=[name for name, _ in outputs])

    def batches(self, con, rows: int) -> tuple[pa.Schema, Iterator[pa.RecordBatch]]:
        """The schema, and the panel as record batches of ``rows`` rows written one after another.

        Everything that can fail (the store, the enrichers' keys) fails before the first batch.
        """
        outputs = self.plan(con)
        schema = pa.schema([(name, job.type) for name, job in outputs])
        jobs = [job for _, job in outputs]

        def produce() -> Iterator[pa.RecordBatch]:
            with generator_pool(2) as pool:
                for lo in range(0, max(self.n, 1), rows):
                    hi = min(lo + rows, self.n)
                    self.bitmaps.clear()
                    yield pa.RecordBatch.from_arrays(self._rows(pool, jobs, lo, hi), schema=schema)

        return schema, produce()

    def _rows(self, pool, jobs: list[_Job], lo: int, hi: int) -> list[pa.Array]:
        # numpy releases the GIL in takes, fills and scatters, so two threads share the columns
        return list(pool.map(lambda job: job(lo, hi), jobs))

    def _validity(self, key, lo: int, hi: int, make) -> tuple[pa.Buffer, int] | None:
        """A validity bitmap and null count, computed once per key and row range (``None``: none missing)."""
        cached = self.bitmaps.get((key, lo))
        if cached is None:
            valid = make()
            cached = (None,) if valid is None or valid.all() else (
                bitmap(valid), len(valid) - int(np.count_nonzero(valid)))
            self.bitmaps[(key, lo)] = cached
        return None if cached[0] is None else cached

    def _column(self, col: Column, side: pa.Table, m: _Map, masked: bool, coverage) -> _Column:
        """The job writing one output column of a plain enricher."""
        values, ok = to_numpy(side.column(col.name))
        values = values[m.rows]
        ok = None if ok is None else ok[m.rows]
        if col.fill is not None and ok is not None:
            values = np.where(ok, values, np.asarray(col.fill).astype(values.dtype))
        inside = self._covered(coverage) if (col.fill is not None or masked) else None
        if col.fill is not None:
            def valid(lo, hi):
                return self._validity(("cover", coverage), lo, hi, lambda: _part(inside, lo, hi))
        elif ok is None:
            def valid(lo, hi):
                return self._validity(("has", id(m), masked), lo, hi,
                                      lambda: _and(m.has(lo, hi), _part(inside, lo, hi)))
        else:  # the records' own missing values: a validity per column
            def valid(lo, hi):
                v = _and(m.spread(ok, False, lo, hi), _part(inside, lo, hi))
                return None if v.all() else (bitmap(v), len(v) - int(np.count_nonzero(v)))
        empty = col.fill if col.fill is not None else 0
        return _Column(col.type, values.astype(numpy_type(col.type), copy=False), m, empty, valid)

    def _vector(self, added, st, side, maps, suffixes, masked: bool):
        """Columns an enricher computes with numpy from its helper values (e.g. capital distance)."""
        ctx = self.p.context
        helpers = [c.name for c in st.columns]
        cover = self._covered(st.coverage)
        data = {c: to_numpy(side.column(c)) for c in helpers}
        pairs = _distinct_pairs(data, maps) if len(maps) == 2 else None
        jobs = []
        if pairs is not None:
            values, valid, u, pair = pairs
            index = pair()

            def helper(name: str, s: str = "") -> tuple[np.ndarray, np.ndarray]:
                j = helpers.index(name)
                v, ok = values[:, j], valid[:, j]
                return (np.repeat(v, u), np.repeat(ok, u)) if s == "1" else (np.tile(v, u), np.tile(ok, u))

            for col, (out, ok) in added.enricher.vector_exprs(ctx, helper):
                inside = cover if (col.fill is not None or masked) else None
                jobs.append((self.b._name(col), col.name, _Pairs(col.type, out, ok, index, inside)))
            return jobs

        def row_helper(name: str, s: str = "") -> tuple[np.ndarray, np.ndarray]:
            v, ok = data[name]
            m = maps[suffixes.index(s)]
            rows_ok = np.ones(len(m.rows), dtype=bool) if ok is None else ok[m.rows]
            return m.spread(v[m.rows], 0), m.spread(rows_ok, False)

        for col, (out, ok) in added.enricher.vector_exprs(ctx, row_helper):
            if col.fill is not None or masked:
                ok = _and(ok, cover)
            jobs.append((self.b._name(col), col.name, _Ready(from_numpy(out, ok, col.type))))
        return jobs

    def _select(self, con, i, added, st, side, maps, suffixes):
        """Columns written as SQL expressions over the helper values (evaluated by DuckDB)."""
        b = self.b
        helpers = {}
        for s, m in zip(suffixes, maps, strict=True):
            for col in st.columns:
                v, ok = to_numpy(side.column(col.name))
                rows_ok = np.ones(len(m.rows), dtype=bool) if ok is None else ok[m.rows]
                valid = m.spread(rows_ok, False)
                helpers[f"e{i}__{col.name}{s}"] = from_numpy(m.spread(v[m.rows], 0), valid, col.type)

        def ref(c: str, s: str = "") -> str:
            return _q(f"e{i}__{c}{s}")

        exprs = list(added.enricher.select_exprs(self.p.context, ref))
        sql = ", ".join(f"{e}::{c.type} as {_q(b._name(c))}" for e, c in exprs)
        view = f"{b.prefix}_helper"
        con.register(view, pa.Table.from_arrays(list(helpers.values()), names=list(helpers)))
        try:
            out = con.sql(f"select {sql} from {view}").to_arrow_table()
        finally:
            con.unregister(view)
        masked = b.masks.get(i, False)
        cover = self._covered(st.coverage)
        jobs = []
        for (_, col), arr in zip(exprs, out.columns, strict=True):
            values, ok = to_numpy(arr)
            if col.fill is not None:
                if ok is not None:
                    values = np.where(ok, values, np.asarray(col.fill).astype(values.dtype))
                ok = None
            if col.fill is not None or masked:
                ok = _and(ok, cover)
            jobs.append((b._name(col), col.name, _Ready(from_numpy(values, ok, col.type))))
        return jobs

    def _posts(self, con, added, built: dict) -> list[tuple[str, _Job]]:
        """Columns computed over the built panel (peace spells), by DuckDB window functions."""
        p, b = self.p, self.b
        keys = [c for c in p.key_columns if c != "year"][: 1 if p.unit == "state_year" else 2]
        event = added.enricher.opts["event"]
        if event not in self.names:
            raise PanelError(f"peace_spells: no column {event!r} in the panel; add its enricher first")
        exprs = added.enricher.post_exprs(p.context, _q(self.names[event]), keys)
        view = f"{b.prefix}_post"
        columns = [*keys, "year", self.names[event]]
        src = pa.Table.from_arrays(
            [built[c](0, self.n) for c in columns] + [from_numpy(np.arange(self.n, dtype=np.int64), None, "BIGINT")],
            names=[*columns, "__row"],
        )
        con.register(view, src)
        try:
            sql = ", ".join(f"{e}::{c.type} as {_q(b._name(c))}" for e, c in exprs)
            out = con.sql(f"select __row, {sql} from {view}").to_arrow_table()
        finally:
            con.unregister(view)
        order = np.empty(out.num_rows, dtype=np.intp)
        order[to_numpy(out.column("__row"))[0]] = np.arange(out.num_rows)
        jobs = []
        for (_, col), name in zip(exprs, out.column_names[1:], strict=True):
            values, ok = to_numpy(out.column(name))
            jobs.append((name, _Ready(from_numpy(values[order], None if ok is None else ok[order], col.type))))
            self.names[col.name] = name
        return jobs


@dataclass(frozen=True)
class ColumnStream:
    """A panel's row count, and its ``(name, job)`` column jobs in output order as they are prepared.

    ``job(lo, hi)`` is rows ``lo`` to ``hi`` of the column as an Arrow array; ``job.type`` its
    type. Jobs may run on several threads at once, while later ones are still being prepared.
    """

    num_rows: int
    jobs: Iterator[tuple[str, _Job]]
    metadata: dict[bytes, bytes] = field(default_factory=dict)


class _Job:
    """One output column: ``job(lo, hi)`` returns its rows ``lo`` to ``hi``; ``type`` is its Arrow type."""

    type: pa.DataType

    def __call__(self, lo: int, hi: int) -> pa.Array:
        raise NotImplementedError


class _Ready(_Job):
    """A column already built."""

    def __init__(self, array: pa.Array) -> None:
        self.array, self.type = array, array.type

    def __call__(self, lo: int, hi: int) -> pa.Array:
        return self.array if (lo, hi) == (0, len(self.array)) else self.array.slice(lo, hi - lo)


class _Column(_Job):
    """One column of a plain enricher: its values where there is a record, else fill or missing."""

    def __init__(self, sql_type: str, values: np.ndarray, m: _Map, empty, valid) -> None:
        self.sql_type, self.values, self.m, self.empty, self.valid = sql_type, values, m, empty, valid
        self.type = TYPES[sql_type.upper()][1]

    def __call__(self, lo: int, hi: int) -> pa.Array:
        data = self.m.spread(self.values, self.empty, lo, hi)
        return _with_validity(data, self.valid(lo, hi), self.sql_type)


class _Pairs(_Job):
    """A column computed once per pair of distinct state values, then read by each unit row."""

    def __init__(self, sql_type: str, out: np.ndarray, ok: np.ndarray, pair: np.ndarray, inside) -> None:
        self.sql_type, self.out, self.ok, self.pair, self.inside = sql_type, out, ok, pair, inside
        self.type = TYPES[sql_type.upper()][1]

    def __call__(self, lo: int, hi: int) -> pa.Array:
        pair = self.pair[lo:hi]
        valid = _and(np.take(self.ok, pair, out=empty_array(len(pair), bool), mode="wrap"), _part(self.inside, lo, hi))
        data = np.take(self.out, pair, out=empty_array(len(pair), self.out.dtype), mode="wrap")
        return from_numpy(data, valid, self.sql_type)


def _distinct_pairs(data: dict, maps: list[_Map]):
    """Distinct state values and, lazily, each unit row's pair of them, when pairs are few.

    Returns ``(values, valid, u, pair)``: the ``u`` distinct value rows (the last one "no
    record"), their validity, and a function giving the pair index ``id1 * u + id2`` of every
    unit row; or ``None`` when the ``u * u`` pairs would not be fewer than the rows.
    """
    m1, m2 = maps
    if not all(v.dtype.kind == "f" for v, _ in data.values()):
        return None  # integers would not survive the float matrix exactly: compute per row
    cols = []
    for v, ok in data.values():
        v = v[m1.rows].astype(np.float64)
        if ok is not None:
            ok = ok[m1.rows]
            v = np.where(ok, v, 0.0)
            cols += [v, ok.astype(np.float64)]
        else:
            cols += [v, np.ones(len(v))]
    if not cols:
        return None
    uniq, inverse = _factorize(np.column_stack(cols))
    u = len(uniq) + 1
    if u * u > len(m1.index):
        return None
    values = np.vstack([uniq[:, 0::2], np.zeros((1, len(data)))])
    valid = np.vstack([uniq[:, 1::2] > 0, np.zeros((1, len(data)), dtype=bool)])
    ids = np.full(m1.size + 1, u - 1, dtype=np.intp)
    ids[m1.cells] = inverse.reshape(-1)

    def pair() -> np.ndarray:
        first = np.take(ids, m1.index, out=empty_array(len(m1.index), np.intp), mode="wrap")
        first *= u
        second = np.take(ids, m2.index, out=empty_array(len(m2.index), np.intp), mode="wrap")
        first += second
        return first

    return values, valid, u, pair


def _factorize(matrix: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The distinct rows of ``matrix`` and each row's index among them (a lexicographic sort)."""
    k = len(matrix)
    order = np.lexsort(matrix.T[::-1])
    ranked = matrix[order]
    new = np.ones(k, dtype=bool)
    new[1:] = np.any(ranked[1:] != ranked[:-1], axis=1)
    inverse = np.empty(k, dtype=np.intp)
    inverse[order] = np.cumsum(new) - 1
    return ranked[new], inverse


def _with_validity(data: np.ndarray, valid, typ: str) -> pa.Array:
    dtype_arr = from_numpy(data, None, typ)
    if valid is None:
        return dtype_arr
    buf, nulls = valid
    return pa.Array.from_buffers(dtype_arr.type, len(data), [buf, dtype_arr.buffers()[1]], null_count=nulls)


def _part(values: np.ndarray | None, lo: int, hi: int) -> np.ndarray | None:
    return None if values is None else values[lo:hi]


def _and(a: np.ndarray | None, b: np.ndarray | None) -> np.ndarray | None:
    if a is None:
        return b
    if b is None:
        return a
    return a & b


def _runs_of(codes: list[np.ndarray], year: np.ndarray, names: list[str]) -> dict[str, np.ndarray]:
    """The runs of rows sorted by codes and year: where the codes change or a year is skipped."""
    n = len(year)
    new = np.ones(n, dtype=bool)
    if n:
        new[1:] = year[1:] != year[:-1] + 1
        for c in codes:
            new[1:] |= c[1:] != c[:-1]
    start = np.flatnonzero(new)
    runs = {name: c[start] for name, c in zip(names, codes, strict=True)}
    runs["y0"] = year[start]
    runs["start"] = start
    runs["length"] = np.diff(np.append(start, n))
    return runs


def _dyad_key(code1: np.ndarray, code2: np.ndarray, year: np.ndarray) -> np.ndarray:
    """(code1, code2, year) packed into one sortable integer."""
    key = code1.astype(np.int64) * _CODES
    key += code2
    key *= 10000
    key += year
    return key


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'
