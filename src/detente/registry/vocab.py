"""Controlled vocabularies of the registry: types, lifecycle, roles, kinds.

The lists are tuples so the JSON Schema, the database checks and the validators read one
source. Extending a vocabulary means adding to a tuple here (and a migration when a database
check constraint lists the values).
"""

from __future__ import annotations

#: Engagement types (DESIGN.md); extendable.
ENGAGEMENT_TYPES: tuple[str, ...] = (
    "peacekeeping",
    "joint_exercise",
    "training",
    "attache_posting",
    "official_visit",
    "cultural_exchange",
    "humanitarian_assistance",
    "forward_presence",
    "arms_transfer",
    "defence_agreement",
    "intelligence_sharing",
    "port_visit",
    "reconstruction",
)

#: Lifecycle states, in order.
STATUSES: tuple[str, ...] = ("proposed", "planned", "ongoing", "completed", "cancelled")

#: Allowed lifecycle transitions: from -> the states it may move to.
TRANSITIONS: dict[str, tuple[str, ...]] = {
    "proposed": ("planned", "cancelled"),
    "planned": ("ongoing", "cancelled"),
    "ongoing": ("completed", "cancelled"),
    "completed": (),
    "cancelled": (),
}

#: Statuses in which an engagement has started (it must carry a start date).
STARTED: tuple[str, ...] = ("ongoing", "completed")

#: Roles of a participating state.
ROLES: tuple[str, ...] = ("contributor", "host", "partner")

#: State code systems understood by the registry.
CODE_SYSTEMS: tuple[str, ...] = ("cow", "gw")

#: Kinds of legal basis.
LEGAL_BASIS_KINDS: tuple[str, ...] = (
    "host_consent",
    "un_mandate",
    "sofa",
    "treaty",
    "regional_mandate",
    "other",
)

#: UN Charter chapters a Security Council mandate may invoke.
UN_CHAPTERS: tuple[str, ...] = ("VI", "VII", "VIII")

#: Kinds of assessment (the assessment, monitoring and evaluation cycle).
ASSESSMENT_KINDS: tuple[str, ...] = ("initial", "monitoring", "evaluation", "lessons")

#: Ratings an assessment may give.
RATINGS: tuple[str, ...] = (
    "not_rated",
    "unsatisfactory",
    "partly_satisfactory",
    "satisfactory",
    "highly_satisfactory",
)


def allowed_next(status: str) -> tuple[str, ...]:
    """Return the statuses an engagement in ``status`` may move to."""
    return TRANSITIONS.get(status, ())


def path_to(status: str) -> tuple[str, ...]:
    """Return the lifecycle path from ``proposed`` to ``status`` (``cancelled`` from ``proposed``)."""
    if status == "cancelled":
        return ("proposed", "cancelled")
    return STATUSES[: STATUSES.index(status) + 1]
