"""M6 acceptance: survey checks, weighted proportions and CIs against a direct computation,
group and wave comparisons, the hostile-event share against the event store and the alert rule."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from detente.exceptions import ValidationError
from detente.metrics import Scope, get_measure
from detente.metrics.acceptance import (
    ALERT_ALPHA,
    ALERT_RISE,
    acceptance,
    hostile_events,
    misperception_test,
)
from detente.metrics.communication import engagement_dyads, event_store
from detente.metrics.surveys import (
    SE_METHODS,
    compare,
    import_survey,
    read_survey,
    weighted_proportions,
)

Z = stats.norm.ppf(0.975)


def _survey(path: Path, seed: int, n: int = 120, date: str = "2023-03-01", state: str | None = None) -> Path:
    """A user's survey file: two questions, two districts, unequal weights."""
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(n):
        group = "north" if i % 3 else "south"
        w = float(np.round(rng.uniform(0.4, 3.0), 3))
        for q, options in (("trust foreign forces", ["yes", "no", "unsure"]), ("forces make area safer", ["agree", "disagree"])):
            rows.append({"respondent": f"r{i}", "question": q, "group": group, "weight": w,
                         "response": options[rng.integers(len(options))], "date": date,
                         **({"state": state} if state else {})})
    pd.DataFrame(rows).to_csv(path, index=False)
    return path


def _direct(frame: pd.DataFrame, q: str, g: str, r: str) -> tuple[float, float, float]:
    cell = frame[(frame.question == q) & (frame.group == g)]
    w, y = cell.weight.to_numpy(), (cell.response == r).to_numpy(float)
    p = (w * y).sum() / w.sum()
    n = len(w)
    lin = np.sqrt(n / (n - 1) * (w**2 * (y - p) ** 2).sum() / w.sum() ** 2)
    kish = np.sqrt(p * (1 - p) / (w.sum() ** 2 / (w**2).sum()))
    return p, lin, kish


@pytest.fixture(scope="module")
def user_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A user's own record: a US training team with Russia from 16 August 2011 (inside the GDELT 1.0
    sample's month) and one with Afghanistan, whose survey files the tests write."""
    from detente.registry import Registry

    url = f"sqlite:///{tmp_path_factory.mktemp('reg') / 'user.sqlite'}"
    reg = Registry(url)
    for eid, partner, start in (("team-2011", 365, "2011-08-16"), ("team-afg", 700, "2018-06-02")):
        reg.add({"id": eid, "type": "training", "title": "Training team", "status": "completed",
                 "start": start, "end": start,
                 "participants": [{"system": "cow", "code": 2, "role": "contributor"},
                                  {"system": "cow", "code": partner, "role": "host"}]})
    reg.close()
    return url


def test_weighted_proportions_and_cis_match_a_direct_computation(tmp_path):
    frame = read_survey(_survey(tmp_path / "s.csv", seed=1))
    for se, col in (("linearised", 1), ("kish", 2)):
        props = weighted_proportions(frame, se=se).set_index(["question", "group", "response"])
        for (q, g, r), row in props.iterrows():
            want = _direct(frame, q, g, r)
            assert row["proportion"] == pytest.approx(want[0], rel=1e-12)
            assert row["std_error"] == pytest.approx(want[col], rel=1e-12)
            assert row["conf_low"] == pytest.approx(max(0, want[0] - Z * want[col]), rel=1e-12, abs=1e-15)
            assert row["conf_high"] == pytest.approx(min(1, want[0] + Z * want[col]), rel=1e-12)
        assert props.groupby(level=["question", "group"])["proportion"].sum().round(12).eq(1).all()
        assert (props["se_type"] == SE_METHODS[se]).all()


def test_group_and_wave_comparisons(tmp_path):
    frame = read_survey(_survey(tmp_path / "s.csv", seed=2))
    props = weighted_proportions(frame)
    comp = compare(props, along="group")
    row = comp[(comp.question == "trust foreign forces") & (comp.response == "yes")].iloc[0]
    a = _direct(frame, "trust foreign forces", "north", "yes")
    b = _direct(frame, "trust foreign forces", "south", "yes")
    assert (row["base"], row["compared"]) == ("north", "south")
    assert row["difference"] == pytest.approx(b[0] - a[0])
    assert row["std_error"] == pytest.approx(np.hypot(a[1], b[1]))
    assert row["p_value"] == pytest.approx(2 * stats.norm.sf(abs(b[0] - a[0]) / np.hypot(a[1], b[1])))


@pytest.mark.parametrize(("edit", "line", "field"), [
    (lambda d: d.drop(columns="weight"), 1, "weight"),
    (lambda d: d.assign(weight=d.weight.where(d.index != 4, -1.0)), 6, "weight"),
    (lambda d: d.assign(weight=d.weight.astype(object).where(d.index != 7, "heavy")), 9, "weight"),
    (lambda d: d.assign(response=d.response.where(d.index != 2, "")), 4, "response"),
    (lambda d: d.assign(date=d.date.where(d.index != 3, "March 2023")), 5, "date"),
    (lambda d: d.assign(state=["Atlantis" if i == 5 else "Afghanistan" for i in d.index]), 7, "state"),
    (lambda d: pd.concat([d, d.iloc[[0]]], ignore_index=True), 242, "respondent"),
])
def test_bad_survey_rows_name_file_line_and_field(tmp_path, edit, line, field):
    good = pd.read_csv(_survey(tmp_path / "good.csv", seed=3))
    path = tmp_path / "bad.csv"
    edit(good).to_csv(path, index=False)
    with pytest.raises(ValidationError) as err:
        read_survey(path)
    assert (err.value.file, err.value.row, err.value.column) == ("bad.csv", line, field)


def test_alert_rule_threshold_and_test():
    up = misperception_test(before=(2, 40), after=(15, 40))
    assert up["alert"] and up["rise"] == pytest.approx(15 / 40 - 2 / 40)
    assert up["p_value"] == pytest.approx(stats.fisher_exact([[15, 25], [2, 38]], alternative="greater").pvalue)
    small = misperception_test(before=(100, 1000), after=(160, 1000))  # significant but below the threshold
    assert small["p_value"] < ALERT_ALPHA and small["rise"] < ALERT_RISE and not small["alert"]
    noisy = misperception_test(before=(0, 3), after=(1, 3))  # a large rise on three events is not enough
    assert noisy["rise"] >= ALERT_RISE and noisy["p_value"] >= ALERT_ALPHA and not noisy["alert"]
    empty = misperception_test(before=(0, 0), after=(1, 5))
    assert not empty["alert"] and np.isnan(empty["share_before"])


def test_hostile_events_match_the_event_store(store_path, tmp_path):
    from detente.events import read_events

    events = event_store(store_path)
    dyads = pd.DataFrame({"contributor": [2, 2, 365], "partner": [710, 700, 652]})
    got = hostile_events(events, dyads).groupby(["contributor", "host"])[["events", "hostile"]].sum()
    raw = read_events(events).df()
    for c, h in zip(dyads.contributor, dyads.partner, strict=True):
        sel = raw[(raw.target_type == "military") & (raw.target_cow == c) & (raw.source_cow == h)]
        if sel.empty:
            assert (c, h) not in got.index
        else:
            assert got.loc[(c, h), "events"] == len(sel)
            assert got.loc[(c, h), "hostile"] == sel.quad_class.isin([3, 4]).sum()
    assert got["events"].sum() > 0


def test_acceptance_with_surveys_and_event_levels(store_path, user_url, tmp_path):
    first = import_survey(_survey(tmp_path / "wave1.csv", seed=4, date="2018-05-01"), engagement="team-afg",
                          store=store_path)
    import_survey(_survey(tmp_path / "wave2.csv", seed=5, date="2018-09-01", state="Afghanistan"), store=store_path)
    result = get_measure("M6")(Scope(engagement="team-afg"), store=store_path, registry=user_url)
    assert not result.causal and "descriptive" in result.headline
    props = result.details["survey_proportions"]
    assert set(props["wave"]) == {"2018-05", "2018-09"}
    one = props[(props.wave == "2018-05") & (props.question == "trust foreign forces") & (props.group == "south")
                & (props.response == "no")].iloc[0]
    p, lin, _ = _direct(first, "trust foreign forces", "south", "no")
    assert one["proportion"] == pytest.approx(p) and one["std_error"] == pytest.approx(lin)
    waves = result.details["survey_comparisons"]
    assert (waves["along"] == "wave").any() and (waves["along"] == "group").any()
    assert any("cannot support a before/after" in w for w in result.warnings)
    assert "misperception alert" not in result.diagnostics
    assert {"gdelt_v1_event_sample", "icews_event_sample"} <= set(result.sources)
    assert result.figure is not None and len(result.figure.axes) == 2


def test_before_after_alert_where_one_dataset_covers_both_sides(store_path, user_url):
    dyads = engagement_dyads(Scope(engagement="team-2011"), user_url, store_path)
    assert dyads[["contributor", "partner"]].values.tolist() == [[2, 365]]
    result = acceptance(Scope(engagement="team-2011"), store=store_path, registry=user_url)
    test = result.diagnostics["misperception alert"]
    assert result.diagnostics["dyads with event data before and after"] == 1
    assert "Fisher" in test["rule"] and f"{ALERT_RISE:.0%}" in test["rule"]
    h = result.details["hostile_events"]
    h = h[h.dataset == "gdelt1"]
    before = h[pd.to_datetime(h.day) < "2011-08-16"]["events"].sum()
    assert test["events_before"] == before
    if test["events_before"] < 20 or test["events_after"] < 20:
        assert any("too few events for the alert" in w for w in result.warnings)
    assert test["alert"] == (any(w.startswith("MISPERCEPTION ALERT") for w in result.warnings))
