"""The ``detente`` command: one sub-command group per layer."""

from __future__ import annotations

import importlib

import typer

from detente.exceptions import DetenteError

app = typer.Typer(
    name="detente",
    help="The evidence behind military engagement in diplomatic missions.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)

#: (command name, module under detente.cli) — each module defines ``app``.
GROUPS = (
    ("data", "data"),
    ("states", "states"),
    ("panel", "panel"),
    ("registry", "registry"),
    ("events", "events"),
    ("evaluate", "evaluate"),
    ("fit", "fit"),
    ("forecast", "forecast"),
    ("report", "report"),
    ("survey", "survey"),
)

for _name, _module in GROUPS:
    try:
        _mod = importlib.import_module(f"detente.cli.{_module}")
    except ModuleNotFoundError as exc:  # a layer not built yet
        if exc.name != f"detente.cli.{_module}":
            raise
        continue
    _sub = _mod.app
    if isinstance(_sub, typer.Typer):
        app.add_typer(_sub, name=_name)
    else:  # a single command
        app.command(_name)(_sub)


def main() -> None:
    """Run the CLI, turning detente errors into a clear message and exit status 1."""
    from rich.console import Console

    try:
        app()
    except DetenteError as exc:
        Console(stderr=True).print(f"error: {exc}", style="bold red", markup=False, highlight=False)
        raise SystemExit(1) from None


if __name__ == "__main__":
    main()
