"""Survey results a user imports for M6 (local acceptance and trust): checked reading, a small
file store beside the analytic store, weighted proportions with confidence intervals and
comparisons between groups or waves.

A survey file is a CSV with one row per respondent and question::

    question,group,weight,response[,respondent][,date][,state]

``weight`` is the survey weight (positive); ``group`` the reporting group (district, gender,
age band...); ``state`` the host state (CoW code or name) when a file does not belong to one
engagement.

Proportions are weighted (a ratio estimator): for question q, group g and response r,
``p = sum(w * [response = r]) / sum(w)`` over the respondents of q and g. Two standard errors:

``linearised`` (default)
    Taylor linearisation of the ratio, respondents as independent primary units drawn with
    replacement: ``var(p) = n / (n - 1) * sum(w_i^2 (y_i - p)^2) / (sum w)^2``
    (as R ``survey::svymean`` with ``svydesign(ids = ~1, weights = ~w)``).
``kish``
    The binomial variance at Kish's effective sample size ``n_eff = (sum w)^2 / sum(w^2)``:
    ``var(p) = p (1 - p) / n_eff``.

Intervals are Wald intervals ``p ± z * se`` (z for the level), clipped to [0, 1]. Neither SE
accounts for clustering or stratification in the sample design, which the file does not carry.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pandas as pd

from detente.exceptions import DetenteError, ValidationError
from detente.methods._dist import norm_ppf, norm_sf

__all__ = [
    "SE_METHODS",
    "compare",
    "import_survey",
    "load_surveys",
    "read_survey",
    "survey_dir",
    "weighted_proportions",
]

REQUIRED = ("question", "group", "weight", "response")
OPTIONAL = ("respondent", "date", "state")
SE_METHODS = {
    "linearised": "linearised (Taylor) SE of a weighted ratio, respondents with replacement; Wald CI",
    "kish": "binomial SE at Kish's effective sample size (sum w)^2 / sum w^2; Wald CI",
}


def read_survey(path: str | Path) -> pd.DataFrame:
    """Read and check a survey CSV.

    Raises
    ------
    ValidationError
        Naming the file, the line (header = line 1) and the field: a missing column, an empty
        question/group/response, a weight that is not a positive number, an unparseable date, an
        unknown state, or a respondent answering one question twice.
    """
    path = Path(path)
    name = path.name
    if not path.is_file():
        raise ValidationError(name, None, None, "no such survey file")
    try:
        raw = pd.read_csv(path, dtype=str, keep_default_na=False, skipinitialspace=True)
    except (pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise ValidationError(name, None, None, f"not a readable CSV: {exc}") from None
    raw.columns = [str(c).strip().lower() for c in raw.columns]
    for col in REQUIRED:
        if col not in raw.columns:
            raise ValidationError(name, 1, col, f"required column missing (columns: {', '.join(raw.columns)})")
    unknown = [c for c in raw.columns if c not in REQUIRED + OPTIONAL]
    if unknown:
        raise ValidationError(name, 1, unknown[0], f"unknown column; expected {', '.join(REQUIRED + OPTIONAL)}")
    if raw.empty:
        raise ValidationError(name, None, None, "the survey has no rows")
    frame = raw.apply(lambda s: s.str.strip())
    line = pd.Series(np.arange(2, len(frame) + 2), index=frame.index)
    for col in ("question", "group", "response"):
        bad = frame[col] == ""
        if bad.any():
            raise ValidationError(name, int(line[bad].iloc[0]), col, "empty value")
    weight = pd.to_numeric(frame["weight"], errors="coerce")
    bad = ~(weight > 0) | ~np.isfinite(weight)
    if bad.any():
        i = bad[bad].index[0]
        raise ValidationError(name, int(line[i]), "weight",
                              f"{frame.at[i, 'weight']!r} is not a positive number")
    frame["weight"] = weight.astype(float)
    if "date" in frame.columns:
        dates = pd.to_datetime(frame["date"], errors="coerce", format="ISO8601")
        bad = dates.isna() & (frame["date"] != "")
        if bad.any():
            i = bad[bad].index[0]
            raise ValidationError(name, int(line[i]), "date", f"{frame.at[i, 'date']!r} is not an ISO date")
        frame["date"] = dates
    if "state" in frame.columns:
        frame["state"] = _states(frame["state"], line, name)
    if "respondent" in frame.columns:
        dup = frame["respondent"].ne("") & frame.duplicated(["respondent", "question"], keep="first")
        if dup.any():
            i = dup[dup].index[0]
            raise ValidationError(name, int(line[i]), "respondent",
                                  f"respondent {frame.at[i, 'respondent']!r} answers {frame.at[i, 'question']!r} twice")
    frame.insert(0, "line", line)
    frame.attrs["file"] = name
    return frame


def _states(values: pd.Series, line: pd.Series, name: str) -> pd.Series:
    """CoW codes from codes or names (an unknown name is an error naming its line)."""
    out = pd.Series(pd.NA, index=values.index, dtype="Int64")
    digits = values.str.fullmatch(r"\d+")
    out[digits] = values[digits].astype(int)
    names = values[~digits & values.ne("")]
    if not names.empty:
        from detente.states import resolve_names

        uniq = sorted(set(names))
        res = resolve_names(uniq, system="cow")
        codes = dict(zip(uniq, res.codes, strict=True))
        for i, v in names.items():
            code = codes[v]
            if pd.isna(code):
                raise ValidationError(name, int(line[i]), "state", f"{v!r} is not a known state name or CoW code")
            out[i] = int(code)
    return out


def survey_dir(store: str | Path | None = None) -> Path:
    """The directory beside the analytic store where imported surveys are kept."""
    from detente import config

    target = config.store_path(store)
    return target.with_name(target.name + ".surveys")


def import_survey(
    path: str | Path,
    *,
    engagement: str | None = None,
    wave: str | None = None,
    store: str | Path | None = None,
) -> pd.DataFrame:
    """Check a survey CSV and keep it beside the analytic store for :func:`acceptance`.

    Parameters
    ----------
    path : path
        The survey file (see the module docstring for its columns).
    engagement : str, optional
        The registry engagement the survey assesses. Without it, the file's ``state`` column
        links it to engagements hosted by that state.
    wave : str, optional
        A wave label (e.g. ``"2023-spring"``); default: the month of the earliest ``date``, else
        the file name.
    store : path, optional
        The analytic store.

    Returns
    -------
    pandas.DataFrame
        The checked rows with ``survey`` (an id), ``engagement``, ``wave`` and ``file``.
    """
    frame = read_survey(path)
    name = Path(path).name
    if engagement is None and ("state" not in frame.columns or frame["state"].isna().all()):
        raise ValidationError(name, None, "state",
                              "link the survey to an engagement or give the host state in a 'state' column")
    if wave is None:
        wave = frame["date"].min().strftime("%Y-%m") if "date" in frame.columns and frame["date"].notna().any() \
            else Path(path).stem
    digest = hashlib.sha256(Path(path).read_bytes()).hexdigest()[:12]
    survey = f"{Path(path).stem}-{digest}"
    frame = frame.assign(survey=survey, engagement=engagement, wave=str(wave), file=name)
    folder = survey_dir(store)
    folder.mkdir(parents=True, exist_ok=True)
    tmp = folder / f".{survey}.parquet.tmp"
    frame.to_parquet(tmp, index=False)
    tmp.replace(folder / f"{survey}.parquet")
    (folder / f"{survey}.json").write_text(json.dumps(
        {"survey": survey, "file": name, "engagement": engagement, "wave": str(wave), "rows": len(frame)}))
    return frame


def load_surveys(store: str | Path | None = None) -> pd.DataFrame:
    """Every imported survey's rows (empty when none was imported)."""
    folder = survey_dir(store)
    files = sorted(folder.glob("*.parquet")) if folder.is_dir() else []
    if not files:
        return pd.DataFrame(columns=["survey", "engagement", "wave", "file", *REQUIRED])
    return pd.concat([pd.read_parquet(f) for f in files], ignore_index=True)


def weighted_proportions(
    frame: pd.DataFrame,
    *,
    by: tuple[str, ...] = ("question", "group"),
    se: str = "linearised",
    level: float = 0.95,
) -> pd.DataFrame:
    """Weighted share of each response per ``by`` cell, with standard error and CI.

    Parameters
    ----------
    frame : pandas.DataFrame
        Rows with ``weight``, ``response`` and the ``by`` columns.
    by : tuple of str
        The cells (default question x group; add ``"wave"`` to compare waves).
    se : {"linearised", "kish"}
        Which standard error (see the module docstring).
    level : float
        Confidence level of the Wald interval.

    Returns
    -------
    pandas.DataFrame
        ``*by, response, proportion, std_error, conf_low, conf_high, n, n_eff, weight_sum,
        se_type``; every response seen in the cell's question gets a row (0 when nobody gave it).
    """
    if se not in SE_METHODS:
        raise DetenteError(f"se must be one of {', '.join(SE_METHODS)}, not {se!r}")
    if not 0 < level < 1:
        raise DetenteError(f"level must lie in (0, 1), not {level}")
    z = float(norm_ppf(0.5 + level / 2))
    by = tuple(by)
    rows = []
    responses = frame.groupby("question")["response"].unique() if "question" in frame.columns else None
    for key, cell in frame.groupby(list(by), sort=True):
        key = key if isinstance(key, tuple) else (key,)
        w = cell["weight"].to_numpy(dtype=float)
        n, wsum = len(w), w.sum()
        n_eff = wsum**2 / (w**2).sum()
        q = dict(zip(by, key, strict=True)).get("question")
        options = sorted(responses[q]) if responses is not None and q is not None else sorted(cell["response"].unique())
        for r in options:
            y = (cell["response"] == r).to_numpy(dtype=float)
            p = float((w * y).sum() / wsum)
            if se == "linearised":
                var = n / (n - 1) * float((w**2 * (y - p) ** 2).sum()) / wsum**2 if n > 1 else np.nan
            else:
                var = p * (1 - p) / n_eff
            s = float(np.sqrt(var))
            rows.append({**dict(zip(by, key, strict=True)), "response": r, "proportion": p, "std_error": s,
                         "conf_low": max(0.0, p - z * s), "conf_high": min(1.0, p + z * s), "n": n,
                         "n_eff": float(n_eff), "weight_sum": float(wsum), "se_type": SE_METHODS[se]})
    return pd.DataFrame(rows)


def compare(
    props: pd.DataFrame,
    *,
    along: str = "group",
    base: str | None = None,
    level: float = 0.95,
) -> pd.DataFrame:
    """Differences in proportions between groups (or waves) against a base, with a z test.

    The cells compared are independent samples (different respondents), so
    ``se(d) = sqrt(se_a^2 + se_b^2)``; the test is two-sided, normal.

    Parameters
    ----------
    props : pandas.DataFrame
        Output of :func:`weighted_proportions` with ``along`` among its cells.
    along : str
        The column compared (``group`` or ``wave``).
    base : str, optional
        The reference value (default: the first in sort order).
    """
    z = float(norm_ppf(0.5 + level / 2))
    keys = [c for c in props.columns if c not in (along, "response", "proportion", "std_error", "conf_low",
                                                  "conf_high", "n", "n_eff", "weight_sum", "se_type")]
    rows = []
    for key, g in props.groupby([*keys, "response"], sort=True):
        values = sorted(g[along].astype(str).unique())
        ref = base if base is not None else values[0]
        a = g[g[along].astype(str) == ref]
        if a.empty:
            continue
        a = a.iloc[0]
        for _, b in g[g[along].astype(str) != ref].iterrows():
            d = b["proportion"] - a["proportion"]
            s = float(np.hypot(a["std_error"], b["std_error"]))
            p = float(2 * norm_sf(abs(d) / s)) if s > 0 else float("nan")
            key = key if isinstance(key, tuple) else (key,)
            rows.append({**dict(zip([*keys, "response"], key, strict=True)), "base": ref, "compared": b[along],
                         "difference": d, "std_error": s, "conf_low": d - z * s, "conf_high": d + z * s,
                         "p_value": p})
    return pd.DataFrame(rows)
