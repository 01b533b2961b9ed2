"""Data standards: what a well-kept registry record has, and the records that fall short.

Rules (each violation names the rule, the engagement and what is missing):

``completed_without_evaluation``
    completed more than N days ago (default 365) and no ``evaluation`` assessment.
``no_legal_basis``
    no host consent, mandate, status-of-forces agreement or other basis recorded
    (cancelled engagements are exempt).
``objective_without_indicator``
    an objective nobody can measure.
``indicator_without_baseline`` / ``indicator_without_target``
    an indicator that cannot show progress.
``observation_outside_life``
    an observation dated before the start or after the end of its engagement.
``unknown_state_code``
    a participant whose code is not in the CoW or G-W state list.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING

from sqlalchemy import and_, exists, or_, select

from detente.registry import tables as t

if TYPE_CHECKING:
    import pandas as pd

    from detente.registry.api import Registry

RULES = (
    "completed_without_evaluation",
    "no_legal_basis",
    "objective_without_indicator",
    "indicator_without_baseline",
    "indicator_without_target",
    "observation_outside_life",
    "unknown_state_code",
)


@dataclass(frozen=True)
class Violation:
    """One record falling short of one rule."""

    rule: str
    engagement_id: str
    detail: str


def check_registry(
    registry: Registry,
    *,
    evaluation_days: int = 365,
    today: dt.date | None = None,
    source: str | Sequence[str] | None = None,
    rules: Sequence[str] | None = None,
) -> list[Violation]:
    """List the violations of the data standards.

    Parameters
    ----------
    registry : Registry
        An open registry (its ``known_code`` check is used for state codes).
    evaluation_days : int
        Days after the end by which a completed engagement should have an evaluation.
    today : date, optional
        The reference date (default: today).
    source : str or list of str, optional
        Only engagements from these sources (``"user"`` matches records with no source).
    rules : list of str, optional
        Only these rules (default: all of :data:`RULES`).
    """
    from detente.exceptions import RegistryError

    wanted = list(rules or RULES)
    for r in wanted:
        if r not in RULES:
            raise RegistryError(f"unknown rule {r!r}: expected one of {', '.join(RULES)}")
    today = today or dt.date.today()
    e, lb, o, i, ob, a, p = (t.engagements, t.legal_bases, t.objectives, t.indicators,
                             t.observations, t.assessments, t.participants)
    scope = None
    if source is not None:
        sources = [source] if isinstance(source, str) else list(source)
        clauses = [e.c.source.in_([s for s in sources if s != "user"])]
        if "user" in sources:
            clauses.append(e.c.source.is_(None))
        scope = or_(*clauses)

    def scoped(q):
        return q if scope is None else q.where(scope)

    out: list[Violation] = []
    with registry.engine.connect() as conn:
        if "completed_without_evaluation" in wanted:
            cutoff = today - dt.timedelta(days=evaluation_days)
            q = scoped(select(e.c.id, e.c.end_date).where(
                e.c.status == "completed", e.c.end_date < cutoff,
                ~exists().where(a.c.engagement_id == e.c.id, a.c.kind == "evaluation")))
            out += [Violation("completed_without_evaluation", r.id,
                              f"completed on {r.end_date}, no evaluation after "
                              f"{evaluation_days} days") for r in conn.execute(q)]
        if "no_legal_basis" in wanted:
            q = scoped(select(e.c.id).where(e.c.status != "cancelled",
                                            ~exists().where(lb.c.engagement_id == e.c.id)))
            out += [Violation("no_legal_basis", r.id, "no legal basis recorded")
                    for r in conn.execute(q)]
        if "objective_without_indicator" in wanted:
            q = scoped(select(o.c.engagement_id, o.c.key).join(e, e.c.id == o.c.engagement_id)
                       .where(~exists().where(i.c.engagement_id == o.c.engagement_id,
                                              i.c.objective_key == o.c.key)))
            out += [Violation("objective_without_indicator", r.engagement_id,
                              f"objective {r.key!r} has no indicator") for r in conn.execute(q)]
        for rule, column in (("indicator_without_baseline", i.c.baseline_value),
                             ("indicator_without_target", i.c.target_value)):
            if rule in wanted:
                q = scoped(select(i.c.engagement_id, i.c.objective_key, i.c.key)
                           .join(e, e.c.id == i.c.engagement_id).where(column.is_(None)))
                what = rule.rsplit("_", 1)[1]
                out += [Violation(rule, r.engagement_id,
                                  f"indicator {r.objective_key}/{r.key} has no {what}")
                        for r in conn.execute(q)]
        if "observation_outside_life" in wanted:
            q = scoped(select(ob.c.engagement_id, ob.c.objective_key, ob.c.indicator_key,
                              ob.c.date, e.c.start_date, e.c.end_date)
                       .join(e, e.c.id == ob.c.engagement_id)
                       .where(or_(and_(e.c.start_date.is_not(None), ob.c.date < e.c.start_date),
                                  and_(e.c.end_date.is_not(None), ob.c.date > e.c.end_date))))
            out += [Violation("observation_outside_life", r.engagement_id,
                              f"observation {r.objective_key}/{r.indicator_key} on {r.date} is "
                              f"outside {r.start_date} – {r.end_date or 'open'}")
                    for r in conn.execute(q)]
        if "unknown_state_code" in wanted and registry.known_code is not None:
            q = scoped(select(p.c.engagement_id, p.c.system, p.c.code, p.c.role)
                       .join(e, e.c.id == p.c.engagement_id))
            memo: dict[tuple[str, int], bool] = {}
            for r in conn.execute(q):
                key = (r.system, r.code)
                if key not in memo:
                    memo[key] = registry.known_code(r.system, r.code)
                if not memo[key]:
                    out.append(Violation("unknown_state_code", r.engagement_id,
                                         f"{r.role} {r.system} code {r.code} is not a known state"))
    order = {rule: n for n, rule in enumerate(RULES)}
    out.sort(key=lambda v: (order[v.rule], v.engagement_id, v.detail))
    return out


def violations_frame(violations: Sequence[Violation]) -> pd.DataFrame:
    """Return violations as a DataFrame (columns ``rule, engagement_id, detail``)."""
    import pandas as pd

    return pd.DataFrame([asdict(v) for v in violations], columns=["rule", "engagement_id", "detail"])
