"""The default way a panel is materialised: side tables in SQL, the panel by positional gathers.

DuckDB computes the unit (already in code, year order) and each enricher's side table (a few
thousand to a few hundred thousand rows) from the store. Each unit row's position in every side
table is then found through a dense index — (code, year) for state-level tables, (code1, code2,
year) over the codes present for dyad-level ones — and every output column is written exactly
once by an Arrow ``take``. Compared with hash-joining the unit to each side table, no payload is
copied through join pipelines, rows never lose their order (so no sort), and the work runs in
threads outside the GIL. Expressions over several columns (capital distance, peace spells) are
evaluated by DuckDB over the gathered Arrow columns.

The pure-SQL plan (:class:`detente.panel.frame._Builder`, ``engine="duckdb"``) builds the same
table and is kept as a cross-check.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from typing import TYPE_CHECKING

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from detente.exceptions import PanelError
from detente.panel.enricher import SideTable

if TYPE_CHECKING:
    from detente.panel.frame import Panel, _Builder


def _arrow_type(sql_type: str) -> pa.DataType:
    return {
        "TINYINT": pa.int8(), "SMALLINT": pa.int16(), "INTEGER": pa.int32(), "BIGINT": pa.int64(),
        "DOUBLE": pa.float64(), "FLOAT": pa.float32(), "VARCHAR": pa.string(), "BOOLEAN": pa.bool_(),
    }[sql_type.upper()]


class GatherAssembler:
    """Materialise a panel: unit and side tables from DuckDB, output columns by gathers."""

    def __init__(self, builder: _Builder) -> None:
        self.b = builder
        self.p: Panel = builder.p

    # -- inputs ----------------------------------------------------------------------------
    def _unit(self, con) -> pa.Table:
        unit = con.sql(self.b.unit_sql()).to_arrow_table()
        rid = unit.column("__rid").to_numpy()
        unit = unit.drop_columns(["__rid"])
        if len(rid) and not np.array_equal(rid, np.arange(len(rid))):
            inverse = np.empty(len(rid), dtype=np.int64)
            inverse[rid] = np.arange(len(rid))
            unit = unit.take(pa.array(inverse))
        return unit

    def _side(self, con, i: int, added, st: SideTable) -> pa.Table:
        b = self.b
        keys = ("code", "year") if st.level == "state" else ("code1", "code2", "year")
        cols = ", ".join(f"{_q(c.name)}::{c.type} as {_q(c.name)}" for c in st.columns)
        lo, hi = self.p.years
        # codes are below 1000 in both systems; larger ones (e.g. cShapes colonies) never match
        notnull = " and ".join(f"{k} between 0 and 999" for k in keys if k != "year")
        sql = (
            f"select {', '.join(f'{k}::integer as {k}' for k in keys)}, {cols} from ({st.sql}) s "
            f"where year between {lo} and {hi} and {notnull}"
        )
        try:
            table = con.sql(sql).to_arrow_table()
        except Exception as exc:  # a missing table or column: say which enricher and source
            raise b._missing(con, added, exc) from None
        year = table.column("year").to_numpy()
        lo_c, hi_c = st.coverage
        b.masks[i] = len(year) > 0 and (int(year.min()) < lo_c or int(year.max()) > hi_c)
        return table

    #: query side tables on parallel cursors of the store (measured no faster on 2 cores, so off)
    concurrent = False

    def _fetch_sides(self, con) -> dict:
        """The unit and every side table, queried concurrently on cursors of the same store."""
        p, b = self.p, self.b
        tasks = {}
        for i, added in enumerate(p._added):
            st = added.table
            if hasattr(added.enricher, "post_exprs"):
                continue
            setup = getattr(added.enricher, "setup", None)
            if setup is not None:  # helper tables registered on this connection: query it here
                ctx = p.context.with_system(st.system)
                b.views += setup(con, ctx, b.prefix)
                st = replace(st, sql=added.enricher.table_sql(ctx))
                tasks[i] = (st, added, True)
            else:
                tasks[i] = (st, added, False)
        out: dict = {}

        def side(i):
            st, added, local = tasks[i]
            cur = con if local else con.cursor()
            try:
                return i, (st, self._side(cur, i, added, st))
            finally:
                if not local:
                    cur.close()

        def unit():
            cur = con.cursor()
            try:
                return "unit", self._unit(cur)
            finally:
                cur.close()

        local = [i for i in tasks if tasks[i][2] or not self.concurrent]
        if not self.concurrent:
            out.update(unit() for _ in [0])
            for i in local:
                out.update([side(i)])
            return out
        for i in local:
            out.update([side(i)])
        with ThreadPoolExecutor(max_workers=2) as pool:
            futures = [pool.submit(unit)] + [pool.submit(side, i) for i in tasks if i not in local]
            for f in futures:
                key, value = f.result()
                out[key] = value
        return out

    # -- positions -------------------------------------------------------------------------
    def _index_unit(self, unit: pa.Table) -> None:
        """Per-row integer keys of the unit, computed once and shared by every side table."""
        first, last = self.p.years
        self.span = span = last - first + 1
        self.uyear = unit.column("year").to_numpy().astype(np.int64) - first
        self.ucodes: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        for name in self.p.key_columns:
            if name == "year":
                continue
            c = unit.column(name)
            valid = ~np.asarray(c.is_null()) if c.null_count else np.ones(len(c), dtype=bool)
            self.ucodes[name] = (c.fill_null(0).to_numpy().astype(np.int64), valid)
        self.uslot = {name: code * span + self.uyear for name, (code, _) in self.ucodes.items()}
        self._dense_dyad: dict[tuple[str, str], tuple] = {}
        self._dense_state = np.full(1000 * span, -1, dtype=np.int32)

    def _duplicates(self, side: pa.Table, level: str, rows: np.ndarray, added, st) -> None:
        """Refuse a side table with several records for a unit, showing the keys (error path)."""
        year = side.column("year").to_numpy().astype(np.int64)[rows]
        if level == "state":
            key = side.column("code").to_numpy().astype(np.int64)[rows] * 10000 + year
        else:
            key = (side.column("code1").to_numpy().astype(np.int64)[rows] * 1000
                   + side.column("code2").to_numpy()[rows]) * 10000 + year
        uniq, counts = np.unique(key, return_counts=True)
        worst = sorted(((int(k), int(c)) for k, c in zip(uniq, counts, strict=True) if c > 1),
                       key=lambda kv: (-kv[1], kv[0]))
        self.b._refuse(added, st, worst[:5])

    def _positions(self, side: pa.Table, level: str, codes: list[str], added=None, st=None) -> list[np.ndarray]:
        """For each unit side, the side-table row of each unit row (``n`` = no record).

        Two records of one unit would claim one slot of the grid: the row written last wins, so
        a slot that does not hold its own row number reveals a duplicate, in one pass.
        """
        span = self.span
        syear = side.column("year").to_numpy().astype(np.int64) - self.p.years[0]
        n = side.num_rows
        rows = np.arange(n, dtype=np.int32)
        out = []
        if level == "state":
            dense = self._dense_state
            slots = side.column("code").to_numpy().astype(np.int64) * span + syear
            dense[slots] = rows
            if not np.array_equal(dense[slots], rows):
                dense[slots] = -1
                self._duplicates(side, level, rows, added, st)
            for col in codes:
                valid = self.ucodes[col][1]
                pos = dense[self.uslot[col]].astype(np.intp)  # intp: numpy gathers without converting
                pos[(pos < 0) | ~valid] = n
                out.append(pos)
            dense[slots] = -1  # leave the shared grid empty for the next table
            return out
        key = (codes[0], codes[1])
        primary = self.p.key_columns[:2]
        if list(key) == primary:
            # the unit is sorted by its own codes and year: find each record's unit row by binary
            # search and scatter (no grid to allocate and fill)
            if "sorted" not in self._dense_dyad:
                u1, _ = self.ucodes[codes[0]]
                u2, _ = self.ucodes[codes[1]]
                self._dense_dyad["sorted"] = (u1 * 1000 + u2) * 10000 + self.uyear + self.p.years[0]
            ukey = self._dense_dyad["sorted"]
            skey = (side.column("code1").to_numpy().astype(np.int64) * 1000
                    + side.column("code2").to_numpy()) * 10000 + side.column("year").to_numpy()
            at = np.searchsorted(ukey, skey)
            at[at == len(ukey)] = 0
            found = ukey[at] == skey
            pos = np.full(len(ukey), n, dtype=np.intp)
            pos[at[found]] = rows[found]
            if not np.array_equal(pos[at[found]], rows[found]):
                self._duplicates(side, level, rows[found], added, st)
            return [pos]
        if key not in self._dense_dyad:
            # the codes present in the unit, indexed compactly (a few hundred), then one dense grid
            u1, v1 = self.ucodes[codes[0]]
            u2, v2 = self.ucodes[codes[1]]
            present = np.zeros(1000, dtype=bool)
            present[u1] = True
            present[u2] = True
            compact = np.cumsum(present) - 1
            m = int(present.sum())
            uslot = (compact[u1] * m + compact[u2]) * span + self.uyear
            self._dense_dyad[key] = (present, compact, m, uslot, v1 & v2, np.full(m * m * span, -1, dtype=np.int32))
        present, compact, m, uslot, valid, dense = self._dense_dyad[key]
        s1 = side.column("code1").to_numpy().astype(np.int64)
        s2 = side.column("code2").to_numpy().astype(np.int64)
        keep = present[s1] & present[s2]
        slots = (compact[s1[keep]] * m + compact[s2[keep]]) * span + syear[keep]
        dense[slots] = rows[keep]
        if not np.array_equal(dense[slots], rows[keep]):
            dense[slots] = -1
            self._duplicates(side, level, rows[keep], added, st)
        pos = dense[uslot].astype(np.intp)
        pos[(pos < 0) | ~valid] = n
        dense[slots] = -1
        return [pos]

    # -- output ----------------------------------------------------------------------------
    def run(self, con) -> pa.Table:
        p, b = self.p, self.b
        fetched = self._fetch_sides(con)
        unit = fetched.pop("unit")
        self._index_unit(unit)
        year = unit.column("year").to_numpy()
        columns: list[tuple[str, pa.Array]] = [(c, unit.column(c)) for c in p.key_columns]
        names: dict[str, str] = {}
        posts = []
        jobs = []  # (output name, callable) gathered in threads
        helpers: dict[str, pa.Array] = {}
        customs = []
        for i, added in enumerate(p._added):
            st = added.table
            if hasattr(added.enricher, "post_exprs"):
                posts.append(added)
                continue
            st, side = fetched[i]
            codes = b._code_cols(st.system)
            if st.level == "state" and p.unit == "state_year":
                codes = codes[:1]
            if st.level == "dyad" and p.unit != "dyad_year":
                raise PanelError("dyad-level values need a dyad-year unit")
            positions = self._positions(side, st.level, codes, added, st)
            lo, hi = st.coverage
            inside = (year >= lo) & (year <= hi)
            masked = b.masks.get(i, False)
            sides = ["1", "2"] if (st.level == "state" and p.unit == "dyad_year") else [""]
            bitmaps: dict = {}  # validity bitmaps shared by the columns of this side table

            vector = getattr(added.enricher, "vector_exprs", None)
            if vector is not None:
                # the enricher computes its columns from the gathered helper values with numpy
                def helper(name: str, s: str = "", side=side, positions=positions, sides=sides) -> tuple:
                    values = side.column(name).combine_chunks() if hasattr(side.column(name), "combine_chunks") else side.column(name)
                    data = np.append(values.fill_null(0).to_numpy(zero_copy_only=False), 0.0)
                    ok = np.append(~np.asarray(values.is_null()), False)
                    pos = positions[sides.index(s)]
                    return np.take(data, pos), np.take(ok, pos)

                for col, (data, ok) in added.enricher.vector_exprs(p.context, helper):
                    if col.fill is not None or masked:
                        ok = ok & inside
                    arr = pa.Array.from_buffers(_arrow_type(col.type), len(data),
                                                [None if ok.all() else _bitmap(ok), pa.py_buffer(np.ascontiguousarray(data))])
                    out = b._name(col)
                    names[col.name] = out
                    jobs.append((out, lambda arr, *_: arr, arr, None, None, None))
                continue
            custom = getattr(added.enricher, "select_exprs", None)
            if custom is not None:
                # helper columns for an expression evaluated by DuckDB over the gathered values
                for s, pos in zip(sides, positions, strict=True):
                    for col in st.columns:
                        helpers[f"e{i}__{col.name}{s}"] = _gather(side.column(col.name), pos, None, None, bitmaps)
                customs.append((i, added, st, inside, masked))
                continue
            for s, pos in zip(sides, positions, strict=True):
                for col in st.columns:
                    if col.name.startswith("_"):
                        continue
                    out = b._name(col, s)
                    names[col.name + s] = out
                    cover = inside if (col.fill is not None or masked) else None
                    jobs.append((out, side.column(col.name), pos, col.fill, cover, bitmaps))
        # numpy releases the GIL in fancy indexing, so two threads share the columns
        with ThreadPoolExecutor(max_workers=2) as pool:
            results = list(pool.map(lambda j: (j[0], j[1](*j[2:]) if callable(j[1]) else _gather(*j[1:])), jobs))
        columns += results
        if customs:
            columns = self._customs(con, columns, helpers, customs, names)
        table = pa.table(dict(columns))
        if posts:
            table = self._posts(con, table, posts, names)
        return table

    def _customs(self, con, columns, helpers, customs, names):
        """Evaluate multi-column expressions (e.g. capital distance) with DuckDB over Arrow."""
        b = self.b
        helper = pa.table(helpers)
        order = [name for name, _ in columns]
        built = dict(columns)
        for i, added, _st, inside, masked in customs:
            def ref(c: str, s: str = "", i: int = i) -> str:
                return _q(f"e{i}__{c}{s}")

            exprs = list(added.enricher.select_exprs(self.p.context, ref))
            sql = ", ".join(f"{e}::{c.type} as {_q(b._name(c))}" for e, c in exprs)
            view = f"{b.prefix}_helper"
            con.register(view, helper)
            try:
                out = con.sql(f"select {sql} from {view}").to_arrow_table()
            finally:
                con.unregister(view)
            for (_, col), arr in zip(exprs, out.columns, strict=True):
                arr = arr.combine_chunks()
                if col.fill is not None:
                    arr = arr.fill_null(pa.scalar(col.fill, arr.type))
                if col.fill is not None or masked:
                    arr = pc.if_else(pa.array(inside), arr, pa.scalar(None, arr.type))
                name = b._name(col)
                names[col.name] = name
                built[name] = arr
                order.append(name)
        return [(n, built[n]) for n in order]

    def _posts(self, con, table: pa.Table, posts, names) -> pa.Table:
        """Columns computed over the built panel (peace spells), by DuckDB window functions."""
        p, b = self.p, self.b
        keys = [c for c in p.key_columns if c != "year"][: 1 if p.unit == "state_year" else 2]
        for added in posts:
            event = added.enricher.opts["event"]
            if event not in names:
                raise PanelError(f"peace_spells: no column {event!r} in the panel; add its enricher first")
            exprs = added.enricher.post_exprs(p.context, _q(names[event]), keys)
            view = f"{b.prefix}_post"
            src = table.select([*keys, "year", names[event]]).append_column(
                "__row", pa.array(np.arange(table.num_rows, dtype=np.int64)))
            con.register(view, src)
            try:
                sql = ", ".join(f"{e}::{c.type} as {_q(b._name(c))}" for e, c in exprs)
                out = con.sql(f"select __row, {sql} from {view}").to_arrow_table()
            finally:
                con.unregister(view)
            inverse = np.empty(out.num_rows, dtype=np.int64)
            inverse[out.column("__row").to_numpy()] = np.arange(out.num_rows)
            out = out.drop_columns(["__row"]).take(pa.array(inverse))
            for name in out.column_names:
                table = table.append_column(name, out.column(name))
        return table


def _gather(
    values: pa.Array | pa.ChunkedArray, pos: np.ndarray, fill, inside: np.ndarray | None, bitmaps: dict | None = None
) -> pa.Array:
    """``values[pos]`` where ``pos == len(values)`` means no record: missing, or ``fill``.

    With ``inside`` given, rows outside the coverage window are missing whatever the record.
    Columns of one side table without missing values share one validity bitmap (``bitmaps``), so
    most columns cost a single gather.
    """
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    n = len(values)
    typ = values.type
    has_nulls = values.null_count > 0
    data = values.fill_null(pa.scalar(fill if fill is not None else 0, typ)).to_numpy(zero_copy_only=False)
    data = np.append(data, np.array([fill if fill is not None else 0], dtype=data.dtype))
    out = np.take(data, pos)
    key = (id(pos), fill is not None, id(inside) if inside is not None else None)
    if has_nulls and fill is None:
        ok = np.ones(n + 1, dtype=bool)
        ok[n] = False
        ok[:n] = ~np.asarray(values.is_null())
        valid = np.take(ok, pos)
        if inside is not None:
            valid &= inside
        bitmap = _bitmap(valid)
    elif bitmaps is not None and key in bitmaps:
        bitmap = bitmaps[key]
    else:
        valid = None if fill is not None else pos != n
        if inside is not None:
            valid = inside if valid is None else valid & inside
        bitmap = None if valid is None or valid.all() else _bitmap(valid)
        if bitmaps is not None:
            bitmaps[key] = bitmap
    return pa.Array.from_buffers(typ, len(out), [bitmap, pa.py_buffer(out)])


def _bitmap(valid: np.ndarray) -> pa.Buffer:
    return pa.py_buffer(np.packbits(valid, bitorder="little"))


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'
