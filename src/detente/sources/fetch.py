"""Download source files from their official URLs into a mirror laid out like the shared one.

The transport is pluggable (as in httpx): :class:`HTTPTransport` talks to the network,
:class:`MirrorTransport` serves the same URLs from a local mirror so tests never touch the network.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from detente.exceptions import ChecksumError, FetchError
from detente.sources.definition import FileSpec, Source


class Transport(Protocol):
    """Something that returns the bytes behind a URL for a given source file."""

    def get(self, url: str, source: Source, spec: FileSpec) -> bytes:  # pragma: no cover - protocol
        """Return the body of ``url``."""


class HTTPTransport:
    """Fetch over HTTP(S) with the standard library."""

    def __init__(self, timeout: float = 60.0) -> None:
        self.timeout = timeout

    def get(self, url: str, source: Source, spec: FileSpec) -> bytes:
        """Download ``url``; raise :class:`FetchError` on any failure."""
        import urllib.request

        try:
            with urllib.request.urlopen(url, timeout=self.timeout) as resp:
                return resp.read()
        except OSError as exc:
            raise FetchError(f"{source.id}/{spec.name}: download from {url} failed: {exc}") from exc


class MirrorTransport:
    """Serve every official URL from a local mirror directory (``<root>/<source id>/<file>``)."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def get(self, url: str, source: Source, spec: FileSpec) -> bytes:
        """Return the mirror copy of the file behind ``url``."""
        path = self.root / source.id / spec.name
        if not path.is_file():
            raise FetchError(f"{source.id}/{spec.name}: not in the mirror {self.root}")
        return path.read_bytes()


@dataclass(frozen=True)
class FetchResult:
    """The outcome for one file."""

    source_id: str
    file: str
    status: str  # "downloaded", "present", "no official download"
    url: str | None


def fetch(
    sources: Iterable[Source], dest: Path, transport: Transport | None = None, force: bool = False
) -> list[FetchResult]:
    """Download every file that has an official URL, verify its sha256 and write it atomically.

    Files already present with the right checksum are left alone. A checksum mismatch is an error
    and nothing is written for that file.
    """
    transport = transport or HTTPTransport()
    results: list[FetchResult] = []
    for source in sources:
        for spec in source.files:
            target = dest / source.id / spec.name
            if not spec.url:
                results.append(FetchResult(source.id, spec.name, "no official download", None))
                continue
            if target.is_file() and not force and _sha256(target.read_bytes()) == spec.sha256:
                results.append(FetchResult(source.id, spec.name, "present", spec.url))
                continue
            body = transport.get(spec.url, source, spec)
            digest = _sha256(body)
            if digest != spec.sha256:
                raise ChecksumError(
                    f"{source.id}/{spec.name}: sha256 {digest} from {spec.url} differs from the "
                    f"definition's {spec.sha256}; nothing written"
                )
            target.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{spec.name}.")
            with os.fdopen(fd, "wb") as fh:
                fh.write(body)
            os.replace(tmp, target)
            results.append(FetchResult(source.id, spec.name, "downloaded", spec.url))
    return results


def _sha256(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


def verify(sources: Iterable[Source], mirror: Path) -> list[tuple[str, str, str]]:
    """Check every file's sha256 in ``mirror``; return (source, file, problem) for each failure."""
    from detente.store.importer import sha256_of

    problems: list[tuple[str, str, str]] = []
    for source in sources:
        for spec in source.files:
            path = mirror / source.id / spec.name
            if not path.is_file():
                problems.append((source.id, spec.name, "missing"))
                continue
            digest = sha256_of(path)
            if digest != spec.sha256:
                problems.append((source.id, spec.name, f"sha256 {digest} != {spec.sha256}"))
    return problems
