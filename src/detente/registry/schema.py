"""The published JSON Schema of registry records, built from the vocabularies.

The schema files shipped in ``detente/registry/schemas/`` (and in ``docs/schemas/``) are the
output of :func:`engagement_schema` and :func:`file_schema`; a test keeps them identical, so the
vocabulary in :mod:`detente.registry.vocab` is the single source.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

from detente.registry import vocab

#: Identifier written in exported files and checked on import.
SCHEMA_ID = "detente-registry/engagements/1"
#: ``$id`` of the record schema.
ENGAGEMENT_SCHEMA_URI = "https://detente.readthedocs.io/schemas/engagement.schema.json"
FILE_SCHEMA_URI = "https://detente.readthedocs.io/schemas/registry-file.schema.json"

DATE_PATTERN = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$"
KEY_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"


def _nullable(schema: dict[str, Any]) -> dict[str, Any]:
    # a type list rather than anyOf: plainer errors, and validators need not try two branches
    out = dict(schema)
    if "enum" in out:
        out["enum"] = [*out["enum"], None]
    else:
        out["type"] = [out["type"], "null"]
    return out


_DATE = {"type": "string", "pattern": DATE_PATTERN, "description": "ISO 8601 date YYYY-MM-DD"}
_TEXT = {"type": "string"}
_COUNT = {"type": "integer", "minimum": 0}
_AMOUNT = {"type": "number", "minimum": 0}
_NUMBER = {"type": "number"}


def _object(properties: dict[str, Any], required: list[str], description: str) -> dict[str, Any]:
    return {
        "type": "object",
        "description": description,
        "properties": properties,
        "required": required,
        "additionalProperties": False,
    }


def engagement_schema() -> dict[str, Any]:
    """Return the JSON Schema of one engagement record."""
    participant = _object(
        {
            "system": {"enum": list(vocab.CODE_SYSTEMS), "description": "state code system"},
            "code": {"type": "integer", "minimum": 1, "maximum": 9999,
                     "description": "state code in that system"},
            "role": {"enum": list(vocab.ROLES)},
            "name": _nullable(_TEXT),
            "personnel": _nullable(_COUNT),
        },
        ["system", "code", "role"],
        "A state taking part: contributor (sends forces), host (on whose territory), partner.",
    )
    legal_basis = _object(
        {
            "kind": {"enum": list(vocab.LEGAL_BASIS_KINDS)},
            "reference": _nullable(_TEXT),
            "resolution": _nullable({"type": "string", "pattern": r"^[0-9]{1,5}$"}),
            "chapter": _nullable({"enum": list(vocab.UN_CHAPTERS)}),
            "date": _nullable(_DATE),
            "description": _nullable(_TEXT),
        },
        ["kind"],
        "Legal basis: host consent, UN Security Council mandate (resolution, chapter), "
        "status-of-forces agreement, treaty, regional mandate or other.",
    )
    observation = _object(
        {
            "date": _DATE,
            "value": _NUMBER,
            "recorded_by": _nullable(_TEXT),
            "note": _nullable(_TEXT),
        },
        ["date", "value"],
        "One measured value of an indicator.",
    )
    indicator = _object(
        {
            "key": {"type": "string", "pattern": KEY_PATTERN},
            "definition": {"type": "string", "minLength": 1},
            "unit": _nullable(_TEXT),
            "baseline_value": _nullable(_NUMBER),
            "baseline_date": _nullable(_DATE),
            "target_value": _nullable(_NUMBER),
            "target_date": _nullable(_DATE),
            "data_source": {
                "type": "string",
                "pattern": r"^(manual|measure:[a-z][a-z0-9_]*)$",
                "description": "manual, or measure:<name> for a detente measure",
            },
            "observations": {"type": "array", "items": observation},
        },
        ["key", "definition"],
        "An indicator of an objective with baseline, target and observations.",
    )
    objective = _object(
        {
            "key": {"type": "string", "pattern": KEY_PATTERN},
            "statement": {"type": "string", "minLength": 1},
            "specific": _nullable(_TEXT),
            "measurable": _nullable(_TEXT),
            "achievable": _nullable(_TEXT),
            "relevant": _nullable(_TEXT),
            "time_bound": _nullable(_DATE),
            "indicators": {"type": "array", "items": indicator},
        },
        ["key", "statement"],
        "An objective with SMART fields (specific, measurable, achievable, relevant, time-bound).",
    )
    assessment = _object(
        {
            "kind": {"enum": list(vocab.ASSESSMENT_KINDS)},
            "date": _DATE,
            "author": _nullable(_TEXT),
            "findings": _nullable(_TEXT),
            "rating": _nullable({"enum": list(vocab.RATINGS)}),
        },
        ["kind", "date"],
        "An initial assessment, monitoring report, evaluation or lessons learned.",
    )
    yearly = _object(
        {
            "year": {"type": "integer", "minimum": 1800, "maximum": 2200},
            "personnel": _nullable(_COUNT),
            "value": _nullable(_NUMBER),
            "unit": _nullable(_TEXT),
        },
        ["year"],
        "A level by year (e.g. troops deployed, SIPRI TIV delivered).",
    )
    status_dates = {
        "type": "object",
        "description": "date each lifecycle status was entered",
        "properties": {s: _DATE for s in vocab.STATUSES},
        "additionalProperties": False,
    }
    schema = _object(
        {
            "id": {"type": "string", "pattern": ID_PATTERN,
                   "description": "stable identifier (natural key)"},
            "type": {"enum": list(vocab.ENGAGEMENT_TYPES)},
            "title": {"type": "string", "minLength": 1},
            "description": _nullable(_TEXT),
            "status": {"enum": list(vocab.STATUSES)},
            "status_dates": status_dates,
            "start": _nullable(_DATE),
            "end": _nullable(_DATE),
            "location": _nullable(_TEXT),
            "personnel": _nullable(_COUNT),
            "cost": _nullable(_AMOUNT),
            "currency": _nullable({"type": "string", "pattern": r"^[A-Z]{3}$"}),
            "source": _nullable(_TEXT),
            "citations": {"type": "array", "items": {"type": "string", "minLength": 1}},
            "participants": {"type": "array", "items": participant},
            "legal_bases": {"type": "array", "items": legal_basis},
            "objectives": {"type": "array", "items": objective},
            "assessments": {"type": "array", "items": assessment},
            "yearly": {"type": "array", "items": yearly},
        },
        ["id", "type", "title", "status"],
        "An engagement of military forces in a diplomatic mission.",
    )
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": ENGAGEMENT_SCHEMA_URI,
        "title": "detente engagement record",
        **schema,
    }


def file_schema() -> dict[str, Any]:
    """Return the JSON Schema of a registry JSON file (an envelope around records)."""
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": FILE_SCHEMA_URI,
        "title": "detente registry file",
        "type": "object",
        "properties": {
            "schema": {"const": SCHEMA_ID},
            "engagements": {"type": "array", "items": {"$ref": ENGAGEMENT_SCHEMA_URI}},
        },
        "required": ["schema", "engagements"],
        "additionalProperties": False,
    }


SCHEMA_FILES = {
    "engagement.schema.json": engagement_schema,
    "registry-file.schema.json": file_schema,
}


def dumps(schema: dict[str, Any]) -> str:
    """Serialise a schema the way the shipped files are written."""
    return json.dumps(schema, indent=2, ensure_ascii=False) + "\n"


@cache
def shipped(name: str) -> dict[str, Any]:
    """Return a schema file shipped inside the package."""
    text = resources.files("detente.registry").joinpath("schemas", name).read_text("utf-8")
    return json.loads(text)
