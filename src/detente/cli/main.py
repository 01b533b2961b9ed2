"""The ``detente`` command: one sub-command group per layer, each imported only when it is used.

Importing every group up front would import what each of them needs (pandas, statsmodels,
lifelines, SQLAlchemy, ...) before any command runs; :class:`LazyGroup` imports the module of the
group being invoked and nothing else. ``detente --help`` imports them all to show their help.
"""

from __future__ import annotations

import importlib
import importlib.util
from typing import Any

import typer
from typer.core import TyperGroup

from detente.exceptions import DetenteError

#: (command name, module under detente.cli) — each module defines ``app`` (a Typer or a function).
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


class LazyGroup(TyperGroup):
    """The top-level group: sub-commands are listed from :data:`GROUPS` and imported on use."""

    def list_commands(self, ctx: Any) -> list[str]:
        # a layer whose module does not exist yet is not offered
        return [name for name, module in GROUPS if importlib.util.find_spec(f"detente.cli.{module}")]

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        module = dict(GROUPS).get(cmd_name)
        if module is None or cmd_name not in self.list_commands(ctx):
            return None
        return load_command(cmd_name, module)


def load_command(name: str, module: str) -> Any:
    """Import ``detente.cli.<module>`` and return its ``app`` as a click command named ``name``."""
    sub = importlib.import_module(f"detente.cli.{module}").app
    holder = typer.Typer(pretty_exceptions_enable=False, add_completion=False)
    if isinstance(sub, typer.Typer):
        holder.add_typer(sub, name=name)
        return typer.main.get_group(holder).commands[name]
    holder.command(name)(sub)  # a single command
    return typer.main.get_command(holder)


app = typer.Typer(
    name="detente",
    cls=LazyGroup,
    help="The evidence behind military engagement in diplomatic missions.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


@app.callback()
def _root() -> None:
    """The evidence behind military engagement in diplomatic missions."""


def main() -> None:
    """Run the CLI, turning detente errors into a clear message and exit status 1."""
    try:
        app()
    except DetenteError as exc:
        from rich.console import Console

        Console(stderr=True).print(f"error: {exc}", style="bold red", markup=False, highlight=False)
        raise SystemExit(1) from None


if __name__ == "__main__":
    main()
