"""The result every measure returns: estimates, design, diagnostics, caveats, sources, figure."""

from __future__ import annotations

import base64
import io
import json
import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pandas as pd

if TYPE_CHECKING:
    from matplotlib.figure import Figure

#: Columns of the tidy estimates table, in order.
TIDY_COLUMNS = (
    "quantity", "estimate", "std_error", "conf_low", "conf_high", "p_value", "n", "design", "se_type",
)


def estimate_row(
    quantity: str, estimate: float, *, se: float = float("nan"), low: float = float("nan"),
    high: float = float("nan"), p: float = float("nan"), n: int | None = None, design: str = "",
    se_type: str = "", **extra: Any,
) -> dict[str, Any]:
    """One row of a measure's estimates table, with the columns of :data:`TIDY_COLUMNS`; ``extra``
    keyword columns (the dataset an event-data row comes from, say) follow them."""
    return {"quantity": quantity, "estimate": estimate, "std_error": se, "conf_low": low,
            "conf_high": high, "p_value": p, "n": n, "design": design, "se_type": se_type, **extra}


@dataclass
class MeasureResult:
    """A measure's answer to one question.

    Attributes
    ----------
    measure : str
        The measure's name (``peace_duration``, ``hostilities``...).
    question : str
        The question answered, in plain words.
    scope : dict
        What was evaluated (engagement id, type, contributor, partner, region).
    estimates : pandas.DataFrame
        One row per quantity with the columns in :data:`TIDY_COLUMNS`.
    design : str
        The design in plain words (e.g. "Cox proportional hazards, counting process, clustered by conflict").
    causal : bool
        Whether the design supports a causal reading (under its stated assumptions).
    assumptions : list of str
        What the estimate rests on.
    diagnostics : dict
        Named checks (proportional-hazards test, pre-trends, balance, placebo) with their values.
    caveats : list of str
        Plain-language cautions for a decision maker.
    sources : list of str
        Source ids whose citations apply.
    warnings : list of str
        Problems met while computing (too few events, no data in coverage...).
    figure : matplotlib Figure, optional
        The measure's figure.
    details : dict
        Further tables (e.g. a survival table, an event-study path) keyed by name.
    """

    measure: str
    question: str
    scope: dict[str, Any]
    estimates: pd.DataFrame
    design: str
    causal: bool
    assumptions: list[str] = field(default_factory=list)
    diagnostics: dict[str, Any] = field(default_factory=dict)
    caveats: list[str] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    figure: Figure | None = None
    details: dict[str, pd.DataFrame] = field(default_factory=dict)
    headline: str = ""

    def tidy(self) -> pd.DataFrame:
        """The estimates table with the standard columns."""
        out = self.estimates.copy()
        for col in TIDY_COLUMNS:
            if col not in out.columns:
                out[col] = pd.NA
        return out[list(TIDY_COLUMNS) + [c for c in out.columns if c not in TIDY_COLUMNS]]

    @property
    def reading(self) -> str:
        """Whether the result is to be read as causal or descriptive."""
        return "causal (under the stated assumptions)" if self.causal else "descriptive (association, not effect)"

    def summary(self) -> str:
        """A plain-language summary: headline, design, reading, assumptions and caveats."""
        lines = [self.headline or self.question, f"Design: {self.design}.", f"Reading: {self.reading}."]
        if self.assumptions:
            lines.append("Rests on: " + "; ".join(self.assumptions) + ".")
        lines.extend(f"Caution: {c}" for c in self.caveats)
        lines.extend(f"Warning: {w}" for w in self.warnings)
        return "\n".join(lines)

    def citations(self) -> list[str]:
        """Plain-text citations of every dataset used."""
        from detente.sources import get_source

        return [get_source(s).citation_text() for s in dict.fromkeys(self.sources)]

    def figure_png(self, dpi: int = 110) -> bytes | None:
        """The figure as PNG bytes (None when there is no figure)."""
        if self.figure is None:
            return None
        buf = io.BytesIO()
        self.figure.savefig(buf, format="png", dpi=dpi, bbox_inches="tight")
        return buf.getvalue()

    def figure_data_uri(self) -> str | None:
        """The figure as a ``data:`` URI for self-contained HTML."""
        png = self.figure_png()
        return None if png is None else "data:image/png;base64," + base64.b64encode(png).decode()

    def save_figure(self, path: str) -> None:
        """Write the figure to ``path`` (format from the extension)."""
        if self.figure is None:
            raise ValueError(f"{self.measure}: this result has no figure")
        self.figure.savefig(path, dpi=130, bbox_inches="tight")

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dictionary of everything but the figure."""
        return {
            "measure": self.measure,
            "question": self.question,
            "scope": self.scope,
            "headline": self.headline,
            "design": self.design,
            "causal": self.causal,
            "reading": self.reading,
            "assumptions": self.assumptions,
            "diagnostics": _jsonable(self.diagnostics),
            "caveats": self.caveats,
            "warnings": self.warnings,
            "estimates": _records(self.tidy()),
            "details": {k: _records(v) for k, v in self.details.items()},
            "sources": list(dict.fromkeys(self.sources)),
            "citations": self.citations(),
        }

    def to_json(self) -> str:
        """The result as JSON."""
        return json.dumps(self.to_dict(), indent=2)


def _clean(value: Any) -> Any:
    if value is None or value is pd.NA:
        return None
    if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
        return None
    if hasattr(value, "item"):
        return _clean(value.item())
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    return value


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return [{k: _clean(v) for k, v in row.items()} for row in frame.to_dict(orient="records")]


def _jsonable(obj: Any) -> Any:
    if isinstance(obj, dict):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, pd.DataFrame):
        return _records(obj)
    return _clean(obj)
