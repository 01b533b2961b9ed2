"""Synthetic GDELT 2.0 events in the exact official layout, for benchmarks only.

The distributions come from the mirror: CAMEO event codes with GDELT's Goldstein weights from
``cameo_goldstein``, event-code and actor-type frequencies and missing-actor rates from the real
GDELT 1.0 sample, actor countries from the states layer's CAMEO codes with a skewed (Zipf)
frequency that puts the countries most frequent in the real sample first. Output is deterministic
for a seed.

Usage::

    python benchmarks/generate_gdelt.py --events 1000000 --format native --output DIR
    python benchmarks/generate_gdelt.py --events 50000000 --format parquet --output DIR
"""

from __future__ import annotations

import argparse
import datetime as dt
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from detente import config
from detente.events.layouts import GDELT2_COLUMNS

SAMPLE = Path("gdelt_v1_event_sample") / "gdelt1_events_georgia_2011-08.csv"
CAMEO = Path("cameo_goldstein") / "gdelt_cameo_eventcodes_goldstein.csv"
FIRST_MONTH = dt.date(2017, 1, 1)
MONTHS = 12


class Model:
    """Frequencies estimated once from the mirror."""

    def __init__(self, mirror: Path, skew: float = 1.1, missing: float | None = None) -> None:
        import duckdb

        from detente.states import code_table

        con = duckdb.connect()
        cameo = con.execute(
            f"SELECT CAMEOEVENTCODE, GOLDSTEINSCALE FROM read_csv('{mirror / CAMEO}', all_varchar=true)"
        ).fetchall()
        # Only 3- and 4-digit codes are event codes (2-digit rows are the root headings).
        cameo = [(c, float(g)) for c, g in cameo if len(c) >= 3]
        sample = f"read_csv('{mirror / SAMPLE}', all_varchar=true)"
        seen = dict(con.execute(f"SELECT EventCode, count(*) FROM {sample} GROUP BY 1").fetchall())
        # Add-one smoothing: every code of the table occurs, the sample's shape dominates.
        self.codes = np.array([c for c, _ in cameo])
        self.goldstein = np.array([g for _, g in cameo])
        freq = np.array([seen.get(c, 0) + 1.0 for c, _ in cameo])
        self.code_p = freq / freq.sum()
        self.roots = np.array([c[:2] for c in self.codes])
        self.bases = np.array([c[:3] for c in self.codes])
        r = np.array([int(x) for x in self.roots])
        self.quads = np.where(r <= 5, 1, np.where(r <= 8, 2, np.where(r <= 13, 3, 4)))
        rates = con.execute(
            f"SELECT avg((Actor1CountryCode IS NULL)::INT), avg((Actor2CountryCode IS NULL)::INT),"
            f" avg((Actor1Code IS NULL)::INT), avg((Actor2Code IS NULL)::INT) FROM {sample}"
        ).fetchone()
        self.miss1, self.miss2, self.noactor1, self.noactor2 = rates
        if missing is not None:
            self.miss1 = self.miss2 = missing
        types = con.execute(
            f"SELECT t, count(*) FROM (SELECT Actor1Type1Code t FROM {sample} UNION ALL "
            f"SELECT Actor2Type1Code FROM {sample}) GROUP BY 1 ORDER BY 2 DESC, 1"
        ).fetchall()
        self.types = np.array([t or "" for t, _ in types])
        tf = np.array([n for _, n in types], dtype=float)
        self.type_p = tf / tf.sum()
        ranked = [
            c for (c,) in con.execute(
                f"SELECT c FROM (SELECT Actor1CountryCode c FROM {sample} UNION ALL "
                f"SELECT Actor2CountryCode FROM {sample}) WHERE c IS NOT NULL "
                "GROUP BY 1 ORDER BY count(*) DESC, 1"
            ).fetchall()
        ]  # fmt: skip
        states = sorted(set(code_table("cameo", "cow")["key"]))
        order = [c for c in ranked if c in states] + [c for c in states if c not in ranked]
        self.countries = np.array(order)
        zipf = 1.0 / np.arange(1, len(order) + 1) ** skew
        self.country_p = zipf / zipf.sum()
        con.close()


def _strings(values: np.ndarray, missing: np.ndarray | None = None) -> pa.Array:
    arr = pa.array(values, pa.string())
    if missing is not None:
        arr = pc.if_else(pa.array(missing), pa.scalar(None, pa.string()), arr)
    return arr


def chunk(
    model: Model, n: int, start_id: int, rng: np.random.Generator, t0: float, t1: float,
    months: int = MONTHS,
) -> pa.Table:
    """``n`` events with ids from ``start_id``, dated (roughly in order) between months t0 and t1."""
    month_pos = np.sort(rng.uniform(t0, t1, n))
    month_idx = np.minimum(month_pos.astype(np.int64), months - 1)
    day = 1 + ((month_pos - month_idx) * 28).astype(np.int64)
    year = FIRST_MONTH.year + (FIRST_MONTH.month - 1 + month_idx) // 12
    month = (FIRST_MONTH.month - 1 + month_idx) % 12 + 1
    sqldate = year * 10000 + month * 100 + day
    code_i = rng.choice(len(model.codes), n, p=model.code_p)
    c1 = model.countries[rng.choice(len(model.countries), n, p=model.country_p)]
    c2 = model.countries[rng.choice(len(model.countries), n, p=model.country_p)]
    m1 = rng.random(n) < model.miss1
    m2 = rng.random(n) < model.miss2
    t1_ = model.types[rng.choice(len(model.types), n, p=model.type_p)]
    t2_ = model.types[rng.choice(len(model.types), n, p=model.type_p)]
    a1 = np.char.add(np.where(m1, "", c1), t1_)
    a2 = np.char.add(np.where(m2, "", c2), t2_)
    mentions = 1 + rng.geometric(0.3, n) - 1 + (rng.random(n) < 0.05) * rng.integers(0, 50, n)
    sources = np.minimum(mentions, 1 + rng.geometric(0.6, n) - 1)
    empty = pa.nulls(n, pa.string())
    empty_i = pa.nulls(n, pa.int64())
    empty_f = pa.nulls(n, pa.float64())
    lat = np.round(rng.uniform(-60, 70, n), 4)
    lon = np.round(rng.uniform(-180, 180, n), 4)
    cols = {
        "GLOBALEVENTID": pa.array(np.arange(start_id, start_id + n, dtype=np.int64)),
        "SQLDATE": pa.array(sqldate),
        "MonthYear": pa.array(year * 100 + month),
        "Year": pa.array(year),
        "FractionDate": pa.array(np.round(year + (month * 30 + day) / 365.0, 4)),
        "Actor1Code": _strings(a1, a1 == ""),
        "Actor1Name": _strings(a1, a1 == ""),
        "Actor1CountryCode": _strings(c1, m1),
        "Actor1KnownGroupCode": empty, "Actor1EthnicCode": empty,
        "Actor1Religion1Code": empty, "Actor1Religion2Code": empty,
        "Actor1Type1Code": _strings(t1_, t1_ == ""),
        "Actor1Type2Code": empty, "Actor1Type3Code": empty,
        "Actor2Code": _strings(a2, a2 == ""),
        "Actor2Name": _strings(a2, a2 == ""),
        "Actor2CountryCode": _strings(c2, m2),
        "Actor2KnownGroupCode": empty, "Actor2EthnicCode": empty,
        "Actor2Religion1Code": empty, "Actor2Religion2Code": empty,
        "Actor2Type1Code": _strings(t2_, t2_ == ""),
        "Actor2Type2Code": empty, "Actor2Type3Code": empty,
        "IsRootEvent": pa.array((rng.random(n) < 0.6).astype(np.int64)),
        "EventCode": _strings(model.codes[code_i]),
        "EventBaseCode": _strings(model.bases[code_i]),
        "EventRootCode": _strings(model.roots[code_i]),
        "QuadClass": pa.array(model.quads[code_i].astype(np.int64)),
        "GoldsteinScale": pa.array(model.goldstein[code_i]),
        "NumMentions": pa.array(mentions.astype(np.int64)),
        "NumSources": pa.array(sources.astype(np.int64)),
        "NumArticles": pa.array(mentions.astype(np.int64)),
        "AvgTone": pa.array(np.round(rng.normal(-1.5, 3.5, n), 6)),
        "Actor1Geo_Type": pa.array(np.where(m1, 0, 4).astype(np.int64)),
        "Actor1Geo_FullName": empty, "Actor1Geo_CountryCode": empty,
        "Actor1Geo_ADM1Code": empty, "Actor1Geo_ADM2Code": empty,
        "Actor1Geo_Lat": empty_f, "Actor1Geo_Long": empty_f, "Actor1Geo_FeatureID": empty,
        "Actor2Geo_Type": pa.array(np.where(m2, 0, 4).astype(np.int64)),
        "Actor2Geo_FullName": empty, "Actor2Geo_CountryCode": empty,
        "Actor2Geo_ADM1Code": empty, "Actor2Geo_ADM2Code": empty,
        "Actor2Geo_Lat": empty_f, "Actor2Geo_Long": empty_f, "Actor2Geo_FeatureID": empty,
        "ActionGeo_Type": pa.array(np.full(n, 4, dtype=np.int64)),
        "ActionGeo_FullName": empty, "ActionGeo_CountryCode": empty,
        "ActionGeo_ADM1Code": empty, "ActionGeo_ADM2Code": empty,
        "ActionGeo_Lat": pa.array(lat), "ActionGeo_Long": pa.array(lon),
        "ActionGeo_FeatureID": empty,
        "DATEADDED": pa.array(sqldate * 1000000 + 234500),
        "SOURCEURL": pc.binary_join_element_wise(
            "https://news.example.org/", pa.array((np.arange(n) + start_id) % 100_000).cast(pa.string()), ""
        ),
    }  # fmt: skip
    del empty_i
    assert list(cols) == list(GDELT2_COLUMNS)
    return pa.table(cols)


def generate(
    output: str | Path,
    events: int,
    *,
    fmt: str = "parquet",
    seed: int = 20170701,
    chunk_rows: int = 1_000_000,
    file_rows: int = 5_000_000,
    mirror: str | Path | None = None,
    months: int = MONTHS,
    skew: float = 1.1,
    missing: float | None = None,
) -> list[Path]:
    """Write ``events`` synthetic GDELT 2.0 events under ``output`` and return the files.

    Parameters
    ----------
    fmt : {"parquet", "native"}
        Snappy Parquet with the 61 official columns, or the native tab-separated ``.export.CSV``
        form without a header.
    file_rows : int
        Events per output file (files are in date order, as GDELT's are).
    months : int
        Months covered, from January 2017 (12 by default: 50 M events is about eight months
        of real GDELT 2.0).
    skew : float
        Zipf exponent of the actor countries' frequencies (1.1, near the real sample's, by
        default; 0 spreads events evenly over countries, for tests that need many dyads).
    missing : float, optional
        Share of events without a source (and, independently, a target) country; by default
        the real sample's rates (about 58 % and 71 %).
    """
    out = Path(output)
    out.mkdir(parents=True, exist_ok=True)
    model = Model(Path(config.mirror_dir(mirror)), skew, missing)
    rng = np.random.default_rng(seed)
    files: list[Path] = []
    writer = None
    written_in_file = 0
    done = 0
    while done < events:
        n = min(chunk_rows, events - done, file_rows - written_in_file)
        t0, t1 = months * done / events, months * (done + n) / events
        table = chunk(model, n, 1 + done, rng, t0, t1, months)
        if writer is None:
            suffix = "parquet" if fmt == "parquet" else "export.CSV"
            path = out / f"synthetic-{len(files):04d}.{suffix}"
            files.append(path)
            if fmt == "parquet":
                writer = pq.ParquetWriter(path, table.schema, compression="snappy")
            else:
                writer = pacsv.CSVWriter(
                    path, table.schema,
                    write_options=pacsv.WriteOptions(
                        include_header=False, delimiter="\t", quoting_style="none"
                    ),
                )  # fmt: skip
        if fmt == "parquet":
            writer.write_table(table, row_group_size=chunk_rows)
        else:
            writer.write_table(table)
        done += n
        written_in_file += n
        if written_in_file >= file_rows or done >= events:
            writer.close()
            writer, written_in_file = None, 0
    return files


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--format", choices=("parquet", "native"), default="parquet")
    parser.add_argument("--seed", type=int, default=20170701)
    parser.add_argument("--output", required=True)
    args = parser.parse_args()
    for path in generate(args.output, args.events, fmt=args.format, seed=args.seed):
        print(path)


if __name__ == "__main__":
    main()
