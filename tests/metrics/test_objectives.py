"""M5 objectives: indicator arithmetic, status and timeliness, the classic cases from the public
record, measure-based indicators and bad input."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest

from detente.exceptions import DetenteError
from detente.metrics import Scope, get_measure
from detente.metrics.objectives import elapsed_share, judge, objectives, progress_of


@pytest.fixture(scope="module")
def case_registry(tmp_path_factory: pytest.TempPathFactory, store_path: Path):
    """A SQLite registry holding the classic cases loaded by import-public."""
    from detente.registry import Registry, import_public

    reg = Registry(f"sqlite:///{tmp_path_factory.mktemp('reg') / 'cases.sqlite'}")
    import_public(reg, store=store_path, only=["detente_cases"])
    yield reg
    reg.close()


def _ind(**kw):
    base = {"baseline_value": 10.0, "baseline_date": "2020-01-01", "target_value": 20.0,
            "target_date": "2024-01-01"}
    return {**base, **kw}


D = dt.date


def test_progress_is_share_of_planned_change_in_either_direction():
    assert progress_of(10, 20, 15) == 0.5
    assert progress_of(100, 40, 70) == 0.5  # a reduction target
    assert progress_of(100, 40, 130) == -0.5  # moved away from it
    assert progress_of(5, 5, 5) is None  # no change planned
    assert elapsed_share(D(2020, 1, 1), D(2022, 1, 1), D(2021, 1, 1)) == pytest.approx(366 / 731)
    assert elapsed_share(D(2020, 1, 1), D(2022, 1, 1), D(2030, 1, 1)) == 1.0
    assert elapsed_share(D(2022, 1, 1), D(2020, 1, 1), D(2021, 1, 1)) is None


def test_status_against_time_elapsed():
    # half the change with a quarter of the time gone: on track, not yet due
    j = judge(_ind(), [(D(2021, 1, 1), 15.0)], started=True, as_of=D(2021, 6, 1))
    assert (j["status"], j["timeliness"]) == ("on track", "not yet due")
    assert j["progress"] == 0.5 and j["elapsed"] == pytest.approx(366 / 1461)
    # a fifth of the change with three quarters of the time gone: off track
    j = judge(_ind(), [(D(2023, 1, 1), 12.0)], started=True, as_of=D(2023, 2, 1))
    assert j["status"] == "off track"
    # overshoot is bounded for display, kept raw, and achieved on time
    j = judge(_ind(), [(D(2021, 1, 1), 12.0), (D(2022, 1, 1), 25.0)], started=True, as_of=D(2025, 1, 1))
    assert (j["status"], j["timeliness"], j["progress"], j["progress_raw"]) == ("achieved", "on time", 1.0, 1.5)
    assert j["latest_date"] == D(2022, 1, 1)
    # reached only after the target date: achieved but late
    j = judge(_ind(), [(D(2025, 3, 1), 20.0)], started=True, as_of=D(2025, 6, 1))
    assert (j["status"], j["timeliness"]) == ("achieved", "late")
    # moving away from the target: progress bounded at 0, off track, and said so
    j = judge(_ind(), [(D(2021, 1, 1), 5.0)], started=True, as_of=D(2021, 2, 1))
    assert j["status"] == "off track" and j["progress"] == 0.0 and "away" in j["reason"]


def test_on_pace_but_out_of_time_is_off_track_and_late():
    j = judge(_ind(), [(D(2023, 12, 1), 19.0)], started=True, as_of=D(2024, 6, 1))
    assert (j["status"], j["timeliness"]) == ("off track", "late")
    assert "target date has passed" in j["reason"]


def test_not_started_and_no_data_are_told_apart():
    j = judge(_ind(), [], started=False, as_of=D(2019, 6, 1))
    assert j["status"] == "not started"
    j = judge(_ind(), [], started=True, as_of=D(2021, 6, 1))
    assert (j["status"], j["reason"]) == ("no data", "no observation recorded")
    j = judge(_ind(target_value=None), [(D(2021, 1, 1), 15.0)], started=True, as_of=D(2021, 6, 1))
    assert (j["status"], j["reason"]) == ("no data", "no target value recorded")
    j = judge(_ind(baseline_value=None), [(D(2021, 1, 1), 15.0)], started=True, as_of=D(2021, 6, 1))
    assert j["reason"] == "no baseline value recorded"


def test_hold_the_level_target():
    j = judge(_ind(baseline_value=3.0, target_value=3.0), [(D(2021, 1, 1), 3.0)], started=True, as_of=D(2021, 2, 1))
    assert j["status"] == "achieved"
    j = judge(_ind(baseline_value=3.0, target_value=3.0), [(D(2021, 1, 1), 4.0)], started=True, as_of=D(2021, 2, 1))
    assert j["status"] != "achieved"


def test_classic_cases_from_the_public_record(case_registry, store_path):
    """Each case's indicators are judged from the recorded baseline, target and observations."""
    fn = get_measure("M5")
    for rec in case_registry.records(["case-japan-1945", "case-balkans-ifor-sfor", "case-kosovo-kfor",
                                      "case-korea-rok"]):
        res = fn(Scope(engagement=rec["id"]), store=store_path, registry=case_registry)
        table = res.details["indicators"]
        n_ind = sum(len(o["indicators"]) for o in rec["objectives"])
        assert len(table) == len(res.estimates) == n_ind > 0
        assert res.measure == "objectives" and not res.causal
        assert any("not impact" in c for c in res.caveats)
        assert res.figure is not None and res.headline.startswith(f"{n_ind} indicator")
        for row, ind in zip(table.itertuples(), [i for o in rec["objectives"] for i in o["indicators"]], strict=True):
            assert row.indicator == ind["key"] and row.baseline_value == ind["baseline_value"]
            obs = sorted(ind["observations"], key=lambda o: o["date"])
            if obs and ind["target_value"] != ind["baseline_value"]:
                expected = (obs[-1]["value"] - ind["baseline_value"]) / (ind["target_value"] - ind["baseline_value"])
                assert row.progress_raw == pytest.approx(expected)
                assert row.progress == pytest.approx(min(1.0, max(0.0, expected)))
                assert row.status == ("achieved" if expected >= 1 else row.status)
            assert row.status in ("achieved", "on track", "off track", "not started", "no data")
        counts = res.details["status"].set_index("status")["n"]
        assert counts.sum() == n_ind


def test_type_scope_narrowed_by_partner_and_region(case_registry):
    # KFOR and IFOR/SFOR are the recorded peacekeeping cases, both in Europe
    all_pk = objectives(Scope(type="peacekeeping"), registry=case_registry)
    assert set(all_pk.details["indicators"]["engagement"]) == {"case-balkans-ifor-sfor", "case-kosovo-kfor"}
    europe = objectives(Scope(type="peacekeeping", region="europe"), registry=case_registry)
    assert len(europe.estimates) == len(all_pk.estimates)
    asia = objectives(Scope(type="peacekeeping", region="asia"), registry=case_registry)
    assert asia.estimates.empty and asia.warnings and "cannot be said" in asia.headline
    korea = objectives(Scope(type="forward_presence", partner=732), registry=case_registry)
    assert set(korea.details["indicators"]["engagement"]) == {"case-korea-rok"}
    us_led = objectives(Scope(type="forward_presence", contributor=732), registry=case_registry)
    assert us_led.estimates.empty


def test_measure_based_indicators(tmp_path, store_path):
    """An indicator computed through a measure: no data with the reason when it cannot be placed."""
    from detente.registry import Registry

    reg = Registry(f"sqlite:///{tmp_path / 'own.sqlite'}")
    reg.add({
        "id": "own-1", "type": "training", "title": "Staff course", "status": "ongoing", "start": "2020-01-01",
        "participants": [{"system": "cow", "code": 2, "role": "contributor"},
                         {"system": "cow", "code": 732, "role": "partner"}],
        "objectives": [{"key": "o1", "statement": "Closer ties", "indicators": [
            {"key": "self", "definition": "recursive", "baseline_value": 0, "target_value": 1,
             "data_source": "measure:objectives"},
            {"key": "nowhere", "definition": "unknown measure", "baseline_value": 0, "target_value": 1,
             "data_source": "measure:no_such_measure"},
            {"key": "no_such_quantity", "definition": "trade", "baseline_value": 0, "target_value": 1,
             "data_source": "measure:trade_agreements"},
        ]}],
    })
    res = objectives(Scope(engagement="own-1"), store=store_path, registry=reg)
    table = res.details["indicators"].set_index("indicator")
    assert (table["status"] == "no data").all()
    assert "objectives measure itself" in table.loc["self", "reason"]
    assert "unknown measure" in table.loc["nowhere", "reason"]
    assert "trade_agreements" in table.loc["no_such_quantity", "reason"]
    assert any("no data to judge" in w for w in res.warnings)
    reg.close()


def test_unknown_engagement_is_a_clear_error(case_registry):
    with pytest.raises(DetenteError, match="no engagement with id"):
        objectives(Scope(engagement="nope"), registry=case_registry)


def test_result_serialises(case_registry):
    res = objectives(Scope(engagement="case-korea-rok"), registry=case_registry)
    d = res.to_dict()
    assert d["measure"] == "objectives" and d["estimates"]
    assert isinstance(res.tidy(), pd.DataFrame) and res.figure_png()[:4] == b"\x89PNG"
