"""Build reports: run the measures for a scope, never dropping one that fails, and summarise them
in plain language for the executive summary."""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from detente.exceptions import DetenteError
from detente.metrics.result import TIDY_COLUMNS, MeasureResult
from detente.metrics.scope import Scope
from detente.report.html import ReportContext, ReportSection, write_report

#: Plain names of the measures, as a reader knows them.
PLAIN_NAMES = {
    "peace_duration": "Durable peace",
    "hostilities": "Hostilities and armed conflict",
    "trade_agreements": "Trade and agreements",
    "communication": "Diplomatic communication and alignment",
    "objectives": "Mission objectives",
    "acceptance": "Local acceptance and trust",
    "long_term": "Long-term impact",
}

#: The question each measure answers, used when a measure could not even start.
QUESTIONS = {
    "peace_duration": "Does peace last longer after the engagement?",
    "hostilities": "Do hostilities and armed conflict fall after the engagement?",
    "trade_agreements": "Do trade and trade agreements grow after the engagement?",
    "communication": "Does diplomatic communication become more frequent and cooperative?",
    "objectives": "Are the engagement's objectives met, on time?",
    "acceptance": "Is the engagement accepted locally, or read as hostile?",
    "long_term": "Does alignment persist at 5 and 10 years?",
}


def failed_result(name: str, scope: Scope, reason: str) -> MeasureResult:
    """A result standing in for a measure that could not be computed, carrying the reason."""
    return MeasureResult(
        measure=name,
        question=QUESTIONS.get(name, name.replace("_", " ")),
        scope=scope.as_dict(),
        estimates=pd.DataFrame(columns=list(TIDY_COLUMNS)),
        design="not computed",
        causal=False,
        warnings=[reason],
        headline=f"Not computed: {reason}",
    )


def run_measure(name: str, scope: Scope, *, store: Any = None, registry: Any = None) -> MeasureResult:
    """Run one measure; a failure becomes a result with the reason as its warning."""
    from detente.metrics import MEASURES, get_measure
    from detente.registry.api import Registry

    if isinstance(registry, Registry):
        registry = registry.url  # every measure opens the registry from its URL
    try:
        fn = get_measure(name)
    except ModuleNotFoundError as exc:
        if exc.name != MEASURES.get(name, ("", ""))[1]:
            return failed_result(name, scope, f"the measure could not be loaded: {exc}")
        return failed_result(name, scope, "this measure is not available in this installation")
    except DetenteError as exc:  # an unknown measure name
        return failed_result(name, scope, str(exc))
    try:
        return fn(scope, store=store, registry=registry)
    except Exception as exc:  # any failure is reported in the report, never dropped
        return failed_result(name, scope, f"{type(exc).__name__}: {exc}")


def default_workers() -> int:
    """Processes for running measures side by side: ``DETENTE_WORKERS``, else the cores (at most 4)."""
    env = os.environ.get("DETENTE_WORKERS")
    if env and env.strip().isdigit():
        return max(1, int(env))
    return max(1, min(4, os.cpu_count() or 1))


def run_tasks(
    tasks: Sequence[tuple[Scope, str]], *, store: Any = None, registry: Any = None, workers: int | None = None
) -> list[MeasureResult]:
    """Run ``(scope, measure)`` tasks, in parallel processes when there are cores to spare.

    Results come back in the order of ``tasks``. Measures only read the store and the registry,
    so they can run side by side (DuckDB allows many read-only processes).
    """
    from detente.registry.api import Registry

    if isinstance(registry, Registry):
        registry = registry.url
    workers = default_workers() if workers is None else workers
    if workers <= 1 or len(tasks) < 2:
        return [run_measure(name, scope, store=store, registry=registry) for scope, name in tasks]
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    # spawn, not fork: the parent may hold DuckDB and SQLite handles that must not be shared
    ctx = multiprocessing.get_context("spawn")
    out: list[MeasureResult] = []
    with ProcessPoolExecutor(max_workers=min(workers, len(tasks)), mp_context=ctx) as pool:
        futures = [pool.submit(run_measure, name, scope, store=store, registry=registry) for scope, name in tasks]
        for (scope, name), fut in zip(tasks, futures, strict=True):
            try:
                out.append(fut.result())
            except Exception:  # e.g. a result that cannot be sent back: compute it here instead
                out.append(run_measure(name, scope, store=store, registry=registry))
    return out


def run_measures(
    scope: Scope, names: Iterable[str] | None = None, *, store: Any = None, registry: Any = None,
    workers: int | None = 1,
) -> list[MeasureResult]:
    """Run the measures called ``names`` (default: every measure in ``MEASURES``) for ``scope``."""
    from detente.metrics import MEASURES

    return run_tasks([(scope, n) for n in (names or MEASURES)], store=store, registry=registry, workers=workers)


def _first(result: MeasureResult, column: str) -> float | None:
    est = result.tidy()
    values = pd.to_numeric(est[column], errors="coerce").dropna() if column in est else pd.Series([], dtype=float)
    return None if values.empty else float(values.iloc[0])


def certainty(result: MeasureResult) -> str:
    """How sure the evidence is, in plain words."""
    if result.design == "not computed":
        return "no evidence: the measure could not be computed"
    if result.tidy()["estimate"].isna().all():
        return "no evidence: nothing could be estimated for this scope"
    p = _first(result, "p_value")
    if not result.causal:
        tail = ""
        if p is not None:
            tail = f"; statistically {'clear' if p < 0.05 else 'not distinguishable from chance'} (p = {p:.2g})"
        return "descriptive: it says what happened around the engagements, not what they caused" + tail
    if p is None:
        return "a causal design, but without a test of chance variation"
    if p < 0.01:
        return f"a causal design and a clear result (p = {p:.2g}), if its assumptions hold"
    if p < 0.05:
        return f"a causal design and a moderately clear result (p = {p:.2g}), if its assumptions hold"
    return f"a causal design, but the result could well be chance (p = {p:.2g})"


def plain_finding(result: MeasureResult) -> str:
    """One executive-summary sentence: the measure, its finding and how sure it is."""
    name = PLAIN_NAMES.get(result.measure, result.measure.replace("_", " ").capitalize())
    headline = result.headline or "no estimate"
    if result.design == "not computed":
        return f"{name}: not computed — {result.warnings[0] if result.warnings else 'unknown reason'}."
    text = f"{name}: {headline.rstrip('.')}. How sure: {certainty(result)}."
    if result.warnings:
        text += f" ({len(result.warnings)} warning{'s' if len(result.warnings) > 1 else ''}, see below.)"
    return text


def executive_summary(results: Sequence[MeasureResult]) -> list[str]:
    """The executive summary: one plain sentence per measure, then what the evidence supports overall."""
    lines = [plain_finding(r) for r in results]
    computed = [r for r in results if r.design != "not computed" and not r.tidy()["estimate"].isna().all()]
    causal = [r for r in computed if r.causal]
    missing = len(results) - len(computed)
    overall = (f"Overall: {len(computed)} of {len(results)} measures produced an estimate; "
               f"{len(causal)} of them rest on a design that supports a causal reading.")
    if missing:
        overall += f" {missing} produced none (see their warnings)."
    if not causal:
        overall += " Nothing here should be read as the effect of the engagements."
    return [overall, *lines]


def store_label(store: Any) -> str:
    """How the report names the store it was computed from (a file name, never a full path)."""
    if store is None:
        return "(default)"
    return Path(str(store)).name


def scope_report(
    scope: Scope,
    output: Path,
    *,
    store: Any = None,
    registry: Any = None,
    pdf: bool = False,
    names: Iterable[str] | None = None,
    title: str | None = None,
) -> list[Path]:
    """Write the report for one engagement or a type of engagement: every measure that applies."""
    results = run_measures(scope, names, store=store, registry=registry, workers=None)
    context = ReportContext(
        title=title or f"Evidence report: {scope.label}",
        subtitle="What the public record and the engagement registry say, measure by measure.",
        executive=executive_summary(results),
        context_header=["what", "value"],
        context_rows=[[k, v] for k, v in scope.as_dict().items() if k != "label"],
        store_label=store_label(store),
    )
    return write_report(results, context, Path(output), pdf=pdf)


def sections_report(
    sections: Sequence[ReportSection],
    output: Path,
    *,
    title: str,
    subtitle: str = "",
    store: Any = None,
    pdf: bool = False,
    executive: list[str] | None = None,
) -> list[Path]:
    """Write a report made of sections (questions or cases), each with its own results."""
    every = [r for s in sections for r in s.results]
    if executive is None:
        executive = [executive_summary(every)[0]]
        executive += [f"{s.title}: {s.findings[0]}" for s in sections if s.findings]
    context = ReportContext(title=title, subtitle=subtitle, executive=executive, sections=list(sections),
                            store_label=store_label(store))
    return write_report([], context, Path(output), pdf=pdf)


#: A partner profile covers at most this many engagement types (the most frequent ones).
PARTNER_TYPES = 3


def partner_types(partner: int, *, store: Any = None, registry: Any = None) -> list[tuple[str, int]]:
    """Engagement types with ``partner`` as host or partner, with their counts, most frequent first."""
    from detente.registry import participants_frame
    from detente.registry.api import Registry, open_registry

    reg = registry if isinstance(registry, Registry) else open_registry(registry, store=store, check_codes=False)
    try:
        parts = participants_frame(reg, role=["host", "partner"])
    finally:
        if not isinstance(registry, Registry):
            reg.close()
    mine = parts[parts["code"] == partner].drop_duplicates("engagement_id")
    counts = mine["type"].value_counts()
    return [(str(t), int(n)) for t, n in counts.items()]


def partner_report(
    partner: int | None, output: Path, *, store: Any = None, registry: Any = None, pdf: bool = False
) -> list[Path]:
    """Write a partner profile: every measure for the engagement types most often held with ``partner``."""
    from detente.exceptions import DetenteError

    if partner is None:
        raise DetenteError("a partner report needs a partner state (--partner)")
    types = partner_types(partner, store=store, registry=registry)
    if not types:
        raise DetenteError(f"the registry has no engagement with partner or host state {partner}")
    sections = []
    for type_, n in types[:PARTNER_TYPES]:
        scope = Scope(type=type_, partner=partner)
        results = run_measures(scope, store=store, registry=registry, workers=None)
        sections.append(ReportSection(
            title=f"{type_.replace('_', ' ').capitalize()} with partner {partner}",
            intro=[f"{n} engagement(s) of this type with state {partner} (CoW code) as host or partner."],
            results=results, findings=[plain_finding(r) for r in results if r.design != "not computed"][:2],
        ))
    left = [f"{t.replace('_', ' ')} ({n})" for t, n in types[PARTNER_TYPES:]]
    subtitle = "Engagement types: " + ", ".join(f"{t.replace('_', ' ')} ({n})" for t, n in types[:PARTNER_TYPES])
    if left:
        subtitle += "; not covered here (report them with --type and --partner): " + ", ".join(left)
    return sections_report(sections, Path(output), title=f"Partner profile: state {partner}",
                           subtitle=subtitle + ".", store=store, pdf=pdf)
