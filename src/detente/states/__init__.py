"""States: dated CoW and Gleditsch-Ward membership, CoW <-> G-W conversion, name and code resolution.

>>> from detente.states import members, convert, resolve_names
"""

from detente.states._aliases import (
    Resolution,
    code_table,
    normalise_code,
    normalise_name,
    resolve_cameo,
    resolve_iso3,
    resolve_names,
)
from detente.states._convert import convert, crosswalk
from detente.states._membership import members, membership_spells

__all__ = [
    "Resolution",
    "code_table",
    "convert",
    "crosswalk",
    "members",
    "membership_spells",
    "normalise_code",
    "normalise_name",
    "resolve_cameo",
    "resolve_iso3",
    "resolve_names",
]
