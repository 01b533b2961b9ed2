"""``detente survey``: import survey results (M6 local acceptance) and show weighted proportions."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

app = typer.Typer(help="Surveys of local acceptance and trust (measure M6).", no_args_is_help=True)


@app.command("import")
def import_(
    file: Annotated[Path, typer.Argument(help="Survey CSV: question, group, weight, response [, respondent, date, state].")],
    engagement: Annotated[str | None, typer.Option("--engagement", help="The engagement the survey assesses.")] = None,
    wave: Annotated[str | None, typer.Option("--wave", help="Wave label (default: month of the earliest date).")] = None,
    store: Annotated[Path | None, typer.Option("--store", help="DuckDB store file (surveys are kept beside it).")] = None,
) -> None:
    """Check a survey file (errors name file, line and field) and keep it for `evaluate acceptance`."""
    from detente.metrics.surveys import import_survey

    frame = import_survey(file, engagement=engagement, wave=wave, store=store)
    waves = ", ".join(sorted(frame["wave"].astype(str).unique())) if "wave" in frame else wave or ""
    typer.echo(f"imported {len(frame):,} responses from {file.name}" + (f" (wave {waves})" if waves else ""))


@app.command("proportions")
def proportions(
    file: Annotated[Path, typer.Argument(help="Survey CSV.")],
    se: Annotated[str, typer.Option("--se", help="linearised or kish.")] = "linearised",
) -> None:
    """Print weighted proportions with confidence intervals per question, group and response (CSV)."""
    from detente.metrics.surveys import read_survey, weighted_proportions

    table = weighted_proportions(read_survey(file), se=se)
    table.to_csv(sys.stdout, index=False)
