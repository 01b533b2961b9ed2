"""``detente registry``: add, import, export, list, show, transition, check, import-public."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

app = typer.Typer(
    help="The engagement registry: engagements, objectives, indicators and assessments.",
    no_args_is_help=True,
)

StoreOpt = Annotated[
    Path | None, typer.Option("--store", help="Analytic store (DuckDB file); default DETENTE_STORE.")
]
RegistryOpt = Annotated[
    str | None,
    typer.Option("--registry", help="Registry URL; default DETENTE_REGISTRY_URL, else SQLite beside the store."),
]
ActorOpt = Annotated[str | None, typer.Option("--actor", help="Who makes the change (audit log).")]


def _open(registry: str | None, store: Path | None):
    from detente.registry import open_registry

    return open_registry(registry, store=store)


def _console(stderr: bool = False):
    from rich.console import Console

    return Console(stderr=stderr, highlight=False)


def _participants(values: list[str] | None, role: str) -> list[dict]:
    from detente.exceptions import RecordValidationError

    out = []
    for v in values or []:
        system, sep, code = v.partition(":")
        if not sep:
            system, code = "cow", v
        try:
            out.append({"system": system.lower(), "code": int(code), "role": role})
        except ValueError:
            raise RecordValidationError(None, None, role, f"malformed state {v!r}: use SYSTEM:CODE, e.g. cow:2") from None
    return out


@app.command()
def add(
    id: Annotated[str | None, typer.Option("--id", help="Stable identifier.")] = None,
    type: Annotated[str | None, typer.Option("--type", help="Engagement type.")] = None,
    title: Annotated[str | None, typer.Option("--title")] = None,
    status: Annotated[str, typer.Option("--status")] = "proposed",
    start: Annotated[str | None, typer.Option("--start", help="YYYY-MM-DD")] = None,
    end: Annotated[str | None, typer.Option("--end", help="YYYY-MM-DD")] = None,
    location: Annotated[str | None, typer.Option("--location")] = None,
    personnel: Annotated[int | None, typer.Option("--personnel")] = None,
    cost: Annotated[float | None, typer.Option("--cost")] = None,
    currency: Annotated[str | None, typer.Option("--currency")] = None,
    contributor: Annotated[list[str] | None, typer.Option("--contributor", help="SYSTEM:CODE, repeatable")] = None,
    host: Annotated[list[str] | None, typer.Option("--host", help="SYSTEM:CODE, repeatable")] = None,
    partner: Annotated[list[str] | None, typer.Option("--partner", help="SYSTEM:CODE, repeatable")] = None,
    record: Annotated[Path | None, typer.Option("--json", help="Read the whole record from a JSON file.")] = None,
    store: StoreOpt = None,
    registry: RegistryOpt = None,
    actor: ActorOpt = None,
) -> None:
    """Add one engagement (from options, or a record in the published schema with --json)."""
    from detente.exceptions import RecordValidationError

    if record is not None:
        try:
            rec = json.loads(record.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise RecordValidationError(record.name, exc.lineno, None, f"not valid JSON: {exc.msg}") from None
    else:
        rec = {"id": id, "type": type, "title": title, "status": status, "start": start,
               "end": end, "location": location, "personnel": personnel, "cost": cost,
               "currency": currency,
               "participants": _participants(contributor, "contributor")
               + _participants(host, "host") + _participants(partner, "partner")}
        rec = {k: v for k, v in rec.items() if v is not None}
    with _open(registry, store) as reg:
        added = reg.add(rec, actor=actor)
    _console().print(f"added {added['id']} ({added['type']}, {added['status']})")


@app.command("import")
def import_(
    path: Annotated[Path, typer.Argument(help="CSV, JSON or JSON Lines file in the published schema.")],
    format: Annotated[str | None, typer.Option("--format", help="csv, json or jsonl (default: from the suffix)")] = None,
    store: StoreOpt = None,
    registry: RegistryOpt = None,
    actor: ActorOpt = None,
) -> None:
    """Import records: every row is validated first; all rows are written or none."""
    from detente.exceptions import RecordValidationError
    from detente.registry.io import import_file

    with _open(registry, store) as reg:
        try:
            result = import_file(reg, path, fmt=format, actor=actor)
        except RecordValidationError as exc:
            errors = getattr(exc, "errors", [exc])
            err = _console(stderr=True)
            for e in errors:
                err.print(f"{e}")
            total = getattr(exc, "error_count", len(errors))
            err.print(f"[bold red]error:[/] {total} bad row(s) in {path.name}; nothing was imported")
            raise typer.Exit(1) from None
    c = result.report.counts()
    _console().print(f"{result.file}: {result.rows} rows, {c['inserted']} inserted, "
                     f"{c['updated']} updated, {c['unchanged']} unchanged")


@app.command()
def export(
    path: Annotated[Path, typer.Argument(help="Output file (.csv, .json or .jsonl).")],
    format: Annotated[str | None, typer.Option("--format")] = None,
    id: Annotated[list[str] | None, typer.Option("--id", help="Only these ids (repeatable).")] = None,
    store: StoreOpt = None,
    registry: RegistryOpt = None,
) -> None:
    """Export records in the published schema (re-importing the file gives the same records)."""
    from detente.registry.io import export_file

    with _open(registry, store) as reg:
        n = export_file(reg, path, fmt=format, ids=id)
    _console().print(f"wrote {n} engagements to {path}")


@app.command("list")
def list_(
    type: Annotated[list[str] | None, typer.Option("--type", help="Engagement type (repeatable).")] = None,
    status: Annotated[list[str] | None, typer.Option("--status")] = None,
    source: Annotated[list[str] | None, typer.Option("--source")] = None,
    format: Annotated[str, typer.Option("--format", help="table, csv or json")] = "table",
    limit: Annotated[int | None, typer.Option("--limit", help="At most this many rows (table).")] = None,
    store: StoreOpt = None,
    registry: RegistryOpt = None,
) -> None:
    """List engagements: id, type, title, status, start, end, contributors, partners, hosts."""
    from detente.exceptions import RegistryError
    from detente.registry.frames import engagements_frame

    with _open(registry, store) as reg:
        frame = engagements_frame(reg, type or None, status=status or None, source=source or None)
    cols = ["id", "type", "title", "status", "start", "end", "contributors", "partners", "hosts",
            "personnel", "source"]
    frame = frame[cols].copy()
    for c in ("start", "end"):
        frame[c] = frame[c].dt.strftime("%Y-%m-%d")
    if format == "csv":
        frame.to_csv(sys.stdout, index=False, lineterminator="\n")
    elif format == "json":
        records = json.loads(frame.to_json(orient="records", force_ascii=False))
        sys.stdout.write(json.dumps(records, ensure_ascii=False, indent=1) + "\n")
    elif format == "table":
        from rich.table import Table

        table = Table(*cols[:8], title=f"{len(frame)} engagements")
        shown = frame if limit is None else frame.head(limit)
        for row in shown.itertuples(index=False):
            table.add_row(*["" if v is None or v != v else str(v) for v in row[:8]])
        _console().print(table)
    else:
        raise RegistryError(f"unknown format {format!r}: use table, csv or json")


@app.command()
def show(
    id: Annotated[str, typer.Argument(help="Engagement id.")],
    audit: Annotated[bool, typer.Option("--audit", help="Also print the audit log.")] = False,
    store: StoreOpt = None,
    registry: RegistryOpt = None,
) -> None:
    """Print one engagement as JSON (the published schema), with its version."""
    with _open(registry, store) as reg:
        rec, version = reg.get_versioned(id)
        out = {"version": version, "record": rec}
        if audit:
            out["audit"] = [
                {"at": str(a["at"]), "actor": a["actor"], "action": a["action"],
                 "version": a["version"]} for a in reg.audit(id)
            ]
    sys.stdout.write(json.dumps(out, ensure_ascii=False, indent=2) + "\n")


@app.command()
def transition(
    id: Annotated[str, typer.Argument(help="Engagement id.")],
    to: Annotated[str, typer.Argument(help="planned, ongoing, completed or cancelled")],
    date: Annotated[str | None, typer.Option("--date", help="YYYY-MM-DD (default today)")] = None,
    store: StoreOpt = None,
    registry: RegistryOpt = None,
    actor: ActorOpt = None,
) -> None:
    """Move an engagement along its lifecycle (proposed → planned → ongoing → completed | cancelled)."""
    with _open(registry, store) as reg:
        before = reg.get(id)["status"]
        rec = reg.transition(id, to, on=date, actor=actor)
    _console().print(f"{id}: {before} → {rec['status']} on {rec['status_dates'][to]}")


@app.command()
def check(
    days: Annotated[int, typer.Option("--days", help="Days after completion by which an evaluation is due.")] = 365,
    source: Annotated[list[str] | None, typer.Option("--source", help="Only these sources ('user' = own records).")] = None,
    rule: Annotated[list[str] | None, typer.Option("--rule", help="Only these rules.")] = None,
    format: Annotated[str, typer.Option("--format", help="table, csv or json")] = "table",
    store: StoreOpt = None,
    registry: RegistryOpt = None,
) -> None:
    """List violations of the data standards; exit status 1 when there are any."""
    from detente.registry.check import check_registry, violations_frame

    with _open(registry, store) as reg:
        found = check_registry(reg, evaluation_days=days, source=source or None, rules=rule or None)
    frame = violations_frame(found)
    if format == "csv":
        frame.to_csv(sys.stdout, index=False, lineterminator="\n")
    elif format == "json":
        sys.stdout.write(frame.to_json(orient="records", force_ascii=False, indent=1) + "\n")
    else:
        from rich.table import Table

        summary = frame.groupby("rule").size() if len(frame) else {}
        table = Table("rule", "violations", title="registry data standards")
        for r, n in dict(summary).items():
            table.add_row(r, str(n))
        _console().print(table)
        for v in found[:50]:
            _console().print(f"{v.rule}: {v.engagement_id}: {v.detail}")
        if len(found) > 50:
            _console().print(f"... and {len(found) - 50} more (use --format csv)")
    if found:
        raise typer.Exit(1)


@app.command("import-public")
def import_public_(
    only: Annotated[list[str] | None, typer.Option("--only", help="Only these public datasets (repeatable).")] = None,
    troop_threshold: Annotated[int, typer.Option("--troop-threshold", help="US troops in a country-year that count as a presence.")] = 1000,
    report: Annotated[Path | None, typer.Option("--report", help="Write the unresolved names (CSV) here.")] = None,
    store: StoreOpt = None,
    registry: RegistryOpt = None,
    actor: ActorOpt = None,
) -> None:
    """Load the public record (UN missions, Geo-PKO, Fortna, MME, JME, US troops and visits,
    SIPRI, major-power signals) and the classic cases into the registry."""
    from detente.registry.public import import_public

    with _open(registry, store) as reg:
        result = import_public(reg, store=store, only=only, troop_threshold=troop_threshold,
                               actor=actor)
    from rich.table import Table

    table = Table("dataset", "engagements", "inserted", "updated", "unchanged", "unresolved",
                  "note", title="public record")
    for d in result.datasets:
        c = d.report.counts()
        table.add_row(d.dataset, str(d.engagements), str(c["inserted"]), str(c["updated"]),
                      str(c["unchanged"]), str(len(d.unresolved)), d.note or "")
    console = _console()
    console.print(table)
    import pandas as pd

    unresolved = result.unresolved_frame()
    if len(unresolved):
        console.print(f"{len(unresolved)} unresolved names (value, file, row):")
        for row in unresolved.head(30).itertuples(index=False):
            where = f"{row.file} row {row.row}" if row.row is not pd.NA else row.file
            console.print(f"  {row.value!r} in {where}: {row.reason}")
        if len(unresolved) > 30:
            console.print(f"  ... and {len(unresolved) - 30} more" +
                          ("" if report else " (use --report FILE)"))
    if report is not None:
        unresolved.to_csv(report, index=False)
        console.print(f"unresolved names written to {report}")
    console.print(f"done in {result.seconds:.1f} s")
