"""Exceptions raised by detente.

The tree::

    DetenteError
    ├── ConfigurationError        no mirror, no store, bad setting
    ├── SourceError               a dataset definition or file problem
    │   ├── ChecksumError         a file's sha256 differs from its definition
    │   ├── FetchError            a download failed
    │   └── ValidationError       a file's content breaks its definition (file, row, column)
    ├── StoreError                the analytic store is missing a table or is locked
    ├── StatesError               a code or name could not be resolved
    ├── PanelError                a panel merge or request is invalid
    ├── RegistryError             the engagement registry refused a change
    │   ├── RecordValidationError a record breaks the registry schema (file, row, field)
    │   ├── TransitionError       a lifecycle transition is not allowed
    │   └── ConcurrencyError      a record changed since it was read (optimistic lock)
    ├── EventsError               event data could not be read or aggregated
    └── ModelError                a statistical model could not be estimated
        └── ConvergenceError      the optimiser did not converge

Warnings: ``StatisticalWarning`` (a result is computed but should be read with care) and
``DataQualityWarning`` (a documented quirk of a source was met).
"""

from __future__ import annotations


class DetenteError(Exception):
    """Base class of every detente error."""


class ConfigurationError(DetenteError):
    """A required setting (mirror, store, registry URL) is missing or wrong."""


class SourceError(DetenteError):
    """A dataset definition or file is unusable."""


class ChecksumError(SourceError):
    """A file's sha256 differs from the one in its definition."""


class FetchError(SourceError):
    """A file could not be downloaded."""


class ValidationError(SourceError):
    """A file's content breaks its definition.

    Parameters
    ----------
    file : str
        The file name (relative to the mirror).
    row : int or None
        The 1-based line number in the file (the header is line 1), when known.
    column : str or None
        The column named in the file, when known.
    reason : str
        What is wrong, in plain words.
    """

    def __init__(self, file: str, row: int | None, column: str | None, reason: str) -> None:
        self.file = file
        self.row = row
        self.column = column
        self.reason = reason
        where = [f"file {file}"]
        if row is not None:
            where.append(f"line {row}")
        if column is not None:
            where.append(f"column {column!r}")
        super().__init__(f"{', '.join(where)}: {reason}")


class StoreError(DetenteError):
    """The analytic store is missing something or cannot be opened."""


class StatesError(DetenteError):
    """A state code, name or date could not be resolved."""


class PanelError(DetenteError):
    """A panel request or merge is invalid."""


class RegistryError(DetenteError):
    """The engagement registry refused a change."""


class RecordValidationError(RegistryError):
    """A record breaks the registry schema; names file, row and field."""

    def __init__(self, file: str | None, row: int | None, field: str | None, reason: str) -> None:
        self.file = file
        self.row = row
        self.field = field
        self.reason = reason
        where = []
        if file is not None:
            where.append(f"file {file}")
        if row is not None:
            where.append(f"row {row}")
        if field is not None:
            where.append(f"field {field!r}")
        prefix = ", ".join(where)
        super().__init__(f"{prefix}: {reason}" if prefix else reason)


class TransitionError(RegistryError):
    """A lifecycle transition is not allowed."""


class ConcurrencyError(RegistryError):
    """A record changed since it was read (optimistic locking)."""


class EventsError(DetenteError):
    """Event data could not be read or aggregated."""


class ModelError(DetenteError):
    """A statistical model could not be estimated."""


class ConvergenceError(ModelError):
    """The optimiser did not converge."""


class StatisticalWarning(UserWarning):
    """A result was computed but should be read with care."""


class DataQualityWarning(UserWarning):
    """A documented quirk of a source was met."""
