"""The enricher interface: one public source (or a few) added to a panel as SQL.

An enricher is a small class in its own module under :mod:`detente.panel.enrichers`. It declares
what it reads (``sources``), the years its data speak for (``coverage``), which units and code
systems it serves, the columns it adds, and one SQL ``SELECT`` that returns its values keyed by
state-year or dyad-year. The panel does everything else: it joins the table once (or once per side
of a dyad for state-level values), refuses keys that would duplicate rows, masks years outside the
coverage as missing, fills "no record inside coverage" with the declared value, and prints the
enricher's case-exclusion rule.

A new enricher is therefore one module::

    class Onsets(Enricher):
        name = "ucdp_onsets"
        sources = ("ucdp_onsets",)
        systems = ("gw",)
        level = "state"
        columns = (Column("sumnewconf", "SMALLINT", "new conflicts", fill=0),)

        def table_sql(self, ctx):
            return "select gwcode as code, year, sumnewconf from ucdp_onsets.ucdp_onsets_v19_1_gw_country_year"
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from typing import TYPE_CHECKING, Any, ClassVar

from detente.exceptions import PanelError

if TYPE_CHECKING:
    from detente.panel.frame import BuildContext


@cache
def source_coverage(source_id: str) -> tuple[int | None, int | None]:
    """A source's coverage window (start, end), read from its definition file alone.

    Parsing every source definition takes longer than building a panel, and an enricher needs
    only its own source's window; :func:`detente.sources.get_source` gives the same values.
    """
    import importlib.util
    import tomllib
    from pathlib import Path

    # the package's folder, found without importing the package
    folder = importlib.util.find_spec("detente.sources").submodule_search_locations[0]
    definition = Path(folder) / "definitions" / f"{source_id}.toml"
    if not definition.is_file():
        from detente.sources import get_source

        return get_source(source_id).coverage  # raises the error listing the known sources
    coverage = tomllib.loads(definition.read_text(encoding="utf-8")).get("coverage", {})
    return coverage.get("start"), coverage.get("end")


@dataclass(frozen=True)
class Column:
    """One column an enricher adds.

    Parameters
    ----------
    name : str
        detente's name. State-level columns get the suffix ``1``/``2`` on dyad-years.
    type : str
        The DuckDB type of the output column (narrow types keep panels small).
    description : str
        What the value means.
    fill : int or float or None
        The value for a unit inside the coverage window that has no record in the source (0 for
        event indicators such as "a dispute began"); ``None`` leaves it missing.
    ps_name : str or None
        peacesciencer's name when it differs (``--names peacesciencer``).
    """

    name: str
    type: str
    description: str
    fill: int | float | None = None
    ps_name: str | None = None


@dataclass(frozen=True)
class SideTable:
    """An enricher's values for one build: SQL keyed by (code, year) or (code1, code2, year)."""

    sql: str
    level: str
    columns: tuple[Column, ...]
    coverage: tuple[int, int]
    system: str
    rule: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


class Enricher:
    """Base class of every enricher; subclasses set the class attributes and ``table_sql``.

    Class attributes
    ----------------
    name : str
        The name used in ``--add`` and in ``frame.add_<name>()``.
    sources : tuple of str
        Source ids (definitions under ``detente/sources/definitions``); citations come from them.
    summary : str
        One line for ``detente panel enrichers``.
    units : tuple of str
        ``"state_year"`` and/or ``"dyad_year"``.
    systems : tuple of str
        Code systems the source is keyed on (``"cow"``, ``"gw"``).
    level : str
        ``"state"`` (one value per state-year; on dyad-years joined once per side) or ``"dyad"``.
    coverage : tuple of int or None
        Years the values speak for; ``None`` takes the first source definition's coverage.
    columns : tuple of Column
        The columns added (for ``level="state"`` the per-state names).
    options : dict
        Accepted keyword options and their defaults.
    """

    name: ClassVar[str]
    sources: ClassVar[tuple[str, ...]]
    summary: ClassVar[str] = ""
    units: ClassVar[tuple[str, ...]] = ("state_year", "dyad_year")
    systems: ClassVar[tuple[str, ...]] = ("cow",)
    level: ClassVar[str] = "state"
    coverage: ClassVar[tuple[int, int] | None] = None
    columns: ClassVar[tuple[Column, ...]] = ()
    options: ClassVar[dict[str, Any]] = {}

    def __init__(self, **options: Any) -> None:
        unknown = set(options) - set(self.options)
        if unknown:
            known = ", ".join(sorted(self.options)) or "none"
            raise PanelError(
                f"enricher {self.name!r} has no option {sorted(unknown)}; its options: {known}"
            )
        self.opts: dict[str, Any] = {**self.options, **options}

    # -- what subclasses write -------------------------------------------------------------
    def table_sql(self, ctx: BuildContext) -> str:
        """Return a ``SELECT`` keyed ``code, year`` (state level) or ``code1, code2, year`` (dyad).

        The other output columns are named as in :meth:`output_columns`. ``ctx`` says the unit,
        system, years and ``mry`` of the frame being built.
        """
        raise NotImplementedError

    def output_columns(self, ctx: BuildContext) -> tuple[Column, ...]:
        """The columns for this build (default: the class's ``columns``)."""
        return self.columns

    def level_for(self, ctx: BuildContext) -> str:
        """The key level of :meth:`table_sql` for this build (default: the class's ``level``)."""
        return self.level

    def rule(self, ctx: BuildContext) -> str | None:
        """The case-exclusion rule to print, if the enricher applies one."""
        return None

    def coverage_for(self, ctx: BuildContext) -> tuple[int, int]:
        """The years inside coverage for this build (default: declared or the source's)."""
        return self.declared_coverage()

    # -- derived ---------------------------------------------------------------------------
    @classmethod
    def declared_coverage(cls) -> tuple[int, int]:
        """The declared coverage window, or the first source definition's."""
        if cls.coverage is not None:
            return cls.coverage
        if not cls.sources:
            raise PanelError(f"enricher {cls.name!r} takes its coverage from the data it reads")
        start, end = source_coverage(cls.sources[0])
        if start is None or end is None:
            raise PanelError(f"source {cls.sources[0]} declares no coverage window")
        return int(start), int(end)

    @classmethod
    def citations(cls) -> dict[str, str]:
        """BibTeX of every source, keyed by source id (from the source definitions)."""
        from detente.sources import get_source

        return {sid: get_source(sid).citation for sid in cls.sources}

    def side_table(self, ctx: BuildContext) -> SideTable:
        """Everything the frame needs to join this enricher."""
        if ctx.unit not in self.units:
            raise PanelError(
                f"enricher {self.name!r} works on {', '.join(self.units)}, not {ctx.unit}"
            )
        system = ctx.system_for(self)
        sub = ctx.with_system(system)
        # enrichers with a setup step (helper tables registered at build time) compile later
        sql = "" if hasattr(self, "setup") or hasattr(self, "post_exprs") else self.table_sql(sub)
        return SideTable(
            sql=sql,
            level=self.level_for(sub),
            columns=self.output_columns(sub),
            coverage=self.coverage_for(sub),
            system=system,
            rule=self.rule(sub),
        )
