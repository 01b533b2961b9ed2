"""The CAMEO event codebook with Goldstein weights, read from the mirror's two copies.

The mirror holds GDELT's lookup (311 codes) and the ``icews`` package's codebook (312 codes). They
disagree on four weights (016, 022, 164, 165) and the ICEWS copy alone has 1213. The choice made
here (see ``docs/events.md``):

* a code is *known* when either copy has it (so 1213 is valid);
* an event keeps the Goldstein weight written in its own file by default, because each producer
  coded its events with its own table (GDELT files carry GDELT's weights, ICEWS files ICEWS's);
* an analysis that mixes producers can re-weight every event from one copy at import
  (``goldstein="gdelt"`` or ``goldstein="icews"``); codes missing from the chosen copy fall back
  to the other copy, and the store records which table was used.

The two producers also group root codes into quad classes differently, and each file follows
its producer: GDELT (every ``QuadClass`` in the mirror's GDELT samples agrees) puts 01-05 in
verbal cooperation, 06-09 material cooperation, 10-14 verbal conflict, 15-20 material conflict;
ICEWS (the ``icews`` package) puts 09 (investigate) in verbal conflict and 14 (protest) in
material conflict: 01-05, 06-08, 09-13, 14-20. Events keep their producer's quad class.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv

from detente import config
from detente.exceptions import EventsError

GDELT_FILE = Path("cameo_goldstein") / "gdelt_cameo_eventcodes_goldstein.csv"
ICEWS_FILE = Path("cameo_goldstein") / "icews_cameo_codebook_goldstein.csv"

#: Goldstein choices accepted by the importer.
GOLDSTEIN_CHOICES = ("file", "gdelt", "icews")

QUAD_NAMES = {1: "verbal_coop", 2: "material_coop", 3: "verbal_conflict", 4: "material_conflict"}


#: Last root code of quad classes 1, 2 and 3 in each producer's convention.
QUAD_BOUNDS = {"gdelt": (5, 9, 14), "icews": (5, 8, 13)}


def quad_class(root: int, convention: str = "gdelt") -> int:
    """Return the quad class (1-4) of a CAMEO root code (1-20) in a producer's convention.

    Examples
    --------
    >>> [quad_class(r) for r in (1, 5, 6, 9, 10, 14, 15, 20)]
    [1, 1, 2, 2, 3, 3, 4, 4]
    >>> [quad_class(r, "icews") for r in (8, 9, 13, 14)]
    [2, 3, 3, 4]
    """
    if not 1 <= root <= 20:
        raise EventsError(f"CAMEO root code {root} is outside 01-20")
    a, b, c = QUAD_BOUNDS[convention]
    return 1 if root <= a else 2 if root <= b else 3 if root <= c else 4


def _read(path: Path, code: str, weight: str) -> dict[str, float]:
    if not path.is_file():
        raise EventsError(f"the CAMEO table {path} is missing from the mirror")
    table = pacsv.read_csv(
        path,
        convert_options=pacsv.ConvertOptions(
            column_types={code: pa.string(), weight: pa.float64()}, include_columns=[code, weight]
        ),
    )
    return dict(zip(table[code].to_pylist(), table[weight].to_pylist(), strict=True))


@lru_cache(maxsize=4)
def _load(mirror: str) -> pa.Table:
    root = Path(mirror)
    gdelt = _read(root / GDELT_FILE, "CAMEOEVENTCODE", "GOLDSTEINSCALE")
    icews = _read(root / ICEWS_FILE, "code", "goldstein")
    codes = sorted(set(gdelt) | set(icews))
    roots = [int(c[:2]) for c in codes]
    return pa.table(
        {
            "cameo_code": pa.array(codes, pa.string()),
            "root_code": pa.array(roots, pa.int8()),
            "quad_gdelt": pa.array([quad_class(r, "gdelt") for r in roots], pa.int8()),
            "quad_icews": pa.array([quad_class(r, "icews") for r in roots], pa.int8()),
            "goldstein_gdelt": pa.array([gdelt.get(c) for c in codes], pa.float64()),
            "goldstein_icews": pa.array([icews.get(c) for c in codes], pa.float64()),
        }
    )


def cameo_table(mirror: str | Path | None = None) -> pa.Table:
    """Return the CAMEO codebook as an Arrow table.

    Columns: ``cameo_code`` (string, leading zeros kept), ``root_code``, ``quad_gdelt`` and
    ``quad_icews`` (the quad class in each producer's convention),
    ``goldstein_gdelt`` and ``goldstein_icews`` (null where a copy lacks the code).

    Parameters
    ----------
    mirror : path, optional
        The data mirror (default: ``DETENTE_MIRROR`` or ``../shared/data``).
    """
    path = config.mirror_dir(mirror)
    assert path is not None  # required=True raises instead
    return _load(str(path.resolve()))
