"""The Spark engine: the same aggregation as DuckDB's, as a PySpark DataFrame plan.

Spark reads the store's hive-partitioned Parquet directly (``year`` and ``month`` become partition
columns, pruned by date filters), groups on the executors and returns the small grouped result to the
driver through Arrow, where it is sorted and the period labels and ratios are formed exactly as on
the DuckDB path.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from detente.events.aggregation import Query, events_glob, order_and_label
from detente.events.cameo import QUAD_NAMES
from detente.events.canonical import EVENT_SCHEMA
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
        # the grouped result reaches pandas as Arrow batches, not pickled rows
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
    )
    if url.startswith("local"):
        # The grouped result is small: a few shuffle partitions per core avoid 200 tiny tasks.
        builder = builder.config("spark.sql.shuffle.partitions", "8")
    return builder.getOrCreate()


def event_schema():
    """The canonical event schema as a Spark schema, partition keys last.

    Given to the reader, it spares Spark a pass over the files' footers to infer it on every query.
    """
    import pyarrow as pa
    from pyspark.sql import types as T

    spark_types = {
        pa.int64(): T.LongType(), pa.int32(): T.IntegerType(), pa.int16(): T.ShortType(),
        pa.int8(): T.ByteType(), pa.float64(): T.DoubleType(), pa.string(): T.StringType(),
        pa.date32(): T.DateType(),
    }  # fmt: skip
    fields = [T.StructField(f.name, spark_types[f.type], True) for f in EVENT_SCHEMA]
    fields += [T.StructField("year", T.IntegerType(), True), T.StructField("month", T.IntegerType(), True)]
    return T.StructType(fields)


def build(spark, store: str | Path, q: Query):
    """The Spark DataFrame computing the grouped sums for ``q`` (before labels and ratios)."""
    from pyspark.sql import functions as F

    events_glob(store)  # raises a clear error when the store is empty
    df = spark.read.schema(event_schema()).parquet(str(Path(store) / EVENTS_DIR))
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
    """Ratios from the grouped sums, then order and period labels, as the DuckDB path forms them."""
    out = grouped[[*q.key_names, *q.period_columns]].copy()
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
        out["coop_share"] = (grouped["q1"].fillna(0).astype("int64") + grouped["q2"].fillna(0).astype("int64")) / n
    return order_and_label(out, q)


__all__ = ["aggregate_spark", "build", "spark_session"]
