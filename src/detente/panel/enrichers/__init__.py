"""The enricher registry: every module in this package defines one :class:`Enricher` subclass.

Modules are discovered on first use, so adding an enricher is adding a module (see
``docs/panels.md``); an enricher named like its module is found without importing the others.
:data:`ALIASES` maps short names used in the Python API
(``add_mids()``) to registered ones.
"""

from __future__ import annotations

import importlib
import importlib.util
import pkgutil
from functools import cache

from detente.exceptions import PanelError
from detente.panel.enricher import Enricher

#: Short names accepted by ``Panel.add`` and ``--add``.
ALIASES = {
    "mids": "gml_mids",
    "conflicts": "ucdp_acd",
    "capdist": "capital_distance",
    "mindist": "minimum_distance",
    "cinc": "nmc",
    "alliances": "atop",
    "ideal_points": "un_ideal_points",
    "igos": "igo",
    "wars": "cow_inter_wars",
}


@cache
def enrichers() -> dict[str, type[Enricher]]:
    """Every registered enricher class keyed by name, in name order."""
    found: dict[str, type[Enricher]] = {}
    for info in pkgutil.iter_modules(__path__):
        module = importlib.import_module(f"{__name__}.{info.name}")
        for obj in vars(module).values():
            if (
                isinstance(obj, type)
                and issubclass(obj, Enricher)
                and obj is not Enricher
                and obj.__module__ == module.__name__
                and getattr(obj, "name", None)
            ):
                if obj.name in found:
                    raise PanelError(f"two enrichers are named {obj.name!r}")
                found[obj.name] = obj
    return dict(sorted(found.items()))


def get_enricher(name: str) -> type[Enricher]:
    """Return the enricher class called ``name`` (or an alias) or a :class:`PanelError`."""
    key = ALIASES.get(name, name)
    found = _own_module(key)
    if found is not None:
        return found
    known = enrichers()
    if key not in known:
        raise PanelError(
            f"unknown enricher {name!r}; known: {', '.join(known)} "
            f"(list them with `detente panel enrichers`)"
        )
    return known[key]


def _own_module(name: str) -> type[Enricher] | None:
    """The enricher ``name`` from the module of the same name, without importing the others."""
    if not name.isidentifier() or name.startswith("_"):
        return None
    if importlib.util.find_spec(f"{__name__}.{name}") is None:
        return None
    module = importlib.import_module(f"{__name__}.{name}")
    for obj in vars(module).values():
        if (isinstance(obj, type) and issubclass(obj, Enricher) and obj.__module__ == module.__name__
                and getattr(obj, "name", None) == name):
            return obj
    return None


def enricher_citations(names: list[str] | tuple[str, ...]) -> dict[str, list[str]]:
    """Map enricher names to the source ids whose citations they need.

    ``detente data cite`` uses this so that a user can cite what a panel rests on by the names
    they passed to ``--add``.

    Examples
    --------
    >>> enricher_citations(["nmc", "gml_mids"])
    {'nmc': ['cow_nmc'], 'gml_mids': ['gml_mid']}
    """
    return {name: list(get_enricher(name).sources) for name in names}
