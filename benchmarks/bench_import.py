"""Cold import of the whole mirror versus a bare pandas read of the same files, in the same run.

Usage: ``python benchmarks/bench_import.py [--repeat N]`` with ``DETENTE_MIRROR`` set (default
``../shared/data``). Each round times, one after the other, the bare pandas read, the import in
this process, and ``detente data import`` in a fresh process (its start-up included), each into a
new store; rounds alternate so that a change in machine load touches all three alike. Prints the
best of N for each, the ratios to the bare read (target: <= 4x) and the load average.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

from detente import config
from detente.sources import all_sources

TARGET = 4.0


def bare_pandas_read(mirror: Path) -> int:
    """Read every mirror file with pandas' defaults for its format; return the total rows."""
    rows = 0
    for source in all_sources().values():
        for spec in source.files:
            path = mirror / source.id / spec.name
            if spec.format == "parquet":
                frame = pd.read_parquet(path)
            else:
                frame = pd.read_csv(path, sep=spec.delimiter, encoding=spec.encoding, low_memory=False)
            rows += len(frame)
    return rows


def detente_import(mirror: Path, in_process: bool) -> int:
    """Import everything into a fresh store; return the rows imported."""
    with tempfile.TemporaryDirectory() as tmp:
        store = Path(tmp) / "bench.duckdb"
        if in_process:
            from detente.store import connect
            from detente.store.importer import import_all

            con = connect(store)
            try:
                done = import_all(con, mirror)
            finally:
                con.close()
            return sum(f.rows for f in done)
        # as a user runs it (progress bar and summary table included), output captured
        subprocess.run(
            [sys.executable, "-m", "detente.cli.main", "data", "import",
             "--mirror", str(mirror), "--store", str(store)],
            check=True, capture_output=True,
        )
        return -1


def timed(fn) -> tuple[float, int]:
    started = time.perf_counter()
    out = fn()
    return time.perf_counter() - started, out


def load() -> str:
    return "/".join(f"{x:.1f}" for x in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    mirror = config.mirror_dir()
    assert mirror is not None
    sources = all_sources()
    n_files = sum(len(s.files) for s in sources.values())
    n_rows = sum(f.rows for s in sources.values() for f in s.files)
    runs: dict[str, list[float]] = {"pandas": [], "inproc": [], "cli": []}
    load_before = load()
    for _ in range(args.repeat):
        seconds, rows = timed(lambda: bare_pandas_read(mirror))
        assert rows == n_rows, (rows, n_rows)
        runs["pandas"].append(seconds)
        seconds, rows = timed(lambda: detente_import(mirror, in_process=True))
        assert rows == n_rows, (rows, n_rows)
        runs["inproc"].append(seconds)
        runs["cli"].append(timed(lambda: detente_import(mirror, in_process=False))[0])
    pandas_s, inproc_s, cli_s = (min(runs[k]) for k in ("pandas", "inproc", "cli"))
    print(f"{len(sources)} datasets, {n_files} files, {n_rows:,} rows; best of {args.repeat}; "
          f"{os.cpu_count()} CPUs, load average {load_before} before, {load()} after")
    print(f"{'what':<48} {'seconds':>8} {'vs pandas':>10}")
    print(f"{'bare pandas read_csv/read_parquet':<48} {pandas_s:8.2f} {1.0:10.2f}")
    print(f"{'detente import, validated (in process)':<48} {inproc_s:8.2f} {inproc_s / pandas_s:10.2f}")
    print(f"{'detente data import (CLI, cold process)':<48} {cli_s:8.2f} {cli_s / pandas_s:10.2f}")
    for what, s in (("in process", inproc_s), ("CLI", cli_s)):
        verdict = "meets" if s / pandas_s <= TARGET else "misses"
        print(f"target: import <= {TARGET:.0f}x the bare read; {what}: {verdict}")


if __name__ == "__main__":
    main()
