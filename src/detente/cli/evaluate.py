"""``detente evaluate MEASURE``: one measure for an engagement or a type of engagement."""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer


class OutFormat(StrEnum):
    table = "table"
    json = "json"


def _state(value: str | None, store: Path | None) -> int | None:
    """A CoW code from a code or a state name."""
    if value is None:
        return None
    if value.strip().isdigit():
        return int(value)
    from detente.states import resolve_names

    res = resolve_names([value], system="cow")
    import pandas as pd

    code = res.codes[0]
    if code is None or pd.isna(code):
        from detente.exceptions import StatesError

        raise StatesError(f"state {value!r} is not a known state name; give its CoW code")
    return int(code)


def evaluate(
    measure: Annotated[str, typer.Argument(help="peace_duration, hostilities, trade_agreements, communication, objectives, acceptance, long_term (or M1..M7).")],
    engagement: Annotated[str | None, typer.Option("--engagement", help="An engagement id from the registry.")] = None,
    type: Annotated[str | None, typer.Option("--type", help="An engagement type (peacekeeping, joint_exercise, ...).")] = None,
    contributor: Annotated[str | None, typer.Option("--contributor", help="Contributing state (CoW code or name).")] = None,
    partner: Annotated[str | None, typer.Option("--partner", help="Partner / host state (CoW code or name).")] = None,
    region: Annotated[str | None, typer.Option("--region", help="Partner region: americas, europe, africa, middle_east, asia.")] = None,
    format: Annotated[OutFormat, typer.Option("--format")] = OutFormat.table,
    figure: Annotated[Path | None, typer.Option("--figure", help="Write the figure to this file (.png, .pdf, .svg).")] = None,
    store: Annotated[Path | None, typer.Option("--store", help="DuckDB store file.")] = None,
    registry: Annotated[str | None, typer.Option("--registry", help="Registry database URL.")] = None,
) -> None:
    """Compute one measure and print its estimates, design, diagnostics and caveats."""
    from detente.metrics import Scope, get_measure

    fn = get_measure(measure)
    scope = Scope(
        engagement=engagement, type=type, contributor=_state(contributor, store),
        partner=_state(partner, store), region=region,
    )
    result = fn(scope, store=store, registry=registry)
    if figure is not None and result.figure is not None:
        result.save_figure(str(figure))
    if format is OutFormat.json:
        sys.stdout.write(result.to_json() + "\n")
        return
    from rich.console import Console
    from rich.table import Table

    console = Console(width=max(120, Console().width))
    console.print(f"[bold]{result.measure}[/] — {scope.label}")
    table = Table()
    tidy = result.tidy()
    cols = [c for c in tidy.columns if tidy[c].notna().any()]
    for c in cols:
        table.add_column(c)
    for row in tidy[cols].itertuples(index=False):
        table.add_row(*(f"{v:.4g}" if isinstance(v, float) else str(v) for v in row))
    console.print(table)
    console.print(result.summary(), markup=False, highlight=False)


#: A single command (registered by the CLI as `detente evaluate`).
app = evaluate
