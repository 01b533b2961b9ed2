"""Turning a table and a formula into checked arrays: the one place where bad input is caught.

Every estimator goes through :func:`design`, so a formula naming a missing column, an event column
that is not 0/1, a cluster column with gaps or a transform that yields infinities is refused the
same way everywhere, with the column named.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from detente.exceptions import ModelError

__all__ = ["Design", "design", "read_table"]


def read_table(path: str | Path) -> pd.DataFrame:
    """Read a CSV, Parquet or Stata file into a DataFrame.

    Stata value labels are not applied (codes stay numeric), so formulas see the numbers.
    """
    p = Path(path)
    if not p.is_file():
        raise ModelError(f"data file {str(p)!r} does not exist")
    suffix = p.suffix.lower()
    if suffix in {".csv", ".txt"}:
        return pd.read_csv(p)
    if suffix == ".tsv" or suffix == ".tab":
        return pd.read_csv(p, sep="\t")
    if suffix in {".parquet", ".pq"}:
        return pd.read_parquet(p)
    if suffix == ".dta":
        return pd.read_stata(p, convert_categoricals=False)
    raise ModelError(f"data file {p.name!r}: unsupported format {suffix!r} (use .csv, .parquet or .dta)")


@dataclass
class Design:
    """Checked model inputs: the rows used, the matrices and what was dropped."""

    X: np.ndarray
    terms: list[str]
    y: np.ndarray | None = None
    outcome: str | None = None
    entry: np.ndarray | None = None
    duration: np.ndarray | None = None
    event: np.ndarray | None = None
    cluster: np.ndarray | None = None
    n_clusters: int | None = None
    columns: dict[str, np.ndarray] = field(default_factory=dict)
    rows_in: int = 0
    rows_dropped: int = 0
    dropped_by: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    has_intercept: bool = False
    _frame: pd.DataFrame | None = None

    @property
    def frame(self) -> pd.DataFrame:
        """The rows used, as a DataFrame of the model's columns (built on first use)."""
        if self._frame is None:
            self._frame = pd.DataFrame(self.columns)
        return self._frame

    @property
    def n(self) -> int:
        return int(self.X.shape[0])

    def spec(self) -> dict[str, Any]:
        return {
            "rows_in_data": self.rows_in,
            "rows_used": self.n,
            "rows_dropped_missing": self.rows_dropped,
            "dropped_by_column": dict(self.dropped_by),
        }


def _check_columns(data: pd.DataFrame, names: list[str], role: str) -> None:
    for name in names:
        if name not in data.columns:
            close = difflib.get_close_matches(name, [str(c) for c in data.columns], n=3)
            hint = f"; did you mean {', '.join(repr(c) for c in close)}?" if close else ""
            raise ModelError(f"column {name!r} ({role}) is not in the data{hint}")


def split_formula(formula: str, *, rhs_only: bool) -> tuple[str | None, str]:
    """Split ``"y ~ a + b"`` into ("y", "a + b"); with ``rhs_only`` accept "a + b" or "~ a + b"."""
    text = (formula or "").strip()
    if "~" in text:
        lhs, rhs = text.split("~", 1)
        lhs = lhs.strip() or None
        rhs = rhs.strip()
    else:
        lhs, rhs = None, text
    if rhs_only and lhs is not None:
        raise ModelError(
            f"formula {formula!r}: survival models take the right-hand side only "
            "(e.g. '~ x1 + x2'); give the time and event columns as entry/duration/event"
        )
    if not rhs_only and lhs is None:
        raise ModelError(f"formula {formula!r} has no outcome: write it as 'y ~ x1 + x2'")
    if "~" in rhs:
        raise ModelError(f"formula {formula!r} has more than one '~'")
    return lhs, rhs or "1"


_SIMPLE = re.compile(r"^\s*(1\s*\+\s*)?[A-Za-z_][A-Za-z0-9_.]*(\s*\+\s*[A-Za-z_][A-Za-z0-9_.]*)*\s*$")


def _simple_terms(expr: str) -> list[str] | None:
    """The column names of a plain sum of columns ("a + b"), else None."""
    if not _SIMPLE.match(expr):
        return None
    names = [t.strip() for t in expr.split("+")]
    return [n for n in names if n != "1"]


def _required(expr: str) -> set[str]:
    simple = _simple_terms(expr)
    if simple is not None:
        # Plain column sums skip the formula parser: most models are written this way and the
        # parser costs more than fitting a small Cox model.
        return set(simple)
    from formulaic import Formula

    try:
        return set(Formula(expr).required_variables)
    except Exception as exc:  # formulaic raises several parser errors
        raise ModelError(f"cannot parse formula {expr!r}: {exc}") from exc


def design(
    data: pd.DataFrame,
    formula: str,
    *,
    rhs_only: bool = False,
    intercept: bool = True,
    entry: str | None = None,
    duration: str | None = None,
    event: str | None = None,
    cluster: str | None = None,
    binary_outcome: bool = False,
    count_outcome: bool = False,
    extra: list[str] | None = None,
) -> Design:
    """Validate the inputs and build the design matrix.

    Rows with a missing value in any column the model uses are dropped (listwise deletion, as R's
    ``na.omit``); how many, and because of which column, is recorded and reported.

    Raises
    ------
    ModelError
        A named column is missing, an event or binary outcome is not 0/1, a count outcome is
        negative or fractional, times are not positive, or a term has non-finite values.
    """
    from formulaic import model_matrix

    if not isinstance(data, pd.DataFrame):
        raise ModelError("data must be a pandas DataFrame")
    lhs, rhs = split_formula(formula, rhs_only=rhs_only)
    rhs_vars = _required(rhs) if rhs.strip() not in {"1", "0", "-1", "+1"} else set()
    lhs_vars = _required(lhs) if lhs else set()
    # formulaic leaves the arguments of stateful transforms such as bs(t, df=3) out of its
    # required variables; any identifier in the formula that names a column is needed too.
    columns = set(map(str, data.columns))
    rhs_vars |= {tok for tok in re.findall(r"[A-Za-z_][A-Za-z0-9_.]*", rhs) if tok in columns}
    if lhs:
        lhs_vars |= {tok for tok in re.findall(r"[A-Za-z_][A-Za-z0-9_.]*", lhs) if tok in columns}
    _check_columns(data, sorted(lhs_vars), "outcome in the formula")
    _check_columns(data, sorted(rhs_vars), "named in the formula")
    roles = {"entry": entry, "duration": duration, "event": event, "cluster": cluster}
    for role, col in roles.items():
        if col is not None:
            _check_columns(data, [col], role)
    _check_columns(data, list(extra or []), "needed by the model")

    used = sorted(lhs_vars | rhs_vars | {c for c in roles.values() if c} | set(extra or []))
    # Column by column with numpy: the pandas frame-wide path (loc, isna, sum) costs more than
    # fitting a small model.
    values = {c: data[c].to_numpy() for c in used}
    miss = {c: np.asarray(pd.isna(v)) for c, v in values.items()}
    dropped_by = {c: int(m.sum()) for c, m in miss.items() if m.any()}
    keep = np.ones(len(data), dtype=bool)
    for m in miss.values():
        if m.any():
            keep &= ~m
    cols = values if keep.all() else {c: v[keep] for c, v in values.items()}
    n_kept = int(keep.sum())
    d = Design(
        X=np.empty((n_kept, 0)),
        terms=[],
        columns=cols,
        rows_in=len(data),
        rows_dropped=int((~keep).sum()),
        dropped_by=dropped_by,
    )
    if d.rows_dropped:
        detail = ", ".join(f"{c}: {n}" for c, n in sorted(dropped_by.items()))
        d.notes.append(f"{d.rows_dropped} of {len(data)} rows dropped for missing values ({detail})")
    if n_kept == 0:
        raise ModelError("no rows left after dropping rows with missing values in the model's columns")

    # Right-hand side; the intercept is built and then removed for models that have none (Cox),
    # so factor coding is the full-rank treatment coding R uses.
    simple = _simple_terms(rhs)
    if simple is not None and all(
        pd.api.types.is_numeric_dtype(cols[c].dtype) and not pd.api.types.is_bool_dtype(cols[c].dtype) for c in simple
    ):
        names = list(dict.fromkeys(simple))
        X = np.empty((n_kept, len(names) + int(intercept)))
        if intercept:
            X[:, 0] = 1.0
        for j, c in enumerate(names):
            X[:, j + int(intercept)] = cols[c]
        terms = ["Intercept", *names] if intercept else names
    else:
        try:
            mm = model_matrix(rhs if rhs.strip() else "1", d.frame, na_action="raise")
        except Exception as exc:
            raise ModelError(f"cannot build the design matrix for {rhs!r}: {exc}") from exc
        if "Intercept" in mm.columns and not intercept:
            mm = mm.drop(columns="Intercept")
        X = np.asarray(mm.to_numpy(dtype=float))
        terms = [str(c) for c in mm.columns]
    d.has_intercept = "Intercept" in terms
    bad = ~np.isfinite(X).all(axis=0)
    if bad.any():
        names = [t for t, b in zip(terms, bad, strict=True) if b]
        raise ModelError(f"term(s) {', '.join(map(repr, names))} have infinite or undefined values")
    d.X, d.terms = X, terms

    if lhs:
        if lhs in cols:
            yv = pd.Series(cols[lhs])
            if yv.dtype == bool:
                yv = yv.astype(float)
            if not pd.api.types.is_numeric_dtype(yv):
                raise ModelError(f"outcome column {lhs!r} is not numeric (dtype {yv.dtype})")
            y = yv.to_numpy(dtype=float)
        else:
            y = np.asarray(model_matrix(lhs + " - 1", d.frame).to_numpy(dtype=float))
            if y.ndim == 2:
                if y.shape[1] != 1:
                    raise ModelError(f"outcome {lhs!r} must be a single column")
                y = y[:, 0]
        if not np.isfinite(y).all():
            raise ModelError(f"outcome {lhs!r} has infinite values")
        if binary_outcome and not np.isin(y, (0.0, 1.0)).all():
            vals = np.unique(y[~np.isin(y, (0.0, 1.0))])[:5]
            raise ModelError(f"outcome column {lhs!r} must be 0/1; it has values such as {vals.tolist()}")
        if count_outcome and ((y < 0).any() or (np.floor(y) != y).any()):
            raise ModelError(f"outcome column {lhs!r} must hold non-negative whole counts")
        d.y, d.outcome = y, lhs

    if duration is not None:
        dur = _numeric(cols, duration, "duration")
        ent = _numeric(cols, entry, "entry") if entry else np.zeros(n_kept)
        if entry:
            bad_rows = int((dur <= ent).sum())
            if bad_rows:
                raise ModelError(
                    f"{bad_rows} row(s) have duration column {duration!r} not after entry column "
                    f"{entry!r}: every interval (entry, duration] must have positive length"
                )
        elif (dur <= 0).any():
            raise ModelError(f"duration column {duration!r} must be positive ({int((dur <= 0).sum())} rows are not)")
        d.duration, d.entry = dur, ent
    if event is not None:
        ev = pd.Series(cols[event])
        if ev.dtype == bool:
            ev = ev.astype(float)
        if not pd.api.types.is_numeric_dtype(ev):
            raise ModelError(f"event column {event!r} must be 0/1; it is of type {ev.dtype}")
        evv = ev.to_numpy(dtype=float)
        if not np.isin(evv, (0.0, 1.0)).all():
            vals = np.unique(evv[~np.isin(evv, (0.0, 1.0))])[:5]
            raise ModelError(f"event column {event!r} must be 0/1; it has values such as {vals.tolist()}")
        d.event = evv
    if cluster is not None:
        codes, uniques = pd.factorize(cols[cluster], sort=True)
        d.cluster, d.n_clusters = codes.astype(np.int64), len(uniques)
    return d


def _numeric(cols: dict[str, np.ndarray], col: str, role: str) -> np.ndarray:
    v = pd.Series(cols[col])
    if not pd.api.types.is_numeric_dtype(v):
        raise ModelError(f"{role} column {col!r} must be numeric (dtype {v.dtype})")
    a = v.to_numpy(dtype=float)
    if not np.isfinite(a).all():
        raise ModelError(f"{role} column {col!r} has infinite values")
    return a
