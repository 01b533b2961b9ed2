"""Work on the distinct values of a column, not on its rows.

Event files repeat a few hundred values millions of times (country codes, CAMEO codes, dates,
actor types). A column is dictionary-encoded once (the CSV reader already does it while parsing),
any per-value work runs in Python on the distinct values, and the result is spread back to the
rows with one numpy gather.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc


@dataclass(frozen=True)
class Distinct:
    """A column as its distinct values and, per row, the position of its value (-1 for null).

    Examples
    --------
    >>> d = Distinct.of(pa.array(["USA", "RUS", "USA", None]))
    >>> d.values, d.index.tolist()
    (['USA', 'RUS'], [0, 1, 0, -1])
    >>> d.spread([len(v) for v in d.values], np.int64).tolist()
    [3, 3, 3, 0]
    """

    values: list[Any]
    index: np.ndarray

    @classmethod
    def of(cls, column: pa.Array | pa.ChunkedArray) -> Distinct:
        """Dictionary-encode ``column`` (unifying the dictionaries of its chunks)."""
        if isinstance(column, pa.ChunkedArray):
            column = column.combine_chunks() if column.num_chunks else pa.array([], column.type)
        if not pa.types.is_dictionary(column.type):
            column = pc.dictionary_encode(column)
        index = column.indices
        index = index.fill_null(-1) if index.null_count else index
        return cls(column.dictionary.to_pylist(), index.to_numpy(zero_copy_only=False).astype(np.int32, copy=False))

    @property
    def present(self) -> np.ndarray:
        """Per row, whether it has a value."""
        return self.index >= 0

    def spread(self, per_value: Sequence[Any] | np.ndarray, dtype: Any, missing: Any = 0) -> np.ndarray:
        """Per-value results as a row array; rows without a value get ``missing``."""
        lookup = np.empty(len(self.values) + 1, dtype=dtype)
        lookup[: len(self.values)] = per_value
        lookup[-1] = missing
        return np.take(lookup, self.index, mode="wrap")  # -1 wraps to ``missing``

    def mapped(self, fn: Callable[[Any], Any], dtype: Any, missing: Any = 0) -> np.ndarray:
        """``fn`` of each distinct value, spread to the rows."""
        return self.spread([fn(v) for v in self.values], dtype, missing)


def dictionary(positions: np.ndarray, values: Sequence[str]) -> pa.DictionaryArray:
    """A dictionary array from per-row positions into ``values`` (-1: null).

    Examples
    --------
    >>> dictionary(np.array([1, -1, 0, 1]), ["a", "b"]).to_pylist()
    ['b', None, 'a', 'b']
    """
    positions = positions.astype(np.int32, copy=False)
    indices = with_nulls(positions, positions < 0, pa.int32())
    # positions are in range by construction: no second pass to check them
    return pa.DictionaryArray.from_arrays(indices, pa.array(list(values) or [""], pa.string()), safe=False)


def with_nulls(values: np.ndarray, missing: np.ndarray, typ: pa.DataType) -> pa.Array:
    """An Arrow array over ``values`` (zero-copy) with nulls where ``missing``.

    Examples
    --------
    >>> with_nulls(np.array([1, 2, 3], dtype=np.int16), np.array([False, True, False]), pa.int16()).to_pylist()
    [1, None, 3]
    """
    values = np.ascontiguousarray(values)
    bitmap = pa.py_buffer(np.packbits(~missing, bitorder="little")) if missing.any() else None
    return pa.Array.from_buffers(typ, len(values), [bitmap, pa.py_buffer(values)])


def constant(value: str, n: int) -> pa.DictionaryArray:
    """``value`` on ``n`` rows, dictionary-encoded (one entry)."""
    return pa.DictionaryArray.from_arrays(pa.array(np.zeros(n, dtype=np.int32)), pa.array([value]))
