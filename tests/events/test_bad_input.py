"""Bad input: each bad row is counted and reported by file and line, good rows are kept,
``strict`` fails on the first one, and no half-written partition is ever left behind."""

from __future__ import annotations

import inspect
import zipfile
from pathlib import Path

import pytest

from detente.events import import_events, manifest, read_events
from detente.exceptions import EventsError

from .conftest import GDELT1, GDELT2, rows, write_native


def _col(header: list[str], name: str) -> int:
    return header.index(name)


@pytest.fixture()
def damaged(tmp_path: Path, mirror: Path) -> tuple[Path, dict[int, str], int]:
    """The GDELT 2.0 sample, native, with one bad row of each kind; returns (file, line->reason word, good)."""
    header, body = rows(mirror / GDELT2)
    body = [list(r) for r in body]
    bad: dict[int, str] = {}
    body[3][_col(header, "GoldsteinScale")] = "high"
    bad[4] = "Goldstein"
    body[10][_col(header, "EventCode")] = "999"
    bad[11] = "CAMEO"
    body[20][_col(header, "SQLDATE")] = "20171345"
    bad[21] = "date"
    body[30] = body[30][:40]  # a truncated line
    bad[31] = "fields"
    body[40] = body[40][:57]  # a GDELT 1.0 row inside a GDELT 2.0 file
    bad[41] = "fields"
    path = write_native(tmp_path / "20170701234500.export.CSV", body)
    return path, bad, len(body) - len(bad)


@pytest.mark.parametrize("piece", [None, 2048], ids=["whole", "pieces"])
def test_bad_rows_reported_by_file_and_line(tmp_path: Path, damaged, piece, monkeypatch) -> None:
    path, bad, good = damaged
    if piece:  # a large file is read in pieces: lines must still be counted from the file's start
        from detente.events import reader

        monkeypatch.setattr(reader, "PIECE_BYTES", piece)
    report = import_events(path, tmp_path / "store")
    assert report.bad == len(bad)
    assert {b.line: b.file for b in report.bad_rows} == dict.fromkeys(bad, str(path))
    for row in report.bad_rows:
        assert bad[row.line].lower() in row.reason.lower(), row
    assert report.events == good
    assert read_events(tmp_path / "store").count("*").fetchall()[0][0] == good
    # The report is also kept in the store.
    saved = (tmp_path / "store" / "imports" / f"{report.import_id}.json").read_text()
    assert '"line": 21' in saved


def test_strict_fails_on_the_first_bad_row_and_writes_nothing(tmp_path: Path, damaged) -> None:
    path, bad, _ = damaged
    with pytest.raises(EventsError) as err:
        import_events(path, tmp_path / "store", strict=True)
    assert str(err.value).startswith(f"{path}:{min(bad)}: non-numeric Goldstein")
    store = tmp_path / "store"
    assert not list(store.rglob("*.parquet"))
    assert not [p for p in store.iterdir() if p.name.startswith(".tmp")]


def test_strict_names_a_wrong_width_line(tmp_path: Path, mirror: Path) -> None:
    _, body = rows(mirror / GDELT2)
    body = [list(r) for r in body]
    body[7] = body[7][:10]
    path = write_native(tmp_path / "x.export.CSV", body)
    with pytest.raises(EventsError, match=r"x\.export\.CSV:8: wrong number of fields"):
        import_events(path, tmp_path / "store", strict=True)


def test_a_strict_failure_closes_the_file_reader_at_once(tmp_path: Path, damaged) -> None:
    """The reader's look-ahead thread ends with the import, not when the garbage collector finds
    the half-read generator (which, run inside another thread's start-up, deadlocked it)."""
    path, _, _ = damaged
    with pytest.raises(EventsError) as err:
        import_events(path, tmp_path / "store", strict=True)
    frames = []
    tb = err.value.__traceback__
    while tb is not None:
        frames.append(tb.tb_frame)
        tb = tb.tb_next
    readers = [v for f in frames for v in f.f_locals.values() if inspect.isgenerator(v)]
    assert readers, "the importer's frame holds its file reader"
    assert all(inspect.getgeneratorstate(g) == inspect.GEN_CLOSED for g in readers)


def test_truncated_zip_keeps_the_rows_before_the_cut(tmp_path: Path, mirror: Path) -> None:
    _, body = rows(mirror / GDELT1)
    plain = write_native(tmp_path / "20110801.export.CSV", [r[:57] for r in body])
    archive = tmp_path / "20110801.export.CSV.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as z:
        z.write(plain, plain.name)
    plain.unlink()
    data = archive.read_bytes()
    archive.write_bytes(data[: len(data) // 2])
    report = import_events(archive, tmp_path / "store")
    assert 0 < report.events < len(body)
    [problem] = report.bad_rows
    assert "truncated zip" in problem.reason and problem.line == report.events + 1
    # The rows kept are exactly the first lines of the file.
    ids = [int(r[0]) for r in body[: report.events]]
    stored = read_events(tmp_path / "store").aggregate("min(event_id), max(event_id), count(*)").fetchall()[0]
    assert stored == (min(ids), max(ids), len(ids))
    with pytest.raises(EventsError, match="truncated zip"):
        import_events(archive, tmp_path / "store2", strict=True)


def test_mixed_layouts_in_one_directory(tmp_path: Path, native: dict[str, Path], mirror: Path) -> None:
    folder = tmp_path / "mixed"
    folder.mkdir()
    for key in ("gdelt1", "gdelt2", "icews", "mentions"):
        (folder / native[key].name).write_bytes(native[key].read_bytes())
    (folder / "notes.csv").write_text("country,comment\nGEO,not an event file\n")
    report = import_events(folder, tmp_path / "store")
    assert report.layouts == {"gdelt1": 1, "gdelt2": 1, "icews": 1, "gdelt2_mentions": 1, "unknown": 1}
    [problem] = report.bad_rows
    assert problem.file.endswith("notes.csv") and problem.line == 1
    assert report.events == len(rows(mirror / GDELT1)[1]) + 50 + 3705


def test_a_failure_while_writing_leaves_no_partition(tmp_path: Path, native: dict[str, Path], monkeypatch) -> None:
    store = tmp_path / "store"
    import_events(native["gdelt2"], store)
    before = sorted(p.relative_to(store) for p in store.rglob("*.parquet"))
    original = manifest.publish

    def crash(store, tmp, moves, deletes):  # fails after every partition file was written
        assert [src for src, _ in moves if src.suffix == ".parquet"]
        raise OSError("disk full")

    monkeypatch.setattr(manifest, "publish", crash)
    with pytest.raises(OSError):
        import_events(native["gdelt1"], store)
    monkeypatch.setattr(manifest, "publish", original)
    after = sorted(p.relative_to(store) for p in store.rglob("*.parquet"))
    assert after == before
    assert not [p for p in store.iterdir() if p.name.startswith(".tmp")]


def test_a_crash_while_publishing_is_finished_before_the_next_read(
    tmp_path: Path, native: dict[str, Path], mirror: Path, monkeypatch
) -> None:
    store = tmp_path / "store"
    import_events(native["gdelt2"], store)
    moved = []
    real = manifest.os.replace

    def dies_after_two_moves(src, dst):  # the process "dies" in the middle of the renames
        if len(moved) == 2:
            raise KeyboardInterrupt
        moved.append(dst)
        real(src, dst)

    monkeypatch.setattr(manifest.os, "replace", dies_after_two_moves)
    with pytest.raises(KeyboardInterrupt):
        import_events(native["gdelt1"], store)
    monkeypatch.setattr(manifest.os, "replace", real)
    assert (store / manifest.JOURNAL).is_file()  # half done: the journal says what is left
    # The next reader finishes the publication: every row of both files, once.
    counts = dict(read_events(store).aggregate("dataset, count(*)").fetchall())
    assert counts == {"gdelt2": 50, "gdelt1": len(rows(mirror / GDELT1)[1])}
    assert not (store / manifest.JOURNAL).exists()
    assert not [p for p in store.iterdir() if p.name.startswith(".tmp")]
    assert set(manifest.load(store)) == {native["gdelt1"].name, native["gdelt2"].name + ":" + native["gdelt2"].name[:-4]}


def test_missing_input_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(EventsError, match="no such file"):
        import_events(tmp_path / "nothing-here.CSV", tmp_path / "store")
    (tmp_path / "empty").mkdir()
    with pytest.raises(EventsError, match="matches no file"):
        import_events(tmp_path / "empty", tmp_path / "store")
