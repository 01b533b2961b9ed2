"""Connecting to the registry database and bringing its schema up to date (Alembic).

The embedded default is a SQLite file beside the analytic store; PostgreSQL serves several
users (``DETENTE_REGISTRY_URL=postgresql://user@host/db``). Migrations ship inside the package
and run programmatically on open, so no ``alembic.ini`` is needed.
"""

from __future__ import annotations

import logging
from pathlib import Path

from sqlalchemy import Engine, create_engine, event, inspect
from sqlalchemy.engine import make_url

from detente.exceptions import ConfigurationError

# migrations are routine: keep alembic's progress lines out of user output
logging.getLogger("alembic").setLevel(logging.WARNING)

MIGRATIONS = "detente.registry:migrations"


def normalise_url(url: str) -> str:
    """Use the psycopg 3 driver for plain ``postgresql://`` URLs (psycopg2 is not a dependency)."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    # detente emits BEGIN itself (below): pysqlite's own deferred BEGIN comes only before the
    # first write, too late to keep a read-then-write transaction consistent
    dbapi_connection.isolation_level = None
    cur = dbapi_connection.cursor()
    # cascade deletes need foreign keys on; WAL lets readers work while one process writes
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.close()


#: Execution option asking for a write transaction (SQLite: BEGIN IMMEDIATE takes the write
#: lock at once, so what a writer reads cannot change before it writes).
WRITE = {"detente_write": True}


def _sqlite_begin(conn) -> None:
    mode = "IMMEDIATE" if conn.get_execution_options().get("detente_write") else "DEFERRED"
    conn.exec_driver_sql(f"BEGIN {mode}")


def begin_write(engine: Engine):
    """Begin a transaction that will write: locks taken up front on both back ends."""
    return engine.execution_options(**WRITE).begin()


def make_engine(url: str) -> Engine:
    """Create an engine for a registry URL (SQLite parents are created)."""
    url = normalise_url(url)
    try:
        parsed = make_url(url)
    except Exception as exc:  # sqlalchemy raises ArgumentError with a terse message
        raise ConfigurationError(f"invalid registry URL {url!r}: {exc}") from exc
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 30})
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    if parsed.get_backend_name() == "postgresql":
        return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)
    raise ConfigurationError(
        f"unsupported registry database {parsed.get_backend_name()!r}: use sqlite or postgresql"
    )


def _alembic_config(connection):
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", MIGRATIONS)
    cfg.attributes["connection"] = connection
    return cfg


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the registry schema to ``revision`` (default: the newest)."""
    from alembic import command

    with engine.begin() as conn:
        command.upgrade(_alembic_config(conn), revision)


def downgrade(engine: Engine, revision: str) -> None:
    """Take the registry schema back to ``revision`` (``base`` drops every table)."""
    from alembic import command

    with engine.begin() as conn:
        command.downgrade(_alembic_config(conn), revision)


def current_revision(engine: Engine) -> str | None:
    """Return the schema revision of the database (None when it has none)."""
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        if not inspect(conn).has_table("alembic_version"):
            return None
        return MigrationContext.configure(conn).get_current_revision()


def head_revision() -> str:
    """Return the newest revision shipped with the package."""
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(_alembic_config(None))
    head = script.get_current_head()
    assert head is not None  # the package always ships at least one revision
    return head
