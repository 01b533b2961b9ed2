"""Rules that keep one dispute per dyad-year when a dyad has several disputes in a year.

A rule is an ordered list of criteria; the record that ranks first on them is kept. Applying the
criteria in order is the same as peacesciencer's successive ``whittle_conflicts_*`` filters, each
of which keeps only the records with the best value of one criterion among those left.
"""

from __future__ import annotations

from detente.exceptions import PanelError

#: criterion -> (SQL sort expression, plain-words description)
CRITERIA = {
    "onset": ("{onset} desc", "unique onsets over ongoing disputes"),
    # a fatality level of -9 (unknown) ranks as 0.5: fatal, but not many deaths (as peacesciencer)
    "fatality": ("(case when fatality = -9 then 0.5 else fatality end) desc", "the highest `fatality`"),
    "hostlev": ("hostlev desc", "the highest `hostlev`"),
    "mindur": ("mindur desc", "the highest estimated `mindur`"),
    "maxdur": ("maxdur desc", "the highest estimated `maxdur`"),
    "recip": ("recip desc", "reciprocated over non-reciprocated disputes"),
    "stmon": ("stmon asc", "the lowest start month"),
}

#: peacesciencer's default order (add_gml_mids / add_cow_mids).
DEFAULT = ("onset", "fatality", "hostlev", "mindur", "maxdur", "recip", "stmon")


def check_rule(rule: tuple[str, ...] | list[str] | str) -> tuple[str, ...]:
    """Normalise a rule given as a sequence or a comma-separated string."""
    if isinstance(rule, str):
        rule = tuple(p.strip() for p in rule.split(",") if p.strip())
    rule = tuple(rule)
    bad = [c for c in rule if c not in CRITERIA]
    if bad:
        raise PanelError(f"unknown dispute rule criteria {bad}; use any of {', '.join(CRITERIA)}")
    return rule


def order_by(rule: tuple[str, ...], onset: str) -> str:
    """The ORDER BY list ranking disputes of one dyad-year; ties end with the lowest dispute number."""
    parts = [CRITERIA[c][0].format(onset=onset) for c in rule]
    return ", ".join([*parts, "dispnum asc"])


def describe(rule: tuple[str, ...]) -> str:
    """The rule in words, printed when the enricher is added."""
    steps = [f"{i}) retaining {CRITERIA[c][1]}" for i, c in enumerate(rule, 1)]
    steps.append(f"{len(rule) + 1}) where ties remain, the lowest dispute number")
    return "one dispute per dyad-year, keeping in order: " + ", ".join(steps)
