"""M2 hostilities on the mirror: HKS's published direction, the matched event study, the
synthetic control (exact recovery on constructed data, real paths on real data), warnings."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from detente.metrics import Scope
from detente.metrics._synthetic_control import synthetic_control
from detente.metrics.hostilities import hostilities

pytestmark = pytest.mark.filterwarnings("ignore::detente.exceptions.StatisticalWarning")


def test_hks_troops_go_with_fewer_civilian_killings(store_path: Path, registry_url: str) -> None:
    """Hultman, Kathman & Shannon (2013): more UN troops, fewer civilians killed."""
    res = hostilities(Scope(type="peacekeeping"), store=store_path, registry=registry_url)
    t = res.tidy().set_index("quantity")
    troops = t.loc["rate ratio of civilian killings per month, UN troops (per unit of troop_lag)"]
    assert troops.estimate < 1 and troops.conf_high < 1
    assert "hultman_kathman_shannon_2013" in res.sources and not res.causal
    assert "pre_trend" in res.diagnostics and res.figure is not None


def test_event_study_for_a_type(store_path: Path, registry_url: str) -> None:
    res = hostilities(Scope(type="joint_exercise", contributor=2), store=store_path, registry=registry_url)
    q = res.tidy().quantity
    assert q.str.contains("armed-conflict incidence").any()
    pre = res.diagnostics["pre_trend"]["conflict"]
    assert 0 <= pre["p_value"] <= 1 and len(pre["leads"]) == 4
    path = next(v for k, v in res.details.items() if k.startswith("event_study_armed"))
    assert path.rel_time.min() == -5 and path.rel_time.max() == 5
    # Controls are never treated by the scope's engagements.
    matches = res.details["matches"]
    controls = {int(c) for s in matches.controls for c in s.split(";")}
    assert controls and not controls & set(matches.ccode)
    assert res.figure is not None and res.headline


def test_synthetic_control_recovers_a_convex_combination() -> None:
    rng = np.random.default_rng(1)
    years = np.arange(1990, 2010)
    donors = pd.DataFrame(rng.normal(size=(len(years), 6)).cumsum(axis=0), index=years, columns=list("abcdef"))
    treated = 0.6 * donors["b"] + 0.4 * donors["e"]
    treated[years >= 2000] += 3.0
    wide = donors.assign(t=treated)
    sc = synthetic_control(wide, "t", 2000)
    assert sc.weights.to_dict() == pytest.approx({"b": 0.6, "e": 0.4}, abs=1e-4)
    assert sc.pre_rmspe < 1e-3 and sc.effect == pytest.approx(3.0, abs=1e-2)
    assert sc.p_value == pytest.approx(1 / 7)


def test_synthetic_control_on_a_real_host(store_path: Path, registry_url: str, mirror: Path) -> None:
    res = hostilities(Scope(engagement="un-pko-unamsil"), store=store_path, registry=registry_url)
    path = res.details["path"].set_index("year")
    raw = pd.read_csv(mirror / "battle_deaths_country_year" / "battle_deaths_gw_country_year_1946_2022.csv")
    sle = raw[raw.gwcode == 451].groupby("year").best.sum()
    assert path.loc[1995, "actual"] == pytest.approx(np.log1p(sle.loc[1995]))
    assert 0 < res.diagnostics["placebo_p_value"] <= 1
    assert res.details["weights"].weight.sum() == pytest.approx(1.0, abs=1e-6)
    assert not res.causal and res.figure is not None


def test_engagement_outside_coverage_warns(store_path: Path, registry_url: str) -> None:
    res = hostilities(Scope(engagement="case-japan-1945"), store=store_path, registry=registry_url)
    assert res.estimates.empty and any("no outcome data" in w for w in res.warnings)


# R 4.2.2, MASS 7.3-58.2, sandwich 3.0-2, on the measure's count-model sample (details
# "negbin_data") for joint exercises, all contributors and partners:
#   m <- glm.nb(battle_deaths ~ post + treated_group + factor(decade), data = d,
#               control = glm.control(epsilon = 1e-12, maxit = 100))
#   coef(m)["post"]; sqrt(diag(vcovCL(m, cluster = ~ccode, type = "HC1")))["post"]
R_NB_POST, R_NB_POST_SE = -0.252402323062, 0.339998454514


def test_negative_binomial_on_raw_battle_deaths_agrees_with_r(store_path: Path, registry_url: str) -> None:
    res = hostilities(Scope(type="joint_exercise"), store=store_path, registry=registry_url)
    sample = res.details["negbin_data"]
    # the sample R was run on: 2688 state-years, deaths as recorded (no rescaling)
    assert len(sample) == 2688 and sample.battle_deaths.max() > 10_000
    row = res.tidy().set_index("quantity").loc["rate ratio of battle deaths, post-engagement years (negative binomial)"]
    assert row.estimate == pytest.approx(np.exp(R_NB_POST), rel=1e-6)
    assert row.std_error == pytest.approx(R_NB_POST_SE, rel=1e-6)
    assert row.n == len(sample)
    assert not any("negative binomial" in w for w in res.warnings)
