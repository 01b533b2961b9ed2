"""DuckDB aggregates an input larger than its memory cap by spilling to disk, and stays within it.

A dyad-day aggregate of a million synthetic events has about a million groups: its hash table
and its sort need about twice the 64 MB cap. Each run happens in a fresh process (so its peak
resident memory is its own), streaming the result to a Parquet file; the capped run must spill
to its temporary directory, keep DuckDB's buffers under the cap and the process's memory growth
within cap plus a fixed allowance, and give exactly the uncapped result.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

CAP_MB = 64
#: Memory a run may use outside DuckDB's buffer manager (Parquet readers, allocator caches).
ALLOWANCE_MB = 64

RUN = r"""
import json, os, sys, threading, time
from pathlib import Path

import duckdb, pyarrow.parquet  # loaded before the baseline is taken

from detente.events import aggregate

store, out, spill, profile, cap = sys.argv[1:6]


def status(field):
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) * 1024


sizes = [0]
done = threading.Event()


def watch():  # the temporary directory while DuckDB works
    while not done.is_set():
        try:
            sizes.append(sum(e.stat().st_size for e in os.scandir(spill) if e.is_file()))
        except FileNotFoundError:
            pass
        time.sleep(0.002)


watcher = threading.Thread(target=watch)
watcher.start()
before = status("VmRSS")
rows = aggregate(store, by="dyad-day", memory_limit=cap or None, temp_directory=spill, threads=1,
                 output=out, stream=True,
                 duckdb_config={"enable_profiling": "json", "profiling_output": profile})
done.set()
watcher.join()
print(json.dumps({"rows": rows, "growth": status("VmHWM") - before, "seen": max(sizes),
                  "system": json.loads(Path(profile).read_text())["system"]}))
"""


def _run(store: Path, work: Path, cap: str) -> tuple[dict, pd.DataFrame]:
    work.mkdir()
    out = work / "result.parquet"
    args = [str(store), str(out), str(work / "spill"), str(work / "profile.json"), cap]
    proc = subprocess.run(
        [sys.executable, "-c", RUN, *args], capture_output=True, text=True, check=False,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.splitlines()[-1]), pd.read_parquet(out)


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="peak memory is read from /proc (Linux)")
def test_aggregation_spills_under_a_memory_cap(synthetic_store: Path, tmp_path: Path) -> None:
    free, expected = _run(synthetic_store, tmp_path / "free", "")
    capped, got = _run(synthetic_store, tmp_path / "capped", f"{CAP_MB}MB")
    cap = CAP_MB << 20
    # The job needs more than the cap: uncapped, DuckDB's buffers grow past it and nothing spills.
    assert free["system"]["peak_buffer_memory"] > 1.5 * cap
    assert free["system"]["total_bytes_spilled"] == 0 and free["seen"] == 0
    # Capped, it spills: DuckDB reports it, and spill files were seen in the temporary directory.
    assert capped["system"]["total_bytes_spilled"] > 0
    assert capped["system"]["peak_temp_dir_size"] > 0
    assert capped["seen"] > 0
    # ...its buffers stay under the cap, and the process grows by no more than cap + allowance.
    assert capped["system"]["peak_buffer_memory"] <= cap
    assert capped["growth"] <= cap + (ALLOWANCE_MB << 20), capped["growth"] >> 20
    assert capped["growth"] < free["growth"]
    # The answer is the same, row for row.
    assert capped["rows"] == free["rows"] == len(expected) > 900_000
    assert list(got.columns) == list(expected.columns)
    floats = ["goldstein_mean", "goldstein_sum", "coop_share"]
    pd.testing.assert_frame_equal(got.drop(columns=floats), expected.drop(columns=floats))
    assert ((got[floats] - expected[floats]).abs().max() <= 1e-9).all()
