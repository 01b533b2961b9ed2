"""Time every measure for one engagement type across all partners, and the demo after installation.

Usage: ``python benchmarks/bench_measures.py [--skip-demo]`` with ``DETENTE_MIRROR`` set. Builds a
store and a registry with the public record in a temporary directory first (not timed), then times
each measure (target: under 10 s each) and a full ``python -m detente.demo`` in a fresh data
directory (target: under 2 minutes on 2 cores).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

from detente import config
from detente.metrics import MEASURES, Scope, get_measure

#: (measure, scope) pairs timed: each measure on the engagement type it is usually asked about.
QUESTIONS = (
    ("peace_duration", Scope(type="peacekeeping")),
    ("hostilities", Scope(type="joint_exercise")),
    ("trade_agreements", Scope(type="forward_presence", contributor=2)),
    ("communication", Scope(type="forward_presence", contributor=2)),
    ("objectives", Scope(type="reconstruction")),
    ("acceptance", Scope(type="forward_presence", contributor=2)),
    ("long_term", Scope(type="forward_presence", contributor=2)),
)


def prepare(tmp: Path) -> tuple[Path, str]:
    """Import the mirror and the public record into ``tmp`` (not timed)."""
    from detente.registry import import_public, open_registry
    from detente.store import connect
    from detente.store.importer import import_all

    store = tmp / "bench.duckdb"
    con = connect(store)
    import_all(con, config.mirror_dir())
    con.close()
    url = f"sqlite:///{tmp / 'bench.registry.sqlite'}"
    reg = open_registry(url, store=store)
    import_public(reg, store=store)
    reg.close()
    return store, url


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--skip-demo", action="store_true")
    args = parser.parse_args()
    assert {m for m, _ in QUESTIONS} == set(MEASURES)
    with tempfile.TemporaryDirectory() as tmpdir:
        tmp = Path(tmpdir)
        store, url = prepare(tmp)
        print(f"{'measure':<18} {'scope':<40} {'seconds':>8}  {'target':>6}  verdict")
        for name, scope in QUESTIONS:
            fn = get_measure(name)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                began = time.perf_counter()
                result = fn(scope, store=store, registry=url)
                took = time.perf_counter() - began
            verdict = "meets" if took < 10 else "MISSES"
            note = f" ({len(result.warnings)} warnings)" if result.warnings else ""
            print(f"{name:<18} {scope.label:<40} {took:8.2f}  {10:>6}  {verdict}{note}")
        if args.skip_demo:
            return
        env = dict(os.environ, DETENTE_HOME=str(tmp / "home"), DETENTE_REPORT=str(tmp / "report.html"))
        env.pop("DETENTE_STORE", None)
        env.pop("DETENTE_REGISTRY_URL", None)
        began = time.perf_counter()
        subprocess.run([sys.executable, "-m", "detente.demo"], env=env, check=True, capture_output=True)
        took = time.perf_counter() - began
        print(f"{'make demo (main job, after installation)':<59} {took:8.1f}  {120:>6}  {'meets' if took < 120 else 'MISSES'}")


if __name__ == "__main__":
    main()
