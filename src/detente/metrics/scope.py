"""What a measure is computed for: one engagement, or a type of engagement narrowed by
contributor, partner and region."""

from __future__ import annotations

from dataclasses import dataclass

from detente.exceptions import DetenteError

#: CoW regions by state-code range (the CoW project's own regional grouping).
REGIONS: dict[str, tuple[tuple[int, int], ...]] = {
    "americas": ((2, 165),),
    "europe": ((200, 395),),
    "africa": ((402, 626),),
    "middle_east": ((630, 698),),
    "asia": ((700, 990),),
}


def region_of(ccode: int) -> str | None:
    """Return the CoW region of a CoW state code (None outside every range)."""
    for name, ranges in REGIONS.items():
        if any(lo <= ccode <= hi for lo, hi in ranges):
            return name
    return None


def region_sql(column: str, region: str) -> str:
    """A SQL predicate that is true when ``column`` (a CoW code) lies in ``region``."""
    if region not in REGIONS:
        raise DetenteError(f"unknown region {region!r}; known: {', '.join(REGIONS)}")
    return "(" + " or ".join(f"{column} between {lo} and {hi}" for lo, hi in REGIONS[region]) + ")"


@dataclass(frozen=True)
class Scope:
    """The subject of an evaluation.

    Parameters
    ----------
    engagement : str, optional
        One engagement id from the registry.
    type : str, optional
        An engagement type from the vocabulary (``peacekeeping``, ``joint_exercise``...).
    contributor, partner : int, optional
        CoW codes narrowing the engagements to those with this contributing / partner (host) state.
    region : str, optional
        A CoW region of the partner state (see :data:`REGIONS`).
    """

    engagement: str | None = None
    type: str | None = None
    contributor: int | None = None
    partner: int | None = None
    region: str | None = None

    def __post_init__(self) -> None:
        if self.engagement is None and self.type is None:
            raise DetenteError("say what to evaluate: an engagement id (--engagement) or a type (--type)")
        if self.engagement is not None and self.type is not None:
            raise DetenteError("give either an engagement id or a type, not both")
        if self.region is not None and self.region not in REGIONS:
            raise DetenteError(f"unknown region {self.region!r}; known: {', '.join(REGIONS)}")

    @property
    def label(self) -> str:
        """A short human label, e.g. ``peacekeeping, partner 490, africa``."""
        if self.engagement:
            return f"engagement {self.engagement}"
        parts = [str(self.type).replace("_", " ")]
        if self.contributor is not None:
            parts.append(f"contributor {self.contributor}")
        if self.partner is not None:
            parts.append(f"partner {self.partner}")
        if self.region:
            parts.append(self.region.replace("_", " "))
        return ", ".join(parts)

    def as_dict(self) -> dict[str, object]:
        """The scope as a plain dictionary (with its label)."""
        out = {k: v for k, v in self.__dict__.items() if v is not None}
        out["label"] = self.label
        return out
