"""Benchmark of the methods layer beside R on the same machine.

Times (1) the Cox model on Fortna's counting-process data with cluster-robust SEs, against
``survival::coxph`` with ``cluster(id)``, and (2) a logit with dyad-clustered SEs on the full
directed CoW dyad-year panel (1816-2025, 2.25 million dyad-years) against ``glm`` +
``sandwich::vcovCL``. The panel is the real one, built by ``detente.panel.dyad_years`` with the
GML MID, contiguity, major-power, capital-distance and democracy enrichers from a store (one is
prepared from the mirror when ``--store`` is not given), and is written once to Parquet (and CSV
for R, which has no Parquet reader here). Both sides read the same file before the clock starts:
only the model call is timed (detente: ``logit(...)`` from the DataFrame, formula parsing
included; R: ``glm(...)`` and ``vcovCL(...)`` from the data.frame), as the median of repeated runs.

Usage::

    python benchmarks/bench_methods.py [--mirror DIR] [--store FILE] [--cache DIR] [--repeat N]
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

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]

COX_RHS = "pk_dum + victory + treaty + wartype + logdead"
LOGIT_X = ["contig_land", "contig_sea", "major1", "major2", "ln_capdist", "dem_low"]
LOGIT_F = "gml_onset ~ " + " + ".join(LOGIT_X)
PANEL_SOURCES = ("cow_state_system", "gw_state_system", "cow_gw_crosswalk", "gml_mid", "cow_contiguity",
                 "capitals", "democracy_isard")


def prepare_store(mirror: Path, path: Path) -> Path:
    """Import the sources the panel needs from the mirror into a new store at ``path``."""
    from detente.store import connect
    from detente.store.importer import import_all

    con = connect(path)
    try:
        import_all(con, mirror, PANEL_SOURCES)
    finally:
        con.close()
    return path


def build_panel(store: Path) -> pd.DataFrame:
    """The directed CoW dyad-years 1816-2025 with the model's columns.

    Outcome: GML MID onset (missing outside GML's coverage). Regressors: land contiguity (CoW
    type 1) and contiguity by sea (types 2-5), each state a major power, log capital distance and
    the lower of the two states' democracy scores (Xavier Marquez's extended UDS).
    """
    from detente.panel import dyad_years

    p = (
        dyad_years("cow", directed=True, years=(1816, 2025), mry=2025, store=store, echo=None)
        .add_gml_mids().add_contiguity().add_majors().add_capital_distance().add_democracy()
    )
    df = p.to_pandas()
    out = pd.DataFrame({
        "ccode1": df["ccode1"], "ccode2": df["ccode2"], "year": df["year"],
        "dyad": df["ccode1"].astype("int32") * 1000 + df["ccode2"].astype("int32"),
        "gml_onset": df["gml_onset"],
        "contig_land": (df["contiguity"] == 1).astype(float).where(df["contiguity"].notna()),
        "contig_sea": df["contiguity"].between(2, 5).astype(float).where(df["contiguity"].notna()),
        "major1": df["major1"].astype(float), "major2": df["major2"].astype(float),
        "ln_capdist": np.log1p(df["capital_distance"]),
        "dem_low": np.fmin(df["euds1"], df["euds2"]).where(df["euds1"].notna() & df["euds2"].notna()),
    })
    return out


def _times(fn, repeat: int) -> list[float]:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return times


R_COX = """
suppressMessages(library(survival))
d <- read.csv("{path}")
f <- function() coxph(Surv(X_t0, X_t, X_d) ~ pk_dum + victory + treaty + wartype + logdead + cluster(id),
                      data = d, ties = "efron")
invisible(f())
ts <- replicate({repeat}, system.time(f())[["elapsed"]])
cat(median(ts), min(ts), "\\n")
"""

R_LOGIT = """
suppressMessages(library(sandwich))
d <- read.csv("{path}")
f <- function() {{
  m <- glm({formula}, family = binomial, data = d)
  sqrt(diag(vcovCL(m, cluster = ~dyad, type = "HC1")))
}}
print(f(), digits = 10)
ts <- replicate({repeat}, system.time(f())[["elapsed"]])
cat(median(ts), min(ts), "\\n")
"""


def _r_run(script: str) -> tuple[float, float, str] | None:
    """Run an R script that ends by printing "median min"; None when R is absent or fails."""
    if shutil.which("Rscript") is None:
        return None
    with tempfile.NamedTemporaryFile("w", suffix=".R", delete=False) as fh:
        fh.write(script)
        path = fh.name
    try:
        out = subprocess.run(["Rscript", path], capture_output=True, text=True, check=True, timeout=7200)
        med, best = out.stdout.strip().split()[-2:]
        return float(med), float(best), out.stdout
    except (subprocess.SubprocessError, ValueError) as exc:
        print(f"R failed: {exc}")
        return None
    finally:
        os.unlink(path)


def main() -> None:
    from detente.methods import cox, logit

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mirror", type=Path,
                    default=Path(os.environ.get("DETENTE_MIRROR", ROOT.parent / "shared" / "data")))
    ap.add_argument("--repeat", type=int, default=5, help="timed runs of the logit (the Cox model: 20x)")
    ap.add_argument("--store", type=Path, default=None,
                    help="a detente store with the panel's sources (default: prepared from the mirror)")
    ap.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "detente-bench-methods",
                    help="folder for the prepared store and the panel files (reused when present)")
    args = ap.parse_args()
    warnings.simplefilter("ignore")
    rows = []
    r_available = shutil.which("Rscript") is not None
    args.cache.mkdir(parents=True, exist_ok=True)

    fortna_csv = args.mirror / "fortna_peacekeeping_duration" / "fortna_pk_pkept.csv"
    fortna = pd.read_csv(fortna_csv)
    rep_cox = max(args.repeat, 20) * 5
    cox(COX_RHS, fortna, entry="_t0", duration="_t", event="_d", cluster="id")  # warm (imports)
    t_py = _times(lambda: cox(COX_RHS, fortna, entry="_t0", duration="_t", event="_d", cluster="id"), rep_cox)
    r = _r_run(R_COX.format(path=fortna_csv.as_posix(), repeat=rep_cox))
    rows.append(("Cox, Fortna counting process, cluster(id)", len(fortna), len(fortna), t_py, r))

    parquet = args.cache / "dyad_years_cow_1816_2025.parquet"
    csv = parquet.with_suffix(".csv")
    if not parquet.exists():
        t0 = time.perf_counter()
        store = args.store
        if store is None:
            store = args.cache / "store.duckdb"
            if not store.exists():
                print(f"preparing a store from the mirror {args.mirror} ...")
                prepare_store(args.mirror, store)
        panel = build_panel(store)
        print(f"dyad-year panel built in {time.perf_counter() - t0:.1f} s ({len(panel):,} rows)")
        panel.to_parquet(parquet, index=False)
        panel.to_csv(csv, index=False, na_rep="NA")
    panel = pd.read_parquet(parquet)
    fit = logit(LOGIT_F, panel, cluster="dyad")
    t_py = _times(lambda: logit(LOGIT_F, panel, cluster="dyad"), args.repeat)
    r = _r_run(R_LOGIT.format(path=csv.as_posix(), formula=LOGIT_F, repeat=args.repeat)) if r_available else None
    rows.append(("clustered logit, CoW dyad-years 1816-2025, cluster = dyad", len(panel), fit.n_, t_py, r))

    print(f"panel: {len(panel):,} dyad-years, {panel.dyad.nunique():,} dyads; logit on {fit.n_:,} complete rows, "
          f"{fit.clusters_:,} clusters, {fit.events_:,} onsets")
    print(fit.tidy()[["term", "estimate", "std_error"]].to_string(index=False))
    if r is not None:
        print("R's cluster-robust SEs:")
        print(r[2].rsplit("\n", 2)[0])
    print()
    hdr = f"{'model':<58} {'rows':>10} {'used':>10} {'detente s':>18} {'R s':>18} {'R/detente':>9}"
    print(hdr)
    print(" " * 80 + "(median / best)")
    for name, n, used, tp, tr in rows:
        py = f"{statistics.median(tp):.4f}/{min(tp):.4f}"
        if tr is None:
            rs, ratio = ("absent" if not r_available else "failed"), ""
        else:
            rs, ratio = f"{tr[0]:.4f}/{tr[1]:.4f}", f"{tr[0] / statistics.median(tp):.2f}"
        print(f"{name:<58} {n:>10,} {used:>10,} {py:>18} {rs:>18} {ratio:>9}")
    if not r_available:
        print("Rscript is not installed: R's times were not measured.")


if __name__ == "__main__":
    main()
