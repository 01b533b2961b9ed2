"""Special loaders: code only for files the generic reader cannot read as they are.

A loader takes ``(con, source, spec, path)`` and returns a SQL relation (a table function call
or a parenthesised SELECT) whose columns are the file's columns under their original names.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from detente.exceptions import SourceError

if TYPE_CHECKING:
    import duckdb

    from detente.sources.definition import FileSpec, Source

Loader = Callable[["duckdb.DuckDBPyConnection", "Source", "FileSpec", Path], str]

_LOADERS: dict[str, Loader] = {}


def register(name: str) -> Callable[[Loader], Loader]:
    """Register a loader under ``name`` (the value of ``loader`` in a file definition)."""

    def wrap(fn: Loader) -> Loader:
        _LOADERS[name] = fn
        return fn

    return wrap


def _discover() -> None:
    import importlib
    import pkgutil

    from detente.sources import special

    for info in pkgutil.iter_modules(special.__path__):
        importlib.import_module(f"detente.sources.special.{info.name}")


def get(name: str) -> Loader:
    """Return the loader called ``name``."""
    if name not in _LOADERS:
        _discover()
    if name not in _LOADERS:
        raise SourceError(f"unknown loader {name!r}; known: {sorted(_LOADERS)}")
    return _LOADERS[name]
