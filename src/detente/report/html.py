"""Render measure results into one self-contained HTML report (figures embedded), and PDF."""

from __future__ import annotations

import math
import re
import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from detente.metrics.result import MeasureResult

METHOD_NOTES = (
    "Durations of peace are analysed with Kaplan–Meier curves (log-rank test), Cox proportional-hazards "
    "models on counting-process data with standard errors clustered by conflict, and discrete-time hazard "
    "logits with clustered standard errors. The proportional-hazards assumption is tested with scaled "
    "Schoenfeld residuals.",
    "Changes in hostilities, trade and alignment around engagements are estimated by comparing engaged "
    "partners with matched partners not (yet) engaged, before and after, with unit and year fixed effects; "
    "pre-engagement trends are tested, since diverging trends before an engagement undermine the comparison.",
    "Descriptive measures (counts, shares, changes before and after) describe what happened around an "
    "engagement; they are not effects. Engagements are not assigned at random: partners are chosen because "
    "of the situations the outcomes measure, so even the best observational design can be biased by what it "
    "does not observe.",
    "Values outside a dataset's coverage are treated as missing, never as zero.",
)


@dataclass
class ReportTable:
    """A plain table shown in a section (e.g. an engagement record)."""

    caption: str
    header: list[str]
    rows: list[list[Any]]


@dataclass
class ReportSection:
    """One part of a report: a question or a case, its context and its measure results."""

    title: str
    intro: list[str] = field(default_factory=list)
    tables: list[ReportTable] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    results: list[MeasureResult] = field(default_factory=list)
    findings: list[str] = field(default_factory=list)


@dataclass
class ReportContext:
    """Everything the report needs besides the results.

    When ``sections`` is given the report is laid out section by section (each with its own
    results); the ``results`` passed to :func:`render_html` then come after them, if any.
    """

    title: str
    subtitle: str = ""
    executive: list[str] = field(default_factory=list)
    context_header: list[str] = field(default_factory=list)
    context_rows: list[list[Any]] = field(default_factory=list)
    store_label: str = "(default)"
    extra_sources: list[str] = field(default_factory=list)
    sections: list[ReportSection] = field(default_factory=list)
    methods: list[str] = field(default_factory=list)


def _fmt(value: Any) -> tuple[str, bool]:
    if value is None:
        return "", False
    try:
        if value is not None and value != value:  # NaN / NA
            return "", False
    except (TypeError, ValueError):
        return "", False
    if isinstance(value, bool):
        return ("yes" if value else "no"), False
    if isinstance(value, int):
        return f"{value:,}", True
    if isinstance(value, float):
        if math.isinf(value):
            return "∞", True
        if abs(value) >= 1e4 and abs(value) < 1e15:
            return f"{value:,.0f}", True  # large amounts (troops, trade) read best whole
        if value != 0 and abs(value) < 1e-3:
            return f"{value:.3g}", True
        return f"{value:,.3f}", True
    return str(value), False


#: Rows shown before a long table is folded (the rest open on a click, offline).
TABLE_ROWS_SHOWN = 8


def _table(result: MeasureResult) -> tuple[list[str], list[list[dict[str, Any]]], list[str]]:
    """Header, rows and the columns that hold one value in every row (said once, not repeated)."""
    frame = result.tidy()
    keep = [c for c in frame.columns if frame[c].notna().any()]
    frame = frame[keep]
    constants = []
    if len(frame) > 2:
        for c in list(frame.columns):
            values = frame[c].astype(str).unique()
            if c != "quantity" and len(values) == 1 and frame[c].notna().all():
                text, _ = _fmt(frame[c].iloc[0])
                constants.append(f"{c.replace('_', ' ')}: {text}")
                frame = frame.drop(columns=c)
    header = [c.replace("_", " ") for c in frame.columns]
    rows = []
    for rec in frame.itertuples(index=False):
        cells = []
        for v in rec:
            text, num = _fmt(v.item() if hasattr(v, "item") else v)
            cells.append({"text": text, "num": num})
        rows.append(cells)
    return header, rows, constants


def _diagnostics_text(diag: dict[str, Any]) -> str:
    parts = []
    for key, value in diag.items():
        if isinstance(value, dict | list):
            continue
        text, _ = _fmt(value)
        parts.append(f"{key.replace('_', ' ')}: {text}")
    return "; ".join(parts)


def render_html(results: Sequence[MeasureResult], context: ReportContext) -> str:
    """Return the report as one HTML string with every figure embedded."""
    import jinja2

    from detente import __version__
    from detente.sources import get_source

    env = jinja2.Environment(
        loader=jinja2.PackageLoader("detente.report", "templates"),
        autoescape=jinja2.select_autoescape(["html", "j2"]),
    )
    counter = iter(range(1_000_000))

    def item(r: MeasureResult) -> dict[str, Any]:
        header, rows, constants = _table(r)
        return {
            "anchor": f"m{next(counter)}-{re.sub(r'[^a-z0-9]+', '-', r.measure.lower())}",
            "title": _title(r),
            "question": r.question,
            "headline": r.headline or "No estimate.",
            "causal": r.causal,
            "design": r.design,
            "assumptions": r.assumptions,
            "caveats": r.caveats,
            "warnings": r.warnings,
            "diagnostics": _diagnostics_text(r.diagnostics),
            "figure": r.figure_data_uri(),
            "table_header": header,
            "table_rows": rows[:TABLE_ROWS_SHOWN],
            "table_more": rows[TABLE_ROWS_SHOWN:],
            "table_constants": constants,
        }

    sections = []
    for k, sec in enumerate(context.sections):
        sections.append({
            "anchor": f"s{k}-{re.sub(r'[^a-z0-9]+', '-', sec.title.lower()).strip('-')}",
            "title": sec.title, "intro": sec.intro, "notes": sec.notes, "findings": sec.findings,
            "tables": [{"caption": tb.caption, "header": tb.header,
                        "rows": [[_fmt(v)[0] if not isinstance(v, str) else v for v in row] for row in tb.rows]}
                       for tb in sec.tables],
            "results": [item(r) for r in sec.results],
        })
    items = [item(r) for r in results]
    every = [r for sec in context.sections for r in sec.results] + list(results)
    ids = list(dict.fromkeys([s for r in every for s in r.sources] + context.extra_sources))
    citations = []
    for sid in ids:
        src = get_source(sid)
        citations.append({"id": sid, "version": src.version, "text": src.citation_text()})
    template = env.get_template("report.html.j2")
    return template.render(
        title=context.title,
        subtitle=context.subtitle,
        generated=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        version=__version__,
        store_label=context.store_label,
        executive=context.executive or [r.headline for r in every if r.headline],
        context_header=context.context_header,
        context_rows=context.context_rows,
        sections=sections,
        results=items,
        methods=context.methods or METHOD_NOTES,
        citations=citations,
    )


def _title(result: MeasureResult) -> str:
    scope = result.scope.get("label")
    name = result.measure.replace("_", " ").capitalize()
    return f"{name}: {scope}" if scope else name


def write_report(results: Sequence[MeasureResult], context: ReportContext, output: Path, pdf: bool = False) -> list[Path]:
    """Write the HTML report to ``output`` (and a PDF beside it when asked and possible)."""
    output = Path(output)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(render_html(results, context), encoding="utf-8")
    written = [output]
    if pdf:
        written.append(html_to_pdf(output, output.with_suffix(".pdf")))
    return written


def find_browser() -> str | None:
    """Return a headless-capable Chromium executable if the system has one."""
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        path = shutil.which(name)
        if path:
            return path
    return None


def browser_command(browser: str, profile: str) -> list[str]:
    """The flags for an offline, sandbox-free headless Chromium run."""
    return [
        browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        f"--user-data-dir={profile}",
    ]


def html_to_pdf(html: Path, pdf: Path) -> Path:
    """Print ``html`` to ``pdf`` with headless Chromium; raise when no browser is installed."""
    from detente.exceptions import ConfigurationError

    browser = find_browser()
    if browser is None:
        raise ConfigurationError("PDF output needs Chromium (Debian package `chromium`); the HTML report was written")
    with tempfile.TemporaryDirectory() as profile:
        cmd = [*browser_command(browser, profile), "--no-pdf-header-footer", f"--print-to-pdf={pdf}", html.resolve().as_uri()]
        subprocess.run(cmd, check=True, capture_output=True, timeout=120)
    return pdf


def screenshot(html: Path, png: Path, width: int = 1200, height: int = 2400) -> Path:
    """Take a headless Chromium screenshot of ``html`` (to look at the report as a reader would)."""
    from detente.exceptions import ConfigurationError

    browser = find_browser()
    if browser is None:
        raise ConfigurationError("screenshots need Chromium (Debian package `chromium`)")
    with tempfile.TemporaryDirectory() as profile:
        cmd = [*browser_command(browser, profile), f"--window-size={width},{height}", f"--screenshot={png}", html.resolve().as_uri()]
        subprocess.run(cmd, check=True, capture_output=True, timeout=120)
    return png
