"""Benchmark of the methods layer beside R on the same machine.

Times (1) the Cox model on Fortna's counting-process data with cluster-robust SEs and (2) a
logit with dyad-clustered SEs on the full directed dyad-year panel (CoW members 1816-2016 with
a MID-onset outcome, about 2 million rows). R (survival, sandwich) runs the same models in the
same run through ``Rscript`` when it is installed; only model fitting is timed on both sides
(reading the data is not), as the median of repeated runs.

Usage::

    python benchmarks/bench_methods.py [--mirror DIR] [--repeat N]

The dyad-year panel is built by ``detente.panel.dyad_years`` when a store with the CoW tables is
available (``--store FILE``), else by a DuckDB cross join straight from the mirror's CSVs.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import tempfile
import time
import warnings
from pathlib import Path

import duckdb
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]

COX_RHS = "pk_dum + victory + treaty + wartype + logdead"
LOGIT_F = "mid_onset ~ major_a + major_b + contig_land + decade"


def dyad_years_duckdb(mirror: Path) -> pd.DataFrame:
    """Directed dyad-years of CoW members (a state-year x state-year join), with MID onset."""
    states = mirror / "cow_state_system" / "cow_states_v2016.csv"
    majors = mirror / "cow_state_system" / "cow_majors_v2016.csv"
    mids = mirror / "cow_mid" / "cow_mid_ddydisps_v5.csv"
    con = duckdb.connect()
    con.execute("SET threads TO 2")
    sql = f"""
    WITH sy AS (
        SELECT DISTINCT ccode, y AS year
        FROM read_csv_auto('{states}') s, range(s.styear, s.endyear + 1) r(y)
    ),
    mj AS (
        SELECT DISTINCT ccode, y AS year
        FROM read_csv_auto('{majors}') m, range(m.styear, m.endyear + 1) r(y)
    ),
    onset AS (
        SELECT ccode1, ccode2, year, max(cowmidonset) AS onset
        FROM read_csv_auto('{mids}') GROUP BY ALL
    )
    SELECT a.ccode AS ccode1, b.ccode AS ccode2, a.year,
           a.ccode * 1000 + b.ccode AS dyad,
           coalesce(o.onset, 0)::INT AS mid_onset,
           (ma.ccode IS NOT NULL)::INT AS major_a,
           (mb.ccode IS NOT NULL)::INT AS major_b,
           -- A crude proximity proxy (same CoW region block of codes); a real contiguity
           -- enricher lives in detente.panel, this only gives the model a third regressor.
           (a.ccode // 100 = b.ccode // 100)::INT AS contig_land,
           ((a.year - 1816) // 10)::INT AS decade
    FROM sy a JOIN sy b ON a.year = b.year AND a.ccode <> b.ccode
    LEFT JOIN mj ma ON ma.ccode = a.ccode AND ma.year = a.year
    LEFT JOIN mj mb ON mb.ccode = b.ccode AND mb.year = a.year
    LEFT JOIN onset o ON o.ccode1 = a.ccode AND o.ccode2 = b.ccode AND o.year = a.year
    """
    return con.execute(sql).df()


def _median_time(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


R_COX = """
suppressMessages(library(survival))
d <- read.csv("{path}")
f <- function() coxph(Surv(X_t0, X_t, X_d) ~ pk_dum + victory + treaty + wartype + logdead + cluster(id),
                      data = d, ties = "efron")
invisible(f())
ts <- replicate({repeat}, system.time(f())[["elapsed"]])
cat(median(ts), "\\n")
"""

R_LOGIT = """
suppressMessages(library(sandwich))
d <- read.csv("{path}")
f <- function() {{
  m <- glm(mid_onset ~ major_a + major_b + contig_land + decade, family = binomial, data = d)
  sqrt(diag(vcovCL(m, cluster = ~dyad, type = "HC1")))
}}
ts <- replicate({repeat}, system.time(f())[["elapsed"]])
cat(median(ts), "\\n")
"""


def _r_time(script: str) -> float | None:
    if shutil.which("Rscript") is None:
        return None
    with tempfile.NamedTemporaryFile("w", suffix=".R", delete=False) as fh:
        fh.write(script)
        path = fh.name
    try:
        out = subprocess.run(["Rscript", path], capture_output=True, text=True, check=True, timeout=3600)
        return float(out.stdout.strip().split()[-1])
    except (subprocess.SubprocessError, ValueError):
        return None
    finally:
        os.unlink(path)


def main() -> None:
    from detente.methods import cox, logit

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mirror", type=Path, default=Path(os.environ.get("DETENTE_MIRROR", ROOT.parent / "shared" / "data")))
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--store", type=Path, default=None, help="a detente store with the CoW tables imported")
    args = ap.parse_args()
    warnings.simplefilter("ignore")
    rows = []
    r_available = shutil.which("Rscript") is not None

    fortna_csv = args.mirror / "fortna_peacekeeping_duration" / "fortna_pk_pkept.csv"
    fortna = pd.read_csv(fortna_csv)
    t_py = _median_time(
        lambda: cox(COX_RHS, fortna, entry="_t0", duration="_t", event="_d", cluster="id"), max(args.repeat, 20)
    )
    t_r = _r_time(R_COX.format(path=fortna_csv.as_posix(), repeat=max(args.repeat, 20)))
    rows.append(("Cox, Fortna counting process, cluster(id)", len(fortna), t_py, t_r))

    t0 = time.perf_counter()
    panel = None
    source = "DuckDB cross join of CoW members (mirror CSVs)"
    if args.store is not None:
        try:
            from detente.panel import dyad_years

            panel = dyad_years("cow", store=args.store).add_majors().add_gml_mids().to_pandas()
            source = "detente.panel.dyad_years"
        except Exception as exc:  # the panel layer is optional for this benchmark
            print(f"panel API unavailable ({exc}); using the DuckDB join")
            panel = None
    if panel is None:
        panel = dyad_years_duckdb(args.mirror)
    build = time.perf_counter() - t0
    t_py = _median_time(lambda: logit(LOGIT_F, panel, cluster="dyad"), args.repeat)
    t_r = None
    if r_available:
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "dyads.csv"
            panel[["mid_onset", "major_a", "major_b", "contig_land", "decade", "dyad"]].to_csv(path, index=False)
            t_r = _r_time(R_LOGIT.format(path=path.as_posix(), repeat=args.repeat))
    rows.append((f"clustered logit, dyad-years ({source})", len(panel), t_py, t_r))

    print(f"dyad-year panel built in {build:.2f} s ({len(panel):,} rows, {panel.dyad.nunique():,} dyads)")
    print()
    print(f"{'model':<62} {'rows':>10} {'detente s':>10} {'R s':>10} {'R/detente':>10}")
    for name, n, tp, tr in rows:
        rs = "absent" if tr is None and not r_available else ("failed" if tr is None else f"{tr:.4f}")
        ratio = "" if tr is None else f"{tr / tp:.2f}"
        print(f"{name:<62} {n:>10,} {tp:>10.4f} {rs:>10} {ratio:>10}")
    if not r_available:
        print("Rscript is not installed: R's times were not measured.")


if __name__ == "__main__":
    main()
