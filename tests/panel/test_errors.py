"""Bad input: unknown enrichers, uncovered years, code-system mismatches, lost metadata, duplicates."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest

from detente.exceptions import PanelError
from detente.panel import Column, Enricher, dyad_years, state_years
from detente.panel.frame import from_arrow_metadata


def test_unknown_enricher_lists_known_ones(store):
    with pytest.raises(PanelError, match=r"unknown enricher 'nope'.*gml_mids"):
        state_years("cow", years="1990-2000", con=store).add("nope")


def test_unknown_option(store):
    with pytest.raises(PanelError, match="has no option"):
        dyad_years("cow", years="1990-2000", con=store).add("gml_mids", whittle="x")


def test_years_outside_the_source(store):
    with pytest.raises(PanelError, match=r"covers 1946-2024.*entirely outside"):
        state_years("gw", years="1900-1910", con=store).add("ucdp_acd")


def test_code_system_mismatch_says_how_to_convert(store):
    with pytest.raises(PanelError, match=r"keyed on gw codes.*\.convert\('gw'\)"):
        state_years("cow", years="1990-2000", con=store).add("ucdp_acd")


def test_converted_frame_accepts_the_other_system(store):
    t = state_years("cow", years="1990-2000", con=store, echo=None).convert("gw").add("ucdp_acd").to_pandas()
    assert {"ccode", "gwcode", "year", "ucdp_ongoing"} <= set(t.columns)
    # united Germany: CoW 255 is G-W 260, so G-W conflict data reach the CoW row
    assert (t.loc[t.ccode == 255, "gwcode"] == 260).all()
    assert t.ucdp_ongoing.notna().sum() == t.gwcode.notna().sum()


def test_wrong_unit(store):
    with pytest.raises(PanelError, match="works on dyad_year"):
        state_years("cow", years="1990-2000", con=store).add("atop")


def test_lost_metadata_is_refused():
    with pytest.raises(PanelError, match="no panel metadata"):
        from_arrow_metadata(pa.table({"ccode": [2], "year": [2000]}))


def test_metadata_round_trips(store):
    t = state_years("cow", years="1990-2000", con=store, echo=None).add("nmc").to_arrow()
    meta = from_arrow_metadata(t)
    assert meta["unit"] == "state_year" and meta["system"] == "cow"
    assert meta["enrichers"][0]["sources"] == ["cow_nmc"]


class _RawDisputes(Enricher):
    """A deliberately wrong enricher: GML dispute-years without choosing one dispute per dyad-year."""

    name = "raw_disputes"
    sources = ("gml_mid",)
    units = ("dyad_year",)
    level = "dyad"
    columns = (Column("dispnum", "SMALLINT", "dispute number"),)

    def table_sql(self, ctx):
        return "select ccode1 as code1, ccode2 as code2, year, dispnum from gml_mid.gml_dirdisp_v2_2_1"


def test_duplicating_merge_is_refused_with_the_keys(store, monkeypatch):
    import importlib

    registry = importlib.import_module("detente.panel.enrichers")

    known = dict(registry.enrichers())
    known["raw_disputes"] = _RawDisputes
    monkeypatch.setattr(registry, "enrichers", lambda: known)
    worst = store.execute(
        "select ccode1, ccode2, year, count(*) as n from gml_mid.gml_dirdisp_v2_2_1 "
        "group by all order by n desc, ccode1, ccode2, year limit 1"
    ).fetchall()[0]
    panel = dyad_years("cow", years="1816-2010", con=store, echo=None).add("raw_disputes")
    with pytest.raises(PanelError, match="would duplicate rows") as err:
        panel.to_arrow()
    c1, c2, year, n = worst
    assert f"(code1={c1}, code2={c2}, year={year}) x{n}" in str(err.value)


def test_bad_output_extension(store, tmp_path):
    with pytest.raises(PanelError, match=r"\.parquet, \.csv or \.dta"):
        state_years("cow", years="2000-2000", con=store, echo=None).write(tmp_path / "x.xlsx")


@pytest.mark.parametrize("ext", [".csv", ".dta", ".parquet"])
def test_writes_every_format(store, tmp_path, ext):
    import pandas as pd

    panel = state_years("cow", years="2000-2001", con=store, echo=None).add("nmc").add("majors")
    path = panel.write(tmp_path / f"panel{ext}")
    back = {".csv": pd.read_csv, ".dta": pd.read_stata, ".parquet": pd.read_parquet}[ext](path)
    want = panel.to_pandas()
    assert list(back.columns) == list(want.columns)
    assert len(back) == len(want)
    assert back["cinc"].sum() == pytest.approx(want["cinc"].sum(), rel=1e-6)


def test_both_engines_build_the_same_table(store):
    panel = (
        dyad_years("cow", directed=False, years="1990-2012", con=store, echo=None)
        .add("majors").add("nmc").add("atop").add("gml_mids").add("capital_distance")
        .add("un_ideal_points").add("peace_spells", event="gml_onset")
    )
    gather = panel.to_arrow()
    sql = panel.to_arrow(engine="duckdb")
    assert gather.schema == sql.schema
    for name in gather.column_names:
        a, b = gather.column(name), sql.column(name)
        assert a.null_count == b.null_count, name
        if name == "capital_distance":  # numpy's and DuckDB's trigonometry may differ in the last bit
            x, y = a.to_numpy(zero_copy_only=False), b.to_numpy(zero_copy_only=False)
            assert np.allclose(x, y, rtol=1e-12, atol=0, equal_nan=True)
        else:
            assert a.equals(b), name


def test_pandas_and_polars_views(store):
    panel = dyad_years("cow", years="2000-2001", con=store, echo=None).add("majors").add("gml_mids")
    pdf, pldf = panel.to_pandas(), panel.to_polars()
    assert pdf.shape == pldf.shape
    assert pdf.attrs["detente.panel"]["unit"] == "dyad_year"
    assert int(pldf["major1"].sum()) == int(pdf["major1"].sum()) > 0


def _mixed_panels(store):
    """Panels exercising every way a column is written: state grids, sparse dyad rows, pairs of
    capitals, SQL expressions, window functions, and dyad values keyed on converted codes."""
    cow = (
        dyad_years("cow", directed=False, years="1990-2012", con=store, echo=None)
        .add("majors").add("nmc").add("contiguity").add("atop").add("gml_mids").add("capital_distance")
        .add("un_ideal_points").add("peace_spells", event="gml_onset")
    )
    gw = (
        dyad_years("gw", years="1995-2000", con=store, echo=None).convert("cow")
        .add("atop").add("majors").add("ucdp_acd")
    )
    relevant = (
        dyad_years("cow", years="1990-2000", politically_relevant=True, con=store, echo=None)
        .add("contiguity").add("gml_mids").add("nmc")
    )
    return {"cow": cow, "gw_converted": gw, "relevant": relevant}


@pytest.mark.parametrize("which", ["cow", "gw_converted", "relevant"])
def test_batches_equal_the_whole_table(store, which):
    panel = _mixed_panels(store)[which]
    whole = panel.to_arrow()
    schema, batches = panel.batches(rows=1003)
    parts = list(batches)
    assert len(parts) == -(-whole.num_rows // 1003)
    assert schema == whole.schema and schema.metadata == whole.schema.metadata
    assert pa.Table.from_batches(parts, schema=schema).equals(whole)


@pytest.mark.parametrize(("which", "dyad_column"), [("gw_converted", "atop_any"), ("relevant", "gml_onset")])
def test_joined_or_filtered_units_build_as_in_sql(store, which, dyad_column):
    panel = _mixed_panels(store)[which]
    gather, sql = panel.to_arrow(), panel.to_arrow(engine="duckdb")
    assert gather.schema == sql.schema
    for name in gather.column_names:
        assert gather.column(name).equals(sql.column(name)), name
    assert pa.compute.sum(gather.column(dyad_column)).as_py() > 0


def test_a_refused_merge_writes_no_file(store, tmp_path, monkeypatch):
    import importlib

    registry = importlib.import_module("detente.panel.enrichers")
    known = dict(registry.enrichers())
    known["raw_disputes"] = _RawDisputes
    monkeypatch.setattr(registry, "enrichers", lambda: known)
    panel = dyad_years("cow", years="1816-2010", con=store, echo=None).add("raw_disputes")
    with pytest.raises(PanelError, match="would duplicate rows"):
        panel.write(tmp_path / "p.parquet")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("ext", [".csv", ".parquet"])
def test_a_failed_write_leaves_no_file(store, tmp_path, ext):
    panel = state_years("cow", years="2000-2001", con=store, echo=None).add("nmc")
    (tmp_path / f".p{ext}.partial").mkdir()  # the writer cannot open its file
    with pytest.raises(Exception, match="partial"):
        panel.write(tmp_path / f"p{ext}")
    assert not (tmp_path / f"p{ext}").exists()
