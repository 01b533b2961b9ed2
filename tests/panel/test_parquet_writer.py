"""The panel Parquet writer: files that pyarrow, polars, DuckDB and Spark read back exactly.

Each reader parses the file independently (pyarrow and polars their own Rust/C++ decoders,
DuckDB its own, Spark parquet-java), so a file they all read back equal to the table it was
written from is valid Parquet, whatever this writer got wrong in its own eyes.
"""

from __future__ import annotations

import math
import struct
from pathlib import Path

import duckdb
import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from detente.panel.output import write_table
from detente.panel.parquet_writer import supports, write_parquet

TYPES = [pa.int8(), pa.int16(), pa.int32(), pa.int64(), pa.uint8(), pa.uint16(), pa.uint32(), pa.uint64(),
         pa.float32(), pa.float64(), pa.bool_()]


def _write(table: pa.Table, path: Path, **options) -> Path:
    with open(path, "wb") as sink:
        write_parquet(table, sink, **options)
    return path


def _column(typ: pa.DataType, n: int, rng: np.random.Generator, missing: float) -> pa.Array:
    if pa.types.is_boolean(typ):
        values = rng.random(n) < 0.5
    elif pa.types.is_floating(typ):
        values = rng.normal(0, 1e6, n).astype(typ.to_pandas_dtype())
    else:
        info = np.iinfo(typ.to_pandas_dtype())
        values = rng.integers(info.min, info.max, n, dtype=typ.to_pandas_dtype(), endpoint=True)
    mask = rng.random(n) < missing
    return pa.array(values, type=typ, mask=mask)


def _table(n: int, seed: int, missing: float) -> pa.Table:
    rng = np.random.default_rng(seed)
    arrays = [_column(t, n, rng, missing) for t in TYPES]
    schema = pa.schema([(str(t), t) for t in TYPES], metadata={"detente.panel": '{"unit": "dyad_year"}'})
    return pa.Table.from_arrays(arrays, schema=schema)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(n=st.sampled_from([0, 1, 7, 8, 9, 63, 64, 65, 1000, 4099]), seed=st.integers(0, 2**32 - 1),
       missing=st.sampled_from([0.0, 0.01, 0.5, 0.99, 1.0]), row_group=st.sampled_from([8, 64, 1024, 1 << 18]))
def test_every_type_round_trips_through_pyarrow_and_polars(tmp_path: Path, n: int, seed: int, missing: float,
                                                          row_group: int) -> None:
    table = _table(n, seed, missing)
    path = _write(table, tmp_path / "t.parquet", row_group=row_group)
    back = pq.read_table(path)
    assert back.schema == table.schema  # narrow types, names
    assert back.schema.metadata == table.schema.metadata
    assert back.equals(table)
    assert pq.ParquetFile(path).metadata.num_row_groups == -(-n // row_group)
    assert pl.read_parquet(path).equals(pl.from_arrow(table))


def test_sliced_and_chunked_columns_round_trip(tmp_path: Path) -> None:
    """Slices start mid-byte of their validity bitmap; chunked columns are joined per row group."""
    table = _table(5000, 7, 0.3)
    sliced = table.slice(13, 3001)
    assert sliced.column(0).chunk(0).offset == 13
    assert pq.read_table(_write(sliced, tmp_path / "s.parquet", row_group=512)).equals(sliced)
    chunked = pa.concat_tables([table.slice(0, 1001), table.slice(1001, 2999), table.slice(4000)])
    assert chunked.column(0).num_chunks == 3
    assert pq.read_table(_write(chunked, tmp_path / "c.parquet", row_group=1024)).equals(table)


def test_duckdb_reads_the_values_and_the_statistics(tmp_path: Path) -> None:
    table = _table(3000, 11, 0.2)
    path = _write(table, tmp_path / "d.parquet", row_group=1024)
    con = duckdb.connect()
    for name in ("int8", "uint32", "uint64", "double", "float"):
        got = con.execute(f"select count(\"{name}\"), min(\"{name}\"), max(\"{name}\"), sum(\"{name}\"::double) "
                          f"from read_parquet(?)", [str(path)]).fetchone()
        col = table.column(name)
        extremes = pc.min_max(col).as_py()
        assert got[0] == len(col) - col.null_count
        assert (got[1], got[2]) == pytest.approx((extremes["min"], extremes["max"]))
        assert got[3] == pytest.approx(pc.sum(col.cast(pa.float64(), safe=False)).as_py(), rel=1e-9)
    stats = con.execute(
        "select row_group_id, path_in_schema, stats_null_count, stats_min_value, stats_max_value "
        "from parquet_metadata(?) where path_in_schema = 'int16' order by row_group_id", [str(path)]).fetchall()
    for group, _, nulls, low, high in stats:
        part = table.column("int16").slice(group * 1024, 1024)
        extremes = pc.min_max(part).as_py()
        assert (nulls, int(low), int(high)) == (part.null_count, extremes["min"], extremes["max"])


def test_statistics_follow_the_format(tmp_path: Path) -> None:
    """min/max per chunk as pyarrow reads them; NaN left out; zero written as -0.0 (min) and +0.0 (max)."""
    table = pa.table({
        "x": pa.array([3.5, float("nan"), None, -2.0, 0.0], pa.float64()),
        "nan": pa.array([float("nan"), None, float("nan"), None, float("nan")], pa.float64()),
        "zero": pa.array([0.0, 0.0, None, 0.0, 0.0], pa.float64()),
        "u": pa.array([0, 4_000_000_000, None, 7, 1], pa.uint32()),
        "b": pa.array([True, None, True, True, None], pa.bool_()),
        "none": pa.array([None] * 5, pa.int16()),
    })
    meta = pq.ParquetFile(_write(table, tmp_path / "s.parquet")).metadata.row_group(0)
    x, nan, zero, u, b, none = (meta.column(i).statistics for i in range(6))
    assert (x.min, x.max, x.null_count) == (-2.0, 3.5, 1)
    assert not nan.has_min_max and nan.null_count == 2
    assert math.copysign(1, zero.min) == -1 and math.copysign(1, zero.max) == 1
    assert (u.min, u.max) == (0, 4_000_000_000)
    assert (b.min, b.max, b.null_count) == (True, True, 2)
    assert not none.has_min_max and none.null_count == 5


def test_a_required_column_is_written_without_levels(tmp_path: Path) -> None:
    schema = pa.schema([pa.field("k", pa.int16(), nullable=False), pa.field("v", pa.float64())])
    table = pa.table({"k": pa.array([1, 2, 3], pa.int16()), "v": [0.5, None, 1.5]}, schema=schema)
    path = _write(table, tmp_path / "r.parquet")
    assert pq.ParquetFile(path).schema.column(0).max_definition_level == 0
    back = pq.read_table(path)
    assert back.equals(table) and not back.schema.field("k").nullable
    bad = pa.Table.from_arrays([pa.array([1, None, 3], pa.int16()), table.column("v")], schema=schema)
    with pytest.raises(ValueError, match="not nullable holds 1 missing"):
        _write(bad, tmp_path / "bad.parquet")


def test_other_types_are_refused_and_written_by_pyarrow_instead(tmp_path: Path) -> None:
    table = pa.table({"name": ["a", None, "c"], "n": pa.array([1, 2, None], pa.int8())})
    assert not supports(table.schema)
    with pytest.raises(TypeError, match=r"name \(string\)"):
        _write(table, tmp_path / "x.parquet")
    assert pq.read_table(write_table(table, tmp_path / "y.parquet")).equals(table)


def test_a_failing_column_leaves_no_file(tmp_path: Path) -> None:
    """The file is written under a partial name that takes the real one only when complete."""
    from detente.panel import output
    from detente.panel.assemble import ColumnStream

    table = _table(100, 3, 0.1)

    class Job:
        def __init__(self, i: int) -> None:
            self.i, self.type = i, table.schema.field(i).type

        def __call__(self, lo: int, hi: int) -> pa.Array:
            if self.i == 5:
                raise RuntimeError("the store went away")
            return table.column(self.i).slice(lo, hi - lo)

    stream = ColumnStream(table.num_rows, iter([(name, Job(i)) for i, name in enumerate(table.column_names)]))
    with pytest.raises(RuntimeError, match="store went away"):
        output._atomic(tmp_path / "p.parquet", lambda partial: output._write_stream(stream, partial))
    assert list(tmp_path.iterdir()) == []


def test_a_column_of_another_type_stops_the_stream(tmp_path: Path) -> None:
    columns = iter([("n", pa.int8(), lambda lo, hi: pa.array([1, 2], pa.int8())),
                    ("s", pa.string(), lambda lo, hi: pa.array(["a", "b"]))])
    from detente.panel.parquet_writer import write_column_stream

    with pytest.raises(TypeError, match=r"not s \(string\)"), open(tmp_path / "x.parquet", "wb") as sink:
        write_column_stream(2, columns, sink)


def test_the_footer_is_parquet_thrift(tmp_path: Path) -> None:
    """Row groups, offsets and sizes in the footer agree with the bytes in the file."""
    table = _table(2000, 5, 0.25)
    path = _write(table, tmp_path / "f.parquet", row_group=512)
    data = path.read_bytes()
    assert data[:4] == data[-4:] == b"PAR1"
    (footer_length,) = struct.unpack("<i", data[-8:-4])
    meta = pq.ParquetFile(path).metadata
    assert meta.num_rows == 2000 and meta.num_columns == len(TYPES) and meta.created_by.startswith("detente")
    end = 4
    for g in range(meta.num_row_groups):
        group = meta.row_group(g)
        for c in range(group.num_columns):
            col = group.column(c)
            assert col.data_page_offset == end and col.compression == "ZSTD"
            end += col.total_compressed_size
    assert end == len(data) - 8 - footer_length


def test_spark_reads_the_file(tmp_path: Path, spark) -> None:
    """parquet-java, the reader of Spark and Hadoop tools, reads the same values."""
    table = _table(3000, 13, 0.2).drop_columns(["uint64"])  # Spark has no unsigned 64-bit type
    path = _write(table, tmp_path / "k.parquet", row_group=1024)
    rows = spark.read.parquet(str(path)).selectExpr(
        "count(*)", "count(int8)", "sum(int16)", "sum(uint32)", "sum(double)", "sum(cast(bool as int))").first()
    col = {name: table.column(name) for name in table.column_names}
    assert rows[0] == 3000 and rows[1] == len(col["int8"]) - col["int8"].null_count
    assert rows[2] == pc.sum(col["int16"]).as_py()
    assert rows[3] == pc.sum(col["uint32"].cast(pa.int64())).as_py()
    assert rows[4] == pytest.approx(pc.sum(col["double"]).as_py(), rel=1e-12)
    assert rows[5] == pc.sum(col["bool"].cast(pa.int64())).as_py()


@pytest.mark.parametrize("build", ["dyad", "state"])
def test_a_written_panel_is_the_built_table(store, tmp_path: Path, build: str) -> None:
    """Panel.write streams each column's pieces to the writer while later columns are planned;
    the file holds exactly the table to_arrow builds (values, types, metadata), window-function
    columns (peace spells) and converted codes included."""
    from detente.panel import dyad_years, state_years

    if build == "dyad":
        panel = (dyad_years("cow", years="1980-2005", directed=False, con=store, echo=None)
                 .add("gml_mids").add("peace_spells", event="gml_onset").add("nmc").add("capital_distance"))
    else:
        panel = (state_years("cow", years="1946-2010", con=store, echo=None).convert("gw")
                 .add("nmc").add("democracy").add("majors"))
    path = panel.write(tmp_path / "p.parquet", names="peacesciencer")
    built = panel.to_arrow(names="peacesciencer")
    back = pq.read_table(path)
    assert back.num_rows > 1000 and back.equals(built)
    assert back.schema.metadata == built.schema.metadata
