"""Treatment tables from the registry's public record: years, roles, narrowing by scope."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from detente.metrics import Scope
from detente.metrics._treatment import (
    first_treated_year,
    scope_participants,
    treated_state_years,
    treatment_coverage,
)
from detente.metrics.scope import region_of


@pytest.fixture(scope="module")
def pk_parts(registry_url: str, store_path: Path) -> pd.DataFrame:
    return scope_participants(Scope(type="peacekeeping"), registry_url, store_path)


def test_one_engagement_spans_its_years(registry_url: str, store_path: Path) -> None:
    from detente.registry import engagements_frame, open_registry

    reg = open_registry(registry_url, check_codes=False)
    try:
        eng = engagements_frame(reg, ids=["un-pko-unmil"]).iloc[0]
    finally:
        reg.close()
    t = treated_state_years(Scope(engagement="un-pko-unmil"), registry_url, store_path)
    assert set(t.ccode) == {450}  # Liberia hosts UNMIL
    assert t.year.min() == eng.start.year
    assert t.year.max() == eng.end.year
    assert t.year.is_unique and set(t.role) == {"host"}


def test_region_keeps_only_hosts_in_region(registry_url: str, store_path: Path) -> None:
    t = treated_state_years(Scope(type="peacekeeping", region="africa"), registry_url, store_path)
    assert not t.empty
    assert {region_of(int(c)) for c in t.ccode} == {"africa"}


def test_contributor_keeps_engagements_with_that_contributor(pk_parts: pd.DataFrame, registry_url: str,
                                                             store_path: Path) -> None:
    us = scope_participants(Scope(type="peacekeeping", contributor=2), registry_url, store_path)
    ids = set(us.engagement_id)
    direct = set(pk_parts.loc[(pk_parts.role == "contributor") & (pk_parts.ccode == 2), "engagement_id"])
    assert ids == direct and 0 < len(ids) < pk_parts.engagement_id.nunique()


def test_first_year_and_coverage(pk_parts: pd.DataFrame, registry_url: str, store_path: Path) -> None:
    t = treated_state_years(Scope(type="peacekeeping"), registry_url, store_path, participants=pk_parts)
    first = first_treated_year(t)
    hosts = pk_parts[pk_parts.role == "host"].dropna(subset=["start"])
    assert first.loc[450] == hosts[hosts.ccode == 450].start.dt.year.min()
    lo, hi, sources = treatment_coverage(pk_parts)
    assert "un_peacekeeping_missions_list" in sources
    assert lo is not None and hi is not None and lo <= hosts.start.dt.year.min()


@pytest.mark.parametrize("measure", ["hostilities", "trade_agreements", "objectives"])
def test_a_registry_without_tables_is_named_in_the_error(measure: str, store_path: Path, tmp_path: Path) -> None:
    from detente.exceptions import DetenteError
    from detente.metrics import get_measure

    url = f"sqlite:///{tmp_path / 'empty.sqlite'}"
    with pytest.raises(DetenteError, match=r"empty\.sqlite has no engagements table.*import-public"):
        get_measure(measure)(Scope(type="joint_exercise"), store=store_path, registry=url)
