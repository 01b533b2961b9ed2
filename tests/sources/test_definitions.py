"""Every mirror folder has a definition whose files, checksums and row counts match the mirror."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from detente.sources import all_sources
from detente.store.importer import sha256_of

DOC_FILES = re.compile(r"^(PROVENANCE|TARGETS|CODEBOOK.*|README)\.(md|txt)$", re.I)


def _data_files(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.is_file() and not DOC_FILES.match(p.name))


def _provenance_rows(folder: Path) -> dict[str, int]:
    """Row counts from the files table of PROVENANCE.md (`| `name` | rows | ...`)."""
    text = (folder / "PROVENANCE.md").read_text(encoding="utf-8")
    out: dict[str, int] = {}
    for name, rows in re.findall(r"^\|\s*`([^`]+)`\s*\|\s*([\d,]+)\s*\|", text, re.M):
        out.setdefault(name, int(rows.replace(",", "")))
    return out


def test_every_mirror_folder_has_a_definition(mirror: Path) -> None:
    folders = sorted(p.name for p in mirror.iterdir() if p.is_dir())
    assert folders, "the mirror is empty"
    assert sorted(all_sources()) == folders


@pytest.mark.parametrize("source_id", sorted(all_sources()))
def test_definition_lists_every_file_with_checksum_and_rows(mirror: Path, source_id: str) -> None:
    source = all_sources()[source_id]
    folder = mirror / source_id
    assert sorted(f.name for f in source.files) == _data_files(folder)
    documented = _provenance_rows(folder)
    for spec in source.files:
        assert sha256_of(folder / spec.name) == spec.sha256, spec.name
        if spec.name in documented:
            assert spec.rows == documented[spec.name], spec.name
    assert source.citation.lstrip().startswith("@"), "citation must be BibTeX"
    assert source.licence and source.producer and source.version and source.unit


def test_store_holds_every_file_with_its_row_count(store) -> None:
    catalog = {
        (sid, f): rows
        for sid, f, rows in store.execute("select source_id, file, rows from meta.catalog").fetchall()
    }
    for source in all_sources().values():
        for spec in source.files:
            (n,) = store.execute(f'select count(*) from "{source.id}"."{spec.table}"').fetchone()
            assert n == spec.rows, f"{source.id}.{spec.table}"
            assert catalog[(source.id, spec.name)] == spec.rows


def test_parsed_definitions_are_cached_by_content(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import tomllib
    from importlib import resources

    from detente.sources import definition

    monkeypatch.setenv("DETENTE_HOME", str(tmp_path))
    folder = resources.files("detente.sources") / "definitions"
    expected = [
        (e.name, tomllib.loads(e.read_text(encoding="utf-8")))
        for e in sorted(folder.iterdir(), key=lambda e: e.name) if e.name.endswith(".toml")
    ]
    assert definition.raw_definitions() == expected  # parsed, then cached
    (cached,) = (tmp_path / "cache").glob("definitions-*.json")

    def no_parsing(_text: str) -> dict:
        raise AssertionError("parsed again although cached")

    monkeypatch.setattr(definition.tomllib, "loads", no_parsing)
    assert definition.raw_definitions() == expected  # read from the cache
    monkeypatch.undo()
    monkeypatch.setenv("DETENTE_HOME", str(tmp_path))
    cached.write_text("{not json", encoding="utf-8")
    assert definition.raw_definitions() == expected  # an unreadable cache is parsed afresh
