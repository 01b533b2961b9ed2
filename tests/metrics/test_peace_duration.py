"""M1 peace_duration on the mirror: Fortna's published shares, agreement with a direct Cox fit,
ACD peace spells, and warnings where there is no outcome data."""

from __future__ import annotations

from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest

from detente.metrics import Scope
from detente.metrics.peace_duration import peace_duration

pytestmark = pytest.mark.filterwarnings("ignore::detente.exceptions.StatisticalWarning")


@pytest.fixture(scope="module")
def pk(store_path: Path, registry_url: str):
    return peace_duration(Scope(type="peacekeeping"), store=store_path, registry=registry_url)


def test_reproduces_the_ros_shares(pk) -> None:
    """Gelman, Hill & Vehtari (2020, ch. 1): 56% vs 34% still at peace (TARGETS.md)."""
    ros = pk.details["ros_shares"].set_index("group")
    assert ros.loc["all", "n"] == 96
    assert round(ros.loc["peacekeepers", "share_at_peace"], 7) == 0.5588235
    assert round(ros.loc["no peacekeepers", "share_at_peace"], 7) == 0.3387097
    assert round(ros.loc["peacekeepers", "median_years_to_war"], 6) == 1.054101


def test_hazard_ratio_agrees_with_a_direct_cox_fit(pk, store_path: Path) -> None:
    from detente.methods import cox

    con = duckdb.connect(str(store_path), read_only=True)
    d = con.execute("select * from fortna_peacekeeping_duration.fortna_pk_pkept").df()
    con.close()
    fit = cox("pk_dum + victory + treaty + wartype + logdead", d, entry="_t0", duration="_t", event="_d",
              cluster="cluster")
    row = pk.tidy().set_index("quantity").loc["hazard ratio of renewed war, peacekeepers present"]
    assert row.estimate == pytest.approx(np.exp(fit.params_["pk_dum"]), rel=1e-9)
    assert row.std_error == pytest.approx(fit.standard_errors_["pk_dum"], rel=1e-9)
    assert row.estimate < 1  # Fortna: peacekeeping goes with a lower hazard of renewed war
    assert pk.causal and "harder cases" in pk.headline and "hazard" in pk.headline
    assert "proportional_hazards" in pk.diagnostics and pk.figure is not None
    assert "fortna_peacekeeping_duration" in pk.sources


def test_rmst_and_discrete_check_are_reported(pk) -> None:
    q = pk.tidy().quantity
    assert q.str.startswith("RMST difference to 2 years").any()
    assert q.str.startswith("RMST difference to 5 years").any()
    dh = pk.tidy().set_index("quantity").filter(like="discrete-time", axis=0)
    assert len(dh) == 1 and dh.estimate.iloc[0] < 1


def test_acd_peace_spells_follow_the_raw_conflict_years(store_path: Path, mirror: Path) -> None:
    from detente.metrics._survival_data import acd_state_years, peace_spells

    raw = pd.read_csv(mirror / "ucdp_prio_acd" / "ucdp_acd_v25_1_peacesciencer_long.csv")
    years = sorted(set(raw[(raw.gwno_a == 450) | (raw.gwno_b == 450)].year))
    con = duckdb.connect(str(store_path), read_only=True)
    spells = peace_spells(acd_state_years(con))
    con.close()
    lib = spells[spells.gwcode == 450]
    starts = sorted(set(lib.spell_start))
    # A spell starts in every year without conflict that follows a conflict-year.
    expected = [y + 1 for y in years if y + 1 not in years and y + 1 <= raw.year.max()]
    assert starts == expected
    last = lib[lib.spell_start == expected[-1]]
    assert last.event.sum() == 0 and last.year.max() == raw.year.max()


def test_type_from_the_registry_is_descriptive(store_path: Path, registry_url: str) -> None:
    res = peace_duration(Scope(type="official_visit"), store=store_path, registry=registry_url)
    assert not res.causal and res.headline.startswith("Descriptive")
    row = res.tidy().iloc[0]
    assert row.quantity.startswith("odds ratio") and np.isfinite(row.estimate) and row.conf_low < row.conf_high
    assert res.diagnostics["engaged_spells"] > 0
    assert "ucdp_prio_acd" in res.sources and "us_defense_official_visits" in res.sources


def test_engagement_without_outcome_data_warns(store_path: Path, registry_url: str) -> None:
    """Japan has no UCDP/PRIO armed conflict: no post-conflict peace spell to measure."""
    res = peace_duration(Scope(engagement="case-japan-1945"), store=store_path, registry=registry_url)
    assert res.estimates.empty
    assert any("no outcome data" in w for w in res.warnings)


def test_single_engagement_compares_the_host_spell(store_path: Path, registry_url: str) -> None:
    res = peace_duration(Scope(engagement="un-pko-unmil"), store=store_path, registry=registry_url)
    t = res.tidy()
    assert t.quantity.iloc[0] == "host 450: years of peace in the spell starting 2004"
    assert not res.causal and res.figure is not None
    share = t.set_index("quantity").loc["share of comparable spells lasting at least as long", "estimate"]
    assert 0 <= share <= 1
