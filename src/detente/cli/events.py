"""``detente events``: import GDELT/ICEWS event files into a store, aggregate them to dyad-periods."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

app = typer.Typer(help="Event data (GDELT, ICEWS): import and aggregate.", no_args_is_help=True)


class Unit(StrEnum):
    dyad_day = "dyad-day"
    dyad_month = "dyad-month"
    dyad_year = "dyad-year"
    state_day = "state-day"
    state_month = "state-month"
    state_year = "state-year"


class Keys(StrEnum):
    state = "state"
    cameo = "cameo"


class Engine(StrEnum):
    duckdb = "duckdb"
    spark = "spark"


class System(StrEnum):
    cow = "cow"
    gw = "gw"


class Goldstein(StrEnum):
    file = "file"
    gdelt = "gdelt"
    icews = "icews"


def _split(text: str | None) -> list[str]:
    return [x.strip() for x in text.split(",") if x.strip()] if text else []


@app.command("import")
def import_(
    files: Annotated[list[str], typer.Argument(help="Files, zips, directories or glob patterns.")],
    output: Annotated[Path, typer.Option("--output", "-o", help="The event store directory.")],
    strict: Annotated[bool, typer.Option("--strict", help="Fail on the first bad row; write nothing.")] = False,
    goldstein: Annotated[
        Goldstein, typer.Option(help="Goldstein weights: as in each file, or from one CAMEO table.")
    ] = Goldstein.file,
    mirror: Annotated[Path | None, typer.Option(help="The data mirror (CAMEO tables).")] = None,
    reimport: Annotated[
        bool, typer.Option("--reimport", help="Read files the store already holds again, replacing their rows.")
    ] = False,
    show: Annotated[int, typer.Option(help="How many bad rows to print.")] = 20,
) -> None:
    """Read event files (GDELT 1.0/2.0 events and mentions, ICEWS) into a Parquet event store."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from detente.events.store import import_events

    console = Console(stderr=True)
    with Progress(
        TextColumn("[bold]importing"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
        TextColumn("{task.description}"), console=console, transient=True,
    ) as bar:  # fmt: skip
        task = bar.add_task("", total=None)

        def progress(name: str, done: int, total: int) -> None:
            bar.update(task, completed=done, total=total, description=Path(name).name)

        report = import_events(
            files, output, strict=strict, goldstein=goldstein.value, mirror=mirror, reimport=reimport,
            progress=progress,
        )  # fmt: skip
    layouts = ", ".join(f"{k} ({v} file{'s' * (v > 1)})" for k, v in sorted(report.layouts.items()))
    console.print(
        f"{report.events:,} events and {report.mentions:,} mentions written to {output} "
        f"[dim](import {report.import_id}; layouts: {layouts})[/]",
        highlight=False,
    )
    for line in [*report.skipped, *report.replaced]:
        console.print(f"  {line}", highlight=False, markup=False)
    if report.bad:
        console.print(f"[yellow]{report.bad:,} bad rows skipped[/] (all listed in imports/{report.import_id}.json):")
        for row in report.bad_rows[:show]:
            console.print(f"  {row}", highlight=False, markup=False)
        if report.bad > show:
            console.print(f"  … and {report.bad - show:,} more")


@app.command()
def aggregate(
    store: Annotated[Path, typer.Argument(help="The event store directory.")],
    output: Annotated[Path, typer.Option("--output", "-o", help="Result file (.csv or .parquet).")],
    by: Annotated[Unit, typer.Option(help="The unit of the result.")] = Unit.dyad_month,
    measures: Annotated[str, typer.Option(help="Comma list of count, quad, goldstein, coop_share.")] = (
        "count,quad,goldstein,coop_share"
    ),
    keys: Annotated[Keys, typer.Option(help="State codes, or actor codes as in the files.")] = Keys.state,
    system: Annotated[System, typer.Option(help="State system for --keys state.")] = System.cow,
    role: Annotated[str, typer.Option(help="For state units: count events the state sends (source) or receives (target).")] = "source",
    engine: Annotated[Engine, typer.Option(help="duckdb (default) or spark.")] = Engine.duckdb,
    master: Annotated[str | None, typer.Option(help="Spark master URL (default local[*]).")] = None,
    weight: Annotated[bool, typer.Option("--weight-mentions", help="Weight events by mentions.")] = False,
    source_types: Annotated[str | None, typer.Option(help="Comma list of source actor types (e.g. military).")] = None,
    target_types: Annotated[str | None, typer.Option(help="Comma list of target actor types.")] = None,
    roots: Annotated[str | None, typer.Option(help="Comma list of CAMEO root codes (1-20).")] = None,
    start: Annotated[datetime | None, typer.Option(formats=["%Y-%m-%d"], help="First day kept.")] = None,
    end: Annotated[datetime | None, typer.Option(formats=["%Y-%m-%d"], help="Last day kept.")] = None,
    countries: Annotated[str | None, typer.Option(help="Comma list of keys kept (either side).")] = None,
    datasets: Annotated[str | None, typer.Option(help="Comma list of datasets kept: gdelt1, gdelt2, icews.")] = None,
    memory_limit: Annotated[str | None, typer.Option(help="DuckDB memory cap, e.g. 2GB (spills beyond).")] = None,
    temp_directory: Annotated[
        Path | None, typer.Option("--temp-directory", "--temp-dir", help="Where DuckDB spills.")
    ] = None,
    threads: Annotated[int | None, typer.Option(help="DuckDB threads (default: all cores).")] = None,
) -> None:
    """Aggregate an event store to dyad-days, -months or -years, or state-days, -months or -years."""
    from rich.console import Console

    from detente.events.aggregation import aggregate as run
    from detente.exceptions import EventsError

    console = Console(stderr=True)
    try:
        root_codes = [int(r) for r in _split(roots)]
    except ValueError:
        raise EventsError(f"--roots takes integers 1-20, got {roots!r}") from None
    with console.status(f"aggregating with {engine.value}…"):
        frame = run(
            store,
            by=by.value,
            measures=_split(measures),
            keys=keys.value,
            system=system.value,
            role=role,
            weight="mentions" if weight else None,
            source_types=_split(source_types),
            target_types=_split(target_types),
            roots=root_codes,
            start=start.date() if start else None,
            end=end.date() if end else None,
            countries=_split(countries),
            datasets=_split(datasets),
            engine=engine.value,
            master=master,
            memory_limit=memory_limit,
            temp_directory=temp_directory,
            threads=threads,
            output=output,
            stream=engine is Engine.duckdb,
        )
    rows = frame if isinstance(frame, int) else len(frame)
    console.print(f"{rows:,} rows ({by.value}) written to {output}", highlight=False)


@app.command()
def coverage(
    store: Annotated[Path, typer.Argument(help="The event store directory.")],
    datasets: Annotated[str | None, typer.Option(help="Comma list of gdelt1, gdelt2, icews (default all).")] = None,
) -> None:
    """Print the runs of days each dataset in the store covers, tab-separated (from its manifest)."""
    from detente.events.manifest import coverage as spans

    rows = spans(store, _split(datasets))
    if not rows:
        typer.echo(f"{store} records no imported event files", err=True)
    for dataset, start, end in rows:
        typer.echo(f"{dataset}\t{start}\t{end}")
