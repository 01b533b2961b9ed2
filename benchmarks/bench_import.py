"""Cold import of the whole mirror versus a bare pandas read of the same files, in the same run.

Usage: ``python benchmarks/bench_import.py [--repeat N]`` with ``DETENTE_MIRROR`` set (default
``../shared/data``). Prints a table: best-of-N seconds for each, and the ratio (target: <= 4x).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

from detente import config
from detente.sources import all_sources


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


def detente_import(mirror: Path, in_process: bool) -> float:
    """Import everything into a fresh store; return the seconds taken."""
    with tempfile.TemporaryDirectory() as tmp:
        store = Path(tmp) / "bench.duckdb"
        started = time.perf_counter()
        if in_process:
            from detente.store import connect
            from detente.store.importer import import_all

            con = connect(store)
            import_all(con, mirror)
            con.close()
        else:
            subprocess.run(
                [sys.executable, "-m", "detente.cli.main", "data", "import", "--quiet",
                 "--mirror", str(mirror), "--store", str(store)],
                check=True,
            )
        return time.perf_counter() - started


def best(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        out = fn()
        times.append(out if isinstance(out, float) else time.perf_counter() - started)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    mirror = config.mirror_dir()
    assert mirror is not None
    n_files = sum(len(s.files) for s in all_sources().values())
    pandas_s = best(lambda: bare_pandas_read(mirror) and None, args.repeat)
    inproc_s = best(lambda: detente_import(mirror, in_process=True), args.repeat)
    cli_s = best(lambda: detente_import(mirror, in_process=False), args.repeat)
    print(f"{len(all_sources())} datasets, {n_files} files, best of {args.repeat}")
    print(f"{'what':<48} {'seconds':>8} {'vs pandas':>10}")
    print(f"{'bare pandas read_csv/read_parquet':<48} {pandas_s:8.2f} {1.0:10.2f}")
    print(f"{'detente import, validated (in process)':<48} {inproc_s:8.2f} {inproc_s / pandas_s:10.2f}")
    print(f"{'detente data import (CLI, cold process)':<48} {cli_s:8.2f} {cli_s / pandas_s:10.2f}")
    target = 4.0
    verdict = "meets" if cli_s / pandas_s <= target else "misses"
    print(f"target: import <= {target:.0f}x the bare read -> {verdict}")


if __name__ == "__main__":
    main()
