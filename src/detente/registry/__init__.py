"""The engagement registry: engagements, participants, legal bases, objectives, indicators,
observations and assessments, with an audit log; SQLite beside the analytic store or PostgreSQL.

Examples
--------
>>> import detente.registry as registry
>>> reg = registry.Registry("sqlite://")
>>> _ = reg.add({"id": "visit-1", "type": "official_visit", "title": "Staff talks",
...              "status": "planned", "start": "2024-05-02"})
>>> _ = reg.transition("visit-1", "ongoing", on="2024-05-02")
>>> registry.engagements_frame(reg)[["id", "status"]].to_dict("records")
[{'id': 'visit-1', 'status': 'ongoing'}]
"""

from __future__ import annotations

import importlib
from typing import Any

__all__ = [
    "ENGAGEMENT_TYPES",
    "STATUSES",
    "Registry",
    "WriteReport",
    "check_registry",
    "engagements_frame",
    "export_file",
    "import_file",
    "import_public",
    "open_registry",
    "participants_frame",
    "validate_record",
    "yearly_frame",
]

# lazy re-exports keep `import detente` fast (pyfixest style)
_WHERE = {
    "ENGAGEMENT_TYPES": "detente.registry.vocab",
    "STATUSES": "detente.registry.vocab",
    "Registry": "detente.registry.api",
    "WriteReport": "detente.registry.api",
    "open_registry": "detente.registry.api",
    "validate_record": "detente.registry.records",
    "import_file": "detente.registry.io",
    "export_file": "detente.registry.io",
    "engagements_frame": "detente.registry.frames",
    "participants_frame": "detente.registry.frames",
    "yearly_frame": "detente.registry.frames",
    "check_registry": "detente.registry.check",
    "import_public": "detente.registry.public",
}


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        module = importlib.import_module(_WHERE[name])
        return getattr(module, name)
    raise AttributeError(f"module 'detente.registry' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)
