"""Actor country codes to dated CoW and Gleditsch-Ward state codes, through the states layer.

``detente.states.code_table(scheme, system)`` gives, for GDELT's CAMEO actor country codes
(``cameo``) or ICEWS's country names (``names``), the rows ``key, state, start, end``: the
normalised alias and the state code valid from ``start`` to ``end``. Event actor codes are
normalised the same way and joined on key and date (a range join in DuckDB).
"""

from __future__ import annotations

from functools import lru_cache

import pyarrow as pa
import pyarrow.compute as pc

#: Which alias scheme of the states layer reads each layout's actor countries.
SCHEME_OF_LAYOUT = {"gdelt1": "cameo", "gdelt2": "cameo", "icews": "names"}
SYSTEMS = ("cow", "gw")

_SCHEMA = pa.schema(
    [("code", pa.string()), ("state", pa.int16()), ("start", pa.date32()), ("end", pa.date32())]
)


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


def normalise(scheme: str, column: pa.ChunkedArray | pa.Array) -> pa.Array:
    """Normalise actor codes as the states layer does, once per distinct value.

    Empty strings stay empty (no actor country).
    """
    from detente.states import normalise_code, normalise_name

    norm = normalise_name if scheme == "names" else normalise_code
    encoded = pc.dictionary_encode(column)
    if isinstance(encoded, pa.ChunkedArray):
        encoded = encoded.combine_chunks()
    values = [norm(v) if v else "" for v in encoded.dictionary.to_pylist()]
    return pc.take(pa.array(values, pa.string()), encoded.indices)
