"""The Spark engine: the same aggregation as DuckDB's, as a PySpark DataFrame plan.

Spark reads the store's hive-partitioned Parquet directly (``year`` and ``month`` become partition
columns, pruned by date filters), groups on the executors and returns the small grouped result to
the driver, where the period label and ratios are formed exactly as on the DuckDB path.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from detente.events.aggregation import Query, events_glob
from detente.events.cameo import QUAD_NAMES
from detente.events.store import EVENTS_DIR


def spark_session(master: str | None = None, *, cores: int | None = None):
    """Return the active Spark session, or start one (``local[*]`` unless ``master`` is given).

    Parameters
    ----------
    master : str, optional
        A Spark master URL (``spark://host:7077``, ``yarn``, ``local[2]`` ...).
    cores : int, optional
        Shortcut for ``local[cores]`` when no master is given.
    """
    from pyspark.sql import SparkSession

    active = SparkSession.getActiveSession()
    if active is not None and master is None and cores is None:
        return active
    url = master or (f"local[{cores}]" if cores else "local[*]")
    builder = (
        SparkSession.builder.master(url)
        .appName("detente-events")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.session.timeZone", "UTC")
    )
    if url.startswith("local"):
        # The grouped result is small: a few shuffle partitions per core avoid 200 tiny tasks.
        builder = builder.config("spark.sql.shuffle.partitions", "8")
    return builder.getOrCreate()


def build(spark, store: str | Path, q: Query):
    """The Spark DataFrame computing the grouped sums for ``q`` (before labels and ratios)."""
    from pyspark.sql import functions as F

    events_glob(store)  # raises a clear error when the store is empty
    df = spark.read.parquet(str(Path(store) / EVENTS_DIR))
    sides = ("source", "target") if q.dyadic else (q.role,)
    for side in sides:
        df = df.filter(F.col(q.key_column(side)).isNotNull())
    if q.source_types:
        df = df.filter(F.col("source_type").isin(list(q.source_types)))
    if q.target_types:
        df = df.filter(F.col("target_type").isin(list(q.target_types)))
    if q.roots:
        df = df.filter(F.col("root_code").isin([int(r) for r in q.roots]))
    if q.start:
        df = df.filter((F.col("year") >= q.start.year) & (F.col("date") >= F.lit(q.start)))
    if q.end:
        df = df.filter((F.col("year") <= q.end.year) & (F.col("date") <= F.lit(q.end)))
    if q.datasets:
        df = df.filter(F.col("dataset").isin(list(q.datasets)))
    if q.countries:
        values = q.typed_countries()
        df = df.filter(
            F.col(q.key_column("source")).isin(values) | F.col(q.key_column("target")).isin(values)
        )
    weight = F.col("mentions").cast("long") if q.weight else F.lit(1).cast("long")
    keys = [F.col(q.key_column(s)).alias(n) for s, n in zip(sides, q.key_names, strict=True)]
    period = [F.col("date")] if q.daily else [F.col("year"), F.col("month")] if q.monthly else [F.col("year")]
    gold = F.col("goldstein") * F.col("mentions") if q.weight else F.col("goldstein")
    aggs = [F.sum(weight).alias("n")]
    aggs += [F.sum(F.when(F.col("quad_class") == k, weight).otherwise(0)).alias(f"q{k}") for k in QUAD_NAMES]
    aggs.append(F.sum(gold).alias("gsum"))
    return df.groupBy(*keys, *period).agg(*aggs)


def aggregate_spark(store: str | Path, q: Query, *, master: str | None = None) -> pd.DataFrame:
    """Run ``q`` on Spark and return the result with the DuckDB path's columns and order."""
    spark = spark_session(master)
    grouped = build(spark, store, q).toPandas()
    return finish(grouped, q)


def finish(grouped: pd.DataFrame, q: Query) -> pd.DataFrame:
    """Labels and ratios from the grouped sums, as the DuckDB query forms them."""
    out = pd.DataFrame({name: grouped[name] for name in q.key_names})
    if q.daily:
        out["period"] = [d.isoformat() for d in grouped["date"]]
    elif q.monthly:
        year, month = grouped["year"].astype("int64"), grouped["month"].astype("int64")
        out["period"] = [f"{y:04d}-{m:02d}" for y, m in zip(year, month, strict=True)]
    else:
        out["period"] = [f"{y:04d}" for y in grouped["year"].astype("int64")]
    n = grouped["n"].astype("int64")
    if "count" in q.measures:
        out["events"] = n
    if "quad" in q.measures:
        for k, name in QUAD_NAMES.items():
            out[name] = grouped[f"q{k}"].fillna(0).astype("int64")
    if "goldstein" in q.measures:
        out["goldstein_mean"] = grouped["gsum"].astype("float64") / n
        out["goldstein_sum"] = grouped["gsum"].astype("float64")
    if "coop_share" in q.measures:
        out["coop_share"] = (grouped["q1"].astype("int64") + grouped["q2"].astype("int64")) / n
    return out.sort_values([*q.key_names, "period"], kind="stable").reset_index(drop=True)


__all__ = ["aggregate_spark", "build", "spark_session"]
