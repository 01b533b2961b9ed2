"""Adding, reading, validating and auditing engagements on both back ends."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import inspect

from detente.exceptions import (
    ConcurrencyError,
    RecordValidationError,
    RegistryError,
    TransitionError,
)


def test_add_then_get_returns_the_same_record(registry, make_record):
    rec = make_record()
    stored = registry.add(rec)
    assert stored == rec  # the fixture is already canonical
    assert registry.get(rec["id"]) == rec
    assert registry.count() == 1


def test_optional_fields_are_filled_and_blank_text_becomes_null(registry):
    stored = registry.add({"id": "v-1", "type": "official_visit", "title": "Talks",
                           "status": "proposed", "location": ""})
    assert stored["location"] is None
    assert stored["participants"] == [] and stored["status_dates"] == {}
    assert registry.get("v-1") == stored


@pytest.mark.parametrize(
    "text",
    [
        "Robert'); DROP TABLE engagements; --",
        "100% of O'Brien's \"team\" \\ ; -- /* */ % _ ?",
        "Ünïcödé — 中文 — عربى\nsecond line",
    ],
)
def test_sql_metacharacters_are_stored_verbatim(registry, make_record, text):
    rec = make_record(title=text, description=text, location=text)
    rec["objectives"][0]["statement"] = text
    registry.add(rec)
    back = registry.get(rec["id"])
    assert back["title"] == text and back["description"] == text and back["location"] == text
    assert back["objectives"][0]["statement"] == text
    assert inspect(registry.engine).has_table("engagements")


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        ({"type": "gunboat_diplomacy"}, "type", "unknown type 'gunboat_diplomacy'"),
        ({"status": "finished"}, "status", "unknown status"),
        ({"end": "2019-01-01"}, "end", "before start"),
        ({"personnel": -5}, "personnel", "negative"),
        ({"start": "2019-13-01"}, "start", "malformed date"),
        ({"start": "2019/02/04"}, "start", "malformed date"),
        ({"end": "2019-02-30"}, "end", "malformed date"),
        ({"colour": "blue"}, "colour", "unexpected field"),
        ({"currency": "dollars"}, "currency", "malformed value"),
        ({"status": "ongoing", "start": None, "end": None}, "start", "needs a start date"),
    ],
)
def test_bad_records_are_refused_with_the_field_named(registry, make_record, change, field, words):
    with pytest.raises(RecordValidationError) as info:
        registry.add(make_record(**change))
    assert info.value.field == field
    assert words in info.value.reason
    assert registry.count() == 0


def test_missing_required_field_is_named(registry, make_record):
    rec = make_record()
    del rec["title"]
    with pytest.raises(RecordValidationError) as info:
        registry.add(rec)
    assert info.value.field == "title" and "missing required field" in info.value.reason


def test_unknown_country_and_negative_participant_personnel(registry, make_record):
    rec = make_record()
    rec["participants"][1]["code"] = 1  # no state has CoW code 1
    with pytest.raises(RecordValidationError) as info:
        registry.add(rec)
    assert info.value.field == "participants[1].code"
    assert "unknown country" in info.value.reason
    rec = make_record()
    rec["participants"][0]["personnel"] = -1
    with pytest.raises(RecordValidationError) as info:
        registry.add(rec)
    assert info.value.field == "participants[0].personnel"
    assert registry.count() == 0


def test_duplicate_id_is_refused(registry, make_record):
    registry.add(make_record())
    with pytest.raises(RecordValidationError, match="duplicate id"):
        registry.add(make_record(title="another"))
    assert registry.get(make_record()["id"])["title"] == make_record()["title"]


def test_lifecycle_transitions_record_their_dates(registry):
    registry.add({"id": "ex-1", "type": "joint_exercise", "title": "Shared Resolve",
                  "status": "proposed"})
    registry.transition("ex-1", "planned", on="2024-01-10")
    registry.transition("ex-1", "ongoing", on="2024-03-01")
    rec = registry.transition("ex-1", "completed", on="2024-03-15")
    assert rec["status"] == "completed"
    assert rec["status_dates"] == {"planned": "2024-01-10", "ongoing": "2024-03-01",
                                   "completed": "2024-03-15"}
    assert (rec["start"], rec["end"]) == ("2024-03-01", "2024-03-15")
    assert registry.get("ex-1") == rec


@pytest.mark.parametrize(
    ("path", "to"),
    [((), "completed"), ((), "ongoing"), (("planned", "ongoing", "completed"), "cancelled"),
     (("cancelled",), "planned"), (("planned",), "proposed")],
)
def test_invalid_transitions_are_refused(registry, path, to):
    registry.add({"id": "ex-2", "type": "training", "title": "Course", "status": "proposed"})
    day = 1
    for step in path:
        registry.transition("ex-2", step, on=f"2024-01-{day:02d}")
        day += 1
    before = registry.get_versioned("ex-2")
    with pytest.raises(TransitionError, match="cannot go from"):
        registry.transition("ex-2", to, on="2024-02-01")
    assert registry.get_versioned("ex-2") == before


def test_transition_to_unknown_status_or_backwards_in_time(registry):
    registry.add({"id": "ex-3", "type": "training", "title": "Course", "status": "proposed"})
    with pytest.raises(TransitionError, match="unknown status"):
        registry.transition("ex-3", "paused")
    registry.transition("ex-3", "planned", on="2024-05-01")
    with pytest.raises(TransitionError, match="before the previous"):
        registry.transition("ex-3", "ongoing", on="2024-04-01")
    with pytest.raises(RecordValidationError, match="malformed date"):
        registry.transition("ex-3", "ongoing", on="1st May")


def test_every_change_is_audited_with_before_and_after(registry, make_record):
    rec = make_record(status="planned", status_dates={"planned": "2018-11-01"}, end=None)
    registry.add(rec, actor="alice")
    version = registry.get_versioned(rec["id"])[1]
    registry.update({**rec, "personnel": 150}, expected_version=version, actor="bob")
    registry.transition(rec["id"], "ongoing", on="2019-02-04", actor="carol")
    registry.add_observation(rec["id"], "o1", "i1", "2019-05-01", 70.0, recorded_by="dave")
    registry.delete(rec["id"], actor="erin")
    log = registry.audit(rec["id"])
    assert [a["actor"] for a in log] == ["alice", "bob", "carol", "dave", "erin"]
    assert [a["action"] for a in log] == ["add", "update", "transition:planned->ongoing",
                                          "observe", "delete"]
    assert log[0]["before"] is None and json.loads(log[0]["after"])["personnel"] == 120
    assert json.loads(log[1]["before"])["personnel"] == 120
    assert json.loads(log[1]["after"])["personnel"] == 150
    assert json.loads(log[2]["after"])["status"] == "ongoing"
    assert log[4]["after"] is None and json.loads(log[4]["before"])["id"] == rec["id"]
    assert all(a["at"] is not None for a in log)
    assert [a["version"] for a in log] == [1, 2, 3, 4, 4]
    assert not registry.exists(rec["id"])


def test_a_stale_update_raises_and_writes_nothing(registry, make_record):
    rec = make_record()
    registry.add(rec)
    _, version = registry.get_versioned(rec["id"])
    registry.update({**rec, "personnel": 130}, expected_version=version)
    with pytest.raises(ConcurrencyError):
        registry.update({**rec, "personnel": 999}, expected_version=version)
    assert registry.get(rec["id"])["personnel"] == 130
    assert registry.get_versioned(rec["id"])[1] == version + 1


def test_unknown_id(registry):
    with pytest.raises(RegistryError, match="no engagement"):
        registry.get("nope")
    with pytest.raises(RegistryError, match="no engagement"):
        registry.transition("nope", "planned")


def test_observation_and_assessment_helpers(registry, make_record):
    rec = make_record()
    registry.add(rec)
    registry.add_observation(rec["id"], "o1", "i1", "2019-05-15", 80.0, recorded_by="J. Mensah")
    registry.add_assessment(rec["id"], {"kind": "lessons", "date": "2020-01-10",
                                        "findings": "start earlier"})
    back = registry.get(rec["id"])
    obs = back["objectives"][0]["indicators"][0]["observations"]
    assert [o["date"] for o in obs] == ["2019-04-01", "2019-05-15", "2019-06-28"]
    assert back["assessments"][-1]["kind"] == "lessons"
    with pytest.raises(RegistryError, match="no indicator"):
        registry.add_observation(rec["id"], "o1", "missing", "2019-05-15", 1.0)
