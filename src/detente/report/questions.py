"""The standard questions detente answers out of the box, in one combined report.

1. Peacekeeping and durable peace — does peace last longer where peacekeepers deploy?
2. Joint exercises and disputes — do states that exercise together have fewer disputes?
3. Forward presence, trade and alignment — does a standing presence go with more trade and closer ties?
4. The three classic cases — Japan 1945–1952, the Balkans (IFOR/SFOR, KFOR), Korea (US–ROK).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from detente.metrics.result import MeasureResult
from detente.metrics.scope import Scope
from detente.report.build import plain_finding, run_tasks
from detente.report.cases import plan_case
from detente.report.html import ReportSection


@dataclass(frozen=True)
class Question:
    """A standard question: its title, why it is asked, the scope and the measures that answer it."""

    title: str
    intro: str
    scope: Scope
    measures: tuple[str, ...]


QUESTIONS: tuple[Question, ...] = (
    Question(
        "Peacekeeping and durable peace",
        "Does peace last longer after wars where peacekeepers deployed than after wars where they did not, "
        "and do hostilities fall? Peacekeepers go to the hard cases, so a fair comparison has to account "
        "for how difficult each peace was to keep.",
        Scope(type="peacekeeping"),
        ("peace_duration", "hostilities"),
    ),
    Question(
        "Joint exercises and disputes among participants",
        "Do states that exercise together have fewer militarised disputes with each other afterwards, and "
        "do they talk more cooperatively? States choose their exercise partners, so friendly pairs are "
        "over-represented from the start.",
        Scope(type="joint_exercise"),
        ("hostilities", "communication"),
    ),
    Question(
        "Forward presence, trade and alignment",
        "Where forces are stationed abroad, do trade, trade agreements and diplomatic alignment with the "
        "host grow, and do the ties persist at five and ten years?",
        Scope(type="forward_presence"),
        ("trade_agreements", "communication", "long_term"),
    ),
)

#: The classic cases, in the order the report shows them.
CASE_ORDER = ("japan", "balkans", "korea")


def question_section(q: Question, *, store: Any = None, registry: Any = None,
                     workers: int | None = None) -> ReportSection:
    """Answer one standard question: its measures for its scope."""
    results = run_tasks([(q.scope, m) for m in q.measures], store=store, registry=registry, workers=workers)
    return _question_section(q, results)


def _question_section(q: Question, results: list[MeasureResult]) -> ReportSection:
    return ReportSection(title=q.title, intro=[q.intro, f"Evaluated for: {q.scope.label}."],
                         results=results, findings=[plain_finding(r) for r in results])


def standard_sections(store: Any = None, registry: Any = None, *, workers: int | None = None) -> list[ReportSection]:
    """Every standard question and case as a report section.

    All the measures of all sections run in one pool of processes, so the slow ones overlap.
    """
    plans = [plan_case(name, store=store, registry=registry) for name in CASE_ORDER]
    tasks = [(q.scope, m) for q in QUESTIONS for m in q.measures] + [t for p in plans for t in p.tasks]
    url = plans[0].registry_url
    results = run_tasks(tasks, store=store, registry=url, workers=workers)
    sections, i = [], 0
    for q in QUESTIONS:
        sections.append(_question_section(q, results[i:i + len(q.measures)]))
        i += len(q.measures)
    for p in plans:
        sections.append(p.finish(results[i:i + len(p.tasks)]))
        i += len(p.tasks)
    return sections


def standard_report(store: Any, registry: Any, output: str | Path, *, pdf: bool = False) -> Path:
    """Build the combined report of the standard questions and the three cases; return its path.

    Parameters
    ----------
    store : path
        The analytic store (DuckDB file).
    registry : str or Registry
        The registry URL (or an open registry) holding the public record and the case records.
    output : path
        Where to write the HTML file.
    pdf : bool
        Also print a PDF beside it (needs Chromium).
    """
    from detente.report.build import sections_report

    started = time.perf_counter()
    sections = standard_sections(store, registry)
    seconds = time.perf_counter() - started
    subtitle = (f"Peacekeeping, exercises, forward presence and three classic cases, from the public record "
                f"and the engagement registry ({seconds:.0f} s to compute).")
    written = sections_report(sections, Path(output), title="detente: the standard questions",
                              subtitle=subtitle, store=store, pdf=pdf)
    return written[0]
