"""``detente states``: members of a state system, CoW <-> G-W conversion, name resolution."""

from __future__ import annotations

import json
import sys
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import pandas as pd
import typer

app = typer.Typer(help="State systems: members, code conversion, name resolution.", no_args_is_help=True)

StoreOpt = Annotated[
    Path | None, typer.Option("--store", help="The DuckDB store (default: DETENTE_STORE or the per-user store).")
]


class Fmt(StrEnum):
    table = "table"
    csv = "csv"
    json = "json"


class System(StrEnum):
    cow = "cow"
    gw = "gw"


class Scheme(StrEnum):
    names = "names"
    iso3 = "iso3"
    cameo = "cameo"


def _open(store: Path | None):
    from detente.store import connect

    return connect(store, read_only=True)


def _emit(df: pd.DataFrame, fmt: Fmt, title: str) -> None:
    """Print a frame as a Rich table, CSV or JSON records on stdout."""
    df = df.copy()
    for col in df.columns:  # plain yyyy-mm-dd dates in every format
        if df[col].map(lambda v: isinstance(v, date)).any():
            df[col] = df[col].map(lambda v: v.isoformat() if isinstance(v, date) else v)
    if fmt is Fmt.csv:
        df.to_csv(sys.stdout, index=False)
    elif fmt is Fmt.json:
        records = json.loads(df.to_json(orient="records", date_format="iso"))
        typer.echo(json.dumps(records, indent=1, ensure_ascii=False))
    else:
        from rich.console import Console
        from rich.table import Table

        table = Table(title=title)
        for col in df.columns:
            table.add_column(str(col))
        for row in df.itertuples(index=False):
            table.add_row(*["" if pd.isna(v) else str(v) for v in row])
        Console().print(table)


@app.command()
def members(
    system: Annotated[System, typer.Option("--system", help="cow or gw")],
    year: Annotated[int | None, typer.Option("--year", help="Members in this year (any day of a spell in it).")] = None,
    on: Annotated[str | None, typer.Option("--on", help="Members on this day (yyyy-mm-dd).")] = None,
    fmt: Annotated[Fmt, typer.Option("--format", help="table, csv or json")] = Fmt.table,
    store: StoreOpt = None,
) -> None:
    """List the members of a state system in a year or on a day."""
    from detente.exceptions import StatesError
    from detente.states import members as _members

    day = None
    if on is not None:
        try:
            day = date.fromisoformat(on)
        except ValueError as exc:
            raise StatesError(f"--on must be a date yyyy-mm-dd, not {on!r}") from exc
    con = _open(store)
    try:
        df = _members(system.value, year=year, on=day, con=con)
    finally:
        con.close()
    when = on if on is not None else str(year)
    _emit(df, fmt, f"{system.value} members, {when}: {len(df)}")


@app.command()
def convert(
    codes: Annotated[list[int], typer.Argument(help="State codes in the source system.")],
    year: Annotated[int, typer.Option("--year", help="The year of the codes.")],
    source: Annotated[System, typer.Option("--from", help="source system")] = System.cow,
    target: Annotated[System, typer.Option("--to", help="target system")] = System.gw,
    fmt: Annotated[Fmt, typer.Option("--format", help="table, csv or json")] = Fmt.table,
    store: StoreOpt = None,
) -> None:
    """Convert codes between CoW and G-W for one year (missing where there is no counterpart)."""
    from detente.states import convert as _convert

    con = _open(store)
    try:
        out = _convert(codes, year, source=source.value, target=target.value, con=con)
    finally:
        con.close()
    df = pd.DataFrame({source.value: codes, "year": year, target.value: out.to_numpy()})
    _emit(df, fmt, f"{source.value} -> {target.value}, {year}")


@app.command()
def resolve(
    values: Annotated[list[str], typer.Argument(help="Names or codes to resolve.")],
    scheme: Annotated[Scheme, typer.Option("--scheme", help="names, iso3 or cameo")] = Scheme.names,
    system: Annotated[System, typer.Option("--system", help="cow or gw")] = System.cow,
    year: Annotated[int | None, typer.Option("--year", help="The year the values refer to.")] = None,
    fmt: Annotated[Fmt, typer.Option("--format", help="table, csv or json")] = Fmt.table,
    store: StoreOpt = None,
) -> None:
    """Resolve state names (or ISO3 / CAMEO codes) to codes by exact match; exit 1 if any is unmatched.

    The alias tables ship with detente, so ``--store`` is accepted for uniformity but not read.
    """
    from detente.states._aliases import resolve as _resolve

    res = _resolve(values, scheme=scheme.value, system=system.value, years=year, file="<command line>")
    reasons = {int(p): r for p, r in zip(res.excluded["position"], res.excluded["reason"], strict=True)}
    reasons.update({int(p): r for p, r in zip(res.unmatched["position"], res.unmatched["reason"], strict=True)})
    tidy = res.tidy()
    tidy["reason"] = [reasons.get(i, "") for i in range(len(tidy))]
    _emit(tidy, fmt, f"{scheme.value} -> {system.value}" + (f", {year}" if year else ""))
    if not res.complete:
        raise typer.Exit(1)
