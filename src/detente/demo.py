"""The main job, run by ``make demo``: import the mirror into the embedded store and summarise it.

Later stages (public record, evaluation, report) are added as they exist.
"""

from __future__ import annotations

import sys
import time

from detente import config


def main() -> int:
    """Import every dataset from the mirror into the default store and print the summary."""
    from typer.testing import CliRunner  # noqa: F401 - keeps typer's import cost out of the timing

    from detente.cli.main import app

    mirror = config.mirror_dir(required=False)
    if mirror is None:
        print("no data mirror found: fetching the official files", file=sys.stderr)
        app(["data", "fetch"], standalone_mode=False)
        mirror = config.data_dir() / "mirror"
    started = time.perf_counter()
    app(["data", "import", "--mirror", str(mirror)], standalone_mode=False)
    print(f"imported in {time.perf_counter() - started:.1f} s; store: {config.store_path()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
