"""Importing the mirror's samples: native layouts, re-saves, zip, glob and directory inputs.

Expected values are read from the mirror files themselves (by hand-written code, not the engine).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest

from detente.events import import_events, read_events
from detente.events.cameo import cameo_table
from detente.states import code_table

from .conftest import GDELT1, GDELT2, ICEWS, MENTIONS, rows


def _events(store: Path, where: str = "TRUE") -> pd.DataFrame:
    return read_events(store).filter(where).df()


def test_counts_per_dataset_equal_the_files(event_store: Path, mirror: Path) -> None:
    counts = read_events(event_store).aggregate("dataset, count(*) AS n").df()
    got = dict(zip(counts["dataset"], counts["n"], strict=True))
    assert got == {
        "gdelt1": len(rows(mirror / GDELT1)[1]),
        "gdelt2": len(rows(mirror / GDELT2)[1]),
        "icews": len(rows(mirror / ICEWS)[1]),
    }
    mentions = read_events(event_store, "mentions").count("*").fetchall()[0][0]
    assert mentions == len(rows(mirror / MENTIONS)[1])


def test_gdelt1_rows_match_the_file(event_store: Path, mirror: Path) -> None:
    header, body = rows(mirror / GDELT1)
    col = {name: i for i, name in enumerate(header)}
    stored = _events(event_store, "dataset = 'gdelt1'").set_index("event_id")
    cow = code_table("cameo", "cow")
    for r in body[::97]:  # every 97th row, about 60 rows across the month
        got = stored.loc[int(r[col["GLOBALEVENTID"]])]
        assert got["date"].strftime("%Y%m%d") == r[col["SQLDATE"]]
        assert got["cameo_code"] == r[col["EventCode"]]
        assert got["root_code"] == int(r[col["EventRootCode"]])
        assert got["quad_class"] == int(r[col["QuadClass"]])
        assert got["goldstein"] == float(r[col["GoldsteinScale"]])
        assert got["mentions"] == int(r[col["NumMentions"]])
        assert got["sources"] == int(r[col["NumSources"]])
        code = r[col["Actor1CountryCode"]]
        expected_actor = code or r[col["Actor1KnownGroupCode"]] or None
        assert (got["source_actor"] if pd.notna(got["source_actor"]) else None) == expected_actor
        match = cow[cow["key"] == code]
        if code and len(match):
            assert got["source_cow"] == int(match["state"].iloc[0])
        else:
            assert pd.isna(got["source_cow"])


def test_quad_class_from_root_agrees_with_every_gdelt_row(event_store: Path, mirror: Path) -> None:
    for rel in (GDELT1, GDELT2):
        header, body = rows(mirror / rel)
        col = {name: i for i, name in enumerate(header)}
        expected = {int(r[col["GLOBALEVENTID"]]): int(r[col["QuadClass"]]) for r in body}
        ids = ",".join(map(str, expected))
        stored = _events(event_store, f"event_id IN ({ids})")
        assert dict(zip(stored["event_id"], stored["quad_class"], strict=True)) == expected


def test_icews_quad_classes_follow_the_icews_convention(event_store: Path) -> None:
    got = _events(event_store, "dataset = 'icews'").groupby("root_code")["quad_class"].unique()
    assert {int(r): sorted(q) for r, q in got.items()} == {
        int(r): [1 if r <= 5 else 2 if r <= 8 else 3 if r <= 13 else 4] for r in got.index
    }


def test_icews_row_spot_check(event_store: Path, mirror: Path) -> None:
    header, body = rows(mirror / ICEWS)
    first = dict(zip(header, body[0], strict=True))
    assert first["Source Country"] == "Bangladesh" and first["Target Country"] == "Vietnam"
    got = _events(event_store, f"dataset = 'icews' AND event_id = {first['Event ID']}").iloc[0]
    assert got["date"].date() == dt.date.fromisoformat(first["Event Date"])
    assert (got["source_cow"], got["target_cow"]) == (771, 816)
    assert (got["source_gw"], got["target_gw"]) == (771, 816)
    assert got["source_actor"] == "Bangladesh"
    # "Executive,Foreign Ministry,Government" -> government; "Military,Government" -> military
    assert (got["source_type"], got["target_type"]) == ("government", "military")
    assert got["cameo_code"] == first["CAMEO Code"] and got["goldstein"] == float(first["Intensity"])
    assert got["quad_class"] == 1 and got["mentions"] == 1


def test_gw_and_cow_differ_where_the_systems_do(event_store: Path) -> None:
    # Germany is 255 in CoW and 260 in G-W after 1990.
    de = _events(event_store, "source_actor = 'Germany'")
    assert len(de) > 0
    assert set(de["source_cow"]) == {255} and set(de["source_gw"]) == {260}


def test_resaved_csv_and_native_give_the_same_rows(
    tmp_path: Path, mirror: Path, event_store: Path
) -> None:
    report = import_events([mirror / GDELT1, mirror / ICEWS], tmp_path / "store")
    assert report.bad == 0
    cols = ["event_id", "date", "source_cow", "target_gw", "source_actor", "source_type",
            "cameo_code", "goldstein", "mentions"]  # fmt: skip
    a = _events(tmp_path / "store")[cols].sort_values("event_id").reset_index(drop=True)
    b = _events(event_store, "dataset IN ('gdelt1', 'icews')")[cols]
    pd.testing.assert_frame_equal(a, b.sort_values("event_id").reset_index(drop=True))


def test_glob_and_file_inputs(tmp_path: Path, native: dict[str, Path]) -> None:
    report = import_events(str(native["dir"] / "*.export.CSV*"), tmp_path / "s")
    assert report.layouts == {"gdelt1": 1, "gdelt2": 1}
    assert report.events == 5894 + 50


def test_parquet_in_the_official_layout(tmp_path: Path, mirror: Path) -> None:
    frame = pd.read_csv(mirror / GDELT2, dtype={"EventCode": str, "EventRootCode": str, "EventBaseCode": str})
    frame.to_parquet(tmp_path / "events.parquet")
    report = import_events(tmp_path / "events.parquet", tmp_path / "s")
    assert report.events == len(frame) and report.bad == 0
    got = _events(tmp_path / "s").set_index("event_id").sort_index()
    assert (got["goldstein"].to_numpy() == frame.set_index("GLOBALEVENTID").sort_index()["GoldsteinScale"].to_numpy()).all()


def test_goldstein_from_one_table(tmp_path: Path, native: dict[str, Path], mirror: Path) -> None:
    report = import_events(native["icews"], tmp_path / "s", goldstein="gdelt")
    assert report.goldstein == "gdelt"
    table = cameo_table().to_pandas().set_index("cameo_code")
    got = _events(tmp_path / "s")
    expected = table.loc[got["cameo_code"], "goldstein_gdelt"].to_numpy()
    assert (got["goldstein"].to_numpy() == expected).all()
    # 016 "Deny responsibility": -5.0 in the ICEWS file, -2.0 in GDELT's table.
    assert set(got.loc[got["cameo_code"] == "016", "goldstein"]) == {-2.0}


def test_store_layout(event_store: Path) -> None:
    import pyarrow.parquet as pq

    files = sorted((event_store / "events").glob("year=*/month=*/*.parquet"))
    assert {f.parent.parent.name + "/" + f.parent.name for f in files} >= {"year=2011/month=8", "year=2018/month=6"}
    biggest = max(files, key=lambda f: f.stat().st_size)
    meta = pq.ParquetFile(biggest).metadata
    schema = pq.read_schema(biggest)
    assert str(schema.field("source_cow").type) == "int16"
    assert meta.row_group(0).column(0).compression == "SNAPPY"
    encodings = {meta.row_group(0).column(i).path_in_schema: meta.row_group(0).column(i).encodings
                 for i in range(meta.num_columns)}  # fmt: skip
    assert any("DICTIONARY" in e for e in encodings["cameo_code"])
    # Rows are sorted by source then target state within a partition.
    table = pq.read_table(biggest, columns=["source_cow", "target_cow"]).to_pandas()
    assert table.equals(table.sort_values(["source_cow", "target_cow"], na_position="last").reset_index(drop=True))


@pytest.mark.parametrize("bad", ["goldstein", "strict"])
def test_import_argument_errors(tmp_path: Path, native: dict[str, Path], bad: str) -> None:
    from detente.exceptions import EventsError

    with pytest.raises(EventsError):
        if bad == "goldstein":
            import_events(native["gdelt1"], tmp_path / "s", goldstein="mine")
        else:
            import_events(tmp_path / "missing.CSV", tmp_path / "s", strict=True)
