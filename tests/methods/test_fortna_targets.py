"""The published numbers of Gelman, Hill & Vehtari (2020, ch. 1) on Fortna's data, reproduced
exactly (TARGETS.md in the mirror's fortna_peacekeeping_duration folder, recipe from
ROS-Examples Peacekeeping/peace.Rmd)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from detente.methods import km

# Published (ROS rendered output), as printed.
TARGETS = {
    "n_ok": 96,
    "share_censored_all": 0.4166667,
    "share_censored_pk": 0.5588235,
    "share_censored_nopk": 0.3387097,
    "mean_delay_failed_pk": 1.381375,
    "mean_delay_failed_nopk": 1.515742,
    "median_delay_failed_pk": 1.054101,
    "median_delay_failed_nopk": 0.588654,
}


@pytest.fixture(scope="module")
def ros(mirror: Path) -> pd.DataFrame:
    d = pd.read_csv(mirror / "fortna_peacekeeping_duration" / "fortna_pk_pkept_old.csv")
    cfdate = pd.to_datetime(d["cfdate"])
    faildate = pd.to_datetime(d["faildate"])
    # peace.Rmd: a missing failure date with a cease-fire date means still at peace at the end.
    faildate = faildate.where(~(faildate.isna() & cfdate.notna()), pd.Timestamp("2004-12-31"))
    d["delay"] = (faildate - cfdate).dt.days / 365.24
    d["censored"] = d["morewar"] == 0
    d["peacekeepers"] = d["pk_dum"] == 1
    ok = (d["pcw"] == 1) & d["delay"].notna()
    return d.loc[ok].reset_index(drop=True)


def test_sample_size(ros: pd.DataFrame) -> None:
    assert len(ros) == TARGETS["n_ok"]


def test_shares_at_peace(ros: pd.DataFrame) -> None:
    pk = ros[ros.peacekeepers]
    nopk = ros[~ros.peacekeepers]
    assert round(ros.censored.mean(), 7) == TARGETS["share_censored_all"]
    assert round(pk.censored.mean(), 7) == TARGETS["share_censored_pk"]
    assert round(nopk.censored.mean(), 7) == TARGETS["share_censored_nopk"]


def test_delay_among_failed(ros: pd.DataFrame) -> None:
    failed = ros[~ros.censored]
    pk = failed[failed.peacekeepers].delay
    nopk = failed[~failed.peacekeepers].delay
    assert round(pk.mean(), 6) == TARGETS["mean_delay_failed_pk"]
    assert round(nopk.mean(), 6) == TARGETS["mean_delay_failed_nopk"]
    assert round(float(np.median(pk)), 6) == TARGETS["median_delay_failed_pk"]
    assert round(float(np.median(nopk)), 6) == TARGETS["median_delay_failed_nopk"]


def test_kaplan_meier_agrees_with_the_shares(ros: pd.DataFrame) -> None:
    """With no censoring before the common end date, KM at the end equals the share at peace
    only when follow-up is equal; here it must at least be close and ordered the same way."""
    d = ros.assign(event=(~ros.censored).astype(int), pk=ros.peacekeepers.astype(int))
    d = d[d.delay > 0]
    fit = km("pk", d, duration="delay", event="event")
    s = fit.survival_at(100.0)
    assert s["pk=1"] > s["pk=0"]
    assert fit.logrank_ is not None and fit.logrank_["df"] == 1
