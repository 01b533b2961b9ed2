"""Imports are idempotent per file: the store's manifest knows every imported file by name and
SHA-256, skips content it holds, replaces the rows of a new version of a file, and records the
days each file covers."""

from __future__ import annotations

import datetime as dt
import hashlib
import zipfile
from pathlib import Path

import pytest
from typer.testing import CliRunner

from detente.cli.main import app
from detente.events import coverage, import_events, manifest, read_events
from detente.events.writer import PartitionWriter
from detente.exceptions import EventsError

from .conftest import GDELT2, rows, write_native


def _count(store: Path, where: str = "TRUE") -> int:
    return read_events(store).filter(where).count("*").fetchall()[0][0]


def _ids(store: Path) -> list[int]:
    return sorted(r[0] for r in read_events(store).project("event_id").fetchall())


def test_the_same_file_twice_is_imported_once(tmp_path: Path, native: dict[str, Path]) -> None:
    store = tmp_path / "store"
    first = import_events(native["gdelt1"], store)
    files_before = sorted(p.relative_to(store) for p in store.rglob("*.parquet") if p.name != manifest.MANIFEST)
    again = import_events(native["gdelt1"], store)
    assert again.events == 0 and again.files == []
    [message] = again.skipped
    assert str(native["gdelt1"]) in message and f"import {first.import_id}" in message
    assert _count(store) == first.events
    files_after = sorted(p.relative_to(store) for p in store.rglob("*.parquet") if p.name != manifest.MANIFEST)
    assert files_after == files_before
    # A copy under another name is the same content: skipped too.
    copy = tmp_path / "renamed.export.CSV"
    copy.write_bytes(native["gdelt1"].read_bytes())
    renamed = import_events(copy, store)
    assert renamed.events == 0 and "already in the store as 20110801.export.CSV" in renamed.skipped[0]
    assert _count(store) == first.events


def test_the_manifest_row(tmp_path: Path, native: dict[str, Path]) -> None:
    store = tmp_path / "store"
    report = import_events([native["gdelt1"], native["gdelt2"]], store)
    rows_ = manifest.load(store)
    member = f"{native['gdelt2'].name}:{native['gdelt2'].name[:-4]}"
    assert set(rows_) == {native["gdelt1"].name, member}
    row = rows_[native["gdelt1"].name]
    assert row["sha256"] == hashlib.sha256(native["gdelt1"].read_bytes()).hexdigest()
    assert row["bytes"] == native["gdelt1"].stat().st_size and row["archive"] is None
    assert (row["layout"], row["table"], row["import_id"]) == ("gdelt1", "events", report.import_id)
    assert row["kept"] == _count(store, f"source_file = '{native['gdelt1'].name}'") == row["rows"]
    assert row["partitions"] == ["year=2011/month=8"]
    # The back-file speaks for its event days; the GDELT 2.0 file for the day it was published.
    assert row["covered"] == [{"start": dt.date(2011, 8, 1), "end": dt.date(2011, 8, 31)}]
    assert rows_[member]["archive"] == native["gdelt2"].name
    assert rows_[member]["covered"] == [{"start": dt.date(2017, 7, 1), "end": dt.date(2017, 7, 1)}]
    assert sorted(rows_[member]["partitions"]) == ["year=2007/month=7", "year=2016/month=7", "year=2017/month=6"]
    assert coverage(store) == [
        ("gdelt1", dt.date(2011, 8, 1), dt.date(2011, 8, 31)),
        ("gdelt2", dt.date(2017, 7, 1), dt.date(2017, 7, 1)),
    ]
    assert coverage(store, ["gdelt2"]) == [("gdelt2", dt.date(2017, 7, 1), dt.date(2017, 7, 1))]


def test_a_new_version_replaces_the_old_rows(tmp_path: Path, mirror: Path) -> None:
    header, body = rows(mirror / GDELT2)
    (tmp_path / "old").mkdir()
    old = write_native(tmp_path / "old" / "20170701234500.export.CSV", body)
    store = tmp_path / "store"
    first = import_events(old, store)
    assert first.events == len(body)
    # GDELT re-issues the file with ten rows fewer and one weight corrected.
    fixed = [list(r) for r in body[10:]]
    fixed[0][header.index("GoldsteinScale")] = "-10.0"
    (tmp_path / "new").mkdir()
    new = write_native(tmp_path / "new" / "20170701234500.export.CSV", fixed)
    second = import_events(new, store)
    assert second.events == len(fixed) and second.skipped == []
    [message] = second.replaced
    assert f"from import {first.import_id}" in message
    assert _ids(store) == sorted(int(r[0]) for r in fixed)
    assert _count(store, f"event_id = {fixed[0][0]} AND goldstein = -10.0") == 1
    [row] = manifest.load(store).values()
    assert row["sha256"] == hashlib.sha256(new.read_bytes()).hexdigest() and row["import_id"] == second.import_id
    # Re-importing the old version is a new version again: back to the original rows.
    import_events(old, store)
    assert _ids(store) == sorted(int(r[0]) for r in body)


def test_reimport_and_a_new_goldstein_choice_replace(tmp_path: Path, native: dict[str, Path]) -> None:
    store = tmp_path / "store"
    n = import_events(native["icews"], store).events
    again = import_events(native["icews"], store, reimport=True)
    assert again.events == n and len(again.replaced) == 1 and _count(store) == n
    weights = import_events(native["icews"], store, goldstein="gdelt")
    assert weights.events == n and _count(store) == n
    # 016 "Deny responsibility": -5.0 as the ICEWS file has it, -2.0 in GDELT's table.
    assert {r[0] for r in read_events(store).filter("cameo_code = '016'").project("goldstein").fetchall()} == {-2.0}


def test_zip_members_are_known_by_archive_and_member(tmp_path: Path, native: dict[str, Path]) -> None:
    store = tmp_path / "store"
    n = import_events(native["gdelt2"], store).events
    assert import_events(native["gdelt2"], store).skipped
    # A new archive of the same name, now holding the events and the mentions, replaces it.
    archive = tmp_path / native["gdelt2"].name
    with zipfile.ZipFile(native["gdelt2"]) as old, zipfile.ZipFile(archive, "w") as new:
        for member in old.namelist():
            new.writestr(member, old.read(member))
        new.write(native["mentions"], native["mentions"].name)
    report = import_events(archive, store)
    assert report.events == n and report.mentions > 0
    assert _count(store) == n
    assert set(manifest.load(store)) == {f"{archive.name}:{m}" for m in zipfile.ZipFile(archive).namelist()}


def test_two_files_of_one_name_in_one_import(tmp_path: Path, native: dict[str, Path], mirror: Path) -> None:
    _, body = rows(mirror / GDELT2)
    for folder, part in (("a", body[:20]), ("b", body[20:])):
        (tmp_path / folder).mkdir()
        write_native(tmp_path / folder / "20170701234500.export.CSV", part)
    with pytest.raises(EventsError, match=r"a different file named 20170701234500\.export\.CSV"):
        import_events([tmp_path / "a", tmp_path / "b"], tmp_path / "store")
    assert not list((tmp_path / "store").rglob("*.parquet"))


def test_a_failed_replacement_keeps_the_old_rows(tmp_path: Path, mirror: Path, monkeypatch) -> None:
    _, body = rows(mirror / GDELT2)
    (tmp_path / "v1").mkdir()
    (tmp_path / "v2").mkdir()
    v1 = write_native(tmp_path / "v1" / "20170701234500.export.CSV", body)
    v2 = write_native(tmp_path / "v2" / "20170701234500.export.CSV", body[25:])
    store = tmp_path / "store"
    import_events(v1, store)

    def full_disk(self, prefix):
        raise OSError("disk full")

    monkeypatch.setattr(PartitionWriter, "finish", full_disk)
    with pytest.raises(OSError):
        import_events(v2, store)
    monkeypatch.undo()
    assert _ids(store) == sorted(int(r[0]) for r in body)
    assert not [p for p in store.iterdir() if p.name.startswith(".tmp")]


def test_cli_says_what_it_skipped(tmp_path: Path, native: dict[str, Path]) -> None:
    runner = CliRunner()
    store = tmp_path / "store"
    assert runner.invoke(app, ["events", "import", str(native["icews"]), "-o", str(store)]).exit_code == 0
    result = runner.invoke(app, ["events", "import", str(native["icews"]), "-o", str(store)])
    assert result.exit_code == 0, result.output
    assert "0 events" in result.output and "skipped" in result.output
    result = runner.invoke(app, ["events", "coverage", str(store)])
    assert result.exit_code == 0 and "icews\t2018-06-01\t2018-06-02" in result.output
