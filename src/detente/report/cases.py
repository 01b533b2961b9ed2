"""Case reports for the three classic cases of military diplomacy in the registry.

* ``japan`` — the US occupation and reconstruction of Japan (``case-japan-1945``);
* ``balkans`` — NATO's IFOR/SFOR in Bosnia and KFOR in Kosovo (``case-balkans-ifor-sfor``,
  ``case-kosovo-kfor``);
* ``korea`` — the US–ROK alliance from the Korean War on (``case-korea-rok``).

A case section shows the engagement record (dates, contributors, hosts, legal basis, objectives),
M5 for its objectives, the measures computed for the engagement's contributor–host dyad, and
what the data cover for the host state (e.g. UN ideal points exist only from a state's UN
membership, so not for Japan before 1956).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from detente.exceptions import DetenteError
from detente.metrics.result import MeasureResult
from detente.metrics.scope import Scope
from detente.report.build import plain_finding, run_tasks
from detente.report.html import ReportSection, ReportTable


@dataclass(frozen=True)
class Case:
    """A classic case: its name, title, registry ids and why it matters."""

    name: str
    title: str
    engagements: tuple[str, ...]
    intro: str


CASES: dict[str, Case] = {
    "japan": Case(
        "japan", "Japan, 1945–1952: occupation and reconstruction", ("case-japan-1945",),
        "The Allied occupation of Japan under US command, from the surrender in 1945 to the entry "
        "into force of the peace treaty in 1952: a reconstruction that turned an enemy into an ally.",
    ),
    "balkans": Case(
        "balkans", "The Balkans: IFOR/SFOR in Bosnia and KFOR in Kosovo",
        ("case-balkans-ifor-sfor", "case-kosovo-kfor"),
        "NATO-led forces implementing the Dayton agreement in Bosnia and Herzegovina (IFOR from 1995, "
        "SFOR 1996–2004) and the Kosovo Force deployed from 1999 under a UN Security Council mandate.",
    ),
    "korea": Case(
        "korea", "Korea: the US–ROK alliance from 1950", ("case-korea-rok",),
        "The United States' engagement with the Republic of Korea from the Korean War (1950–1953) "
        "through the mutual defence treaty and the forward presence that followed.",
    ),
}

#: Host-level coverage checks: (source id, what it measures, table, CoW-code column). These tables
#: hold a row for every year a state is in the data, so a host's first year is where coverage starts.
COVERAGE_CHECKS: tuple[tuple[str, str, str, str], ...] = (
    ("unga_ideal_points", "UN General Assembly ideal points (alignment)",
     "unga_ideal_points.unga_ideal_points_jul2025", "ccode"),
    ("cow_trade", "bilateral trade (Correlates of War)", "cow_trade.cow_trade_dyadic_v4_0_rounded", "ccode1"),
    ("cow_igo", "shared memberships of intergovernmental organisations",
     "cow_igo.cow_igo_v3_nondirected_dyad_year", "ccode1"),
)

#: Event datasets that list only the years with an event (an alliance, a dispute): a host's first
#: row is its first event, not the start of coverage, so only the dataset's window is compared.
EVENT_WINDOWS: tuple[tuple[str, str], ...] = (
    ("atop_alliance", "alliance ties (ATOP)"),
    ("gml_mid", "militarised interstate disputes (GML)"),
    ("ucdp_prio_acd", "armed conflict (UCDP/PRIO)"),
)


def get_case(name: str) -> Case:
    """Return the case called ``name`` (``japan``, ``balkans``, ``korea``)."""
    key = name.strip().lower()
    if key not in CASES:
        raise DetenteError(f"unknown case {name!r}; known: {', '.join(CASES)}")
    return CASES[key]


def _names(store: Any) -> dict[int, str]:
    """CoW code -> state name, from the store when it can be read."""
    try:
        from detente.store import connect

        con = connect(store, read_only=True)
    except Exception:  # no store: codes are shown as they are
        return {}
    try:
        rows = con.sql("select ccode, any_value(statenme) from cow_state_system.cow_states_v2016 group by 1").fetchall()
        return {int(c): str(n) for c, n in rows}
    except Exception:
        return {}
    finally:
        con.close()


def _who(participants: list[dict[str, Any]], roles: Sequence[str], names: dict[int, str]) -> str:
    out = []
    for p in participants:
        if p["role"] in roles:
            label = p.get("name") or (names.get(p["code"]) if p["system"] == "cow" else None) or f"{p['system']}:{p['code']}"
            out.append(f"{label} ({p['system'].upper()} {p['code']})")
    return "; ".join(out) or "none recorded"


def legal_basis_text(record: dict[str, Any]) -> str:
    """The legal basis of an engagement in words, e.g. ``UN Security Council resolution 1031 (Chapter VII)``."""
    parts = []
    for lb in record.get("legal_bases") or []:
        kind = lb["kind"]
        if kind == "un_mandate":
            text = "UN Security Council mandate"
            if lb.get("resolution"):
                text = f"UN Security Council resolution {lb['resolution']}"
            if lb.get("chapter"):
                text += f" (Chapter {lb['chapter']})"
        else:
            # "other" says nothing to a reader: the reference alone names the instrument
            text = {"host_consent": "host-state consent", "sofa": "status-of-forces agreement",
                    "treaty": "treaty", "regional_mandate": "regional mandate", "other": ""}.get(
                        kind, kind.replace("_", " "))
        extra = [x for x in (lb.get("reference"), lb.get("description")) if x]
        if extra:
            text = f"{text}: {'; '.join(extra)}" if text else "; ".join(extra)
        elif not text:
            text = "other (not described)"
        if lb.get("date"):
            text += f" ({lb['date']})"
        parts.append(text)
    return " · ".join(parts) or "no legal basis recorded"


def record_table(record: dict[str, Any], names: dict[int, str]) -> ReportTable:
    """The engagement record as a two-column table."""
    objectives = [f"{o['statement']} ({len(o.get('indicators') or [])} indicator(s))" for o in record.get("objectives") or []]
    assessments = [f"{a['kind']} {a['date']}" + (f": {a['rating'].replace('_', ' ')}" if a.get("rating") else "")
                   for a in record.get("assessments") or []]
    rows = [
        ["type", record["type"].replace("_", " ")],
        ["status", record["status"]],
        ["dates", f"{record.get('start') or '?'} to {record.get('end') or 'ongoing'}"],
        ["location", record.get("location") or "not recorded"],
        ["personnel", f"{record['personnel']:,}" if record.get("personnel") else "not recorded"],
        ["contributors", _who(record["participants"], ("contributor",), names)],
        ["hosts and partners", _who(record["participants"], ("host", "partner"), names)],
        ["legal basis", legal_basis_text(record)],
        ["objectives", " · ".join(objectives) or "none recorded"],
        ["assessments", " · ".join(assessments) or "none recorded"],
        ["sources", " · ".join(record.get("citations") or []) or (record.get("source") or "not recorded")],
    ]
    return ReportTable(caption=f"{record['title']} ({record['id']})", header=["field", "record"], rows=rows)


def coverage_notes(record: dict[str, Any], store: Any, names: dict[int, str], label: str = "the engagement") -> list[str]:
    """What the data cover for the engagement's hosts, compared with the engagement's years.

    ``label`` names the engagement in the notes (a case with several engagements names each).
    """
    from detente.sources import get_source

    start = int(str(record["start"])[:4]) if record.get("start") else None
    hosts = [p for p in record["participants"] if p["role"] in ("host", "partner") and p["system"] == "cow"]
    notes: list[str] = []
    try:
        from detente.store import connect

        con = connect(store, read_only=True)
    except Exception as exc:
        return [f"the data coverage could not be checked: {exc}"]
    try:
        for sid, what, table, column in COVERAGE_CHECKS:
            lo, hi = get_source(sid).coverage
            window = f"{lo or '?'}–{hi or '?'}"
            for h in hosts:
                host = names.get(h["code"], f"CoW {h['code']}")
                try:
                    first, last = con.execute(
                        f"select min(year), max(year) from {table} where {column} = ?", [h["code"]]).fetchone()
                except Exception:
                    notes.append(f"{what}: not in the store, so not used for {host}.")
                    continue
                if first is None:
                    notes.append(f"{what} ({window}): no data at all for {host}, so measures built on it say nothing here.")
                    continue
                text = f"{what}: {host} from {first} to {last}"
                if start is not None and last < start:
                    text += f"; the series ends before {label} began in {start}, so none of it is covered"
                elif start is not None and first > start:
                    text += f"; {label} began in {start}, so {start}–{first - 1} is not covered"
                notes.append(text + ".")
    finally:
        con.close()
    end = int(str(record["end"])[:4]) if record.get("end") else None
    for sid, what in EVENT_WINDOWS:
        lo, hi = get_source(sid).coverage
        gaps = []
        if start is not None and lo is not None and start < lo:
            gaps.append(f"the years before {lo}")
        if hi is not None and (end is None or end > hi):
            gaps.append(f"the years after {hi}")
        text = f"{what}: the dataset covers {lo or '?'}–{hi or '?'}"
        notes.append(text + (f"; {' and '.join(gaps)} of {label} are not covered." if gaps else "."))
    return notes


@dataclass
class CasePlan:
    """A case section before its measures are run: the record part and the measure tasks."""

    section: ReportSection
    records: list[dict[str, Any]]
    tasks: list[tuple[Scope, str]]
    registry_url: str

    def finish(self, results: Sequence[MeasureResult]) -> ReportSection:
        """Put the results of :attr:`tasks` (in order) into the section, with its findings."""
        section, many = self.section, len(self.records) > 1
        section.results = list(results)
        titles = {r["id"]: r["title"] for r in self.records}
        for res in results:
            if res.measure == "objectives":
                label = titles.get(str(res.scope.get("engagement")), "")
                section.findings.append((f"{label}: " if many else "") + plain_finding(res))
        section.findings.append("Legal basis: " + "; ".join(
            f"{r['title']}: {legal_basis_text(r)}" if many else legal_basis_text(r) for r in self.records) + ".")
        return section


def plan_case(case: Case | str, *, store: Any = None, registry: Any = None,
              names: Sequence[str] | None = None) -> CasePlan:
    """Read a case's records, build its record tables and coverage notes, and list its measures."""
    from detente.metrics import MEASURES
    from detente.registry.api import Registry, open_registry

    case = get_case(case) if isinstance(case, str) else case
    reg = registry if isinstance(registry, Registry) else open_registry(registry, store=store, check_codes=False)
    try:
        missing = [e for e in case.engagements if not reg.exists(e)]
        if missing:
            raise DetenteError(
                f"case {case.name!r}: the registry has no record {', '.join(missing)}; load the public "
                "record first (detente registry import-public)")
        records = reg.records(list(case.engagements))
        url = reg.url
    finally:
        if not isinstance(registry, Registry):
            reg.close()
    state_names = _names(store)
    # M5 first: a case is judged against its own objectives before the dyad's outcomes
    order = ["objectives", *[m for m in (names or MEASURES) if m != "objectives"]]
    section = ReportSection(title=case.title, intro=[case.intro])
    tasks: list[tuple[Scope, str]] = []
    for rec in records:
        section.tables.append(record_table(rec, state_names))
        # host-level notes name the host; the engagement is named where a window is compared
        label = rec["id"] if len(records) > 1 else "the engagement"
        section.notes += [n for n in coverage_notes(rec, store, state_names, label) if n not in section.notes]
        tasks += [(Scope(engagement=rec["id"]), m) for m in order]
    return CasePlan(section, records, tasks, url)


def case_section(case: Case | str, *, store: Any = None, registry: Any = None,
                 names: Sequence[str] | None = None, workers: int | None = None) -> ReportSection:
    """Build the section of one case: record, M5, the dyad's measures, coverage limits."""
    plan = plan_case(case, store=store, registry=registry, names=names)
    return plan.finish(run_tasks(plan.tasks, store=store, registry=plan.registry_url, workers=workers))


def case_report(name: str, output: Path, *, store: Any = None, registry: Any = None, pdf: bool = False) -> list[Path]:
    """Write the report of one case (``japan``, ``balkans``, ``korea``)."""
    from detente.report.build import executive_summary, sections_report

    section = case_section(name, store=store, registry=registry)
    executive = [section.findings[-1], *executive_summary(section.results)]
    section.findings = []  # said in the executive summary already; one case needs no second box
    return sections_report([section], output, title=f"Case report: {section.title}",
                           subtitle="The engagement record, its objectives, and what the public record shows "
                                    "for the host state.", store=store, pdf=pdf, executive=executive)
