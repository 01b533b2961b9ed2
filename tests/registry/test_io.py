"""Import and export: CSV, JSON, JSON Lines; atomic, re-runnable, exact round trips."""

from __future__ import annotations

import json

import pytest

from detente.exceptions import RecordValidationError
from detente.registry import Registry
from detente.registry.io import dumps, export_file, import_file
from detente.registry.schema import SCHEMA_ID

FORMATS = ["csv", "json", "jsonl"]


def _three(make_record):
    a = make_record("trn-a")
    b = make_record("trn-b", title="Naval boarding course; '--", status="planned",
                    status_dates={"planned": "2024-01-01"}, end=None, cost=None, currency=None)
    c = {"id": "visit-c", "type": "official_visit", "title": "Defence minister's visit",
         "status": "proposed"}
    return [a, b, c]


@pytest.mark.parametrize("fmt", FORMATS)
def test_export_round_trips_exactly(registry, make_record, tmp_path, fmt, known_codes):
    for rec in _three(make_record):
        registry.add(rec)
    first = tmp_path / f"first.{fmt}"
    assert export_file(registry, first) == 3
    other = Registry(f"sqlite:///{tmp_path / 'other.sqlite'}", known_code=known_codes)
    result = import_file(other, first)
    assert result.report.counts() == {"inserted": 3, "updated": 0, "unchanged": 0}
    second = tmp_path / f"second.{fmt}"
    export_file(other, second)
    assert second.read_bytes() == first.read_bytes()
    assert other.records() == registry.records()
    other.close()


@pytest.mark.parametrize("fmt", FORMATS)
def test_import_is_rerunnable_without_duplicates(registry, make_record, tmp_path, fmt):
    path = tmp_path / f"records.{fmt}"
    path.write_text(dumps(_three(make_record), fmt), encoding="utf-8")
    assert import_file(registry, path).report.counts()["inserted"] == 3
    again = import_file(registry, path)
    assert again.report.counts() == {"inserted": 0, "updated": 0, "unchanged": 3}
    assert registry.count() == 3
    # a changed row updates in place, audited as an import
    recs = _three(make_record)
    recs[0]["personnel"] = 121
    path.write_text(dumps(recs, fmt), encoding="utf-8")
    assert import_file(registry, path).report.updated == ["trn-a"]
    assert registry.count() == 3 and registry.get("trn-a")["personnel"] == 121
    assert registry.audit("trn-a")[-1]["action"] == f"import:{path.name}"


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_bad_row_means_nothing_is_written(registry, make_record, tmp_path, fmt):
    recs = _three(make_record)
    recs[1]["personnel"] = -3
    recs[2]["type"] = "parade"
    path = tmp_path / f"bad.{fmt}"
    path.write_text(dumps([*recs[:1], *recs[1:]], fmt) if fmt != "csv" else dumps(recs, fmt),
                    encoding="utf-8")
    with pytest.raises(RecordValidationError) as info:
        import_file(registry, path)
    errors = info.value.errors
    assert [(e.file, e.row, e.field) for e in errors] == [
        (path.name, 3 if fmt == "csv" else 2, "personnel"),
        (path.name, 4 if fmt == "csv" else 3, "type"),
    ]
    assert "unknown type 'parade'" in errors[1].reason
    assert registry.count() == 0


def test_duplicate_id_in_a_file_names_both_rows(registry, make_record, tmp_path):
    recs = [make_record("x"), make_record("x", title="again")]
    path = tmp_path / "dup.jsonl"
    path.write_text(dumps(recs, "jsonl"), encoding="utf-8")
    with pytest.raises(RecordValidationError) as info:
        import_file(registry, path)
    assert (info.value.row, info.value.field) == (2, "id")
    assert "first on row 1" in info.value.reason
    assert registry.count() == 0


def test_a_write_failing_midway_rolls_back(registry, make_record, tmp_path):
    """Rows valid on their own but refused by the database leave nothing behind."""
    good = make_record("fine")
    path = tmp_path / "ok.json"
    path.write_text(dumps([good], "json"), encoding="utf-8")
    real_write = registry.write

    def failing_write(records, **kw):
        with registry.engine.begin() as conn:
            real_write(records, conn=conn, **kw)
            raise RuntimeError("disk full")

    registry.write = failing_write
    with pytest.raises(RuntimeError):
        import_file(registry, path)
    registry.write = real_write
    assert registry.count() == 0


@pytest.mark.parametrize(
    ("name", "text", "row", "words"),
    [
        ("wrong.json", json.dumps({"schema": "other/1", "engagements": []}), None, "wrong schema"),
        ("wrong.json", json.dumps({"missions": []}), None, "wrong schema"),
        ("wrong.csv", "mission,year\nUNMIK,1999\n", 1, "wrong schema"),
        ("short.csv", "id,type,title,status\nx,training,T\n", 2, "missing fields"),
        ("long.csv", "id,type,title,status\nx,training,T,proposed,extra\n", 2, "extra fields"),
        ("broken.jsonl", '{"id": "x"\n', 1, "not valid JSON"),
        ("extra.jsonl", json.dumps({"id": "x", "type": "training", "title": "T",
                                    "status": "proposed", "budget": 3}) + "\n", 1,
         "unexpected field 'budget'"),
        ("missing.jsonl", json.dumps({"id": "x", "type": "training", "status": "proposed"}) + "\n",
         1, "missing required field 'title'"),
        ("date.csv", "id,type,title,status,start\nx,training,T,proposed,31/12/2020\n", 2,
         "malformed date"),
        ("cell.csv", "id,type,title,status,participants\nx,training,T,proposed,[{\n", 2,
         "malformed JSON"),
        ("records.xml", "<x/>", None, "unknown format"),
    ],
)
def test_files_in_the_wrong_shape_are_refused(registry, tmp_path, name, text, row, words):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    with pytest.raises(RecordValidationError) as info:
        import_file(registry, path)
    assert info.value.row == row
    assert words in str(info.value)
    assert registry.count() == 0


def test_unknown_country_in_a_csv_row(registry, tmp_path):
    parts = json.dumps([{"system": "cow", "code": 2, "role": "contributor"},
                        {"system": "gw", "code": 4242, "role": "host"}])
    path = tmp_path / "c.csv"
    path.write_text('id,type,title,status,participants\nx,training,T,proposed,"'
                    + parts.replace('"', '""') + '"\n', encoding="utf-8")
    with pytest.raises(RecordValidationError) as info:
        import_file(registry, path)
    assert (info.value.row, info.value.field) == (2, "participants[1].code")
    assert "unknown country: gw code 4242" in info.value.reason


def test_json_envelope_is_the_published_file_schema(registry, make_record, tmp_path):
    import jsonschema
    from referencing import Registry as Refs
    from referencing import Resource

    from detente.registry.schema import shipped

    registry.add(make_record())
    path = tmp_path / "out.json"
    export_file(registry, path)
    doc = json.loads(path.read_text(encoding="utf-8"))
    assert doc["schema"] == SCHEMA_ID
    record_schema = shipped("engagement.schema.json")
    refs = Refs().with_resource(record_schema["$id"], Resource.from_contents(record_schema))
    jsonschema.Draft202012Validator(shipped("registry-file.schema.json"),
                                    registry=refs).validate(doc)
    doc["engagements"][0]["colour"] = "blue"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.Draft202012Validator(shipped("registry-file.schema.json"),
                                        registry=refs).validate(doc)
