"""Curated alias tables: state names, ISO3 and CAMEO country codes -> CoW / G-W codes by date.

The tables (``aliases/names.csv``, ``aliases/iso3.csv``, ``aliases/cameo.csv``) are written by the
project from the state lists. Each row maps one alias to a CoW code and a G-W code for a window of
days (empty ``start``/``end`` = open). A row with both codes empty declares a value that is *not* a
state (a territory, a region, an organisation, a placeholder) with the reason in ``note``, so that
it is reported as excluded rather than as a gap.
"""

from __future__ import annotations

import csv
import itertools
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from pathlib import Path

import pandas as pd

from detente.exceptions import StatesError
from detente.states._store import check_system

ALIAS_DIR = Path(__file__).parent / "aliases"
SCHEMES = ("names", "iso3", "cameo")
OPEN_START, OPEN_END = date(1, 1, 1), date(9999, 12, 31)

_APOSTROPHES = re.compile(r"['\u2018\u2019\u02bc`\u00b4]")
_NON_ALNUM = re.compile(r"[^0-9a-z]+")


def normalise_name(value: str) -> str:
    """Normalise a state name for exact matching.

    Accents are dropped, case folded, apostrophes removed, ``&`` read as ``and`` and every other run of
    punctuation or space becomes one space. Nothing else changes: the whole value must equal an alias.

    >>> normalise_name("  Côte d’Ivoire ")
    'cote divoire'
    >>> normalise_name("Trinidad & Tobago")
    'trinidad and tobago'
    """
    text = unicodedata.normalize("NFKD", str(value))
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).casefold()
    text = _APOSTROPHES.sub("", text).replace("&", " and ")
    return _NON_ALNUM.sub(" ", text).strip()


def normalise_code(value: str) -> str:
    """Normalise a country code: surrounding space removed, upper case (``" kWT"`` -> ``"KWT"``)."""
    return " ".join(str(value).split()).upper()


NORMALISERS = {"names": normalise_name, "iso3": normalise_code, "cameo": normalise_code}


@dataclass(frozen=True)
class Window:
    """One meaning of an alias: codes valid from ``start`` to ``end`` (both days included)."""

    alias: str
    cow: int | None
    gw: int | None
    start: date
    end: date
    note: str

    @property
    def is_state(self) -> bool:
        return self.cow is not None or self.gw is not None

    @property
    def timeless(self) -> bool:
        return self.start == OPEN_START and self.end == OPEN_END


def _scheme(scheme: str) -> str:
    key = str(scheme).strip().lower()
    if key not in SCHEMES:
        raise StatesError(f"unknown alias scheme {scheme!r}: use one of {', '.join(SCHEMES)}")
    return key


def _int(text: str) -> int | None:
    return int(text) if text.strip() else None


def _day(text: str, default: date) -> date:
    return date.fromisoformat(text) if text.strip() else default


@cache
def alias_windows(scheme: str) -> dict[str, tuple[Window, ...]]:
    """Load one alias table as ``{normalised alias: windows sorted by start}``.

    Raises
    ------
    StatesError
        Two windows of the same alias overlap (the table would be ambiguous).
    """
    scheme = _scheme(scheme)
    path = ALIAS_DIR / f"{scheme}.csv"
    norm = NORMALISERS[scheme]
    table: dict[str, list[Window]] = {}
    with path.open(newline="", encoding="utf-8") as fh:
        for line, row in enumerate(csv.DictReader(fh), start=2):
            w = Window(
                row["alias"], _int(row["cow"]), _int(row["gw"]),
                _day(row["start"], OPEN_START), _day(row["end"], OPEN_END), row["note"],
            )
            if w.start > w.end:
                raise StatesError(f"{path.name} line {line}: {w.alias!r} starts after it ends")
            table.setdefault(norm(w.alias), []).append(w)
    out: dict[str, tuple[Window, ...]] = {}
    for key, windows in table.items():
        windows.sort(key=lambda w: w.start)
        for a, b in itertools.pairwise(windows):
            if b.start <= a.end:
                raise StatesError(f"{path.name}: windows of {key!r} overlap ({a.alias!r}, {b.alias!r})")
        out[key] = tuple(windows)
    return out


def code_table(scheme: str, system: str) -> pd.DataFrame:
    """Return the dated alias -> state table of one scheme in one system.

    Parameters
    ----------
    scheme : {"iso3", "cameo", "names"}
    system : {"cow", "gw"}

    Returns
    -------
    pandas.DataFrame
        ``code`` (the alias as the table writes it: an ISO3 or CAMEO code, or a name), ``key`` (the
        normalised alias to join on), ``state`` (int code in ``system``), ``start``, ``end`` (dates,
        both included; open ends are 0001-01-01 and 9999-12-31). Non-state aliases are left out.
    """
    sys_key = check_system(system)
    rows = [
        (w.alias, key, getattr(w, sys_key), w.start, w.end)
        for key, windows in alias_windows(scheme).items()
        for w in windows
        if getattr(w, sys_key) is not None
    ]
    df = pd.DataFrame(rows, columns=["code", "key", "state", "start", "end"])
    return df.astype({"state": "int64"}).sort_values(["key", "start"]).reset_index(drop=True)


@dataclass
class Resolution:
    """The result of resolving names or codes to states.

    Attributes
    ----------
    codes : pandas.Series
        Nullable ``Int64`` state codes aligned with the input; missing where not resolved.
    unmatched : pandas.DataFrame
        True gaps: ``value``, ``file``, ``row``, ``reason`` (unknown value, or a value whose meaning
        depends on a date that was not given).
    excluded : pandas.DataFrame
        Values declared as not a state (or not in this system): ``value``, ``file``, ``row``, ``reason``.
    system, scheme : str
    """

    codes: pd.Series
    unmatched: pd.DataFrame
    excluded: pd.DataFrame
    system: str
    scheme: str
    values: list[str] = field(repr=False, default_factory=list)

    @property
    def complete(self) -> bool:
        """True when nothing is unmatched (excluded non-states do not count as gaps)."""
        return self.unmatched.empty

    def tidy(self) -> pd.DataFrame:
        """One row per input value: ``value``, ``code``, ``status`` (matched / excluded / unmatched)."""
        status = pd.Series("matched", index=self.codes.index)
        status[self.codes.isna()] = "unmatched"
        excluded_rows = set(self.excluded["position"]) if "position" in self.excluded else set()
        for pos in excluded_rows:
            status.iloc[pos] = "excluded"
        return pd.DataFrame({"value": self.values, "code": self.codes.array, "status": status.to_numpy()})

    def __len__(self) -> int:
        return len(self.codes)


def _days(years: object, n: int) -> list[date | None]:
    if years is None:
        return [None] * n
    if isinstance(years, (int, date)) or (hasattr(years, "dtype") and not hasattr(years, "__len__")):
        years = [years] * n
    seq = list(years)  # type: ignore[arg-type]
    if len(seq) != n:
        raise StatesError(f"values and years differ in length ({n} and {len(seq)})")
    out: list[date | None] = []
    for y in seq:
        if y is None or (isinstance(y, float) and y != y) or y is pd.NA or y is pd.NaT:
            out.append(None)
        elif isinstance(y, date):
            out.append(y if not isinstance(y, pd.Timestamp) else y.date())
        else:
            # a year means the state on its last day (the state-year convention of the panels)
            out.append(date(int(y), 12, 31))
    return out


def resolve(
    values: Iterable[str],
    *,
    scheme: str,
    system: str = "cow",
    years: Iterable[int | date | None] | int | None = None,
    file: str | None = None,
    rows: Sequence[int] | None = None,
) -> Resolution:
    """Resolve values of one scheme to state codes; see :func:`resolve_names`."""
    scheme, sys_key = _scheme(scheme), check_system(system)
    vals = ["" if v is None or (isinstance(v, float) and v != v) else str(v) for v in values]
    n = len(vals)
    days = _days(years, n)
    if rows is None:
        rows = list(range(1, n + 1))
    elif len(rows) != n:
        raise StatesError(f"values and rows differ in length ({n} and {len(rows)})")
    table = alias_windows(scheme)
    norm = NORMALISERS[scheme]
    cache: dict[tuple[str, date | None], tuple[int | None, str | None, str | None]] = {}
    codes: list[int | None] = []
    unmatched, excluded = [], []
    for pos, (value, day) in enumerate(zip(vals, days, strict=True)):
        key = norm(value)
        if (key, day) not in cache:
            cache[(key, day)] = _lookup(table.get(key), day, sys_key)
        code, gap, why = cache[(key, day)]
        codes.append(code)
        if gap is not None:
            unmatched.append((value, file, rows[pos], gap, pos))
        elif why is not None:
            excluded.append((value, file, rows[pos], why, pos))
    cols = ["value", "file", "row", "reason", "position"]
    return Resolution(
        codes=pd.Series(pd.array(codes, dtype="Int64"), name=sys_key),
        unmatched=pd.DataFrame(unmatched, columns=cols),
        excluded=pd.DataFrame(excluded, columns=cols),
        system=sys_key,
        scheme=scheme,
        values=vals,
    )


def _lookup(
    windows: tuple[Window, ...] | None, day: date | None, system: str
) -> tuple[int | None, str | None, str | None]:
    """Return (code, gap reason, exclusion reason) for one normalised value on one day."""
    if not windows:
        return None, "no alias matches this value exactly", None
    if day is None:
        if len(windows) > 1:
            return None, "its meaning depends on the date: give years", None
        hit = windows[0]
    else:
        found = [w for w in windows if w.start <= day <= w.end]
        if not found:
            return None, f"no meaning of this value is recorded for {day.isoformat()}", None
        hit = found[0]
    if not hit.is_state:
        return None, None, hit.note or "declared not a state"
    code = getattr(hit, system)
    if code is None:
        return None, None, f"not a state in the {system} system ({hit.note})"
    return code, None, None


def resolve_names(
    names: Iterable[str],
    *,
    system: str = "cow",
    years: Iterable[int | date | None] | int | None = None,
    file: str | None = None,
    rows: Sequence[int] | None = None,
) -> Resolution:
    """Resolve state names to CoW or G-W codes by exact match against the curated name aliases.

    Names are normalised (accents, case, punctuation; see :func:`normalise_name`) and must then equal
    an alias entirely: "Guinea-Bissau" never matches "Guinea", "Niger" never "Nigeria". Where a name
    changed meaning ("Germany", "Yemen", "Serbia", "Vietnam", "Korea", "Kosovo", "South Sudan") the
    year decides; without years such names are reported unmatched rather than guessed.

    Parameters
    ----------
    names : iterable of str
    system : {"cow", "gw"}
    years : iterable of int or date, or one int, optional
        The year (read as its last day) or the day each name refers to.
    file : str, optional
        The file the names come from, for the report.
    rows : sequence of int, optional
        The row (line) of each name in ``file``; 1..n by default.

    Returns
    -------
    Resolution

    Examples
    --------
    >>> r = resolve_names(["Germany", "Guinea-Bissau", "Atlantis"], years=[1980, 1980, 1980])
    >>> r.codes.tolist()
    [260, 404, <NA>]
    >>> r.unmatched[["value", "row"]].values.tolist()
    [['Atlantis', 3]]
    """
    return resolve(names, scheme="names", system=system, years=years, file=file, rows=rows)


def resolve_iso3(
    codes: Iterable[str],
    *,
    system: str = "cow",
    years: Iterable[int | date | None] | int | None = None,
    file: str | None = None,
    rows: Sequence[int] | None = None,
) -> Resolution:
    """Resolve ISO 3166 alpha-3 codes (and the non-standard codes found in the sources) to states.

    See :func:`resolve_names` for the parameters. ``DEU`` before 1990-10-03 is the Federal Republic
    (260); ``YEM`` before 1990-05-22 is the Yemen Arab Republic (678).
    """
    return resolve(codes, scheme="iso3", system=system, years=years, file=file, rows=rows)


def resolve_cameo(
    codes: Iterable[str],
    *,
    system: str = "cow",
    years: Iterable[int | date | None] | int | None = None,
    file: str | None = None,
    rows: Sequence[int] | None = None,
) -> Resolution:
    """Resolve CAMEO country codes (GDELT / ICEWS actor countries) to states.

    CAMEO uses ISO alpha-3 for states and its own codes for regions (``AFR``, ``EUR``, ``WST``, ...),
    which are declared non-states. See :func:`resolve_names` for the parameters.
    """
    return resolve(codes, scheme="cameo", system=system, years=years, file=file, rows=rows)
