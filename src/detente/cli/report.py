"""``detente report``: one self-contained HTML report (and a PDF) for an engagement, a type of
engagement, a partner state, a classic case, or the standard questions."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from detente.cli.evaluate import _state


def report(
    output: Annotated[Path, typer.Option("--output", "-o", help="The HTML file to write.")],
    engagement: Annotated[str | None, typer.Option("--engagement", help="An engagement id from the registry.")] = None,
    type: Annotated[str | None, typer.Option("--type", help="An engagement type (peacekeeping, joint_exercise, ...).")] = None,
    contributor: Annotated[str | None, typer.Option("--contributor", help="Contributing state (CoW code or name), with --type.")] = None,
    partner: Annotated[str | None, typer.Option("--partner", help="Partner / host state (CoW code or name); alone, a partner profile across engagement types.")] = None,
    region: Annotated[str | None, typer.Option("--region", help="Partner region with --type: americas, europe, africa, middle_east, asia.")] = None,
    case: Annotated[str | None, typer.Option("--case", help="A classic case: japan, balkans, korea.")] = None,
    standard: Annotated[bool, typer.Option("--standard", help="The standard questions and the three cases in one report.")] = False,
    pdf: Annotated[bool, typer.Option("--pdf", help="Also print a PDF beside the HTML (needs Chromium).")] = False,
    store: Annotated[Path | None, typer.Option("--store", help="DuckDB store file.")] = None,
    registry: Annotated[str | None, typer.Option("--registry", help="Registry database URL.")] = None,
) -> None:
    """Write one self-contained HTML report: executive summary, every measure with its figure,
    methods and caveats, and the citation of every dataset used."""
    from detente.exceptions import DetenteError

    chosen = [name for name, given in (("--engagement", engagement), ("--type", type), ("--case", case),
                                         ("--standard", standard)) if given]
    if len(chosen) > 1:
        raise DetenteError(f"give one of --engagement, --type, --partner, --case, --standard (got {', '.join(chosen)})")
    if not chosen and partner is None:
        raise DetenteError("say what to report on: --engagement ID, --type T, --partner S, --case NAME or --standard")
    if (contributor or region) and type is None:
        raise DetenteError("--contributor and --region narrow a --type report; add --type")

    if standard:
        from detente.report.questions import standard_report

        written = [standard_report(store, registry, output, pdf=pdf)]
        if pdf:
            written.append(output.with_suffix(".pdf"))
    elif case:
        from detente.report.cases import case_report

        written = case_report(case, output, store=store, registry=registry, pdf=pdf)
    elif engagement or type:
        from detente.metrics.scope import Scope
        from detente.report.build import scope_report

        scope = Scope(engagement=engagement, type=type, contributor=_state(contributor, store),
                      partner=_state(partner, store), region=region)
        written = scope_report(scope, output, store=store, registry=registry, pdf=pdf)
    else:
        from detente.report.build import partner_report

        written = partner_report(_state(partner, store), output, store=store, registry=registry, pdf=pdf)
    for path in written:
        typer.echo(str(path))


#: A single command (registered by the CLI as `detente report`).
app = report
