"""Event-engine fixtures: the mirror's samples written back in their native layouts, a store
imported from them."""

from __future__ import annotations

import csv
import importlib.util
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
GDELT1 = Path("gdelt_v1_event_sample") / "gdelt1_events_georgia_2011-08.csv"
GDELT2 = Path("gdelt_v2_event_sample") / "gdelt2_events_sample_20170701234500.csv"
MENTIONS = Path("gdelt_v2_event_sample") / "gdelt2_mentions_sample.csv"
ICEWS = Path("icews_event_sample") / "icews_events_2018-06-01_to_02.csv"


def rows(path: Path) -> tuple[list[str], list[list[str]]]:
    """The header and the rows of a mirror CSV re-save, every field as the exact text."""
    with path.open(newline="", encoding="utf-8") as fh:
        reader = csv.reader(fh)
        header = next(reader)
        return header, list(reader)


def write_native(path: Path, body: list[list[str]], header: list[str] | None = None) -> Path:
    """Write rows tab-separated, unquoted, as GDELT and ICEWS publish them."""
    lines = (["\t".join(header)] if header else []) + ["\t".join(r) for r in body]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture(scope="session")
def native(tmp_path_factory: pytest.TempPathFactory, mirror: Path) -> dict[str, Path]:
    """The samples in their official layouts.

    GDELT 1.0 as a 57-field back-file (its SOURCEURL column is empty in the sample), GDELT 2.0
    as a zipped ``.export.CSV`` (61 fields), mentions as ``.mentions.CSV`` (16 fields), ICEWS as
    a tab-separated dataverse file with its header row.
    """
    out = tmp_path_factory.mktemp("native")
    _, g1 = rows(mirror / GDELT1)
    assert all(r[57] == "" for r in g1)
    gdelt1 = write_native(out / "20110801.export.CSV", [r[:57] for r in g1])
    _, g2 = rows(mirror / GDELT2)
    plain2 = write_native(out / "20170701234500.export.CSV", g2)
    gdelt2 = out / "20170701234500.export.CSV.zip"
    with zipfile.ZipFile(gdelt2, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.write(plain2, plain2.name)
    plain2.unlink()
    _, m = rows(mirror / MENTIONS)
    mentions = write_native(out / "20170701234500.mentions.CSV", m)
    header, ic = rows(mirror / ICEWS)
    icews = write_native(out / "events.2018.sample.tab", ic, header)
    return {"gdelt1": gdelt1, "gdelt2": gdelt2, "mentions": mentions, "icews": icews, "dir": out}


@pytest.fixture(scope="session")
def event_store(tmp_path_factory: pytest.TempPathFactory, native: dict[str, Path]) -> Path:
    """A store imported from the native directory (all four files)."""
    from detente.events import import_events

    store = tmp_path_factory.mktemp("event-store")
    report = import_events(native["dir"], store)
    assert report.bad == 0, [str(b) for b in report.bad_rows]
    return store


def generator():
    """The benchmark's synthetic GDELT 2.0 generator (``benchmarks/generate_gdelt.py``)."""
    spec = importlib.util.spec_from_file_location("generate_gdelt", ROOT / "benchmarks" / "generate_gdelt.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def synthetic_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One million synthetic GDELT 2.0 events over 20 years, imported.

    Countries are drawn evenly and every event has both actors, so nearly every event is a
    dyad-day of its own: a dyad-day aggregate has about a million groups.
    """
    from detente.events import import_events

    raw = tmp_path_factory.mktemp("synthetic-raw")
    generator().generate(raw, 1_000_000, fmt="parquet", seed=7, months=240, skew=0.0, missing=0.0)
    store = tmp_path_factory.mktemp("synthetic-store")
    report = import_events(raw, store)
    assert report.events == 1_000_000 and report.bad == 0
    return store
