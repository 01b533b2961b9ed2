"""The main job, run by ``make demo`` on the embedded default store.

1. import every dataset of the mirror into the analytic store (validated, atomic per dataset);
2. load the public record of engagements (and the three classic cases) into the registry;
3. evaluate the standard questions — peacekeeping and durable peace; exercises and disputes among
   participants; forward presence and trade and alignment; the three classic cases;
4. write one self-contained HTML report and print its path.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

from detente import config


def _step(title: str) -> float:
    print(f"\n== {title}", flush=True)
    return time.perf_counter()


def main(output: str | Path | None = None) -> int:
    """Run the whole job; return the process exit status."""
    from detente.cli.main import app
    from detente.exceptions import DetenteError

    began = time.perf_counter()
    store = config.store_path()
    registry_url = config.registry_url()
    out = Path(output or os.environ.get("DETENTE_REPORT", "out/detente_report.html"))
    try:
        mirror = config.mirror_dir(required=False)
        if mirror is None:
            t = _step("no data mirror found: fetching the official files")
            app(["data", "fetch"], standalone_mode=False)
            mirror = config.data_dir() / "mirror"
        t = _step(f"1/4 importing the public datasets from {mirror}")
        app(["data", "import", "--mirror", str(mirror)], standalone_mode=False)
        print(f"   {time.perf_counter() - t:.1f} s; store {store}")

        t = _step("2/4 loading the public record of engagements into the registry")
        from detente.registry import import_public, open_registry

        registry = open_registry(registry_url, store=store)
        try:
            loaded = import_public(registry, store=store)
        finally:
            registry.close()
        width = max(len(ds.dataset) for ds in loaded.datasets)
        for ds in loaded.datasets:
            print(f"   {ds.dataset:<{width}} {ds.engagements:>7,} engagements  {len(ds.unresolved):>5,} unresolved"
                  + (f"  ({ds.note})" if ds.note else ""))
        print(f"   {time.perf_counter() - t:.1f} s; registry {registry_url}")

        t = _step("3/4 evaluating the standard questions and 4/4 writing the report")
        from detente.report.questions import standard_report

        path = standard_report(store, registry_url, out)
        print(f"   {time.perf_counter() - t:.1f} s")
    except DetenteError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"\nReport: {Path(path).resolve()}")
    print(f"Done in {time.perf_counter() - began:.0f} s.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
