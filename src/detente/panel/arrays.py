"""Arrow arrays to numpy and back through their buffers, without pandas.

pyarrow's own conversions (``pa.array``, ``Array.to_numpy``, ``ChunkedArray.to_numpy``) import
pandas on first use, which costs more than building a panel. Panels hold only fixed-width numbers
and booleans, so reading and writing the buffers directly is enough.

>>> import numpy as np
>>> arr = from_numpy(np.array([1.5, 2.0, 0.0]), np.array([True, True, False]), "DOUBLE")
>>> arr.null_count
1
>>> values, valid = to_numpy(arr)
>>> values[:2].tolist(), valid.tolist()
([1.5, 2.0], [True, True, False])
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from detente.exceptions import PanelError

#: DuckDB type name -> (numpy dtype, Arrow type) of the columns panels carry.
TYPES: dict[str, tuple[np.dtype, pa.DataType]] = {
    "TINYINT": (np.dtype(np.int8), pa.int8()),
    "SMALLINT": (np.dtype(np.int16), pa.int16()),
    "INTEGER": (np.dtype(np.int32), pa.int32()),
    "BIGINT": (np.dtype(np.int64), pa.int64()),
    "FLOAT": (np.dtype(np.float32), pa.float32()),
    "DOUBLE": (np.dtype(np.float64), pa.float64()),
    "BOOLEAN": (np.dtype(np.bool_), pa.bool_()),
}

_NUMPY = {typ: dtype for dtype, typ in TYPES.values()} | {
    pa.uint8(): np.dtype(np.uint8), pa.uint16(): np.dtype(np.uint16), pa.uint32(): np.dtype(np.uint32),
    pa.uint64(): np.dtype(np.uint64),
}


def numpy_type(sql_type: str) -> np.dtype:
    """The numpy dtype of a panel column type (``"DOUBLE"`` -> float64)."""
    try:
        return TYPES[sql_type.upper()][0]
    except KeyError:
        raise PanelError(
            f"panel columns are numbers or booleans; {sql_type!r} is neither (cast it in the enricher's SQL)"
        ) from None


def empty(n: int, dtype: np.dtype | type) -> np.ndarray:
    """An uninitialised numpy array whose memory comes from Arrow's memory pool.

    The pool keeps memory that is freed for the next allocation, where numpy's would go back to
    the system and come back as fresh pages the kernel must clear first — for the hundreds of
    megabytes of a panel, that clearing costs more than writing the values. The array keeps its
    buffer alive, and an Arrow array made from it (:func:`from_numpy`) shares the memory.
    """
    dtype = np.dtype(dtype)
    return np.frombuffer(pa.allocate_buffer(max(n, 1) * dtype.itemsize), dtype=dtype, count=n)


def full(n: int, value, dtype: np.dtype | type) -> np.ndarray:
    """:func:`empty`, filled with ``value``."""
    out = empty(n, dtype)
    out.fill(value)
    return out


def to_numpy(arr: pa.Array | pa.ChunkedArray) -> tuple[np.ndarray, np.ndarray | None]:
    """The values and validity (``None`` when nothing is missing) of a fixed-width Arrow array.

    Values under missing entries are whatever the buffer holds. The values share memory with the
    Arrow array when it is one chunk of a non-boolean type.
    """
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks() if arr.num_chunks != 1 else arr.chunk(0)
    n, offset = len(arr), arr.offset
    validity, data = arr.buffers()[:2]
    if pa.types.is_boolean(arr.type):
        values = _bits(data, offset, n)
    else:
        dtype = _NUMPY.get(arr.type)
        if dtype is None:
            raise PanelError(f"panel columns are numbers or booleans, not {arr.type}")
        values = np.frombuffer(data, dtype=dtype, count=offset + n)[offset:] if n else np.empty(0, dtype)
    valid = _bits(validity, offset, n) if arr.null_count and validity is not None else None
    return values, valid


def from_numpy(values: np.ndarray, valid: np.ndarray | None, typ: str | pa.DataType) -> pa.Array:
    """An Arrow array of ``values``, missing where not ``valid``.

    ``typ`` is a panel column type (``"DOUBLE"``) or an Arrow type; ``values`` are converted to it.
    """
    if isinstance(typ, str):
        dtype, typ = TYPES[typ.upper()]
    else:
        dtype = np.dtype(np.bool_) if pa.types.is_boolean(typ) else _NUMPY[typ]
    if values.dtype != dtype:
        values = values.astype(dtype)
    data = _bitmap(values) if dtype == np.bool_ else pa.py_buffer(np.ascontiguousarray(values))
    if valid is None or valid.all():
        return pa.Array.from_buffers(typ, len(values), [None, data])
    return pa.Array.from_buffers(typ, len(values), [bitmap(valid), data], null_count=len(valid) - int(np.count_nonzero(valid)))


def bitmap(valid: np.ndarray) -> pa.Buffer:
    """Arrow's validity bitmap (least significant bit first) of a boolean array."""
    return _bitmap(valid)


def _bitmap(flags: np.ndarray) -> pa.Buffer:
    return pa.py_buffer(np.packbits(flags, bitorder="little"))


def _bits(buffer: pa.Buffer, offset: int, n: int) -> np.ndarray:
    bits = np.unpackbits(np.frombuffer(buffer, dtype=np.uint8), count=offset + n, bitorder="little")
    return bits[offset:].view(np.bool_)
