"""Where detente finds its data mirror, analytic store and registry."""

from __future__ import annotations

import os
from pathlib import Path

from detente.exceptions import ConfigurationError

#: The mirror used when ``DETENTE_MIRROR`` is unset and this folder exists (relative to the cwd).
DEFAULT_MIRROR = Path("..") / "shared" / "data"


def data_dir() -> Path:
    """Return the per-user data directory (``DETENTE_HOME`` overrides it)."""
    home = os.environ.get("DETENTE_HOME")
    if home:
        return Path(home).expanduser()
    from platformdirs import user_data_dir

    return Path(user_data_dir("detente", appauthor=False))


def mirror_dir(explicit: str | Path | None = None, *, required: bool = True) -> Path | None:
    """Resolve the data mirror: argument, then ``DETENTE_MIRROR``, then ``../shared/data``.

    Parameters
    ----------
    explicit : path, optional
        A directory given on the command line.
    required : bool
        Raise when no mirror is found (else return None so the caller may fetch).
    """
    for candidate in (explicit, os.environ.get("DETENTE_MIRROR")):
        if candidate:
            path = Path(candidate).expanduser()
            if not path.is_dir():
                raise ConfigurationError(f"mirror directory {path} does not exist")
            return path
    if DEFAULT_MIRROR.is_dir():
        return DEFAULT_MIRROR
    if required:
        raise ConfigurationError(
            "no data mirror: set DETENTE_MIRROR or pass --mirror DIR, "
            "or run `detente data fetch` to download the official files"
        )
    return None


def store_path(explicit: str | Path | None = None) -> Path:
    """Resolve the analytic store file: argument, then ``DETENTE_STORE``, then the data dir."""
    for candidate in (explicit, os.environ.get("DETENTE_STORE")):
        if candidate:
            return Path(candidate).expanduser()
    return data_dir() / "detente.duckdb"


def registry_url(explicit: str | None = None, store: str | Path | None = None) -> str:
    """Resolve the registry database URL: argument, ``DETENTE_REGISTRY_URL``, else SQLite beside the store."""
    url = explicit or os.environ.get("DETENTE_REGISTRY_URL")
    if url:
        return url
    return f"sqlite:///{store_path(store).with_suffix('.registry.sqlite')}"
