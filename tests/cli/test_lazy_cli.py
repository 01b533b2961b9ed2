"""The ``detente`` command imports only the group it runs, and still lists every group with its help."""

from __future__ import annotations

import importlib
import importlib.util
import inspect
import json
import os
import subprocess
import sys

from detente.cli.main import GROUPS

#: what a sub-command's module must not drag into an unrelated command
HEAVY = ("pandas", "numpy", "pyarrow", "duckdb", "polars", "statsmodels", "lifelines", "sqlalchemy", "pyspark")


def _run_and_list_modules(*args: str) -> dict:
    """Run ``detente ARGS`` in a fresh interpreter; return its exit status and loaded modules."""
    code = (
        "import json, sys\n"
        f"sys.argv = ['detente', *{list(args)!r}]\n"
        "from detente.cli.main import main\n"
        "status = 0\n"
        "try:\n"
        "    main()\n"
        "except SystemExit as exc:\n"
        "    status = exc.code or 0\n"
        "sys.stdout.flush()\n"
        "sys.stderr.write('\\nMODULES ' + json.dumps({'status': status, 'modules': sorted(sys.modules)}) + '\\n')\n"
    )
    env = {**os.environ, "COLUMNS": "250"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=False)
    line = [x for x in out.stderr.splitlines() if x.startswith("MODULES ")]
    assert line, out.stderr
    result = json.loads(line[-1][len("MODULES "):])
    result["stdout"] = out.stdout
    return result


def test_a_group_imports_only_its_own_module():
    result = _run_and_list_modules("panel", "--help")
    assert result["status"] == 0
    cli = {m for m in result["modules"] if m.startswith("detente.cli.")}
    assert cli == {"detente.cli.main", "detente.cli.panel"}
    assert not [m for m in HEAVY if m in result["modules"]]
    assert "dyad-years" in result["stdout"]


def test_top_level_help_lists_every_group_with_its_help():
    result = _run_and_list_modules("--help")
    assert result["status"] == 0
    listed = 0
    for name, module in GROUPS:
        if importlib.util.find_spec(f"detente.cli.{module}") is None:
            assert f" {name} " not in result["stdout"]
            continue
        sub = importlib.import_module(f"detente.cli.{module}").app
        text = sub.info.help if hasattr(sub, "info") else inspect.getdoc(sub)
        first_words = " ".join(text.split()[:4])
        assert f"{name}  " in result["stdout"] or f"{name} " in result["stdout"]
        assert first_words in " ".join(result["stdout"].split()), (name, first_words)
        listed += 1
    assert listed >= 9


def test_an_unknown_command_is_refused():
    result = _run_and_list_modules("no-such-group")
    assert result["status"] == 2
