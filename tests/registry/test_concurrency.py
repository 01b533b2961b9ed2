"""Concurrent writers lose no update (optimistic locking on the version column)."""

from __future__ import annotations

import threading

import pytest

from detente.exceptions import ConcurrencyError

WRITERS = 8
INCREMENTS = 5


def _writer(url: str, eid: str, barrier: threading.Barrier, conflicts: list[int],
            errors: list[BaseException]) -> None:
    from detente.registry import Registry

    reg = Registry(url, migrate=False)  # each writer its own engine and connections
    try:
        barrier.wait()
        for _ in range(INCREMENTS):
            while True:
                rec, version = reg.get_versioned(eid)
                rec["personnel"] += 1
                rec["participants"][0]["personnel"] += 1
                try:
                    reg.update(rec, expected_version=version, actor=threading.current_thread().name)
                    break
                except ConcurrencyError:
                    conflicts.append(1)  # someone wrote first: read again and retry
    except BaseException as exc:
        errors.append(exc)
    finally:
        reg.close()


def test_eight_concurrent_writers_lose_no_update(registry_url, make_record):
    """Each writer re-reads and retries after a ConcurrencyError; the final count is the sum."""
    from detente.registry import Registry

    reg = Registry(registry_url)
    rec = make_record(personnel=0)
    rec["participants"][0]["personnel"] = 0
    reg.add(rec)
    barrier = threading.Barrier(WRITERS)
    conflicts: list[int] = []
    errors: list[BaseException] = []
    threads = [threading.Thread(target=_writer, name=f"writer-{n}",
                                args=(registry_url, rec["id"], barrier, conflicts, errors))
               for n in range(WRITERS)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(timeout=120)
    assert not any(th.is_alive() for th in threads)
    assert not errors, errors
    final, version = reg.get_versioned(rec["id"])
    assert final["personnel"] == WRITERS * INCREMENTS
    assert final["participants"][0]["personnel"] == WRITERS * INCREMENTS
    assert version == 1 + WRITERS * INCREMENTS
    # every successful write left one audit entry; conflicting attempts left none
    updates = [a for a in reg.audit(rec["id"]) if a["action"] == "update"]
    assert len(updates) == WRITERS * INCREMENTS
    assert {a["actor"] for a in updates} == {f"writer-{n}" for n in range(WRITERS)}
    reg.close()


def test_without_the_version_check_a_writer_would_overwrite(registry, make_record):
    """Two writers read the same version; the second write is refused, not applied."""
    rec = make_record(personnel=10)
    registry.add(rec)
    a, va = registry.get_versioned(rec["id"])
    b, vb = registry.get_versioned(rec["id"])
    registry.update({**a, "personnel": a["personnel"] + 1}, expected_version=va)
    with pytest.raises(ConcurrencyError):
        registry.update({**b, "personnel": b["personnel"] + 1}, expected_version=vb)
    assert registry.get(rec["id"])["personnel"] == 11
