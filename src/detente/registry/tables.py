"""Database tables of the registry (SQLAlchemy Core).

Child tables use natural keys (engagement id plus the child's own key) rather than surrogate
ids, so a whole public dataset can be written with bulk ``executemany`` inserts and re-imports
find the same rows. ``engagements.version`` is the optimistic lock.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    Float,
    ForeignKeyConstraint,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
)

from detente.registry import vocab

metadata = MetaData(
    naming_convention={
        "pk": "pk_%(table_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "ix": "ix_%(table_name)s_%(column_0_name)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
    }
)


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def _cascade(*cols: str) -> ForeignKeyConstraint:
    parents = {"engagement_id": "engagements.id"}
    return ForeignKeyConstraint(list(cols), [parents[c] for c in cols], ondelete="CASCADE")


engagements = Table(
    "engagements",
    metadata,
    Column("id", String(128), primary_key=True),
    Column("type", String(40), nullable=False),
    Column("title", Text, nullable=False),
    Column("description", Text),
    Column("status", String(20), nullable=False),
    Column("status_dates", Text, nullable=False, default="{}"),
    Column("start_date", Date),
    Column("end_date", Date),
    Column("location", Text),
    Column("personnel", BigInteger),
    Column("cost", Float),
    Column("currency", String(3)),
    Column("source", Text),
    Column("citations", Text, nullable=False, default="[]"),
    Column("version", Integer, nullable=False, default=1),
    Column("digest", String(64)),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    CheckConstraint(_in("status", vocab.STATUSES), name="status"),
    CheckConstraint("personnel IS NULL OR personnel >= 0", name="personnel"),
    CheckConstraint("end_date IS NULL OR start_date IS NULL OR end_date >= start_date", name="dates"),
    Index("ix_engagements_type", "type"),
    Index("ix_engagements_source", "source"),
)

participants = Table(
    "participants",
    metadata,
    Column("engagement_id", String(128), primary_key=True),
    Column("system", String(8), primary_key=True),
    Column("code", Integer, primary_key=True),
    Column("role", String(20), primary_key=True),
    Column("position", Integer, nullable=False),
    Column("name", Text),
    Column("personnel", BigInteger),
    _cascade("engagement_id"),
    CheckConstraint(_in("role", vocab.ROLES), name="role"),
    CheckConstraint(_in("system", vocab.CODE_SYSTEMS), name="system"),
    CheckConstraint("personnel IS NULL OR personnel >= 0", name="personnel"),
    Index("ix_participants_code", "system", "code"),
)

legal_bases = Table(
    "legal_bases",
    metadata,
    Column("engagement_id", String(128), primary_key=True),
    Column("position", Integer, primary_key=True),
    Column("kind", String(30), nullable=False),
    Column("reference", Text),
    Column("resolution", String(8)),
    Column("chapter", String(4)),
    Column("date", Date),
    Column("description", Text),
    _cascade("engagement_id"),
    CheckConstraint(_in("kind", vocab.LEGAL_BASIS_KINDS), name="kind"),
)

objectives = Table(
    "objectives",
    metadata,
    Column("engagement_id", String(128), primary_key=True),
    Column("key", String(64), primary_key=True),
    Column("position", Integer, nullable=False),
    Column("statement", Text, nullable=False),
    Column("specific", Text),
    Column("measurable", Text),
    Column("achievable", Text),
    Column("relevant", Text),
    Column("time_bound", Date),
    _cascade("engagement_id"),
)

indicators = Table(
    "indicators",
    metadata,
    Column("engagement_id", String(128), primary_key=True),
    Column("objective_key", String(64), primary_key=True),
    Column("key", String(64), primary_key=True),
    Column("position", Integer, nullable=False),
    Column("definition", Text, nullable=False),
    Column("unit", Text),
    Column("baseline_value", Float),
    Column("baseline_date", Date),
    Column("target_value", Float),
    Column("target_date", Date),
    Column("data_source", String(80), nullable=False, default="manual"),
    ForeignKeyConstraint(
        ["engagement_id", "objective_key"],
        ["objectives.engagement_id", "objectives.key"],
        ondelete="CASCADE",
    ),
)

observations = Table(
    "observations",
    metadata,
    Column("engagement_id", String(128), primary_key=True),
    Column("objective_key", String(64), primary_key=True),
    Column("indicator_key", String(64), primary_key=True),
    Column("date", Date, primary_key=True),
    Column("value", Float, nullable=False),
    Column("recorded_by", Text),
    Column("note", Text),
    ForeignKeyConstraint(
        ["engagement_id", "objective_key", "indicator_key"],
        ["indicators.engagement_id", "indicators.objective_key", "indicators.key"],
        ondelete="CASCADE",
    ),
)

assessments = Table(
    "assessments",
    metadata,
    Column("engagement_id", String(128), primary_key=True),
    Column("position", Integer, primary_key=True),
    Column("kind", String(20), nullable=False),
    Column("date", Date, nullable=False),
    Column("author", Text),
    Column("findings", Text),
    Column("rating", String(30)),
    _cascade("engagement_id"),
    CheckConstraint(_in("kind", vocab.ASSESSMENT_KINDS), name="kind"),
)

yearly = Table(
    "yearly",
    metadata,
    Column("engagement_id", String(128), primary_key=True),
    Column("year", Integer, primary_key=True),
    Column("personnel", BigInteger),
    Column("value", Float),
    Column("unit", Text),
    _cascade("engagement_id"),
)

#: Audit log: no foreign key, so the history of a deleted engagement stays.
audit_log = Table(
    "audit_log",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("actor", Text, nullable=False),
    Column("action", String(200), nullable=False),
    Column("engagement_id", String(128), nullable=False),
    Column("version", Integer),
    Column("before", Text),
    Column("after", Text),
    Index("ix_audit_log_engagement_id", "engagement_id"),
)

#: Child tables in the order they are written (parents first).
CHILDREN = (participants, legal_bases, objectives, indicators, observations, assessments, yearly)
