"""Panels: state-year and dyad-year units with enrichers, built in the analytic store.

>>> from detente.panel import dyad_years
>>> panel = dyad_years("cow", years="1816-2025", mry=2025).add_majors().add_gml_mids()  # doctest: +SKIP
>>> panel.to_pandas()  # doctest: +SKIP

Public names: :func:`state_years`, :func:`dyad_years`, :class:`Panel`, :class:`Enricher`,
:class:`Column`, :func:`enrichers`, :func:`get_enricher`, :func:`enricher_citations`.
"""

from detente.panel.api import dyad_years, state_years
from detente.panel.enricher import Column, Enricher
from detente.panel.enrichers import enricher_citations, enrichers, get_enricher
from detente.panel.frame import Panel

__all__ = [
    "Column",
    "Enricher",
    "Panel",
    "dyad_years",
    "enricher_citations",
    "enrichers",
    "get_enricher",
    "state_years",
]
