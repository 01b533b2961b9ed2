"""Actor country codes to dated CoW and Gleditsch-Ward state codes, through the states layer.

``detente.states.code_table(scheme, system)`` gives, for GDELT's CAMEO actor country codes
(``cameo``) or ICEWS's country names (``names``), the rows ``key, state, start, end``: the
normalised alias and the state code valid from ``start`` to ``end``. Event actor codes are
normalised the same way and resolved on the small set of distinct (code, date) pairs of a batch:
a lookup matrix of distinct codes by distinct dates is filled from the dated windows, and every
row takes its state code from it (one gather, however many rows).
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import pyarrow as pa

from detente.events.distinct import with_nulls

#: Which alias scheme of the states layer reads each layout's actor countries.
SCHEME_OF_LAYOUT = {"gdelt1": "cameo", "gdelt2": "cameo", "icews": "names"}
SYSTEMS = ("cow", "gw")

_SCHEMA = pa.schema(
    [("code", pa.string()), ("state", pa.int16()), ("start", pa.date32()), ("end", pa.date32())]
)
_NONE = np.iinfo(np.int32).max


@lru_cache(maxsize=8)
def code_table(scheme: str, system: str) -> pa.Table:
    """Return ``code`` (normalised alias), ``state``, ``start``, ``end`` as an Arrow table.

    Parameters
    ----------
    scheme : {"cameo", "names"}
    system : {"cow", "gw"}
    """
    from detente.states import code_table as states_code_table

    frame = states_code_table(scheme, system)
    table = pa.table(
        {
            "code": pa.array(frame["key"].tolist(), pa.string()),
            "state": pa.array(frame["state"].tolist(), pa.int16()),
            "start": pa.array(frame["start"].tolist(), pa.date32()),
            "end": pa.array(frame["end"].tolist(), pa.date32()),
        }
    )
    return table.cast(_SCHEMA)


@lru_cache(maxsize=8)
def _windows(scheme: str, system: str) -> tuple[dict[str, list[int]], np.ndarray, np.ndarray, np.ndarray]:
    """Normalised alias -> its windows' rows; first day, last day (days since 1970) and state per row."""
    table = code_table(scheme, system)
    rows: dict[str, list[int]] = {}
    for i, code in enumerate(table["code"].to_pylist()):
        rows.setdefault(code, []).append(i)
    start = table["start"].cast(pa.int32()).to_numpy().astype(np.int64)
    end = table["end"].cast(pa.int32()).to_numpy().astype(np.int64)
    return rows, start, end, table["state"].to_numpy().astype(np.int32)


def normalise_values(scheme: str, values: list[str]) -> list[str]:
    """Normalise distinct actor codes as the states layer does (empty stays empty)."""
    from detente.states import normalise_code, normalise_name

    norm = normalise_name if scheme == "names" else normalise_code
    return [norm(v) if v else "" for v in values]


def resolve(
    scheme: str,
    keys: list[str],
    key_index: np.ndarray,
    days: np.ndarray,
    day_index: np.ndarray,
) -> dict[str, pa.Array]:
    """CoW and G-W codes of rows given as positions in distinct normalised keys and distinct days.

    Parameters
    ----------
    scheme : {"cameo", "names"}
        The alias scheme of the keys.
    keys : list of str
        Distinct normalised actor codes (``""`` for none).
    key_index : numpy.ndarray
        Per row, the position of its key in ``keys``.
    days : numpy.ndarray
        Distinct dates as days since 1970-01-01 (``-2**31`` where a date is invalid).
    day_index : numpy.ndarray
        Per row, the position of its date in ``days`` (-1 for no date).

    Returns
    -------
    dict
        ``{"cow": codes, "gw": codes}``: int16 arrays, null where the key names no state on that
        day. Where several windows of one key overlap, the smallest code wins.

    Examples
    --------
    >>> import numpy as np
    >>> day = np.array([15000], dtype=np.int32)      # 2011-01-25
    >>> got = resolve("cameo", ["DEU", "EUR"], np.array([0, 1, 0]), day, np.array([0, 0, -1]))
    >>> got["cow"].to_pylist(), got["gw"].to_pylist()
    ([255, None, None], [260, None, None])
    """
    width = len(days) + 1  # a last column for rows without a date
    flat = key_index.astype(np.int32) * width + np.where(day_index < 0, width - 1, day_index).astype(np.int32)
    valid_day = np.append(days > np.iinfo(np.int32).min, False)
    day = np.append(days, 0).astype(np.int64)
    out = {}
    for system in SYSTEMS:
        rows_of, start, end, state = _windows(scheme, system)
        # one row per (key, window): a keys x days lookup filled in a few array operations
        key_of = [(k, r) for k, key in enumerate(keys) for r in rows_of.get(key, ())]
        table = np.full((max(len(keys), 1), width), _NONE, dtype=np.int32)
        if key_of:
            k, r = np.array(key_of).T
            inside = valid_day & (day >= start[r, None]) & (day <= end[r, None])
            np.minimum.at(table, k, np.where(inside, state[r, None], _NONE))
        lookup = np.where(table == _NONE, -1, table).astype(np.int16).ravel()
        states = np.take(lookup, flat, mode="clip")  # flat is in range by construction
        out[system] = with_nulls(states, states < 0, pa.int16())
    return out
