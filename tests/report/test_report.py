"""``detente report``: self-contained HTML, every measure present, citations, case reports, PDF."""

from __future__ import annotations

import re

import pytest
from typer.testing import CliRunner

from detente.exceptions import ConfigurationError
from detente.metrics import MEASURES, Scope
from detente.report.build import executive_summary, run_measures
from detente.report.cases import CASES, case_section, legal_basis_text
from detente.report.html import ReportContext, find_browser, write_report


def _app():
    import typer

    from detente.cli.report import report

    app = typer.Typer()
    app.command()(report)
    return app


def _visible_text(html: str) -> str:
    return re.sub(r"<[^>]+>", " ", html.split("<body>", 1)[1])


def _assert_self_contained(html: str) -> None:
    # nothing fetched from the network: no http(s) in src/href/url(), every image a data URI
    assert not re.search(r"""(src|href)\s*=\s*["']https?:""", html, re.I)
    assert not re.search(r"url\(\s*['\"]?https?:", html, re.I)
    assert "<link" not in html.lower() and "<script src" not in html.lower()
    images = re.findall(r"""<img[^>]+src=["']([^"']+)""", html)
    assert images and all(src.startswith("data:image/png;base64,") for src in images)


@pytest.fixture(scope="module")
def korea_report(tmp_path_factory, store_path, cases_registry_url):
    """The case report for the US–ROK alliance, written through the CLI."""
    out = tmp_path_factory.mktemp("report") / "korea.html"
    res = CliRunner().invoke(_app(), ["--case", "korea", "--output", str(out),
                                      "--store", str(store_path), "--registry", cases_registry_url])
    assert res.exit_code == 0, res.output
    assert res.output.strip() == str(out)
    return out.read_text("utf-8")


def test_report_is_self_contained(korea_report):
    _assert_self_contained(korea_report)


def test_every_measure_has_a_section(korea_report):
    # a measure that fails or has no data is shown with its warning, never dropped
    for name in MEASURES:
        assert re.search(rf'<section class="measure" id="m\d+-{name.replace("_", "-")}"', korea_report), name
    text = _visible_text(korea_report)
    for name in MEASURES:
        assert name.replace("_", " ").capitalize() + ": engagement case-korea-rok" in text
    assert korea_report.count('<section class="measure"') == len(MEASURES)


def test_executive_summary_and_citations(korea_report, store_path, cases_registry_url):
    summary = korea_report.split("<h2>Executive summary</h2>", 1)[1].split("</div>", 1)[0]
    items = re.findall(r"<li>(.*?)</li>", summary, re.S)
    # the legal basis, the overall line, then one sentence per measure
    assert len(items) == len(MEASURES) + 2 and all(len(i.strip()) > 20 for i in items)
    assert items[0].startswith("Legal basis: UN Security Council resolution 83")
    assert "How sure" in summary or "not computed" in summary
    # every dataset a measure used is cited, by id and citation text
    from detente.sources import get_source

    results = run_measures(Scope(engagement="case-korea-rok"), ["objectives", "trade_agreements"],
                           store=store_path, registry=cases_registry_url)
    data = korea_report.split('id="data"', 1)[1]
    for sid in {s for r in results for s in r.sources}:
        assert f"<strong>{sid}</strong>" in data
        assert get_source(sid).citation_text().split(".")[0].replace("&", "&amp;") in data


def test_failing_measure_appears_with_its_warning(tmp_path, store_path, cases_registry_url, monkeypatch):
    import detente.metrics.objectives as mod

    def broken(scope, *, store=None, registry=None):
        raise RuntimeError("the registry went away")

    monkeypatch.setattr(mod, "objectives", broken)
    results = run_measures(Scope(engagement="case-japan-1945"), ["objectives", "no_such_measure"],
                           store=store_path, registry=cases_registry_url)
    assert [r.measure for r in results] == ["objectives", "no_such_measure"]
    assert "the registry went away" in results[0].warnings[0]
    assert "unknown measure" in results[1].warnings[0]
    out = write_report(results, ReportContext(title="t", executive=executive_summary(results)), tmp_path / "r.html")[0]
    html = out.read_text("utf-8")
    assert "RuntimeError: the registry went away" in html and "not computed" in html


def test_case_reports_name_the_legal_basis(store_path, cases_registry_url):
    from detente.registry import Registry

    reg = Registry(cases_registry_url)
    try:
        for case in CASES.values():
            for rec in reg.records(list(case.engagements)):
                text = legal_basis_text(rec)
                assert text != "no legal basis recorded"
                for lb in rec["legal_bases"]:
                    if lb["resolution"]:
                        assert f"resolution {lb['resolution']}" in text
                    if lb["reference"]:
                        assert lb["reference"] in text
    finally:
        reg.close()
    section = case_section("balkans", store=store_path, registry=cases_registry_url, names=["objectives"],
                           workers=1)
    record_text = " ".join(str(v) for tb in section.tables for row in tb.rows for v in row)
    assert "UN Security Council resolution 1031 (Chapter VII)" in record_text
    assert "UN Security Council resolution 1244 (Chapter VII)" in record_text
    assert [r.measure for r in section.results] == ["objectives", "objectives"]


def test_case_report_says_coverage_limits(tmp_path, store_path, cases_registry_url):
    """Japan's UN ideal points start with its UN membership, after the occupation began."""
    import duckdb

    con = duckdb.connect(str(store_path), read_only=True)
    first = con.execute("select min(year) from unga_ideal_points.unga_ideal_points_jul2025 where ccode = 740").fetchone()[0]
    kosovo = con.execute("select count(*) from unga_ideal_points.unga_ideal_points_jul2025 where ccode = 347").fetchone()[0]
    con.close()
    japan = case_section("japan", store=store_path, registry=cases_registry_url, names=["objectives"])
    note = next(n for n in japan.notes if n.startswith("UN General Assembly ideal points"))
    assert f"from {first}" in note and f"1945–{first - 1} is not covered" in note
    balkans = case_section("balkans", store=store_path, registry=cases_registry_url, names=["objectives"],
                           workers=1)
    if kosovo == 0:
        assert any("no data at all for Kosovo" in n for n in balkans.notes)
    record_text = " ".join(str(v) for tb in japan.tables for row in tb.rows for v in row)
    assert "Japan (COW 740)" in record_text and "United States (COW 2)" in record_text


def test_case_report_names_its_record(korea_report):
    text = _visible_text(korea_report)
    assert "Mutual Defense Treaty between the United States and the Republic of Korea" in text
    assert "status-of-forces agreement: US–ROK Status of Forces Agreement (1966-07-09)" in text
    assert "Republic of Korea (COW 732)" in text or "South Korea (COW 732)" in text
    assert "What the data cover" in text
    # disputes data end before the (ongoing) alliance does: said, from the dataset's own window
    from detente.sources import get_source

    lo, hi = get_source("gml_mid").coverage
    assert f"militarised interstate disputes (GML): the dataset covers {lo}–{hi}; the years after {hi}" in text


def test_bad_requests_are_clear_errors(tmp_path):
    from detente.exceptions import DetenteError

    runner = CliRunner()
    res = runner.invoke(_app(), ["--output", str(tmp_path / "x.html")])
    assert isinstance(res.exception, DetenteError) and "say what to report on" in str(res.exception)
    res = runner.invoke(_app(), ["--case", "atlantis", "--output", str(tmp_path / "x.html")])
    assert isinstance(res.exception, DetenteError) and "unknown case" in str(res.exception)
    res = runner.invoke(_app(), ["--case", "japan", "--type", "training", "--output", str(tmp_path / "x.html")])
    assert isinstance(res.exception, DetenteError) and "give one of" in str(res.exception)


def _small_results(store_path, registry_url):
    return run_measures(Scope(engagement="case-korea-rok"), ["objectives"], store=store_path, registry=registry_url)


def test_pdf_when_chromium_is_present(tmp_path, store_path, cases_registry_url):
    results = _small_results(store_path, cases_registry_url)
    context = ReportContext(title="Korea", executive=executive_summary(results))
    if find_browser() is None:
        with pytest.raises(ConfigurationError, match="Chromium"):
            write_report(results, context, tmp_path / "k.html", pdf=True)
        return
    written = write_report(results, context, tmp_path / "k.html", pdf=True)
    assert [p.suffix for p in written] == [".html", ".pdf"]
    pdf = written[1].read_bytes()
    assert pdf[:5] == b"%PDF-" and len(pdf) > 10_000


def test_engagement_report_without_chromium_is_a_clear_error(tmp_path, store_path, cases_registry_url,
                                                             monkeypatch):
    """An engagement report with --pdf on a system without Chromium: HTML written, clear error."""
    empty = tmp_path / "bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    out = tmp_path / "k.html"
    res = CliRunner().invoke(_app(), ["--engagement", "case-korea-rok", "--output", str(out), "--pdf",
                                      "--store", str(store_path), "--registry", cases_registry_url])
    assert isinstance(res.exception, ConfigurationError)
    assert "PDF output needs Chromium" in str(res.exception)
    assert out.exists() and not out.with_suffix(".pdf").exists()  # the HTML was still written
    html = out.read_text("utf-8")
    _assert_self_contained(html)
    for name in MEASURES:
        assert f"{name.replace('_', ' ').capitalize()}: engagement case-korea-rok" in html


def test_partner_profile_types_and_unknown_partner(tmp_path, store_path, cases_registry_url):
    from detente.exceptions import DetenteError
    from detente.registry import Registry, participants_frame
    from detente.report.build import partner_report, partner_types

    reg = Registry(cases_registry_url)
    try:
        parts = participants_frame(reg, role=["host", "partner"])
    finally:
        reg.close()
    # Bosnia and Herzegovina (346) hosts IFOR/SFOR: every type it hosts, counted once
    expected = parts[parts["code"] == 346].drop_duplicates("engagement_id")["type"].value_counts()
    got = dict(partner_types(346, store=store_path, registry=cases_registry_url))
    assert got == {k: int(v) for k, v in expected.items()} and got.get("peacekeeping", 0) >= 1
    with pytest.raises(DetenteError, match="no engagement with partner or host state 2"):
        partner_report(2, tmp_path / "us.html", store=store_path, registry=cases_registry_url)


def test_measures_in_parallel_processes_match_sequential(store_path, cases_registry_url):
    """The process pool returns the same results, in task order, as running one after another."""
    from detente.report.build import run_tasks

    tasks = [(Scope(engagement=e), "objectives") for c in CASES.values() for e in c.engagements]
    tasks.append((Scope(engagement="case-korea-rok"), "no_such_measure"))
    parallel = run_tasks(tasks, store=store_path, registry=cases_registry_url, workers=2)
    sequential = run_tasks(tasks, store=store_path, registry=cases_registry_url, workers=1)
    assert [r.scope["engagement"] for r in parallel] == [s.engagement for s, _ in tasks]
    for p, s in zip(parallel, sequential, strict=True):
        assert p.headline == s.headline and p.warnings == s.warnings
        assert p.tidy().astype(str).equals(s.tidy().astype(str))
        assert (p.figure is None) == (s.figure is None)
    assert parallel[-1].design == "not computed"
