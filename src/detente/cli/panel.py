"""``detente panel``: build state-year and dyad-year panels; list the enrichers."""

from __future__ import annotations

import gc
import os
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

# Panels make no BLAS calls. OpenBLAS starts a worker thread per core when numpy is imported, and
# each spins for about 0.1 s of CPU before it sleeps, in the middle of the build's first queries.
# An explicit setting is kept.
if "numpy" not in sys.modules:
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

app = typer.Typer(help="State-year and dyad-year panels with enrichers.", no_args_is_help=True)

StoreOpt = Annotated[
    Path | None, typer.Option("--store", help="DuckDB store file (default: DETENTE_STORE or the user data dir).")
]
SystemOpt = Annotated[str, typer.Option("--system", help="Code system: cow or gw.")]
YearsOpt = Annotated[str | None, typer.Option("--years", help="FIRST-LAST, e.g. 1816-2025.")]
MryOpt = Annotated[
    int | None,
    typer.Option("--mry", help="Extend membership of states alive at the end of the data through this year."),
]
AddOpt = Annotated[
    str,
    typer.Option(
        "--add",
        help="Enrichers, comma-separated (see `detente panel enrichers`); options as "
        "name:key=value, lists with |, e.g. gml_mids:rule=hostlev|onset,peace_spells:event=gml_onset.",
    ),
]
OutputOpt = Annotated[Path, typer.Option("--output", "-o", help="Output file: .parquet, .csv or .dta.")]
ConvertOpt = Annotated[
    str | None, typer.Option("--convert", help="Also carry codes of this system (cow or gw) for its enrichers.")
]


class Names(StrEnum):
    detente = "detente"
    peacesciencer = "peacesciencer"


NamesOpt = Annotated[Names, typer.Option("--names", help="Column names: detente's or peacesciencer's.")]


def _echo(message: str) -> None:
    typer.secho(message, err=True, dim=True)


@contextmanager
def _one_build() -> Iterator[None]:
    """Build without the cyclic garbage collector, which is switched back on afterwards.

    Its passes over the many objects the imports create cost more than the little cyclic garbage
    one build leaves behind.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _parse_add(item: str) -> tuple[str, dict[str, object]]:
    """``name`` or ``name:key=value:key=value``; ``a|b`` is a list (e.g. a dispute rule)."""
    from detente.exceptions import PanelError

    name, *pairs = item.split(":")
    options: dict[str, object] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise PanelError(f"--add {item!r}: write options as name:key=value (e.g. peace_spells:event=gml_onset)")
        options[key] = tuple(value.split("|")) if "|" in value else value
    return name, options


def _build(panel, add: str, convert: str | None, output: Path, names: Names) -> None:
    start = time.perf_counter()
    if convert:
        panel = panel.convert(convert)
    for item in [a.strip() for a in add.split(",") if a.strip()]:
        name, options = _parse_add(item)
        panel = panel.add(name, **options)
    from detente.panel.output import write_panel

    rows, columns = write_panel(panel, output, names=names.value)
    typer.echo(f"wrote {rows:,} rows x {columns} columns to {output} in {time.perf_counter() - start:.2f} s",
               err=True)


@app.command("state-years")
def state_years_cmd(
    output: OutputOpt,
    system: SystemOpt = "cow",
    years: YearsOpt = None,
    mry: MryOpt = None,
    add: AddOpt = "",
    convert: ConvertOpt = None,
    names: NamesOpt = Names.detente,
    store: StoreOpt = None,
) -> None:
    """Build a state-year panel and write it to --output."""
    with _one_build():
        from detente.panel import state_years

        _build(state_years(system, years=years, mry=mry, store=store, echo=_echo), add, convert, output, names)


@app.command("dyad-years")
def dyad_years_cmd(
    output: OutputOpt,
    system: SystemOpt = "cow",
    years: YearsOpt = None,
    mry: MryOpt = None,
    directed: Annotated[bool, typer.Option("--directed/--undirected", help="Directed (default) or non-directed dyads.")] = True,
    politically_relevant: Annotated[
        bool, typer.Option("--politically-relevant", help="Keep contiguous dyads and dyads with a major power.")
    ] = False,
    add: AddOpt = "",
    convert: ConvertOpt = None,
    names: NamesOpt = Names.detente,
    store: StoreOpt = None,
) -> None:
    """Build a dyad-year panel (no false dyads) and write it to --output."""
    with _one_build():
        from detente.panel import dyad_years

        panel = dyad_years(
            system, directed=directed, years=years, mry=mry, politically_relevant=politically_relevant,
            store=store, echo=_echo,
        )
        _build(panel, add, convert, output, names)


class ListFormat(StrEnum):
    table = "table"
    json = "json"


@app.command("enrichers")
def enrichers_cmd(
    format: Annotated[ListFormat, typer.Option("--format", help="table or json.")] = ListFormat.table,
    store: StoreOpt = None,
) -> None:
    """List the enrichers: name, units, code systems, sources, coverage and citation."""
    import json
    import sys

    from detente.exceptions import PanelError
    from detente.panel import enrichers

    rows = []
    for name, cls in enrichers().items():
        from detente.sources import get_source

        try:
            lo, hi = cls.declared_coverage()
            coverage = f"{lo}-{hi}"
        except PanelError:  # e.g. registry engagements: the years of the records
            coverage = "from the data"
        rows.append({
            "name": name,
            "summary": cls.summary,
            "units": ",".join(u.replace("_year", "") for u in cls.units),
            "systems": ",".join(cls.systems),
            "sources": ",".join(cls.sources),
            "coverage": coverage,
            "citation": " / ".join(get_source(s).citation_text() for s in cls.sources),
        })
    if format is ListFormat.json:
        sys.stdout.write(json.dumps(rows, indent=2) + "\n")
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(title="Panel enrichers")
    for key in ("name", "units", "systems", "sources", "coverage", "citation"):
        table.add_column(key, overflow="fold")
    for row in rows:
        table.add_row(*(row[k] for k in ("name", "units", "systems", "sources", "coverage", "citation")))
    Console().print(table)
