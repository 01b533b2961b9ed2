"""Check that PostgreSQL is reachable before the test suite runs.

Under CI (``CI=true``) an unreachable server is a failure, never a silent skip; elsewhere it is
reported and the PostgreSQL tests fail with the same message.
"""

from __future__ import annotations

import os
import sys

DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/test"


def postgres_url() -> str:
    """The PostgreSQL URL the registry tests use (``DETENTE_TEST_PG`` overrides)."""
    return os.environ.get("DETENTE_TEST_PG", DEFAULT_PG)


def postgres_reachable(url: str | None = None) -> str | None:
    """Return None when PostgreSQL answers, else the reason it does not."""
    import psycopg

    try:
        with psycopg.connect(url or postgres_url(), connect_timeout=5) as con:
            con.execute("select 1")
    except psycopg.Error as exc:
        return str(exc).strip()
    return None


def main() -> int:
    """Exit non-zero under CI when PostgreSQL is unreachable."""
    problem = postgres_reachable()
    if problem is None:
        print(f"PostgreSQL reachable at {postgres_url()}")
        return 0
    msg = f"PostgreSQL is unreachable at {postgres_url()}: {problem}"
    if os.environ.get("CI", "").lower() == "true":
        print(f"error: {msg}; the registry tests need it", file=sys.stderr)
        return 1
    print(f"warning: {msg}; the PostgreSQL registry tests will fail", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
