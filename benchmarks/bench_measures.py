"""Time every measure for one engagement type across all partners, every type, and the demo.

Usage::

    python benchmarks/bench_measures.py [--type TYPE] [--only-type] [--warm N] [--skip-demo]
                                        [--store FILE --registry URL]

with ``DETENTE_MIRROR`` set. Builds a store and a registry with the public record in a temporary
directory first (not timed; ``--store``/``--registry`` reuse existing ones instead), then:

1. times all seven measures for one engagement type (``--type``, default ``joint_exercise``)
   across all contributors and partners (target: under 10 s each);
2. unless ``--only-type``, times every measure for every engagement type in the public record,
   so that no type exceeds the budget;
3. unless ``--skip-demo``, times ``python -m detente.demo`` in a fresh data directory (target:
   under 2 minutes on 2 cores).

Each measure and type runs in a fresh process: the *cold* time is its first call there, store
access and lazy imports included (not the interpreter start and ``import detente``); *warm* is
the best of ``--warm`` further calls in the same process. The machine load (1-minute average)
is printed beside the figures, since timings on a shared machine vary with it.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

TARGET = 10.0
DEMO_TARGET = 120.0
MEASURE_NAMES = ("peace_duration", "hostilities", "trade_agreements", "communication", "objectives",
                 "acceptance", "long_term")


def prepare(tmp: Path) -> tuple[Path, str]:
    """Import the mirror and the public record into ``tmp`` (not timed)."""
    from detente import config
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


def engagement_types(url: str) -> list[str]:
    """The engagement types present in the registry, most engagements first."""
    from detente.registry import engagements_frame, open_registry

    reg = open_registry(url, check_codes=False, migrate=False)
    try:
        counts = engagements_frame(reg)["type"].value_counts()
    finally:
        reg.close()
    return [str(t) for t in counts.index]


def worker(measure: str, type_: str, store: str, url: str, warm: int) -> dict:
    """Run one measure on one type: a cold call, then ``warm`` calls; times and what came out."""
    from detente.metrics import Scope, get_measure

    fn = get_measure(measure)
    scope = Scope(type=type_)
    times = []
    result = None
    error = None
    for _ in range(1 + warm):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            began = time.perf_counter()
            try:
                result = fn(scope, store=store, registry=url)
            except Exception as exc:  # a failing measure is reported, not fatal to the benchmark
                error = f"{type(exc).__name__}: {exc}"
            times.append(time.perf_counter() - began)
        if error:
            break
    out = {"measure": measure, "type": type_, "cold": times[0], "warm": min(times[1:]) if len(times) > 1 else None,
           "error": error}
    if result is not None:
        est = result.estimates
        out["estimates"] = len(est)
        out["warnings"] = len(result.warnings)
        out["first_quantity"] = str(est["quantity"].iloc[0]) if len(est) else None
        out["first_warning"] = result.warnings[0] if result.warnings else None
    return out


def run_worker(measure: str, type_: str, store: Path, url: str, warm: int) -> dict:
    """:func:`worker` in a fresh interpreter."""
    cmd = [sys.executable, __file__, "--worker", measure, type_, "--store", str(store), "--registry", url,
           "--warm", str(warm)]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if proc.returncode:
        return {"measure": measure, "type": type_, "cold": float("nan"), "warm": None,
                "error": (proc.stderr.strip().splitlines() or ["crashed"])[-1]}
    return json.loads(proc.stdout.strip().splitlines()[-1])


def load() -> str:
    return f"{os.getloadavg()[0]:.1f}"


def _secs(x: float | None) -> str:
    return "-" if x is None or x != x else f"{x:.1f}"


def _verdict(r: dict) -> str:
    if r.get("error"):
        return "FAILS"
    worst = max(r["cold"], r["warm"] or 0.0)
    return "meets" if worst < TARGET else "MISSES"


def print_type_table(rows: list[dict], type_: str) -> None:
    print(f"\nAll measures, type {type_!r}, all contributors and partners (target {TARGET:.0f} s each)")
    print(f"{'measure':<18} {'cold s':>7} {'warm s':>7} {'load':>5}  {'verdict':<7} output")
    for r in rows:
        if r.get("error"):
            what = r["error"][:90]
        elif r.get("estimates"):
            what = f"{r['estimates']} estimates, {r['warnings']} warnings"
        else:
            what = f"no estimate: {(r.get('first_warning') or '')[:80]}"
        print(f"{r['measure']:<18} {_secs(r['cold']):>7} {_secs(r['warm']):>7} {r['load']:>5}  "
              f"{_verdict(r):<7} {what}")


def print_matrix(rows: list[dict], types: list[str], measures: list[str]) -> None:
    print(f"\nEvery measure x every engagement type: cold / best warm seconds (target {TARGET:.0f} s); "
          "! over budget, E fails, * no estimate")
    width = max(13, *(len(t) + 1 for t in types))
    print(f"{'measure':<18}" + "".join(f"{t:>{width}}" for t in types))
    by = {(r["measure"], r["type"]): r for r in rows}
    for m in measures:
        cells = []
        for t in types:
            r = by[(m, t)]
            verdict = _verdict(r)
            mark = {"FAILS": "E", "MISSES": "!"}.get(verdict, "" if r.get("estimates") else "*")
            cells.append(f"{_secs(r['cold'])}/{_secs(r['warm'])}{mark:<1}".rjust(width))
        print(f"{m:<18}" + "".join(cells))
    loads = [float(r["load"]) for r in rows]
    slow = [r for r in rows if _verdict(r) != "meets"]
    print(f"{len(rows) - len(slow)} of {len(rows)} runs within {TARGET:.0f} s (load {min(loads):.1f}-{max(loads):.1f})")
    for r in slow:
        what = r["error"] if r.get("error") else f"cold {_secs(r['cold'])} s, warm {_secs(r['warm'])} s"
        print(f"  {_verdict(r).lower()} {r['measure']}/{r['type']}: {what}")
    for r in rows:
        if not r.get("error") and not r.get("estimates"):
            print(f"  no estimate {r['measure']}/{r['type']}: {r.get('first_warning')}")


def time_demo(tmp: Path) -> None:
    env = dict(os.environ, DETENTE_HOME=str(tmp / "home"), DETENTE_REPORT=str(tmp / "report.html"))
    env.pop("DETENTE_STORE", None)
    env.pop("DETENTE_REGISTRY_URL", None)
    before = load()
    began = time.perf_counter()
    subprocess.run([sys.executable, "-m", "detente.demo"], env=env, check=True, capture_output=True)
    took = time.perf_counter() - began
    print(f"\n{'make demo (main job, after installation)':<44} {took:8.1f} s  target {DEMO_TARGET:.0f}  "
          f"load {before}  {'meets' if took < DEMO_TARGET else 'MISSES'}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--type", default="joint_exercise", help="the engagement type of the first table")
    parser.add_argument("--only-type", action="store_true", help="skip the table of every type")
    parser.add_argument("--measures", nargs="+", choices=MEASURE_NAMES, default=list(MEASURE_NAMES))
    parser.add_argument("--warm", type=int, default=2, help="warm calls after the cold one")
    parser.add_argument("--skip-demo", action="store_true")
    parser.add_argument("--store", help="an existing store with the mirror imported (skips preparation)")
    parser.add_argument("--registry", help="registry URL with the public record (with --store)")
    parser.add_argument("--worker", nargs=2, metavar=("MEASURE", "TYPE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(worker(*args.worker, args.store, args.registry, args.warm)))
        return
    from detente.metrics import MEASURES

    assert set(MEASURE_NAMES) == set(MEASURES), "the benchmark must time every measure"
    if bool(args.store) != bool(args.registry):
        parser.error("--store and --registry go together")
    with tempfile.TemporaryDirectory() as tmpdir:
        tmp = Path(tmpdir)
        if args.store:
            store, url = Path(args.store), args.registry
        else:
            store, url = prepare(tmp)
        types = engagement_types(url)
        if args.type not in types:
            parser.error(f"type {args.type!r} is not in the public record ({', '.join(types)})")
        print(f"cpus {os.cpu_count()}, load at start {load()}; each run in a fresh process, "
              f"cold call then best of {args.warm} warm calls")
        run_types = [args.type] if args.only_type else [args.type] + [t for t in types if t != args.type]
        rows = []
        for t in run_types:
            for m in args.measures:
                r = run_worker(m, t, store, url, args.warm)
                r["load"] = load()
                rows.append(r)
            if t == args.type:
                print_type_table([r for r in rows if r["type"] == t], t)
                sys.stdout.flush()
        if not args.only_type:
            print_matrix(rows, run_types, args.measures)
        if not args.skip_demo:
            time_demo(tmp)


if __name__ == "__main__":
    main()
