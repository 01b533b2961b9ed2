"""Data standards: each rule finds the record that breaks it and only that one."""

from __future__ import annotations

import datetime as dt

from detente.registry import Registry
from detente.registry.check import RULES, check_registry


def test_each_rule_flags_its_record(registry, make_record):
    registry.add(make_record("good"))
    registry.add(make_record("late", assessments=[]))  # completed 2019, no evaluation
    registry.add(make_record("lawless", legal_bases=[]))
    rec = make_record("vague")
    rec["objectives"].append({"key": "o2", "statement": "Goodwill"})
    registry.add(rec)
    rec = make_record("unmeasured")
    ind = rec["objectives"][0]["indicators"][0]
    ind["baseline_value"], ind["target_value"] = None, None
    registry.add(rec)
    rec = make_record("early")
    rec["objectives"][0]["indicators"][0]["observations"][0]["date"] = "2018-01-01"
    registry.add(rec)
    found = check_registry(registry, evaluation_days=365, today=dt.date(2024, 1, 1))
    flagged = {(v.rule, v.engagement_id) for v in found}
    assert flagged == {
        ("completed_without_evaluation", "late"),
        ("no_legal_basis", "lawless"),
        ("objective_without_indicator", "vague"),
        ("indicator_without_baseline", "unmeasured"),
        ("indicator_without_target", "unmeasured"),
        ("observation_outside_life", "early"),
    }
    # within the grace period the late evaluation is not yet due
    soon = check_registry(registry, evaluation_days=365, today=dt.date(2020, 1, 1),
                          rules=["completed_without_evaluation"])
    assert soon == []


def test_unknown_state_codes_are_flagged(registry_url, make_record, known_codes):
    # written without a code check (e.g. before the state lists were imported) ...
    lax = Registry(registry_url)
    rec = make_record("ghost")
    rec["participants"][1]["code"] = 1
    lax.add(rec)
    lax.close()
    # ... and caught by the standards once the codes are known
    strict = Registry(registry_url, known_code=known_codes)
    found = check_registry(strict, rules=["unknown_state_code"])
    assert [(v.rule, v.engagement_id) for v in found] == [("unknown_state_code", "ghost")]
    assert "cow code 1" in found[0].detail
    strict.close()


def test_rules_are_all_documented():
    import detente.registry.check as module

    for rule in RULES:
        assert f"``{rule}``" in module.__doc__ or rule in module.__doc__
