"""Registry contents as pandas DataFrames, for the evaluation layer and for scripts."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from sqlalchemy import select

from detente.exceptions import RegistryError
from detente.registry import tables as t
from detente.registry import vocab

if TYPE_CHECKING:
    import pandas as pd

    from detente.registry.api import Registry

#: Columns of :func:`engagements_frame`, in order.
ENGAGEMENT_COLUMNS = (
    "id", "type", "title", "status", "start", "end", "contributors", "hosts", "partners",
    "location", "personnel", "cost", "currency", "source", "n_objectives", "n_assessments",
    "version",
)


def _as_list(value: str | Sequence[str] | None) -> list[str] | None:
    if value is None:
        return None
    return [value] if isinstance(value, str) else list(value)


def _filtered(query, table, *, type, status, source, ids):
    types = _as_list(type)
    if types:
        unknown = [x for x in types if x not in vocab.ENGAGEMENT_TYPES]
        if unknown:
            raise RegistryError(
                f"unknown engagement type {unknown[0]!r}: expected one of "
                f"{', '.join(vocab.ENGAGEMENT_TYPES)}"
            )
        query = query.where(table.c.type.in_(types))
    statuses = _as_list(status)
    if statuses:
        query = query.where(table.c.status.in_(statuses))
    sources = _as_list(source)
    if sources:
        query = query.where(table.c.source.in_(sources))
    if ids is not None:
        query = query.where(table.c.id.in_(list(ids)))
    return query


def _dates(frame: pd.DataFrame, *columns: str) -> None:
    import pandas as pd

    for c in columns:
        frame[c] = pd.to_datetime(frame[c], errors="coerce")


def engagements_frame(
    registry: Registry,
    type: str | Sequence[str] | None = None,
    *,
    status: str | Sequence[str] | None = None,
    source: str | Sequence[str] | None = None,
    ids: Sequence[str] | None = None,
) -> pd.DataFrame:
    """One row per engagement.

    Parameters
    ----------
    registry : Registry
        An open registry.
    type, status, source : str or list of str, optional
        Keep engagements of these types, statuses, sources.
    ids : list of str, optional
        Keep these ids.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`ENGAGEMENT_COLUMNS`; ``start``/``end`` as dates; ``contributors``,
        ``hosts`` and ``partners`` as ``system:code`` lists joined by ``;`` (empty string
        when none).
    """
    import pandas as pd

    e = t.engagements
    q = _filtered(select(e), e, type=type, status=status, source=source, ids=ids).order_by(e.c.id)
    with registry.engine.connect() as conn:
        eng = pd.DataFrame(conn.execute(q).mappings().all(), columns=[c.name for c in e.c])
        p = t.participants
        pq = _filtered(select(p.c.engagement_id, p.c.system, p.c.code, p.c.role)
                       .join(e, e.c.id == p.c.engagement_id),
                       e, type=type, status=status, source=source, ids=ids)
        parts = pd.DataFrame(conn.execute(pq.order_by(p.c.engagement_id, p.c.position)).all(),
                             columns=["engagement_id", "system", "code", "role"])
        counts = {}
        for name, table in (("n_objectives", t.objectives), ("n_assessments", t.assessments)):
            cq = _filtered(select(table.c.engagement_id).join(e, e.c.id == table.c.engagement_id),
                           e, type=type, status=status, source=source, ids=ids)
            counts[name] = pd.Series(conn.execute(cq).scalars().all(), dtype="object").value_counts()
    eng = eng.rename(columns={"start_date": "start", "end_date": "end"})
    parts["label"] = parts["system"] + ":" + parts["code"].astype(str)
    for role, column in (("contributor", "contributors"), ("host", "hosts"), ("partner", "partners")):
        joined = parts[parts["role"] == role].groupby("engagement_id", sort=False)["label"].agg(";".join)
        eng[column] = eng["id"].map(joined).fillna("")
    for name, series in counts.items():
        eng[name] = eng["id"].map(series).fillna(0).astype("int64")
    eng["personnel"] = eng["personnel"].astype("Int64")
    eng["cost"] = eng["cost"].astype("Float64")
    _dates(eng, "start", "end")
    return eng[list(ENGAGEMENT_COLUMNS)].reset_index(drop=True)


def participants_frame(
    registry: Registry,
    type: str | Sequence[str] | None = None,
    *,
    role: str | Sequence[str] | None = None,
    status: str | Sequence[str] | None = None,
    source: str | Sequence[str] | None = None,
) -> pd.DataFrame:
    """One row per engagement participant, with the engagement's type, status and dates.

    Columns: ``engagement_id, type, status, start, end, source, system, code, role, name,
    personnel``.
    """
    import pandas as pd

    e, p = t.engagements, t.participants
    q = select(
        p.c.engagement_id, e.c.type, e.c.status, e.c.start_date.label("start"),
        e.c.end_date.label("end"), e.c.source, p.c.system, p.c.code, p.c.role, p.c.name,
        p.c.personnel,
    ).join(e, e.c.id == p.c.engagement_id)
    q = _filtered(q, e, type=type, status=status, source=source, ids=None)
    roles = _as_list(role)
    if roles:
        bad = [r for r in roles if r not in vocab.ROLES]
        if bad:
            raise RegistryError(f"unknown role {bad[0]!r}: expected one of {', '.join(vocab.ROLES)}")
        q = q.where(p.c.role.in_(roles))
    q = q.order_by(p.c.engagement_id, p.c.position)
    with registry.engine.connect() as conn:
        cur = conn.execute(q)
        frame = pd.DataFrame(cur.all(), columns=list(cur.keys()))
    frame["code"] = frame["code"].astype("int64")
    frame["personnel"] = frame["personnel"].astype("Int64")
    _dates(frame, "start", "end")
    return frame


def yearly_frame(
    registry: Registry,
    type: str | Sequence[str] | None = None,
    *,
    source: str | Sequence[str] | None = None,
) -> pd.DataFrame:
    """One row per engagement-year level (troops deployed, TIV delivered ...).

    Columns: ``engagement_id, type, source, year, personnel, value, unit``.
    """
    import pandas as pd

    e, y = t.engagements, t.yearly
    q = select(y.c.engagement_id, e.c.type, e.c.source, y.c.year, y.c.personnel, y.c.value,
               y.c.unit).join(e, e.c.id == y.c.engagement_id)
    q = _filtered(q, e, type=type, status=None, source=source, ids=None)
    q = q.order_by(y.c.engagement_id, y.c.year)
    with registry.engine.connect() as conn:
        cur = conn.execute(q)
        frame = pd.DataFrame(cur.all(), columns=list(cur.keys()))
    frame["personnel"] = frame["personnel"].astype("Int64")
    return frame
