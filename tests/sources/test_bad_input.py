"""Damaged copies of real mirror files: each import fails naming file, line and column, and
leaves the store exactly as it was."""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from detente.exceptions import ValidationError
from detente.sources import get_source
from detente.store import connect
from detente.store.importer import import_all

Damage = Callable[[bytes], bytes]


def _lines(raw: bytes) -> list[bytes]:
    return raw.split(b"\n")


def _field_index(raw: bytes, column: bytes) -> int:
    return _lines(raw)[0].split(b",").index(column)


def _set_field(raw: bytes, line: int, column: bytes, value: bytes) -> bytes:
    lines = _lines(raw)
    idx = _field_index(raw, column)
    fields = lines[line - 1].split(b",")
    fields[idx] = value
    lines[line - 1] = b",".join(fields)
    return b"\n".join(lines)


def truncated_row(raw: bytes) -> bytes:
    lines = _lines(raw)
    lines[11] = b",".join(lines[11].split(b",")[:3])
    return b"\n".join(lines)


def wrong_delimiter(raw: bytes) -> bytes:
    return raw.replace(b",", b";")


def text_in_numeric(raw: bytes) -> bytes:
    return _set_field(raw, 10, b"ccode", b"abc")


def fractional_integer(raw: bytes) -> bytes:
    return _set_field(raw, 10, b"ccode", b"2.5")


def duplicated_key(raw: bytes) -> bytes:
    lines = _lines(raw)
    return b"\n".join([*lines[:10], lines[9], *lines[10:]])


def impossible_date(raw: bytes) -> bytes:
    return _set_field(raw, 10, b"start", b"2001-02-30")


def non_utf8(raw: bytes) -> bytes:
    return _set_field(raw, 10, b"cw_name", b"Bad\xff\xfeName")


def empty_file(raw: bytes) -> bytes:
    return b""


def missing_column(raw: bytes) -> bytes:
    idx = _field_index(raw, b"cw_abb")
    out = []
    for line in _lines(raw):
        fields = line.split(b",")
        if len(fields) > idx:
            del fields[idx]
        out.append(b",".join(fields))
    return b"\n".join(out)


def unknown_code(raw: bytes) -> bytes:
    return _set_field(raw, 10, b"ccode", b"3")


def unknown_code_in_long_file(raw: bytes) -> bytes:
    return _set_field(raw, 30000, b"ccode2", b"3.0")


def value_not_allowed(raw: bytes) -> bytes:
    return _set_field(raw, 10, b"positional", b"2")


# (source, file, damage, expected line, expected column)
IMPORTED = ["cow_state_system", "gw_state_system", "cow_nmc"]

#: a file longer than SHORT_TABLE rows, whose checks take the DISTINCT-aggregate path
LONG = ("sipri_arms_transfers_dyad_year", "sipri_tiv_directed_dyad_year.csv")
#: a long file sorted by its key, whose uniqueness is first tried by comparing adjacent rows
SORTED_LONG = ("democracy_isard", "gw_democracy.csv")

CASES = [
    ("cow_state_system", "cw_system_isard.csv", truncated_row, 12, None),
    ("cow_state_system", "cw_system_isard.csv", wrong_delimiter, 1, None),
    ("cow_state_system", "cw_system_isard.csv", text_in_numeric, 10, "ccode"),
    ("cow_state_system", "cw_system_isard.csv", fractional_integer, 10, "ccode"),
    ("cow_state_system", "cw_system_isard.csv", duplicated_key, 11, "ccode,start"),
    ("cow_state_system", "cw_system_isard.csv", impossible_date, 10, "start"),
    ("cow_state_system", "cw_system_isard.csv", non_utf8, 10, None),
    ("cow_state_system", "cw_system_isard.csv", empty_file, None, None),
    ("cow_state_system", "cw_system_isard.csv", missing_column, 1, "cw_abb"),
    ("cow_nmc", "cow_nmc_v7_0.csv", unknown_code, 10, "ccode"),
    ("strategic_rivalries", "tss_rivalries.csv", value_not_allowed, 10, "positional"),
    (*LONG, duplicated_key, 11, "year,sender,receiver"),
    (*SORTED_LONG, duplicated_key, 11, "gwcode,year"),
    (*LONG, unknown_code_in_long_file, 30000, "ccode2"),
]


@pytest.fixture(scope="module")
def good_store(tmp_path_factory: pytest.TempPathFactory, mirror: Path) -> Path:
    path = tmp_path_factory.mktemp("bad") / "store.duckdb"
    con = connect(path)
    import_all(con, mirror, IMPORTED)
    con.close()
    return path


def _snapshot(store: Path) -> tuple:
    con = connect(store, read_only=True)
    try:
        catalog = con.execute("select * from meta.catalog order by all").fetchall()
        counts = con.execute(
            "select schema_name, table_name, column_count from duckdb_tables() order by all"
        ).fetchall()
        tables = [
            (s, t, con.execute(f'select count(*), hash(list(x)) from (select * from "{s}"."{t}") x').fetchone())
            for s, t in con.execute(
                "select schema_name, table_name from duckdb_tables() where schema_name <> 'meta'"
            ).fetchall()
        ]
        return catalog, counts, tables
    finally:
        con.close()


def _damaged_mirror(tmp: Path, mirror: Path, source: str, file: str, damage: Damage) -> Path:
    root = tmp / "mirror"
    shutil.copytree(mirror / source, root / source)
    target = root / source / file
    target.write_bytes(damage(target.read_bytes()))
    return root


@pytest.mark.parametrize(("source", "file", "damage", "line", "column"), CASES, ids=[c[2].__name__ for c in CASES])
def test_damaged_file_fails_cleanly(tmp_path, mirror, good_store, source, file, damage, line, column) -> None:
    before = _snapshot(good_store)
    root = _damaged_mirror(tmp_path, mirror, source, file, damage)
    con = connect(good_store)
    try:
        with pytest.raises(ValidationError) as info:
            import_all(con, root, [source])
    finally:
        con.close()
    err = info.value
    assert err.file == f"{source}/{file}"
    assert err.row == line
    if column is not None:
        assert err.column == column
    assert file in str(err)
    assert _snapshot(good_store) == before


def test_long_files_are_checked_on_the_long_path() -> None:
    from detente.sources.validate import SHORT_TABLE

    for source, file in (LONG, SORTED_LONG):
        assert get_source(source).file(file).rows > SHORT_TABLE


def _catalog_matches_tables(store: Path) -> dict[str, int]:
    """Every catalog row's table exists with the catalog's row count; return rows per source."""
    con = connect(store, read_only=True)
    try:
        per_source: dict[str, int] = {}
        for source, table, rows in con.execute("select source_id, table_name, rows from meta.catalog").fetchall():
            schema, _, name = table.partition(".")
            (n,) = con.execute(f'select count(*) from "{schema}"."{name}"').fetchone()
            assert n == rows, table
            per_source[source] = per_source.get(source, 0) + rows
        return per_source
    finally:
        con.close()


def test_parallel_import_failure_leaves_the_failed_source_and_the_catalog_intact(tmp_path, mirror, good_store) -> None:
    store = tmp_path / "store.duckdb"
    shutil.copy(good_store, store)
    before = _snapshot(store)
    root = _damaged_mirror(tmp_path, mirror, "cow_nmc", "cow_nmc_v7_0.csv", unknown_code)
    others = ["strategic_rivalries", LONG[0], "cow_trade"]
    for sid in others:
        shutil.copytree(mirror / sid, root / sid)
    con = connect(store)
    try:
        with pytest.raises(ValidationError) as info:
            import_all(con, root, ["cow_nmc", *others], workers=2)
    finally:
        con.close()
    assert info.value.file == "cow_nmc/cow_nmc_v7_0.csv" and info.value.row == 10
    catalog, _, tables = _snapshot(store)
    assert [r for r in catalog if r[0] == "cow_nmc"] == [r for r in before[0] if r[0] == "cow_nmc"]
    assert [t for t in tables if t[0] == "cow_nmc"] == [t for t in before[2] if t[0] == "cow_nmc"]
    # sources imported alongside are complete or absent, never partial
    for source, rows in _catalog_matches_tables(store).items():
        assert rows == sum(f.rows for f in get_source(source).files), source
    con = connect(store, read_only=True)
    try:
        schemas = {s for (s,) in con.execute("select distinct schema_name from duckdb_tables()").fetchall()}
        listed = {s for (s,) in con.execute("select distinct source_id from meta.catalog").fetchall()}
    finally:
        con.close()
    assert schemas - {"meta"} <= listed


def test_parallel_reimport_is_idempotent(tmp_path, mirror, good_store) -> None:
    store = tmp_path / "store.duckdb"
    shutil.copy(good_store, store)
    ids = ["cow_nmc", "strategic_rivalries", LONG[0], "cow_trade"]
    con = connect(store)
    try:
        first = import_all(con, mirror, ids, workers=3)
        second = import_all(con, mirror, ids, workers=3)
        columns = con.execute("select count(*) from meta.columns where source_id in (select unnest(?))", [ids]).fetchone()
    finally:
        con.close()
    assert [(f.source_id, f.file, f.rows) for f in first] == [(f.source_id, f.file, f.rows) for f in second]
    assert [f.source_id for f in first] == [s for s in ids for _ in get_source(s).files]
    assert columns == (sum(len(f.columns) for s in ids for f in get_source(s).files),)
    counts = _catalog_matches_tables(store)
    assert all(counts[s] == sum(f.rows for f in get_source(s).files) for s in ids)


def test_cli_import_of_damaged_file_exits_nonzero_and_names_the_place(tmp_path, mirror, good_store) -> None:
    before = _snapshot(good_store)
    root = _damaged_mirror(tmp_path, mirror, "cow_state_system", "cw_system_isard.csv", text_in_numeric)
    proc = subprocess.run(
        [sys.executable, "-m", "detente.cli.main", "data", "import", "cow_state_system",
         "--mirror", str(root), "--store", str(good_store)],
        capture_output=True, text=True, check=False,
    )
    assert proc.returncode == 1
    assert "cow_state_system/cw_system_isard.csv" in proc.stderr
    assert "line 10" in proc.stderr and "'ccode'" in proc.stderr
    assert _snapshot(good_store) == before


def test_verify_fails_on_checksum_mismatch(tmp_path, mirror) -> None:
    root = _damaged_mirror(tmp_path, mirror, "cow_state_system", "cow_majors_v2016.csv", lambda b: b + b"\n")
    proc = subprocess.run(
        [sys.executable, "-m", "detente.cli.main", "data", "verify", "cow_state_system", "--mirror", str(root)],
        capture_output=True, text=True, check=False,
    )
    assert proc.returncode == 1
    assert "cow_state_system/cow_majors_v2016.csv" in proc.stderr


def test_reimport_is_idempotent(good_store, mirror) -> None:
    con = connect(good_store)
    try:
        import_all(con, mirror, ["cow_state_system"])
        rows = con.execute(
            "select file, rows from meta.catalog where source_id = 'cow_state_system' order by file"
        ).fetchall()
        (n,) = con.execute("select count(*) from cow_state_system.cow_states_v2016").fetchone()
    finally:
        con.close()
    assert rows == [("cow_majors_v2016.csv", 14), ("cow_states_v2016.csv", 243), ("cw_system_isard.csv", 243)]
    assert n == 243


def test_interrupted_parallel_import_stops_and_leaves_whole_sources(tmp_path, mirror, good_store) -> None:
    import _thread

    store = tmp_path / "store.duckdb"
    shutil.copy(good_store, store)
    ids = ["cow_nmc", "strategic_rivalries", LONG[0], "cow_trade", "cow_igo", "minimum_distance"]
    finished: list[str] = []

    def progress(source, _n: int) -> None:
        finished.append(source.id)
        if len(finished) == 1:
            _thread.interrupt_main()  # Ctrl-C while the other sources are under way

    con = connect(store)
    try:
        with pytest.raises(KeyboardInterrupt):
            import_all(con, mirror, ids, progress=progress, workers=2)
        (n,) = con.execute("select count(*) from meta.catalog").fetchone()  # the connection still works
    finally:
        con.close()
    assert n > 0
    imported = _catalog_matches_tables(store)
    assert set(finished) <= set(imported) | set(IMPORTED)
    assert not set(ids) <= set(imported)  # it stopped before the end
    for source in imported:
        assert imported[source] == sum(f.rows for f in get_source(source).files), source
