"""The registry: open it, add, update, transition and read engagements.

Every change goes through :meth:`Registry.write`, which checks the optimistic lock
(``engagements.version``), rewrites the record's child rows and appends an audit entry with
who, when, the record before and the record after — all in one transaction.
"""

from __future__ import annotations

import datetime as dt
import getpass
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, delete, func, insert, select, update

from detente import config
from detente.exceptions import (
    ConcurrencyError,
    RecordValidationError,
    RegistryError,
    TransitionError,
)
from detente.registry import db, rows, vocab
from detente.registry import tables as t
from detente.registry.records import CodeCheck, Record, canonical, validate_record

#: Child tables deleted before a record's children are rewritten (grandchildren first).
_DELETE_ORDER = (t.observations, t.indicators, t.objectives, t.participants, t.legal_bases,
                 t.assessments, t.yearly)
_INSERT_ORDER = ("participants", "legal_bases", "objectives", "indicators", "observations",
                 "assessments", "yearly")


def default_actor() -> str:
    """Who is making changes: ``DETENTE_USER``, else the login name."""
    user = os.environ.get("DETENTE_USER")
    if user:
        return user
    try:
        return getpass.getuser()
    except Exception:  # no login name in some containers
        return "unknown"


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass
class WriteReport:
    """What a write did: ids inserted, updated and left unchanged."""

    inserted: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        """Return the number of records in each outcome."""
        return {"inserted": len(self.inserted), "updated": len(self.updated),
                "unchanged": len(self.unchanged)}


class Registry:
    """An engagement registry on SQLite or PostgreSQL.

    Parameters
    ----------
    url : str
        SQLAlchemy URL (``sqlite:///path`` or ``postgresql://user@host/db``).
    known_code : callable, optional
        ``known_code(system, code) -> bool``; when given, records naming unknown states are refused.
    migrate : bool
        Bring the schema up to date on open (Alembic).

    Examples
    --------
    >>> reg = Registry("sqlite://")
    >>> reg.add({"id": "ex-1", "type": "training", "title": "Staff course",
    ...          "status": "proposed"})["status"]
    'proposed'
    """

    def __init__(self, url: str, *, known_code: CodeCheck | None = None, migrate: bool = True):
        self.url = db.normalise_url(url)
        self.engine: Engine = db.make_engine(self.url)
        self.known_code = known_code
        if migrate:
            db.upgrade(self.engine)

    # -- reading -----------------------------------------------------------------------------

    def __repr__(self) -> str:
        return f"Registry({self.engine.url.render_as_string(hide_password=True)!r})"

    def close(self) -> None:
        """Release the database connections."""
        self.engine.dispose()

    def __enter__(self) -> Registry:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def get_versioned(self, engagement_id: str) -> tuple[Record, int]:
        """Return ``(record, version)``; raise :class:`RegistryError` when the id is unknown."""
        with self.engine.connect() as conn:
            found = rows.read_records(conn, [engagement_id])
        if engagement_id not in found:
            raise RegistryError(f"no engagement with id {engagement_id!r}")
        return found[engagement_id]

    def get(self, engagement_id: str) -> Record:
        """Return one record in canonical form."""
        return self.get_versioned(engagement_id)[0]

    def exists(self, engagement_id: str) -> bool:
        """Return whether an engagement with this id exists."""
        with self.engine.connect() as conn:
            q = select(func.count()).select_from(t.engagements).where(t.engagements.c.id == engagement_id)
            return bool(conn.execute(q).scalar_one())

    def records(self, ids: Sequence[str] | None = None) -> list[Record]:
        """Return records (all, or those with ``ids``) ordered by id."""
        with self.engine.connect() as conn:
            found = rows.read_records(conn, ids)
        return [rec for rec, _ in found.values()]

    def count(self, source: str | None = None) -> int:
        """Return the number of engagements (optionally from one ``source``)."""
        q = select(func.count()).select_from(t.engagements)
        if source is not None:
            q = q.where(t.engagements.c.source == source)
        with self.engine.connect() as conn:
            return int(conn.execute(q).scalar_one())

    def audit(self, engagement_id: str | None = None) -> list[dict[str, Any]]:
        """Return audit entries (oldest first), for one engagement or all."""
        q = select(t.audit_log).order_by(t.audit_log.c.id)
        if engagement_id is not None:
            q = q.where(t.audit_log.c.engagement_id == engagement_id)
        with self.engine.connect() as conn:
            return [dict(r) for r in conn.execute(q).mappings()]

    # -- validation --------------------------------------------------------------------------

    def validate(self, record: Any, *, file: str | None = None, row: int | None = None) -> Record:
        """Validate a record against the schema and this registry's state codes."""
        return validate_record(record, file=file, row=row, known_code=self.known_code)

    # -- writing -----------------------------------------------------------------------------

    def write(
        self,
        records: Iterable[Record],
        *,
        actor: str | None = None,
        action: str = "import",
        expected: Mapping[str, int] | None = None,
        must_be_new: bool = False,
        conn: Connection | None = None,
    ) -> WriteReport:
        """Insert or update validated, canonical records in one transaction.

        Parameters
        ----------
        records : iterable of dict
            Canonical records (from :meth:`validate`).
        actor : str, optional
            Who makes the change (audit log); default :func:`default_actor`.
        action : str
            The audit action (``add``, ``update``, ``import``, ``transition`` ...).
        expected : mapping, optional
            ``{id: version}`` the caller read; a different stored version raises
            :class:`ConcurrencyError` and nothing is written.
        must_be_new : bool
            Refuse ids that already exist (``add``).
        conn : Connection, optional
            Join a transaction the caller holds.
        """
        if conn is None:
            with db.begin_write(self.engine) as own:
                return self.write(records, actor=actor, action=action, expected=expected,
                                  must_be_new=must_be_new, conn=own)
        actor = actor or default_actor()
        records = list(records)
        report = WriteReport()
        texts = {r["id"]: rows.dumps(r) for r in records}
        digests = {eid: rows.digest(text) for eid, text in texts.items()}
        # versions and digests only: unchanged records need no full read (fast re-imports)
        meta = rows.read_meta(conn, list(texts), lock=True)
        to_read = [eid for eid, (_, dig) in meta.items() if dig != digests[eid]]
        before_of = rows.read_records(conn, to_read) if to_read else {}
        now = _now()
        new_rows, changed, audit = [], [], []
        for rec in records:
            eid = rec["id"]
            if eid in meta:
                if must_be_new:
                    raise RecordValidationError(None, None, "id", f"duplicate id {eid!r}: already in the registry")
                version, stored_digest = meta[eid]
                if expected is not None and eid in expected and expected[eid] != version:
                    raise ConcurrencyError(
                        f"engagement {eid!r} changed since it was read "
                        f"(version {expected[eid]}, now {version}): read it again and retry"
                    )
                if stored_digest == digests[eid]:
                    report.unchanged.append(eid)
                    continue
                before = before_of[eid][0]
                if before == rec:  # same content, digest from an older serialisation
                    report.unchanged.append(eid)
                    continue
                changed.append((rec, version))
                audit.append({"at": now, "actor": actor, "action": action, "engagement_id": eid,
                              "version": version + 1, "before": rows.dumps(before),
                              "after": texts[eid]})
                report.updated.append(eid)
            else:
                if expected is not None and eid in expected:
                    raise ConcurrencyError(f"engagement {eid!r} was deleted since it was read")
                new_rows.append({**rows.engagement_row(rec), "version": 1, "created_at": now,
                                 "updated_at": now, "digest": digests[eid]})
                audit.append({"at": now, "actor": actor, "action": action, "engagement_id": eid,
                              "version": 1, "before": None, "after": texts[eid]})
                report.inserted.append(eid)
        for rec, version in changed:
            res = conn.execute(
                update(t.engagements)
                .where(t.engagements.c.id == rec["id"], t.engagements.c.version == version)
                .values(**rows.engagement_row(rec), version=version + 1, updated_at=now,
                        digest=digests[rec["id"]])
            )
            if res.rowcount != 1:
                raise ConcurrencyError(
                    f"engagement {rec['id']!r} was changed by someone else while writing: retry"
                )
        changed_ids = [rec["id"] for rec, _ in changed]
        for table in _DELETE_ORDER:
            for chunk in rows._chunks(changed_ids):
                conn.execute(delete(table).where(table.c.engagement_id.in_(chunk)))
        if new_rows:
            conn.execute(insert(t.engagements), new_rows)
        children: dict[str, list[dict[str, Any]]] = {name: [] for name in _INSERT_ORDER}
        inserted = set(report.inserted)
        for rec in [r for r, _ in changed] + [r for r in records if r["id"] in inserted]:
            for name, items in rows.child_rows(rec).items():
                children[name].extend(items)
        for name in _INSERT_ORDER:
            if children[name]:
                conn.execute(insert(t.metadata.tables[name]), children[name])
        if audit:
            conn.execute(insert(t.audit_log), audit)
        return report

    def add(self, record: Mapping[str, Any], *, actor: str | None = None) -> Record:
        """Validate and add a new engagement; its id must not exist yet."""
        rec = self.validate(record)
        self.write([rec], actor=actor, action="add", must_be_new=True)
        return rec

    def update(
        self, record: Mapping[str, Any], *, expected_version: int, actor: str | None = None
    ) -> int:
        """Replace an engagement read at ``expected_version``; return the new version.

        Raises :class:`ConcurrencyError` when someone changed it since.
        """
        rec = self.validate(record)
        if not self.exists(rec["id"]):
            raise RegistryError(f"no engagement with id {rec['id']!r}")
        report = self.write([rec], actor=actor, action="update",
                            expected={rec["id"]: expected_version})
        return expected_version + (1 if report.updated else 0)

    def modify(
        self,
        engagement_id: str,
        change: Callable[[Record], Record | None],
        *,
        actor: str | None = None,
        retries: int = 0,
        action: str = "update",
    ) -> Record:
        """Read, apply ``change`` to a copy, write back under the optimistic lock.

        ``retries`` re-reads and re-applies the change after a :class:`ConcurrencyError`.
        """
        for attempt in range(retries + 1):
            rec, version = self.get_versioned(engagement_id)
            new = change(canonical(rec))
            new = self.validate(new if new is not None else rec)
            if new["id"] != engagement_id:
                raise RecordValidationError(None, None, "id", "the id of an engagement cannot change")
            try:
                self.write([new], actor=actor, action=action, expected={engagement_id: version})
                return new
            except ConcurrencyError:
                if attempt == retries:
                    raise
        raise AssertionError("unreachable")  # pragma: no cover

    def transition(
        self,
        engagement_id: str,
        to: str,
        *,
        on: dt.date | str | None = None,
        actor: str | None = None,
        expected_version: int | None = None,
    ) -> Record:
        """Move an engagement along its lifecycle, recording the date.

        Allowed: proposed → planned → ongoing → completed, and cancelled from any open status.
        Entering ``ongoing`` sets the start date and ``completed`` the end date when they are empty.
        """
        if to not in vocab.STATUSES:
            raise TransitionError(f"unknown status {to!r}: expected one of {', '.join(vocab.STATUSES)}")
        day = on if isinstance(on, str) else (on or dt.date.today()).isoformat()
        try:
            dt.date.fromisoformat(day)
        except ValueError:
            raise RecordValidationError(None, None, "date", f"malformed date {day!r}: expected YYYY-MM-DD") from None
        rec, version = self.get_versioned(engagement_id)
        if expected_version is not None and expected_version != version:
            raise ConcurrencyError(f"engagement {engagement_id!r} changed since it was read")
        current = rec["status"]
        if to not in vocab.allowed_next(current):
            allowed = ", ".join(vocab.allowed_next(current)) or "none (final status)"
            raise TransitionError(
                f"engagement {engagement_id!r} cannot go from {current} to {to}: allowed {allowed}"
            )
        last = max(rec["status_dates"].values(), default=None)
        if last and day < last:
            raise TransitionError(f"{to} on {day} would be before the previous status change on {last}")
        new = canonical(rec)
        new["status"] = to
        new["status_dates"] = {**rec["status_dates"], to: day}
        if to == "ongoing" and new["start"] is None:
            new["start"] = day
        if to == "completed" and new["end"] is None:
            new["end"] = day
        new = self.validate(new)
        self.write([new], actor=actor, action=f"transition:{current}->{to}",
                   expected={engagement_id: version})
        return new

    def delete(self, engagement_id: str, *, actor: str | None = None) -> None:
        """Delete an engagement (its audit history stays)."""
        with db.begin_write(self.engine) as conn:
            rows.read_meta(conn, [engagement_id], lock=True)
            found = rows.read_records(conn, [engagement_id])
            if engagement_id not in found:
                raise RegistryError(f"no engagement with id {engagement_id!r}")
            before, version = found[engagement_id]
            for table in _DELETE_ORDER:
                conn.execute(delete(table).where(table.c.engagement_id == engagement_id))
            conn.execute(delete(t.engagements).where(t.engagements.c.id == engagement_id))
            conn.execute(insert(t.audit_log), [{
                "at": _now(), "actor": actor or default_actor(), "action": "delete",
                "engagement_id": engagement_id, "version": version, "before": rows.dumps(before),
                "after": None}])

    def add_observation(
        self,
        engagement_id: str,
        objective: str,
        indicator: str,
        on: dt.date | str,
        value: float,
        *,
        recorded_by: str | None = None,
        note: str | None = None,
        retries: int = 3,
    ) -> Record:
        """Record one observation of an indicator (who recorded it defaults to the actor)."""
        day = on if isinstance(on, str) else on.isoformat()
        who = recorded_by or default_actor()

        def change(rec: Record) -> Record:
            for o in rec["objectives"]:
                if o["key"] != objective:
                    continue
                for ind in o["indicators"]:
                    if ind["key"] == indicator:
                        ind["observations"] = [x for x in ind["observations"] if x["date"] != day]
                        ind["observations"].append(
                            {"date": day, "value": value, "recorded_by": who, "note": note})
                        return rec
            raise RegistryError(
                f"engagement {engagement_id!r} has no indicator {objective}/{indicator}")

        return self.modify(engagement_id, change, actor=who, retries=retries, action="observe")

    def add_assessment(
        self, engagement_id: str, assessment: Mapping[str, Any], *, actor: str | None = None
    ) -> Record:
        """Append an assessment (initial, monitoring, evaluation or lessons)."""

        def change(rec: Record) -> Record:
            rec["assessments"].append(dict(assessment))
            return rec

        return self.modify(engagement_id, change, actor=actor, retries=3, action="assess")


def open_registry(
    url: str | None = None,
    *,
    store: str | Path | None = None,
    check_codes: bool = True,
    migrate: bool = True,
) -> Registry:
    """Open the registry at ``url`` (default: ``DETENTE_REGISTRY_URL``, else SQLite beside the store).

    Parameters
    ----------
    url : str, optional
        Database URL.
    store : path, optional
        The analytic store; its state tables define the valid state codes.
    check_codes : bool
        Refuse unknown state codes (needs the state systems in the store or ``detente.states``).
    """
    from detente.registry.codes import code_checker

    reg_url = config.registry_url(url, store)
    known = code_checker(store) if check_codes else None
    return Registry(reg_url, known_code=known, migrate=migrate)
