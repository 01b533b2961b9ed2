"""Shared pieces of the public-record importers: batches, unresolved names, spells, dates."""

from __future__ import annotations

import calendar
import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import duckdb
    import pandas as pd

    from detente.states import Resolution

UNRESOLVED_COLUMNS = ["dataset", "value", "file", "row", "reason"]


@dataclass
class Batch:
    """Records one public dataset produced, and what could not be turned into records."""

    dataset: str
    records: list[dict[str, Any]] = field(default_factory=list)
    unresolved: list[dict[str, Any]] = field(default_factory=list)
    note: str | None = None

    def unresolved_name(self, value: Any, file: str, row: int | None, reason: str) -> None:
        """Report a name or code that could not be resolved to a state."""
        self.unresolved.append({"dataset": self.dataset, "value": str(value), "file": file,
                                "row": None if row is None else int(row), "reason": reason})

    def add_resolution(self, res: Resolution) -> None:
        """Report the unmatched and excluded values of a states resolution."""
        for frame, kind in ((res.unmatched, "unmatched"), (res.excluded, "not a state")):
            for r in frame.itertuples(index=False):
                self.unresolved_name(r.value, r.file, r.row, f"{kind}: {r.reason}")


def table_frame(con: duckdb.DuckDBPyConnection, table: str, sql: str | None = None) -> pd.DataFrame:
    """Read a store table with ``line``: its line in the original file (the header is line 1).

    The store keeps a file's rows in file order (DuckDB scans in insertion order), so the
    row number plus one is the line a user finds in the mirror's file.
    """
    from detente.store import require_table

    # a cursor of its own: the store helpers leave a result open on the connection they use
    require_table(con.cursor(), table)
    body = sql or "*"
    return con.sql(f"select row_number() over () + 1 as line, {body} from {table}").df()


def present(value: Any) -> bool:
    """Whether a value from a frame is there (not None, NaN, NA or NaT)."""
    import pandas as pd

    return value is not None and not bool(pd.isna(value))


def slug(text: str) -> str:
    """A lower-case identifier fragment: letters, digits and single hyphens."""
    return re.sub(r"[^a-z0-9]+", "-", str(text).lower()).strip("-")


def _int(value: Any) -> int | None:
    try:
        if value is None or (isinstance(value, float) and value != value):
            return None
        return int(str(value).strip().split(".")[0])
    except (TypeError, ValueError):
        return None


def ymd(year: Any, month: Any, day: Any, *, end: bool = False) -> tuple[str | None, bool]:
    """Build an ISO date from parts, some possibly unknown ('xx', blank).

    An unknown day becomes the first (start) or last (end) of the month, an unknown month
    January or December, so the span covers what the source says. Returns the date and whether
    it was widened that way.
    """
    y, m, d = _int(year), _int(month), _int(day)
    if y is None or not 1800 <= y <= 2200:
        return None, False
    widened = False
    if m is None or not 1 <= m <= 12:
        m, widened = (12 if end else 1), True
        d = None
    last = calendar.monthrange(y, m)[1]
    if d is None or not 1 <= d <= last:
        d, widened = (last if end else 1), True
    return dt.date(y, m, d).isoformat(), widened


_US_DATE = re.compile(r"^\s*(\d{1,2}|xx)/(\d{1,2}|xx)/(\d{4}|\d{2})\b", re.IGNORECASE)
_ISO_DATE = re.compile(r"^\s*(\d{4})-(\d{1,2}|xx)-(\d{1,2}|xx)\b", re.IGNORECASE)


def date_parts(text: Any) -> tuple[int | None, Any, Any]:
    """Year, month and day from "5/16/80", "11/xx/2007" or "1998-09-14 00:00:00".

    Two-digit years are 19xx from 50 on and 20xx below (the exercise data span 1970-2016).
    """
    if not present(text):
        return None, None, None
    m = _US_DATE.match(str(text))
    if m:
        year = int(m.group(3))
        if year < 100:
            year += 1900 if year >= 50 else 2000
        return year, m.group(1), m.group(2)
    m = _ISO_DATE.match(str(text))
    if m:
        return int(m.group(1)), m.group(2), m.group(3)
    return None, None, None


def status_for(start: str | None, end: str | None, today: dt.date | None = None) -> str:
    """Lifecycle status of a public record: completed when it ended, else ongoing."""
    today = today or dt.date.today()
    if end is not None and dt.date.fromisoformat(end) <= today:
        return "completed"
    return "ongoing" if start is not None else "planned"


def status_dates(start: str | None, end: str | None, status: str) -> dict[str, str]:
    """The dates the lifecycle statuses were entered, as far as a public source tells."""
    out: dict[str, str] = {}
    if start is not None:
        out["ongoing"] = start
    if status == "completed" and end is not None:
        out["completed"] = end
    return out


def spells(years: Iterable[int]) -> list[tuple[int, int]]:
    """Split sorted years into runs of consecutive years: [(first, last), ...]."""
    out: list[tuple[int, int]] = []
    for y in sorted(set(years)):
        if out and y == out[-1][1] + 1:
            out[-1] = (out[-1][0], y)
        else:
            out.append((y, y))
    return out


def participant(system: str, code: int, role: str, name: str | None = None,
                personnel: int | None = None) -> dict[str, Any]:
    """A participant entry in the published schema."""
    return {"system": system, "code": int(code), "role": role, "name": name,
            "personnel": personnel}
