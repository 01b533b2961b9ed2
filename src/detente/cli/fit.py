"""``detente fit``: run the package's models on any table (CSV, Parquet or Stata)."""

from __future__ import annotations

import json
import warnings
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from detente.exceptions import ModelError, StatisticalWarning

app = typer.Typer(
    help="Fit a model to a table: km, cox, logit, probit, poisson, negbin, ols, feols, event-study.",
    no_args_is_help=True,
)


class Format(StrEnum):
    table = "table"
    json = "json"


DataOpt = Annotated[Path, typer.Option("--data", help="Table to read: .csv, .parquet or .dta.")]
FormulaOpt = Annotated[str, typer.Option("--formula", help="R/patsy formula, e.g. 'y ~ x1 + C(region)'.")]
ClusterOpt = Annotated[str | None, typer.Option("--cluster", help="Column defining clusters for robust SEs.")]
FormatOpt = Annotated[Format, typer.Option("--format", help="table (readable) or json.")]
SmallOpt = Annotated[
    str, typer.Option("--small-sample", help="Cluster-robust convention for GLMs/OLS: HC1 (default), HC0, none.")
]


def _emit(result: Any, fmt: Format) -> None:
    if fmt is Format.json:
        typer.echo(json.dumps(result.to_dict(), indent=2))
        return
    from rich.console import Console
    from rich.table import Table

    console = Console()
    d = result.to_dict()
    spec = d.get("specification", {})
    console.print(f"[bold]{d.get('model')}[/]: {spec.get('formula', '')}", highlight=False)
    facts = [f"{k} = {d[k]}" for k in ("n", "events", "clusters") if d.get(k) is not None]
    if d.get("log_likelihood") is not None:
        facts.append(f"log-likelihood = {d['log_likelihood']:.4f}")
    console.print(", ".join(facts), highlight=False)
    if "terms" in d and d["terms"] and "std_error" in d["terms"][0]:
        console.print(f"standard errors: {d['terms'][0]['se_type']}", highlight=False)
        table = Table(show_header=True, header_style="bold")
        for col in ("term", "estimate", "std_error", "statistic", "p_value", "conf_low", "conf_high"):
            table.add_column(col, justify="left" if col == "term" else "right")
        for t in d["terms"]:
            table.add_row(str(t["term"]), *(_fmt(t.get(c)) for c in
                                           ("estimate", "std_error", "statistic", "p_value", "conf_low", "conf_high")))
        console.print(table)
    else:
        console.print(result.summary(), highlight=False)
    for key in ("theta", "se_theta", "lr_test", "lr_p_value"):
        if d.get(key) is not None:
            console.print(f"{key} = {_fmt(d[key])}", highlight=False)
    if d.get("pretrend"):
        pt = d["pretrend"]
        console.print(f"pre-trend test: F = {_fmt(pt['f'])}, df = {pt['df']}, p = {_fmt(pt['p_value'])}", highlight=False)
    for w in d.get("warnings", []):
        console.print(f"[yellow]warning:[/] {w}", highlight=False)


def _fmt(v: Any) -> str:
    if v is None:
        return "NA"
    if isinstance(v, float):
        return f"{v:.6g}"
    return str(v)


def _load(path: Path):
    from detente.methods import read_table

    return read_table(path)


def _run(fn, fmt: Format, *args: Any, **kwargs: Any) -> None:
    # Warnings are part of the result (printed or in JSON); keep them off stderr.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", StatisticalWarning)
        result = fn(*args, **kwargs)
    _emit(result, fmt)


def _survival_opts(entry: str | None, duration: str | None, event: str | None) -> tuple[str, str]:
    if duration is None or event is None:
        raise ModelError("km and cox need --duration and --event (and --entry for start-stop data)")
    return duration, event


@app.command("km")
def km_cmd(
    data: DataOpt,
    duration: Annotated[str | None, typer.Option("--duration", help="Stop/survival time column.")] = None,
    event: Annotated[str | None, typer.Option("--event", help="0/1 event column.")] = None,
    formula: Annotated[str, typer.Option("--formula", help="Grouping column(s), e.g. 'pk_dum', or '1'.")] = "1",
    entry: Annotated[str | None, typer.Option("--entry", help="Start time column (delayed entry).")] = None,
    tau: Annotated[float | None, typer.Option("--tau", help="Also report RMST up to this horizon.")] = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """Kaplan-Meier curves by group with the log-rank test (and RMST with --tau)."""
    from detente.methods import km, rmst

    dur, ev = _survival_opts(entry, duration, event)
    df = _load(data)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", StatisticalWarning)
        res = km(formula, df, duration=dur, event=ev, entry=entry)
        r = rmst(formula, df, duration=dur, event=ev, entry=entry, tau=tau) if tau else None
    if fmt is Format.json:
        out = res.to_dict()
        if r is not None:
            out["rmst"] = r.to_dict()
        typer.echo(json.dumps(out, indent=2))
    else:
        typer.echo(res.summary())
        if r is not None:
            typer.echo(r.summary())


@app.command("cox")
def cox_cmd(
    data: DataOpt,
    formula: FormulaOpt,
    duration: Annotated[str | None, typer.Option("--duration", help="Stop/survival time column.")] = None,
    event: Annotated[str | None, typer.Option("--event", help="0/1 event column.")] = None,
    entry: Annotated[str | None, typer.Option("--entry", help="Start time column (counting-process data).")] = None,
    cluster: ClusterOpt = None,
    strata: Annotated[str | None, typer.Option("--strata", help="Column for stratified baseline hazards.")] = None,
    ties: Annotated[str, typer.Option("--ties", help="efron (default) or breslow.")] = "efron",
    ph_test: Annotated[bool, typer.Option("--ph-test", help="Also test proportional hazards (cox.zph).")] = False,
    fmt: FormatOpt = Format.table,
) -> None:
    """Cox proportional hazards; right-hand side only in --formula."""
    from detente.methods import cox, cox_zph

    dur, ev = _survival_opts(entry, duration, event)
    df = _load(data)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", StatisticalWarning)
        res = cox(formula, df, duration=dur, event=ev, entry=entry, cluster=cluster, strata=strata, ties=ties)
        zph = cox_zph(res) if ph_test else None
    if fmt is Format.json:
        out = res.to_dict()
        if zph is not None:
            out["ph_test"] = zph.to_dict()
        typer.echo(json.dumps(out, indent=2))
    else:
        _emit(res, fmt)
        if zph is not None:
            typer.echo(zph.summary())


def _glm_command(name: str, fn_name: str, doc: str):
    def command(data: DataOpt, formula: FormulaOpt, cluster: ClusterOpt = None, small_sample: SmallOpt = "HC1",
                fmt: FormatOpt = Format.table) -> None:
        import detente.methods as m

        _run(getattr(m, fn_name), fmt, formula, _load(data), cluster=cluster, small_sample=small_sample)

    command.__doc__ = doc
    app.command(name)(command)


_glm_command("logit", "logit", "Logit model (glm binomial); cluster-robust SEs with --cluster.")
_glm_command("probit", "probit", "Probit model (glm binomial probit).")
_glm_command("poisson", "poisson", "Poisson model for counts.")
_glm_command("negbin", "negbin", "Negative binomial model (MASS::glm.nb parametrisation).")
_glm_command("ols", "ols", "Linear model by least squares.")


@app.command("feols")
def feols_cmd(
    data: DataOpt,
    formula: Annotated[str, typer.Option("--formula", help="'y ~ x1 + x2 | fe1 + fe2' (pyfixest syntax).")],
    cluster: ClusterOpt = None,
    se: Annotated[str | None, typer.Option("--se", help="Without --cluster: iid (default) or hetero.")] = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """Linear model with fixed effects (pyfixest)."""
    from detente.methods import feols

    _run(feols, fmt, formula, _load(data), cluster=cluster, se=se)


@app.command("event-study")
def event_study_cmd(
    data: DataOpt,
    formula: Annotated[str, typer.Option("--formula", help="'y ~ x1 + x2' (outcome and optional covariates).")],
    unit: Annotated[str, typer.Option("--unit", help="Unit identifier column.")],
    time: Annotated[str, typer.Option("--time", help="Period column.")],
    treated_at: Annotated[str, typer.Option("--treated-at", help="First treated period (missing = never).")],
    lead: Annotated[int, typer.Option("--lead", help="First relative period kept (binned below).")] = -5,
    lag: Annotated[int, typer.Option("--lag", help="Last relative period kept (binned above).")] = 5,
    cluster: ClusterOpt = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """Event study / DiD with unit and period fixed effects and a pre-trend test."""
    from detente.methods import event_study
    from detente.methods._design import split_formula

    y, rhs = split_formula(formula, rhs_only=False)
    covs = None if rhs.strip() == "1" else rhs
    df = _load(data)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", StatisticalWarning)
        res = event_study(df, outcome=y or "", unit=unit, time=time, treated_at=treated_at, window=(lead, lag),
                          covariates=covs, cluster=cluster)
    if fmt is Format.json:
        out = res.to_dict()
        out["pretrend"] = res.pretrend_
        typer.echo(json.dumps(out, indent=2))
    else:
        _emit(res, fmt)
        if res.pretrend_:
            pt = res.pretrend_
            typer.echo(f"pre-trend test: F = {pt['f']:.4g}, df = {pt['df']}, p = {pt['p_value']:.4g}")
