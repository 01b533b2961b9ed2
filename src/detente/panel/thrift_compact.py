"""Thrift's compact protocol, encoding only: enough to write Parquet page headers and footers.

A struct is a sequence of ``(field id, kind, value)``; a field whose value is ``None`` is left
out. Kinds are ``"bool"``, ``"i8"``, ``"i16"``, ``"i32"``, ``"i64"``, ``"binary"`` (``str`` is
written as UTF-8), ``"struct"`` and ``"list:<kind>"``. A union is a struct with one field set.

>>> encode_struct([(1, "i32", 1), (2, "binary", "ab"), (3, "bool", True)]).hex()
'1502180261621100'
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

Field = tuple[int, str, object]

#: compact protocol type codes
_TRUE, _FALSE, _I8, _I16, _I32, _I64, _DOUBLE, _BINARY, _LIST, _SET, _MAP, _STRUCT = range(1, 13)
_CODES = {"bool": _TRUE, "i8": _I8, "i16": _I16, "i32": _I32, "i64": _I64, "binary": _BINARY,
          "struct": _STRUCT, "list": _LIST}


def encode_struct(fields: Iterable[Field]) -> bytes:
    """The compact-protocol bytes of one struct."""
    out = bytearray()
    _struct(out, fields)
    return bytes(out)


def _struct(out: bytearray, fields: Iterable[Field]) -> None:
    last = 0
    for field_id, kind, value in fields:
        if value is None:
            continue
        code = (_TRUE if value else _FALSE) if kind == "bool" else _CODES[kind.partition(":")[0]]
        delta = field_id - last
        if 0 < delta <= 15:
            out.append(delta << 4 | code)
        else:
            out.append(code)
            _varint(out, _zigzag(field_id))
        last = field_id
        if kind != "bool":
            _value(out, kind, value)
    out.append(0)  # stop


def _value(out: bytearray, kind: str, value: object) -> None:
    if kind == "i8":
        out.append(int(value) & 0xFF)
    elif kind in ("i16", "i32", "i64"):
        _varint(out, _zigzag(int(value)))
    elif kind == "binary":
        data = value.encode() if isinstance(value, str) else bytes(value)
        _varint(out, len(data))
        out += data
    elif kind == "struct":
        _struct(out, value)
    elif kind.startswith("list:"):
        _list(out, kind[5:], value)
    else:
        raise ValueError(f"no thrift kind {kind!r}")


def _list(out: bytearray, element: str, values: Sequence[object]) -> None:
    code = _CODES[element.partition(":")[0]]
    if len(values) < 15:
        out.append(len(values) << 4 | code)
    else:
        out.append(0xF0 | code)
        _varint(out, len(values))
    for value in values:
        if element == "bool":
            out.append(_TRUE if value else _FALSE)
        else:
            _value(out, element, value)


def _zigzag(n: int) -> int:
    return 2 * n if n >= 0 else -2 * n - 1


def _varint(out: bytearray, n: int) -> None:
    while n > 0x7F:
        out.append(n & 0x7F | 0x80)
        n >>= 7
    out.append(n)


def uvarint(n: int) -> bytes:
    """An unsigned LEB128 varint (Parquet's run headers use it too)."""
    out = bytearray()
    _varint(out, n)
    return bytes(out)
