"""Events engine benchmark: the Performance section of the events issue, in one run.

Measured on synthetic GDELT 2.0 data (``benchmarks/generate_gdelt.py``), a dyad-month aggregation
of the four quad-class counts, mean Goldstein and cooperative share:

* from the raw 61-column layout in Parquet: DuckDB SQL, the bare Parquet scan, polars, pandas,
  bare PySpark on 2 and 1 cores (the reference figures of the issue);
* from detente's canonical event store: ``detente.events.aggregate`` with DuckDB (events/s and
  peak memory of the process), pandas on the same store, and the Spark engine on 1 and 2 cores
  beside bare PySpark running the same query on the same store;
* reading native tab-separated GDELT 2.0: ``import_events`` end to end (parse, check, resolve
  state codes, write the partitioned store) beside bare reads of the same file by pyarrow,
  polars, DuckDB and pandas' C-engine ``read_csv`` (with GDELT's published column types as
  ``dtype=``, and with inferred types), the runs taking turns.

Usage::

    python benchmarks/bench_events.py                      # 50 M events (the real run)
    python benchmarks/bench_events.py --events 2000000 --native-rows 200000 --repeat 1  # smoke
    python benchmarks/bench_events.py --only-import --repeat 5              # the import rows only
    python benchmarks/bench_events.py --skip-import                         # aggregation and Spark
    python benchmarks/bench_events.py --only-spark                          # the Spark rows only

Timings are best-of-``--repeat``; the machine may be shared, so repeat and take the best.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

QUADS = ("verbal_coop", "material_coop", "verbal_conflict", "material_conflict")


def best(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def _worker(args: list[str]) -> None:
    """Run one measurement in a fresh process and print JSON (time and peak memory)."""
    import resource

    kind, store, repeat = args[0], args[1], int(args[2])
    out: dict[str, float] = {}
    if kind == "detente-duckdb":
        from detente.events import aggregate

        aggregate(store, by="dyad-month")  # warm the file cache and imports
        out["seconds"] = best(lambda: aggregate(store, by="dyad-month"), repeat)
    elif kind == "pandas-store":
        import pandas as pd

        def run() -> None:
            cols = ["source_cow", "target_cow", "quad_class", "goldstein"]
            df = pd.read_parquet(Path(store) / "events", columns=[*cols, "year", "month"])
            df = df.dropna(subset=["source_cow", "target_cow"])
            for k, name in enumerate(QUADS, start=1):
                df[name] = df["quad_class"] == k
            g = df.groupby(["source_cow", "target_cow", "year", "month"], observed=True).agg(
                events=("goldstein", "size"), gsum=("goldstein", "sum"),
                **{q: (q, "sum") for q in QUADS},
            )  # fmt: skip
            g["goldstein_mean"] = g["gsum"] / g["events"]
            g["coop_share"] = (g["verbal_coop"] + g["material_coop"]) / g["events"]

        out["seconds"] = best(run, repeat)
    elif kind in ("spark-detente", "spark-bare"):
        cores = int(args[3])
        pin(args)
        from detente.events import aggregate
        from detente.events.spark import spark_session

        spark = spark_session(f"local[{cores}]")
        spark.sparkContext.setLogLevel("ERROR")
        if kind == "spark-detente":
            def run() -> None:
                aggregate(store, by="dyad-month", engine="spark")
        else:
            from pyspark.sql import functions as F

            def run() -> None:
                df = spark.read.parquet(str(Path(store) / "events"))
                df = df.filter(F.col("source_cow").isNotNull() & F.col("target_cow").isNotNull())
                aggs = [F.count(F.lit(1)).alias("events"), F.sum("goldstein").alias("gsum")]
                aggs += [F.sum((F.col("quad_class") == k).cast("int")).alias(q) for k, q in enumerate(QUADS, 1)]
                g = df.groupBy("source_cow", "target_cow", "year", "month").agg(*aggs)
                g = g.withColumn("goldstein_mean", F.col("gsum") / F.col("events"))
                g = g.withColumn("coop_share", (F.col("verbal_coop") + F.col("material_coop")) / F.col("events"))
                g.toPandas()

        for _ in range(2):  # warm-up: JVM start, code generation, the JIT compiling the hot loops
            run()
        out["seconds"] = best(run, repeat)
        spark.stop()
    elif kind == "spark-raw":
        cores = int(args[3])
        pin(args)
        from pyspark.sql import functions as F

        from detente.events.spark import spark_session

        spark = spark_session(f"local[{cores}]")
        spark.sparkContext.setLogLevel("ERROR")

        def run() -> None:
            df = spark.read.parquet(store)
            df = df.filter(F.col("Actor1CountryCode").isNotNull() & F.col("Actor2CountryCode").isNotNull())
            aggs = [F.count(F.lit(1)).alias("events"), F.avg("GoldsteinScale").alias("goldstein_mean")]
            aggs += [F.sum((F.col("QuadClass") == k).cast("int")).alias(q) for k, q in enumerate(QUADS, 1)]
            g = df.groupBy("Actor1CountryCode", "Actor2CountryCode", "MonthYear").agg(*aggs)
            g = g.withColumn("coop_share", (F.col("verbal_coop") + F.col("material_coop")) / F.col("events"))
            g.toPandas()

        for _ in range(2):
            run()
        out["seconds"] = best(run, repeat)
        spark.stop()
    # VmHWM, not ru_maxrss: the latter carries the parent's high-water mark across fork+exec.
    status = Path("/proc/self/status").read_text()
    hwm = [line for line in status.splitlines() if line.startswith("VmHWM:")]
    out["peak_mb"] = (
        int(hwm[0].split()[1]) / 1024 if hwm else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    )
    print("RESULT " + json.dumps(out))


def pin(args: list[str]) -> None:
    """Restrict this process, and the JVM it starts, to ``args[3]`` CPUs unless ``args[4] == "free"``.

    ``local[1]`` alone runs one task at a time but leaves the JVM's compiler and garbage-collector
    threads free to use the other core, so it is not a one-core run; pinned, it is.
    """
    cores = int(args[3])
    if len(args) > 4 and args[4] == "free":
        return
    cpus = sorted(os.sched_getaffinity(0))
    os.sched_setaffinity(0, set(cpus[:cores]))


def in_subprocess(*args: str) -> dict[str, float]:
    proc = subprocess.run(
        [sys.executable, __file__, "--worker", *args], capture_output=True, text=True, check=False
    )
    for line in proc.stdout.splitlines():
        if line.startswith("RESULT "):
            return json.loads(line[7:])
    raise RuntimeError(f"worker {args[0]} failed:\n{proc.stderr[-3000:]}")


RAW_SQL = """
SELECT Actor1CountryCode, Actor2CountryCode, MonthYear, count(*) AS events,
  count(*) FILTER (WHERE QuadClass = 1) AS verbal_coop,
  count(*) FILTER (WHERE QuadClass = 2) AS material_coop,
  count(*) FILTER (WHERE QuadClass = 3) AS verbal_conflict,
  count(*) FILTER (WHERE QuadClass = 4) AS material_conflict,
  avg(GoldsteinScale) AS goldstein_mean,
  (count(*) FILTER (WHERE QuadClass <= 2)) / count(*) AS coop_share
FROM read_parquet('{glob}')
WHERE Actor1CountryCode IS NOT NULL AND Actor2CountryCode IS NOT NULL
GROUP BY ALL
"""


def raw_baselines(raw: Path, repeat: int) -> dict[str, float]:
    import duckdb
    import pandas as pd
    import polars as pl

    glob = str(raw / "*.parquet")
    con = duckdb.connect()
    out = {}
    out["duckdb_sql_raw"] = best(lambda: con.sql(RAW_SQL.format(glob=glob)).fetchall(), repeat)
    scan = (
        f"SELECT count(Actor1CountryCode), count(Actor2CountryCode), sum(MonthYear), sum(QuadClass), "
        f"sum(GoldsteinScale) FROM read_parquet('{glob}')"
    )
    out["duckdb_scan_raw"] = best(lambda: con.sql(scan).fetchall(), repeat)

    def polars_run() -> None:
        q = (
            pl.scan_parquet(glob)
            .filter(pl.col("Actor1CountryCode").is_not_null() & pl.col("Actor2CountryCode").is_not_null())
            .group_by("Actor1CountryCode", "Actor2CountryCode", "MonthYear")
            .agg(
                pl.len().alias("events"),
                *[(pl.col("QuadClass") == k).sum().alias(q) for k, q in enumerate(QUADS, 1)],
                pl.col("GoldsteinScale").mean().alias("goldstein_mean"),
                (pl.col("QuadClass") <= 2).mean().alias("coop_share"),
            )
        )
        q.collect()

    out["polars_raw"] = best(polars_run, repeat)

    def pandas_run() -> None:
        cols = ["Actor1CountryCode", "Actor2CountryCode", "MonthYear", "QuadClass", "GoldsteinScale"]
        df = pd.read_parquet(raw, columns=cols).dropna(subset=cols[:2])
        for k, q in enumerate(QUADS, 1):
            df[q] = df["QuadClass"] == k
        g = df.groupby(cols[:3]).agg(
            events=("GoldsteinScale", "size"), goldstein_mean=("GoldsteinScale", "mean"),
            **{q: (q, "sum") for q in QUADS},
        )  # fmt: skip
        g["coop_share"] = (g["verbal_coop"] + g["material_coop"]) / g["events"]

    out["pandas_raw"] = best(pandas_run, max(1, min(repeat, 2)))
    return out


def official_dtypes(nullable: bool = True) -> dict[str, object]:
    """pandas dtypes from GDELT's published GDELT 2.0 column types (STRING, INTEGER, FLOAT).

    STRING stays text (``str``: CAMEO codes keep their leading zeros), INTEGER is pandas'
    nullable ``Int64`` (GDELT marks every column NULLABLE) or, with ``nullable=False``, numpy's
    ``int64`` (which fails on an empty field), FLOAT is ``float64``.
    """
    import csv

    from detente import config

    path = Path(config.mirror_dir()) / "gdelt_v2_event_sample" / "gdelt2_event_columns_official.csv"
    with path.open(newline="") as fh:
        kinds = {r["tableId"]: r["dataType"] for r in csv.DictReader(fh)}
    integer = "Int64" if nullable else "int64"
    return {c: {"STRING": str, "INTEGER": integer, "FLOAT": "float64"}[k] for c, k in kinds.items()}


def interleaved(runs: dict[str, object], repeat: int, once: tuple[str, ...] = ()) -> dict[str, float]:
    """Best wall time of each callable, the callables taking turns (a shared machine's load then
    weighs on all of them alike); the names in ``once`` run at most twice."""
    out: dict[str, list[float]] = {name: [] for name in runs}
    for round_ in range(repeat):
        for name, fn in runs.items():
            if name in once and round_ >= 2:
                continue
            t = time.perf_counter()
            fn()
            out[name].append(time.perf_counter() - t)
    return {name: min(times) for name, times in out.items()}


def import_baselines(native: Path, repeat: int, work: Path) -> dict[str, float]:
    """detente's import of native GDELT 2.0 beside bare reads of the same file, in one run.

    detente's figure is the whole import: parse, check every row, resolve actor countries to
    CoW and G-W codes by date, and write the partitioned Parquet store (a new store each time).
    The bare reads only parse the file into memory.
    """
    import duckdb
    import pandas as pd
    import polars as pl
    import pyarrow.csv as pacsv

    from detente.events import import_events
    from detente.events.layouts import GDELT2_COLUMNS

    [path] = sorted(native.glob("*.CSV"))
    names = list(GDELT2_COLUMNS)
    dtypes, numpy_dtypes = official_dtypes(), official_dtypes(nullable=False)

    def detente_import() -> None:
        target = work / "native-store"
        shutil.rmtree(target, ignore_errors=True)
        report = import_events(path, target)
        assert report.bad == 0 and report.events > 0

    detente_import()  # warm imports and caches
    return interleaved(
        {
            "detente_import": detente_import,
            "pyarrow_read": lambda: pacsv.read_csv(
                path,
                read_options=pacsv.ReadOptions(column_names=names),
                parse_options=pacsv.ParseOptions(delimiter="\t", quote_char=False),
            ),
            "polars_read": lambda: pl.read_csv(
                path, separator="\t", has_header=False, quote_char=None, new_columns=names,
                infer_schema_length=10000,
            ),
            "duckdb_read": lambda: duckdb.sql(
                f"SELECT * FROM read_csv('{path}', delim='\\t', header=false, quote='', names={names})"
            ).to_arrow_table(),
            "pandas_read_csv": lambda: pd.read_csv(
                path, sep="\t", header=None, names=names, dtype=dtypes, engine="c", quoting=3
            ),
            "pandas_read_csv_numpy": lambda: pd.read_csv(
                path, sep="\t", header=None, names=names, dtype=numpy_dtypes, engine="c", quoting=3
            ),
            "pandas_read_csv_inferred": lambda: pd.read_csv(
                path, sep="\t", header=None, names=names, engine="c", quoting=3, low_memory=False
            ),
        },
        repeat,
        once=("pandas_read_csv", "pandas_read_csv_numpy", "pandas_read_csv_inferred"),
    )


def aggregation_rows(raw: Path, store: Path, n: int, repeat: int) -> list[tuple[str, float, str]]:
    """The dyad-month aggregation: raw-layout baselines, then detente's store and pandas on it."""
    base = raw_baselines(raw, repeat)
    det = in_subprocess("detente-duckdb", str(store), str(repeat))
    pst = in_subprocess("pandas-store", str(store), str(max(1, min(repeat, 2))))
    rate = n / det["seconds"] / 1e6
    return [
        ("DuckDB SQL, raw 61-column Parquet", base["duckdb_sql_raw"], ""),
        ("DuckDB bare scan, raw Parquet", base["duckdb_scan_raw"], ""),
        ("polars, raw Parquet", base["polars_raw"], ""),
        ("pandas, raw Parquet", base["pandas_raw"], ""),
        ("**detente aggregate (DuckDB), canonical store**", det["seconds"],
         f"{rate:.0f} M events/s (target 80, floor 40); peak {det['peak_mb']:.0f} MB (< 2048); "
         f"{pst['seconds'] / det['seconds']:.1f}x pandas (>= 4)"),
        ("pandas, canonical store", pst["seconds"], f"peak {pst['peak_mb']:.0f} MB"),
    ]  # fmt: skip


def import_rows(native: Path, rows: int, repeat: int, work: Path) -> list[tuple[str, float, str]]:
    """The native import beside the bare reads, with the ratios."""
    imp = import_baselines(native, repeat, work)
    det = imp["detente_import"]

    def vs(name: str) -> str:
        if imp[name] > det:
            return f"the detente import is {imp[name] / det:.2f}x faster"
        return f"{det / imp[name]:.2f}x faster than the detente import"

    return [
        (f"**detente import, native TSV ({rows:,} rows), end to end**", det,
         f"{imp['pandas_read_csv'] / det:.1f}x pandas read_csv with GDELT's published types (>= 6); "
         f"{imp['pandas_read_csv_numpy'] / det:.1f}x with numpy integers; "
         f"{imp['pandas_read_csv_inferred'] / det:.1f}x with inferred types"),
        ("pandas read_csv (C engine, dtype= GDELT's published types: str, Int64, float64), native",
         imp["pandas_read_csv"], vs("pandas_read_csv")),
        ("pandas read_csv (C engine, dtype= str, int64, float64), native", imp["pandas_read_csv_numpy"],
         vs("pandas_read_csv_numpy")),
        ("pandas read_csv (C engine, types inferred), native", imp["pandas_read_csv_inferred"],
         vs("pandas_read_csv_inferred")),
        ("pyarrow read_csv, native (parse only)", imp["pyarrow_read"], vs("pyarrow_read")),
        ("polars read_csv, native (parse only)", imp["polars_read"], vs("polars_read")),
        ("DuckDB read_csv, native (parse only)", imp["duckdb_read"], vs("duckdb_read")),
    ]  # fmt: skip


def spark_rows(raw: Path, store: Path, repeat: int) -> list[tuple[str, float, str]]:
    """Bare PySpark and detente's Spark engine on 2 cores and on 1 (the process pinned to one CPU)."""
    s2 = in_subprocess("spark-raw", str(raw), str(repeat), "2")
    s1 = in_subprocess("spark-raw", str(raw), str(repeat), "1")
    d2 = in_subprocess("spark-detente", str(store), str(repeat), "2")
    d1 = in_subprocess("spark-detente", str(store), str(repeat), "1")
    d1_free = in_subprocess("spark-detente", str(store), str(repeat), "1", "free")
    b2 = in_subprocess("spark-bare", str(store), str(repeat), "2")
    return [
        ("bare PySpark local[2], raw Parquet", s2["seconds"], ""),
        ("bare PySpark local[1] on one CPU, raw Parquet", s1["seconds"],
         f"1 -> 2 cores: {s1['seconds'] / s2['seconds']:.2f}x"),
        ("bare PySpark local[2], canonical store", b2["seconds"], ""),
        ("**detente Spark engine local[2], canonical store**", d2["seconds"],
         f"{d2['seconds'] / b2['seconds']:.2f}x bare PySpark (<= 1.2)"),
        ("detente Spark engine local[1] on one CPU, canonical store", d1["seconds"],
         f"1 -> 2 cores: {d1['seconds'] / d2['seconds']:.2f}x (>= 1.7)"),
        ("detente Spark engine local[1], JVM free to use both CPUs", d1_free["seconds"],
         f"one task slot, not one core: {d1_free['seconds'] / d2['seconds']:.2f}x"),
    ]  # fmt: skip


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--worker":
        _worker(sys.argv[2:])
        return
    parser = argparse.ArgumentParser(description="events engine benchmark")
    parser.add_argument("--events", type=int, default=50_000_000, help="synthetic events (default 50 M)")
    parser.add_argument("--native-rows", type=int, default=1_000_000, help="rows of native TSV to import")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--workdir", help="keep generated data here (default: a temporary directory)")
    parser.add_argument("--skip-spark", action="store_true")
    parser.add_argument("--only-import", action="store_true", help="measure the native import only")
    parser.add_argument("--skip-import", action="store_true", help="leave out the native import rows")
    parser.add_argument("--only-spark", action="store_true", help="measure the Spark rows only")
    parser.add_argument("--seed", type=int, default=20170701)
    args = parser.parse_args()

    from detente.events import import_events
    from generate_gdelt import generate

    work = Path(args.workdir) if args.workdir else Path(tempfile.mkdtemp(prefix="detente-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    raw, native, store = work / f"raw-{args.events}", work / f"native-{args.native_rows}", work / f"store-{args.events}"
    timings: dict[str, float] = {}
    if not args.only_import and not (raw / "_DONE").exists():
        t = time.perf_counter()
        generate(raw, args.events, fmt="parquet", seed=args.seed)
        (raw / "_DONE").write_text("")
        timings["generate_raw"] = time.perf_counter() - t
    if not (args.skip_import or args.only_spark) and not (native / "_DONE").exists():
        generate(native, args.native_rows, fmt="native", seed=args.seed + 1, file_rows=args.native_rows)
        (native / "_DONE").write_text("")
    if not args.only_import and not (store / "imports").exists():
        t = time.perf_counter()
        report = import_events(raw, store)
        timings["store_build"] = time.perf_counter() - t
        assert report.events == args.events, report.events
    n = args.events
    load = os.getloadavg()
    print(f"events: {n:,}; native rows: {args.native_rows:,}; cores: {os.cpu_count()}; work dir: {work}")
    print(f"load average at start: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")

    rows: list[tuple[str, float, str]] = []
    if not (args.only_import or args.only_spark):
        rows += aggregation_rows(raw, store, n, args.repeat)
    if not (args.skip_import or args.only_spark):
        rows += import_rows(native, args.native_rows, args.repeat, work)
    if not (args.skip_spark or args.only_import):
        rows += spark_rows(raw, store, args.repeat)
    load = os.getloadavg()
    print(f"load average at end: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    print()
    print("| measurement | seconds | notes |")
    print("|---|---:|---|")
    for name, seconds, note in rows:
        print(f"| {name} | {seconds:.3f} | {note} |")
    for name, seconds in timings.items():
        print(f"| ({name.replace('_', ' ')}) | {seconds:.1f} | once, not a target |")
    if not args.workdir:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
