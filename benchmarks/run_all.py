"""Run every benchmark in turn and print their tables (``make bench``).

Each benchmark prepares what it needs from the mirror (``DETENTE_MIRROR``) in temporary
directories and compares itself with a baseline measured in the same run.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent

#: (script, extra arguments) in the order they run.
BENCHMARKS = (
    ("bench_import.py", []),
    ("bench_panel.py", []),
    ("bench_methods.py", []),
    ("bench_measures.py", []),
    ("bench_events.py", []),
)


def main() -> int:
    failed = []
    for script, args in BENCHMARKS:
        path = HERE / script
        print(f"\n### {script}", flush=True)
        began = time.perf_counter()
        proc = subprocess.run([sys.executable, str(path), *args], check=False)
        print(f"({script}: {time.perf_counter() - began:.0f} s, exit {proc.returncode})", flush=True)
        if proc.returncode:
            failed.append(script)
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
