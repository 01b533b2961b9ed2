"""`detente data fetch` through a file-backed transport over the mirror: no test touches the network."""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path

import pytest

from detente.exceptions import ChecksumError
from detente.sources import get_source
from detente.sources.fetch import MirrorTransport, fetch, verify


def _with_urls(source_id: str):
    src = get_source(source_id)
    files = tuple(
        dataclasses.replace(f, url=f.url or f"https://data.example.org/{source_id}/{f.name}") for f in src.files
    )
    return dataclasses.replace(src, files=files)


def test_fetch_writes_verified_files_in_the_mirror_layout(tmp_path: Path, mirror: Path) -> None:
    src = _with_urls("cow_state_system")
    results = fetch([src], tmp_path, MirrorTransport(mirror))
    assert {r.status for r in results} == {"downloaded"}
    for spec in src.files:
        assert (tmp_path / src.id / spec.name).read_bytes() == (mirror / src.id / spec.name).read_bytes()
    assert verify([src], tmp_path) == []
    again = fetch([src], tmp_path, MirrorTransport(mirror))
    assert {r.status for r in again} == {"present"}


def test_fetch_refuses_a_checksum_mismatch_and_writes_nothing(tmp_path: Path, mirror: Path) -> None:
    src = _with_urls("cow_state_system")
    bad = tmp_path / "bad"
    shutil.copytree(mirror / src.id, bad / src.id)
    target = bad / src.id / src.files[0].name
    target.write_bytes(target.read_bytes().replace(b"United States", b"United Stated"))
    dest = tmp_path / "dest"
    with pytest.raises(ChecksumError, match=src.files[0].name):
        fetch([src], dest, MirrorTransport(bad))
    assert not (dest / src.id / src.files[0].name).exists()


def test_files_without_official_download_are_reported(tmp_path: Path, mirror: Path) -> None:
    src = get_source("cow_state_system")
    no_url = dataclasses.replace(src, files=tuple(dataclasses.replace(f, url=None) for f in src.files))
    results = fetch([no_url], tmp_path, MirrorTransport(mirror))
    assert {r.status for r in results} == {"no official download"}
    assert not any(tmp_path.iterdir())
