"""Check parsed rows and turn them into the canonical event schema (one DuckDB query per batch).

A row is rejected, with its reason, when its date does not parse, its CAMEO code is in neither
copy of the codebook, its Goldstein weight is not a number, or its counts are not integers.
Actor country codes are mapped to CoW and G-W codes valid on the event's date (a range join on
the dated code tables).
"""

from __future__ import annotations

import pyarrow as pa

from detente.events.cameo import cameo_table
from detente.events.codes import SCHEME_OF_LAYOUT, code_table
from detente.events.layouts import Layout

#: The canonical event columns, in file order (``year`` and ``month`` are partition keys).
EVENT_SCHEMA = pa.schema(
    [
        ("event_id", pa.int64()),
        ("date", pa.date32()),
        ("source_cow", pa.int16()),
        ("target_cow", pa.int16()),
        ("source_gw", pa.int16()),
        ("target_gw", pa.int16()),
        ("source_actor", pa.string()),
        ("target_actor", pa.string()),
        ("source_type", pa.string()),
        ("target_type", pa.string()),
        ("cameo_code", pa.string()),
        ("root_code", pa.int8()),
        ("quad_class", pa.int8()),
        ("goldstein", pa.float64()),
        ("mentions", pa.int32()),
        ("sources", pa.int32()),
        ("articles", pa.int32()),
        ("dataset", pa.string()),
        ("source_file", pa.string()),
    ]
)

MENTION_SCHEMA = pa.schema(
    [
        ("event_id", pa.int64()),
        ("event_time", pa.timestamp("s")),
        ("mention_time", pa.timestamp("s")),
        ("mention_type", pa.int8()),
        ("mention_source", pa.string()),
        ("mention_url", pa.string()),
        ("sentence", pa.int32()),
        ("confidence", pa.int16()),
        ("doc_tone", pa.float64()),
        ("source_file", pa.string()),
    ]
)

#: CAMEO actor type codes (GDELT) -> canonical actor type. Modifiers (RAD, MOD) are skipped.
GDELT_TYPES = {
    "GOV": "government", "MIL": "military", "COP": "police", "SPY": "intelligence",
    "REB": "rebel", "INS": "rebel", "SEP": "rebel", "UAF": "armed_group",
    "OPP": "opposition", "CVL": "civilian", "BUS": "business", "MNC": "business",
    "MED": "media", "IGO": "igo", "NGO": "ngo", "NGM": "ngo", "HRI": "ngo",
    "JUD": "judiciary", "LEG": "legislature", "EDU": "education", "HLH": "health",
    "LAB": "labour", "REF": "refugee", "CRM": "criminal", "ELI": "elite",
    "AGR": "agriculture", "UIS": "unidentified_state_actor", "SET": "settler",
    "ENV": "environment", "DEV": "development", "PTY": "party",
}  # fmt: skip

#: ICEWS sector keywords -> canonical actor type, first match wins (most specific first).
ICEWS_SECTORS = (
    ("military", ("Military", "Army", "Navy", "Air Force", "Marines", "Defense / Security Ministry")),
    ("police", ("Police",)),
    ("intelligence", ("Intelligence",)),
    ("rebel", ("Rebel", "Insurgent", "Separatist")),
    ("armed_group", ("Unidentified Forces",)),
    ("igo", ("International Government Organization",)),
    ("opposition", ("Dissident", "Protestors", "Opposition")),
    ("judiciary", ("Judicial",)),
    ("legislature", ("Legislative",)),
    ("government", ("Government", "Executive", "Cabinet", "Ministry")),
    ("ngo", ("Non-Governmental", "NGO")),
    ("business", ("Business",)),
    ("media", ("Media", "News")),
    ("education", ("Education",)),
    ("criminal", ("Criminal",)),
    ("refugee", ("Refugee",)),
    ("civilian", ("Civilian", "Social")),
)


def _sector_case(column: str) -> str:
    arms = []
    for kind, words in ICEWS_SECTORS:
        test = " OR ".join(f"contains({column}, '{w}')" for w in words)
        arms.append(f"WHEN {test} THEN '{kind}'")
    return f"CASE WHEN {column} = '' THEN NULL {' '.join(arms)} ELSE 'other' END"


def prepare(con, mirror: str | None) -> None:
    """Register the CAMEO table, the actor type table and the dated state code tables."""
    con.register("cameo_lookup", cameo_table(mirror))
    types = pa.table({"code": list(GDELT_TYPES), "kind": list(GDELT_TYPES.values())})
    con.register("gdelt_types", types)
    for scheme in ("cameo", "names"):
        for system in ("cow", "gw"):
            con.register(f"codes_{scheme}_{system}", code_table(scheme, system))


def _goldstein(choice: str) -> str:
    if choice == "gdelt":
        return "coalesce(c.goldstein_gdelt, c.goldstein_icews)"
    if choice == "icews":
        return "coalesce(c.goldstein_icews, c.goldstein_gdelt)"
    return "r.goldstein_value"


def _is_text(schema: pa.Schema | None, name: str) -> bool:
    return schema is None or pa.types.is_string(schema.field(name).type)


def _number(schema: pa.Schema | None, name: str, sql_type: str) -> str:
    if _is_text(schema, name):
        return f"TRY_CAST(nullif(trim({name}), '') AS {sql_type})"
    return f"{name}::{sql_type}"


def _shown(schema: pa.Schema | None, name: str) -> str:
    """A raw field as text, for the reason of a rejected row."""
    return f"r.{name}" if _is_text(schema, name) else f"coalesce(r.{name}::VARCHAR, '')"


def events_sql(layout: Layout, goldstein: str, schema: pa.Schema | None = None) -> str:
    """The query turning the registered ``raw`` batch into checked rows (with ``reason``).

    ``schema`` is the batch's Arrow schema: fields the parser already read as numbers are used
    as they are, text fields are converted here and their failures become reasons.
    """
    icews = layout.name == "icews"
    scheme = SCHEME_OF_LAYOUT[layout.name]
    if icews:
        date = "TRY_CAST(nullif(date, '') AS DATE)"
        actor = "nullif(trim({side}_code), '')"
        kind = {s: _sector_case(f"{s}_sectors") for s in ("source", "target")}
        counts = "1 AS mentions_value, NULL::INTEGER AS sources_value, NULL::INTEGER AS articles_value, "
        count_bad = "FALSE"
    else:
        if _is_text(schema, "date"):
            date = "CASE WHEN regexp_full_match(date, '[0-9]{8}') THEN TRY_STRPTIME(date, '%Y%m%d')::DATE END"
        else:
            date = "try(make_date((date // 10000)::INT, (date // 100 % 100)::INT, (date % 100)::INT))"
        actor = "nullif({side}_code, '')"
        kind = {
            s: f"coalesce((SELECT kind FROM gdelt_types WHERE code = {s}_type1), "
            f"(SELECT kind FROM gdelt_types WHERE code = {s}_type2))"
            for s in ("source", "target")
        }
        counts = "".join(
            f"{_number(schema, c, 'INTEGER')} AS {c}_value, " for c in ("mentions", "sources", "articles")
        )
        count_bad = " OR ".join(
            f"(r.{c}_value IS NULL AND r.{c} <> '')"
            for c in ("mentions", "sources", "articles")
            if _is_text(schema, c)
        ) or "FALSE"
    src_actor = actor.format(side="source")
    tgt_actor = actor.format(side="target")
    if not icews:
        # International and regional actors (UN, NATO, EU...) carry a known-group code instead.
        src_actor = f"coalesce({src_actor}, nullif(source_group, ''))"
        tgt_actor = f"coalesce({tgt_actor}, nullif(target_group, ''))"
    return f"""
    WITH r AS (
        SELECT *,
            {_number(schema, 'event_id', 'BIGINT')} AS event_id_value,
            {date} AS date_value,
            {_number(schema, 'goldstein', 'DOUBLE')} AS goldstein_value,
            {counts}
            {src_actor} AS source_actor,
            {tgt_actor} AS target_actor,
            nullif(source_key, '') AS source_country,
            nullif(target_key, '') AS target_country,
            {kind['source']} AS source_type,
            {kind['target']} AS target_type
        FROM raw
    ),
    pairs AS (
        SELECT DISTINCT country, date_value FROM (
            SELECT source_country AS country, date_value FROM r
            UNION ALL SELECT target_country, date_value FROM r
        ) WHERE country IS NOT NULL AND date_value IS NOT NULL
    ),
    states AS (
        SELECT p.country, p.date_value,
            (SELECT min(state) FROM codes_{scheme}_cow k
              WHERE k.code = p.country AND p.date_value BETWEEN k.start AND k."end") AS cow,
            (SELECT min(state) FROM codes_{scheme}_gw k
              WHERE k.code = p.country AND p.date_value BETWEEN k.start AND k."end") AS gw
        FROM pairs p
    )
    SELECT
        r.line,
        CASE
            WHEN r.date_value IS NULL THEN 'unparseable date "' || {_shown(schema, 'date')} || '"'
            WHEN c.cameo_code IS NULL THEN 'unknown CAMEO code "' || r.cameo_code || '"'
            WHEN r.goldstein_value IS NULL THEN 'non-numeric Goldstein "' || {_shown(schema, 'goldstein')} || '"'
            WHEN r.event_id_value IS NULL THEN 'non-integer event id "' || {_shown(schema, 'event_id')} || '"'
            WHEN {count_bad} THEN 'non-integer mention/source/article count'
        END AS reason,
        r.event_id_value AS event_id,
        r.date_value AS date,
        s1.cow::SMALLINT AS source_cow,
        s2.cow::SMALLINT AS target_cow,
        s1.gw::SMALLINT AS source_gw,
        s2.gw::SMALLINT AS target_gw,
        r.source_actor,
        r.target_actor,
        r.source_type,
        r.target_type,
        c.cameo_code,
        c.root_code,
        c.quad_{'icews' if icews else 'gdelt'} AS quad_class,
        {_goldstein(goldstein)} AS goldstein,
        r.mentions_value::INTEGER AS mentions,
        r.sources_value::INTEGER AS sources,
        r.articles_value::INTEGER AS articles,
        year(r.date_value)::SMALLINT AS year,
        month(r.date_value)::TINYINT AS month
    FROM r
    LEFT JOIN cameo_lookup c ON c.cameo_code = r.cameo_code
    LEFT JOIN states s1 ON s1.country = r.source_country AND s1.date_value = r.date_value
    LEFT JOIN states s2 ON s2.country = r.target_country AND s2.date_value = r.date_value
    """


MENTIONS_SQL = """
SELECT
    line,
    CASE
        WHEN TRY_CAST(nullif(event_id, '') AS BIGINT) IS NULL THEN 'non-integer event id ' || '"' || event_id || '"'
        WHEN TRY_STRPTIME(mention_time, '%Y%m%d%H%M%S') IS NULL
            THEN 'unparseable mention time ' || '"' || mention_time || '"'
    END AS reason,
    TRY_CAST(nullif(event_id, '') AS BIGINT) AS event_id,
    TRY_STRPTIME(event_time, '%Y%m%d%H%M%S') AS event_time,
    TRY_STRPTIME(mention_time, '%Y%m%d%H%M%S') AS mention_time,
    TRY_CAST(nullif(mention_type, '') AS TINYINT) AS mention_type,
    nullif(mention_source, '') AS mention_source,
    nullif(mention_url, '') AS mention_url,
    TRY_CAST(nullif(sentence, '') AS INTEGER) AS sentence,
    TRY_CAST(nullif(confidence, '') AS SMALLINT) AS confidence,
    TRY_CAST(nullif(doc_tone, '') AS DOUBLE) AS doc_tone,
    year(TRY_STRPTIME(mention_time, '%Y%m%d%H%M%S'))::SMALLINT AS year,
    month(TRY_STRPTIME(mention_time, '%Y%m%d%H%M%S'))::TINYINT AS month
FROM raw
"""
