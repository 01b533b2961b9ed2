"""Panel benchmark: peacesciencer's parity pipeline built by detente, beside peacesciencer's timings.

Measures, best of ``--repeat`` runs (the machine may be shared: repeat and take the best; the load
average is printed before and after):

* the directed CoW dyad-year unit alone (day-overlap rule, ``mry``), to Arrow;
* the whole parity pipeline in process (2,252,760 directed dyad-years x 58 columns: majors,
  contiguity, NMC, democracy, ATOP, GML MIDs, capital distance), to Arrow, with both engines
  (columns written by numpy, the default, and the pure-SQL hash-join plan);
* the pipeline written to Parquet in process (``Panel.write``: each piece of a column built and
  encoded in one task);
* the CLI end to end (a fresh process writing Parquet), its peak memory, and its parts: the
  start-up (a fresh process importing the CLI and the libraries a build needs) and the Parquet
  write of the finished table by detente's writer, beside polars' and pyarrow's writers of the
  same table (zstd, the same row groups);
* the floor: materialising the same number of values (2.25 M x 58 from a DuckDB table of the
  same column types) to Arrow, and a plain copy of them in memory;
* the peak resident memory of a process building the pipeline once.

peacesciencer's recorded timings (R, same machine kind) come from the parity reference file. The
store is prepared from the mirror (``DETENTE_MIRROR``, default ``../shared/data``) when
``--store`` does not exist yet.

Usage::

    python benchmarks/bench_panel.py [--store PATH] [--repeat 7] [--threads 2]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
REFERENCE = ROOT.parent / "shared" / "reference" / "peacesciencer_dyad_year_parity.json"
ENRICHERS = ("majors", "contiguity", "nmc", "democracy", "atop", "gml_mids", "capital_distance")
CLI_ARGS = [
    "panel", "dyad-years", "--system", "cow", "--years", "1816-2025", "--directed", "--mry", "2025",
    "--add", ",".join(ENRICHERS), "--names", "peacesciencer",
]


def best(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def prepare_store(path: Path) -> None:
    """Import every dataset of the mirror into ``path`` (once)."""
    from detente import config
    from detente.store import connect
    from detente.store.importer import import_all

    mirror = config.mirror_dir()
    print(f"preparing the store {path} from {mirror} ...", file=sys.stderr)
    con = connect(path)
    try:
        import_all(con, mirror)
    finally:
        con.close()


def parity_panel(con):
    from detente.panel import dyad_years

    panel = dyad_years("cow", years="1816-2025", directed=True, mry=2025, con=con, echo=None)
    for name in ENRICHERS:
        panel = panel.add(name)
    return panel


def pipeline(con, engine: str = "gather"):
    return parity_panel(con).to_arrow(names="peacesciencer", engine=engine)


#: a fresh process importing what the CLI imports before it builds a panel
STARTUP = "import detente.cli.main, detente.cli.panel, detente.panel, numpy, pyarrow, duckdb"


def peak_memory_mb(store: Path, threads: int) -> float:
    """Peak RSS (VmHWM) of a fresh process that opens the store and builds the pipeline once.

    VmHWM belongs to the new process image (``ru_maxrss`` can carry the parent's peak across exec).
    """
    here = str(Path(__file__).parent)
    code = (
        f"import duckdb, sys; sys.path.insert(0, {here!r}); from bench_panel import pipeline; "
        f"con = duckdb.connect({str(store)!r}, read_only=True); con.execute('set threads={threads}'); "
        "t = pipeline(con); "
        "print([l.split()[1] for l in open('/proc/self/status') if l.startswith('VmHWM')][0])"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return float(out.stdout.strip().splitlines()[-1]) / 1024


def timed_process(cmd: list[str]) -> float:
    """Wall time (s) of one run of ``cmd`` in a fresh process, from start to exit."""
    start = time.perf_counter()
    subprocess.run(cmd, check=True, capture_output=True)
    return time.perf_counter() - start


def cli_peak_memory_mb(args: list[str]) -> float:
    """Peak RSS (VmHWM) of the ``detente`` command run once with ``args``, read as it exits."""
    code = (
        "import atexit, sys\n"
        "def report():\n"
        "    hwm = [l.split()[1] for l in open('/proc/self/status') if l.startswith('VmHWM')][0]\n"
        "    sys.stderr.write(f'VmHWM {hwm}\\n')\n"
        "atexit.register(report)\n"
        f"sys.argv = ['detente', *{args!r}]\n"
        "from detente.cli.main import main\n"
        "main()\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return float(out.stderr.split("VmHWM ")[-1].split()[0]) / 1024


def copy_table(table):
    """A copy of every buffer of ``table`` (the cost of merely writing that many values)."""
    import numpy as np
    import pyarrow as pa

    def copy(buf):
        return None if buf is None else pa.py_buffer(np.frombuffer(buf, dtype=np.uint8).copy())

    arrays = []
    for col in table.columns:
        arr = col.combine_chunks()
        arrays.append(pa.Array.from_buffers(arr.type, len(arr), [copy(b) for b in arr.buffers()],
                                            null_count=arr.null_count, offset=arr.offset))
    return pa.Table.from_arrays(arrays, names=table.column_names)


def load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", type=Path, default=None, help="store file (default: a temporary one)")
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()

    import duckdb

    store = args.store or Path(tempfile.gettempdir()) / "detente_bench_panel.duckdb"
    if not store.exists():
        prepare_store(store)
    ref = json.loads(REFERENCE.read_text())
    load_before = load()
    con = duckdb.connect(str(store), read_only=True)
    con.execute(f"set threads={args.threads}")

    from detente.panel import dyad_years
    from detente.panel.output import write_table

    unit = best(lambda: dyad_years("cow", years="1816-2025", mry=2025, con=con, echo=None).to_arrow(),
                args.repeat)
    table = pipeline(con)
    assert table.num_rows == ref["P2"]["nrow"] and table.num_columns == ref["P2"]["ncol"]
    gather = best(lambda: pipeline(con), args.repeat)
    sql = best(lambda: pipeline(con, engine="duckdb"), max(2, args.repeat // 3))

    # the floor: the same values, already computed, merely materialised to Arrow
    con_mem = duckdb.connect()
    con_mem.execute(f"set threads={args.threads}")
    con_mem.register("panel_values", table)
    con_mem.execute("create table floor_values as select * from panel_values")
    con_mem.unregister("panel_values")
    floor = best(lambda: con_mem.sql("select * from floor_values").to_arrow_table(), args.repeat)
    floor_copy = best(lambda: copy_table(table), args.repeat)

    import polars as pl
    import pyarrow.parquet as pq

    from detente.panel.output import ROW_GROUP

    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "p2.parquet"
        few = max(3, args.repeat // 2)
        to_parquet = best(lambda: parity_panel(con).write(out, names="peacesciencer"), args.repeat)
        write = best(lambda: write_table(table, out), few)
        size = out.stat().st_size / 1e6
        other = Path(tmp) / "other.parquet"
        polars_frame = pl.from_arrow(table)
        polars_write = best(lambda: polars_frame.write_parquet(
            other, compression="zstd", row_group_size=ROW_GROUP, arrow_schema=table.schema), few)
        polars_size = other.stat().st_size / 1e6
        pyarrow_write = best(lambda: pq.write_table(table, other, compression="zstd", row_group_size=ROW_GROUP), few)
        pyarrow_size = other.stat().st_size / 1e6
        cmd = [sys.executable, "-m", "detente.cli.main", *CLI_ARGS, "--output", str(out), "--store", str(store)]
        cli_runs = sorted(timed_process(cmd) for _ in range(args.repeat))
        cli = cli_runs[0]
        startup = min(timed_process([sys.executable, "-c", STARTUP]) for _ in range(few))
        cli_memory = cli_peak_memory_mb([*CLI_ARGS, "--output", str(out), "--store", str(store)])
    memory = peak_memory_mb(store, args.threads)

    ps = [t["elapsed"] for t in ref["P2"]["timings_s"]]
    ps1 = [t["elapsed"] for t in ref["P1"]["timings_s"]]
    rows = [
        ("dyad-year unit alone (2,252,760 rows)", unit, min(ps1)),
        ("parity pipeline, in process (58 columns)", gather, min(ps)),
        ("parity pipeline, pure-SQL engine", sql, min(ps)),
        ("parity pipeline to Parquet, in process", to_parquet, min(ps)),
        (f"CLI end to end, to Parquet ({size:.0f} MB)", cli, min(ps)),
        ("  start-up: interpreter, CLI and library imports", startup, None),
        ("  Parquet write of the built table: detente", write, None),
        (f"  baseline: polars write_parquet ({polars_size:.0f} MB)", polars_write, None),
        (f"  baseline: pyarrow write_table ({pyarrow_size:.0f} MB)", pyarrow_write, None),
        ("floor: DuckDB table of the values -> Arrow", floor, None),
        ("floor: a copy of the values in memory", floor_copy, None),
    ]
    print(f"\npanel benchmark: {table.num_rows:,} rows x {table.num_columns} columns, "
          f"{args.threads} DuckDB threads, best of {args.repeat}; load average {load_before} before, "
          f"{load()} after (1, 5, 15 min; {os.cpu_count()} cores)")
    print(f"{'what':48s} {'detente s':>10s} {'peacesciencer s':>16s} {'speed-up':>9s}")
    for label, secs, theirs in rows:
        ratio = f"{theirs / secs:8.1f}x" if theirs else ""
        theirs_s = f"{theirs:16.2f}" if theirs else f"{'':16s}"
        print(f"{label:48s} {secs:10.3f} {theirs_s} {ratio}")
    print(f"peacesciencer pipeline runs (s): {', '.join(f'{t:.2f}' for t in ps)}; unit runs: "
          f"{', '.join(f'{t:.2f}' for t in ps1)}")
    print(f"CLI runs (s): {', '.join(f'{t:.2f}' for t in cli_runs)}; median {cli_runs[len(cli_runs) // 2]:.2f}")
    print(f"peak memory: {memory:.0f} MB building the pipeline in process; {cli_memory:.0f} MB for the CLI")
    print(f"pipeline / floor: {gather / floor:.1f}x the DuckDB -> Arrow floor, "
          f"{gather / floor_copy:.1f}x a plain copy; detente's Parquet writer: {polars_write / write:.1f}x "
          f"faster than polars, {pyarrow_write / write:.1f}x than pyarrow; CLI = start-up + pipeline to "
          f"Parquet would be {startup + to_parquet:.2f} s (measured {cli:.2f} s, target < 2 s)")


if __name__ == "__main__":
    main()
