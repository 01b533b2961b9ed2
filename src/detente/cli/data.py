"""``detente data``: list, import, verify, fetch, cite and query the public datasets."""

from __future__ import annotations

import csv
import json
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from detente import config

app = typer.Typer(help="Public datasets: list, import, verify, fetch, cite, query.", no_args_is_help=True)

StoreOpt = Annotated[Path | None, typer.Option("--store", help="DuckDB store file (default: DETENTE_STORE or the user data dir).")]
MirrorOpt = Annotated[Path | None, typer.Option("--mirror", help="Data mirror directory (default: DETENTE_MIRROR or ../shared/data).")]


class ListFormat(StrEnum):
    table = "table"
    csv = "csv"
    json = "json"


class CiteFormat(StrEnum):
    bibtex = "bibtex"
    text = "text"


class QueryFormat(StrEnum):
    csv = "csv"
    json = "json"


def _span(coverage: tuple[int | None, int | None]) -> str:
    start, end = coverage
    if start is None and end is None:
        return ""
    return f"{start or ''}-{end or ''}"


def _emit(rows: list[dict[str, object]], fmt: ListFormat, title: str) -> None:
    if fmt is ListFormat.json:
        sys.stdout.write(json.dumps(rows, indent=2, default=str) + "\n")
        return
    if fmt is ListFormat.csv:
        if rows:
            writer = csv.DictWriter(sys.stdout, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows(rows)
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(title=title)
    for key in rows[0] if rows else []:
        table.add_column(key, overflow="fold")
    for row in rows:
        table.add_row(*("" if v is None else str(v) for v in row.values()))
    Console(width=max(160, Console().width)).print(table)


def _imported_rows(store: Path | None) -> dict[str, int]:
    path = config.store_path(store)
    if not path.exists():
        return {}
    from detente.store import catalog, connect

    con = connect(path, read_only=True)
    try:
        rows: dict[str, int] = {}
        for rec in catalog(con):
            rows[str(rec["source_id"])] = rows.get(str(rec["source_id"]), 0) + int(rec["rows"])  # type: ignore[arg-type]
        return rows
    finally:
        con.close()


@app.command("list")
def list_(
    format: Annotated[ListFormat, typer.Option("--format", help="Output format.")] = ListFormat.table,
    store: StoreOpt = None,
) -> None:
    """List every known dataset with its version, files, span, licence and import status."""
    from detente.sources import all_sources

    imported = _imported_rows(store)
    rows = [
        {
            "dataset": s.id,
            "title": s.title,
            "version": s.version,
            "files": len(s.files),
            "rows": sum(f.rows for f in s.files),
            "span": _span(s.coverage),
            "codes": s.code_system,
            "kind": s.kind,
            "licence": s.licence,
            "imported": s.id in imported,
        }
        for s in all_sources().values()
    ]
    _emit(rows, format, f"{len(rows)} datasets")


@app.command("import")
def import_(
    ids: Annotated[list[str] | None, typer.Argument(help="Dataset ids (default: all).")] = None,
    mirror: MirrorOpt = None,
    store: StoreOpt = None,
    quiet: Annotated[bool, typer.Option("--quiet", help="No summary table.")] = False,
) -> None:
    """Import datasets from the mirror into the store: validated, atomic per dataset, re-runnable."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from detente.store import connect
    from detente.store.importer import import_all, import_order

    root = config.mirror_dir(mirror)
    assert root is not None
    sources = import_order(ids)
    con = connect(store)
    err = Console(stderr=True)
    try:
        with Progress(
            TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
            console=err, transient=True, disable=quiet,
        ) as bar:
            task = bar.add_task("importing", total=sum(len(s.files) for s in sources))
            done = import_all(
                con, root, [s.id for s in sources],
                progress=lambda src, _n: bar.update(task, description=f"imported {src.id}"),
                on_file=lambda _f: bar.advance(task),
            )
    finally:
        con.close()
    if quiet:
        return
    by_source: dict[str, int] = {}
    for f in done:
        by_source[f.source_id] = by_source.get(f.source_id, 0) + f.rows
    rows = [
        {"dataset": s.id, "version": s.version, "rows": by_source.get(s.id, 0), "span": _span(s.coverage), "licence": s.licence}
        for s in sources
    ]
    _emit(rows, ListFormat.table, f"imported {len(sources)} datasets, {len(done)} files into {config.store_path(store)}")


@app.command("verify")
def verify(
    ids: Annotated[list[str] | None, typer.Argument(help="Dataset ids (default: all).")] = None,
    mirror: MirrorOpt = None,
) -> None:
    """Check the sha256 of every mirror file against its definition; exit 1 on any mismatch."""
    from detente.sources.fetch import verify as verify_files
    from detente.store.importer import import_order

    root = config.mirror_dir(mirror)
    assert root is not None
    sources = import_order(ids)
    problems = verify_files(sources, root)
    n_files = sum(len(s.files) for s in sources)
    for sid, name, problem in problems:
        typer.echo(f"FAIL {sid}/{name}: {problem}", err=True)
    if problems:
        typer.echo(f"{len(problems)} of {n_files} files failed verification", err=True)
        raise typer.Exit(1)
    typer.echo(f"{n_files} files in {len(sources)} datasets verified")


@app.command("fetch")
def fetch(
    ids: Annotated[list[str] | None, typer.Argument(help="Dataset ids (default: all).")] = None,
    dest: Annotated[Path | None, typer.Option("--dest", help="Directory to download into (default: the user data dir's mirror).")] = None,
    from_mirror: Annotated[Path | None, typer.Option("--from-mirror", help="Serve the official URLs from this local mirror instead of the network.")] = None,
    force: Annotated[bool, typer.Option("--force", help="Download even when a verified copy is present.")] = False,
) -> None:
    """Download files from their official URLs with checksum verification, into the mirror layout."""
    from detente.sources.fetch import HTTPTransport, MirrorTransport
    from detente.sources.fetch import fetch as fetch_files
    from detente.store.importer import import_order

    target = dest or (config.data_dir() / "mirror")
    transport = MirrorTransport(from_mirror) if from_mirror else HTTPTransport()
    results = fetch_files(import_order(ids), target, transport, force=force)
    for r in results:
        typer.echo(f"{r.status:22} {r.source_id}/{r.file}" + (f"  <- {r.url}" if r.url else ""))
    missing = sum(r.status == "no official download" for r in results)
    if missing:
        typer.echo(
            f"{missing} files have no official download in the mirror's layout; "
            "obtain them from a detente data mirror (DETENTE_MIRROR)", err=True,
        )


@app.command("cite")
def cite(
    names: Annotated[list[str], typer.Argument(help="Dataset ids or panel enricher names.")],
    format: Annotated[CiteFormat, typer.Option("--format")] = CiteFormat.bibtex,
) -> None:
    """Print the citation of datasets (or of the datasets behind panel enrichers)."""
    from detente.sources import all_sources, get_source

    ids: list[str] = []
    known = all_sources()
    for name in names:
        if name in known:
            ids.append(name)
            continue
        try:
            from detente.panel import enricher_citations
        except ImportError:
            get_source(name)  # raises with the known ids
        else:
            ids.extend(enricher_citations([name])[name])
    for sid in dict.fromkeys(ids):
        src = get_source(sid)
        typer.echo(src.citation if format is CiteFormat.bibtex else src.citation_text())
        typer.echo("")


@app.command("notes")
def notes(
    ids: Annotated[list[str] | None, typer.Argument(help="Dataset ids (default: all).")] = None,
) -> None:
    """Print the data-quality notes of datasets (documented quirks kept as they are)."""
    from detente.store.importer import import_order

    for src in import_order(ids):
        for note in src.notes:
            typer.echo(f"{src.id}: {note}")
        for spec in src.files:
            for note in spec.notes:
                typer.echo(f"{src.id}/{spec.name}: {note}")


@app.command("query")
def query(
    sql: Annotated[str, typer.Argument(help="A read-only SQL query over the store.")],
    format: Annotated[QueryFormat, typer.Option("--format")] = QueryFormat.csv,
    store: StoreOpt = None,
) -> None:
    """Run read-only SQL over the store; CSV (or JSON) to stdout."""
    import duckdb

    from detente.exceptions import StoreError
    from detente.store import connect

    con = connect(store, read_only=True)
    try:
        cur = con.execute(sql)
    except duckdb.Error as exc:
        raise StoreError(f"query failed: {exc}") from exc
    names = [d[0] for d in cur.description or []]
    rows = cur.fetchall()
    con.close()
    if format is QueryFormat.json:
        sys.stdout.write(json.dumps([dict(zip(names, r, strict=True)) for r in rows], default=str) + "\n")
        return
    writer = csv.writer(sys.stdout, lineterminator="\n")
    writer.writerow(names)
    writer.writerows(rows)
