"""Dataset definitions: the data that describes each source, its files and their columns.

A definition is a TOML file in ``detente/sources/definitions/<id>.toml``; see
``docs/sources.md`` for the format. Definitions are data: a loader is code only where a
file needs special handling (``loader = "name"`` on the file).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import tomllib
from collections import Counter
from dataclasses import dataclass, field
from functools import cache, cached_property
from importlib import resources
from pathlib import Path
from typing import Any

from detente.exceptions import SourceError

COLUMN_TYPES = ("integer", "double", "text", "date", "partial_date", "boolean")
CODE_SYSTEMS = ("cow", "gw", "iso3", "iso2", "isonum", "cameo", "name", "polity", "vdem", "mixed", "none")
FILE_FORMATS = ("csv", "parquet")


def snake_case(name: str) -> str:
    """Return ``name`` in snake_case: camelCase split, every other non-alphanumeric to ``_``.

    >>> snake_case("Actor1Code"), snake_case("GLOBALEVENTID"), snake_case("mid-x.y")
    ('actor1_code', 'globaleventid', 'mid_x_y')
    """
    name = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name)
    name = re.sub(r"[^A-Za-z0-9_]", "_", name).lower()
    # a leading underscore is kept: Stata's _t0 and a data column t0 must stay distinct
    lead = "_" if name.startswith("_") else ""
    name = re.sub(r"_+", "_", name).strip("_")
    return (lead + name) if name else "column"


def table_name(file_name: str) -> str:
    """Return the store table name of a file: its stem lowercased, non-word characters as ``_``."""
    stem = file_name.rsplit(".", 1)[0]
    return re.sub(r"[^a-z0-9_]", "_", stem.lower())


@dataclass(frozen=True)
class ColumnSpec:
    """One column of a file: its name in the file and the checks it must pass."""

    name: str
    type: str = "text"
    code: str | None = None
    min: float | None = None
    max: float | None = None
    allowed: tuple[Any, ...] | None = None
    required: bool = False
    format: str | None = None
    description: str = ""

    @cached_property
    def canonical(self) -> str:
        """The column's name in the store."""
        return snake_case(self.name)


@dataclass(frozen=True)
class FileSpec:
    """One file of a source."""

    name: str
    sha256: str
    rows: int
    columns: tuple[ColumnSpec, ...]
    format: str = "csv"
    delimiter: str = ","
    quote: str = '"'
    na: tuple[str, ...] = ("NA", "")
    decimal: str = "."
    encoding: str = "utf-8"
    header: bool = True
    unique: tuple[tuple[str, ...], ...] = ()
    loader: str | None = None
    url: str | None = None
    extra_codes: tuple[int | str, ...] = ()
    notes: tuple[str, ...] = ()

    @cached_property
    def table(self) -> str:
        """The table name in the source's schema."""
        return table_name(self.name)

    def column(self, name: str) -> ColumnSpec:
        """Return the column called ``name`` (as in the file)."""
        for col in self.columns:
            if col.name == name:
                return col
        raise KeyError(name)


@dataclass(frozen=True)
class Source:
    """A public dataset: who made it, what it covers, how to cite it, and its files."""

    id: str
    title: str
    producer: str
    version: str
    licence: str
    citation: str
    unit: str
    code_system: str
    coverage: tuple[int | None, int | None]
    files: tuple[FileSpec, ...]
    homepage: str | None = None
    notes: tuple[str, ...] = ()
    kind: str = "context"
    extra: dict[str, Any] = field(default_factory=dict)

    def file(self, name: str) -> FileSpec:
        """Return the file called ``name``."""
        for spec in self.files:
            if spec.name == name or spec.table == name:
                return spec
        raise SourceError(f"source {self.id} has no file {name!r}")

    def citation_text(self) -> str:
        """Return a plain-text citation built from the first BibTeX entry (all entries: see ``citation``)."""
        entries = [e for e in re.split(r"\n(?=@)", self.citation.strip()) if e.strip()]
        first = entries[0] if entries else ""
        fields = {k.lower(): _latex_to_text(v) for k, v in re.findall(r"(\w+)\s*=\s*[{\"](.+?)[}\"]\s*,?\s*$", first, re.M)}
        author = fields.get("author", self.producer).replace(" and ", "; ")
        year = fields.get("year", "n.d.")
        title = fields.get("title", self.title)
        venue = fields.get("journal") or fields.get("publisher") or fields.get("howpublished", "")
        parts = [f"{author} ({year}). {title}."]
        if venue:
            parts.append(f" {venue}.")
        if fields.get("doi"):
            parts.append(f" doi:{fields['doi']}")
        elif fields.get("url") and fields["url"] not in venue:
            parts.append(f" {fields['url']}")
        return "".join(parts)


_ACCENTS = {"'": "\u0301", "`": "\u0300", "^": "\u0302", '"': "\u0308", "~": "\u0303", "c": "\u0327"}


def _latex_to_text(value: str) -> str:
    """Turn BibTeX markup (braces, accents such as ``\\'e``) into plain Unicode text."""
    import unicodedata

    value = re.sub(r"\\([`'^\"~c])\{?([A-Za-z])\}?", lambda m: m.group(2) + _ACCENTS[m.group(1)], value)
    value = value.replace("\\&", "&").replace("{", "").replace("}", "")
    return unicodedata.normalize("NFC", value)


def _column(name: str, raw: dict[str, Any], where: str) -> ColumnSpec:
    ctype = raw.get("type", "text")
    if ctype not in COLUMN_TYPES:
        raise SourceError(f"{where}: column {name!r} has unknown type {ctype!r}")
    code = raw.get("code")
    if code is not None and code not in CODE_SYSTEMS:
        raise SourceError(f"{where}: column {name!r} has unknown code system {code!r}")
    allowed = raw.get("allowed")
    return ColumnSpec(
        name=name,
        type=ctype,
        code=code,
        min=raw.get("min"),
        max=raw.get("max"),
        allowed=tuple(allowed) if allowed is not None else None,
        required=bool(raw.get("required", False)),
        format=raw.get("format"),
        description=raw.get("description", ""),
    )


def _file(raw: dict[str, Any], where: str) -> FileSpec:
    name = raw["name"]
    here = f"{where} file {name}"
    columns = tuple(_column(c, spec, here) for c, spec in raw.get("columns", {}).items())
    fmt = raw.get("format", "parquet" if name.endswith(".parquet") else "csv")
    if fmt not in FILE_FORMATS:
        raise SourceError(f"{here}: unknown format {fmt!r}")
    known = {c.name for c in columns}
    canon = [c.canonical for c in columns]
    dupes = sorted(c for c, n in Counter(canon).items() if n > 1)
    if dupes:
        raise SourceError(f"{here}: columns map to the same store name(s) {dupes}")
    unique = tuple(tuple(k) for k in raw.get("unique", []))
    for key in unique:
        missing = set(key) - known
        if missing:
            raise SourceError(f"{here}: unique key names unknown columns {sorted(missing)}")
    return FileSpec(
        name=name,
        sha256=raw["sha256"],
        rows=int(raw["rows"]),
        columns=columns,
        format=fmt,
        delimiter=raw.get("delimiter", ","),
        quote=raw.get("quote", '"'),
        na=tuple(raw.get("na", ["NA", ""])),
        decimal=raw.get("decimal", "."),
        encoding=raw.get("encoding", "utf-8"),
        header=raw.get("header", True),
        unique=unique,
        loader=raw.get("loader"),
        url=raw.get("url"),
        extra_codes=tuple(raw.get("extra_codes", [])),
        notes=tuple(raw.get("notes", [])),
    )


def parse_source(raw: dict[str, Any], where: str = "definition") -> Source:
    """Build a :class:`Source` from a parsed TOML mapping, checking required fields."""
    required = ("id", "title", "producer", "version", "licence", "citation", "unit", "code_system")
    missing = [k for k in required if k not in raw]
    if missing:
        raise SourceError(f"{where}: missing fields {missing}")
    if raw["code_system"] not in CODE_SYSTEMS:
        raise SourceError(f"{where}: unknown code_system {raw['code_system']!r}")
    cov = raw.get("coverage", {})
    known = set(required) | {"coverage", "files", "homepage", "notes", "kind"}
    return Source(
        id=raw["id"],
        title=raw["title"],
        producer=raw["producer"],
        version=str(raw["version"]),
        licence=raw["licence"],
        citation=raw["citation"].strip(),
        unit=raw["unit"],
        code_system=raw["code_system"],
        coverage=(cov.get("start"), cov.get("end")),
        files=tuple(_file(f, where) for f in raw.get("files", [])),
        homepage=raw.get("homepage"),
        notes=tuple(raw.get("notes", [])),
        kind=raw.get("kind", "context"),
        extra={k: v for k, v in raw.items() if k not in known},
    )


def _cache_dir() -> Path:
    """Where parsed definitions are cached: ``$DETENTE_HOME/cache``, else the user cache dir."""
    home = os.environ.get("DETENTE_HOME")
    if home:
        return Path(home).expanduser() / "cache"
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("detente", appauthor=False))


def raw_definitions() -> list[tuple[str, dict[str, Any]]]:
    """The parsed TOML of every packaged definition file, as (file name, mapping), by name.

    tomllib is pure Python and takes about a tenth of a second for all the definitions, a large
    part of a command's start-up; the parsed mappings are therefore cached as JSON, under a name
    made from the files' contents (a changed definition is parsed afresh, never read stale). The
    cache is an optimisation only: when it cannot be read or written the files are parsed.
    """
    folder = resources.files("detente.sources") / "definitions"
    files = sorted((e.name, e.read_bytes()) for e in folder.iterdir() if e.name.endswith(".toml"))
    digest = hashlib.sha256()
    for name, data in files:
        digest.update(f"{name}\0{len(data)}\0".encode() + data)
    cached = _cache_dir() / f"definitions-{digest.hexdigest()[:24]}.json"
    try:
        return [(name, raw) for name, raw in json.loads(cached.read_text(encoding="utf-8"))]
    except (OSError, ValueError):
        pass
    parsed = [(name, tomllib.loads(data.decode("utf-8"))) for name, data in files]
    try:
        text = json.dumps(parsed)
        cached.parent.mkdir(parents=True, exist_ok=True)
        tmp = cached.with_name(f"{cached.name}.{os.getpid()}.tmp")
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, cached)
        for old in cached.parent.glob("definitions-*.json"):
            if old != cached:
                old.unlink(missing_ok=True)
    except (OSError, TypeError, ValueError):  # e.g. a read-only home, or a TOML date (not JSON)
        pass
    return parsed


@cache
def all_sources() -> dict[str, Source]:
    """Return every packaged source definition keyed by id, in id order."""
    out: dict[str, Source] = {}
    for name, raw in raw_definitions():
        src = parse_source(raw, where=name)
        if src.id != name[:-5]:
            raise SourceError(f"{name}: id {src.id!r} differs from the file name")
        out[src.id] = src
    return out


def get_source(source_id: str) -> Source:
    """Return the definition of ``source_id`` or raise a :class:`SourceError` listing known ids."""
    sources = all_sources()
    if source_id not in sources:
        raise SourceError(f"unknown source {source_id!r}; known: {', '.join(sources)}")
    return sources[source_id]
