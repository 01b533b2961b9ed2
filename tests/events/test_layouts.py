"""The built-in layouts equal GDELT's published column lists; files are recognised by form."""

from __future__ import annotations

import csv
from pathlib import Path

from detente.events.layouts import (
    GDELT1_COLUMNS,
    GDELT2_COLUMNS,
    GDELT2_MENTIONS_COLUMNS,
    ICEWS_COLUMNS,
    detect,
)

from .conftest import GDELT1, GDELT2, ICEWS, MENTIONS, rows


def _official(path: Path, key: str) -> tuple[str, ...]:
    with path.open(newline="") as fh:
        return tuple(r[key] for r in csv.DictReader(fh))


def test_layouts_equal_the_official_column_lists(mirror: Path) -> None:
    assert _official(
        mirror / "gdelt_v1_event_sample" / "gdelt1_event_columns_official.csv", "column"
    ) == GDELT1_COLUMNS
    assert _official(
        mirror / "gdelt_v2_event_sample" / "gdelt2_event_columns_official.csv", "tableId"
    ) == GDELT2_COLUMNS
    assert _official(
        mirror / "gdelt_v2_event_sample" / "gdelt2_mentions_columns_official.csv", "tableId"
    ) == GDELT2_MENTIONS_COLUMNS
    assert len(GDELT2_COLUMNS) == 61 and len(GDELT1_COLUMNS) == 58


def test_mirror_headers_are_recognised(mirror: Path) -> None:
    for rel, name in ((GDELT1, "gdelt1"), (GDELT2, "gdelt2"), (MENTIONS, "gdelt2_mentions"), (ICEWS, "icews")):
        header, _ = rows(mirror / rel)
        form = detect(",".join(header))
        assert form is not None and form.layout.name == name and form.header
    header, _ = rows(mirror / ICEWS)
    assert list(ICEWS_COLUMNS) == header


def test_native_rows_are_recognised_by_width(mirror: Path) -> None:
    _, body = rows(mirror / GDELT1)
    assert detect("\t".join(body[0][:57])).layout.name == "gdelt1"
    assert detect("\t".join(body[0])).layout.name == "gdelt1"  # daily files add SOURCEURL
    _, body = rows(mirror / GDELT2)
    assert detect("\t".join(body[0])).layout.name == "gdelt2"
    _, body = rows(mirror / MENTIONS)
    assert detect("\t".join(body[0])).layout.name == "gdelt2_mentions"
    assert detect("a\tb\tc") is None
