"""The published schema files match the code; migrations go up and down on both back ends."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import inspect

from detente.registry import db, schema, tables

ROOT = Path(__file__).resolve().parents[2]


def test_shipped_and_published_schemas_match_the_vocabulary():
    for name, build in schema.SCHEMA_FILES.items():
        expected = schema.dumps(build())
        packaged = ROOT / "src" / "detente" / "registry" / "schemas" / name
        published = ROOT / "docs" / "schemas" / name
        assert packaged.read_text(encoding="utf-8") == expected, f"regenerate {packaged}"
        assert published.read_text(encoding="utf-8") == expected, f"regenerate {published}"


def test_schema_lists_every_engagement_type():
    from detente.registry import vocab

    props = schema.shipped("engagement.schema.json")["properties"]
    assert props["type"]["enum"] == list(vocab.ENGAGEMENT_TYPES)
    assert props["status"]["enum"] == list(vocab.STATUSES)


def test_migrations_create_every_table_and_go_back(registry_url):
    engine = db.make_engine(registry_url)
    assert db.current_revision(engine) is None
    db.upgrade(engine)
    assert db.current_revision(engine) == db.head_revision()
    names = set(inspect(engine).get_table_names())
    assert set(tables.metadata.tables) <= names
    db.downgrade(engine, "base")
    assert not set(tables.metadata.tables) & set(inspect(engine).get_table_names())
    db.upgrade(engine)
    assert set(tables.metadata.tables) <= set(inspect(engine).get_table_names())
    engine.dispose()


def test_migrated_schema_matches_the_table_definitions(registry_url):
    """Autogenerate finds nothing to change: the migration and tables.py agree."""
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    engine = db.make_engine(registry_url)
    db.upgrade(engine)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), tables.metadata)
    engine.dispose()
    assert diff == []
