"""The `limelight` command: a thin shell over the library, one module per group of commands.

Every command turns a LimelightError into one line on stderr and the error's exit code;
no traceback reaches the user for an error we anticipated.

A run imports only the module of the command it runs (``COMMAND_MODULES``): the others
bring the account model, the LLM client, the web server and Ray's shims, about 0.4 s of
imports that `limelight ingest` or `limelight coordination` would pay for nothing. Help,
and anything not a known command, builds the whole app. ``app`` is the whole app too,
built when first asked for (``from limelight.cli import app``).
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Sequence
from typing import Any

import typer

from limelight.errors import LimelightError

__all__ = ["COMMAND_MODULES", "MODULES", "app", "build_app", "main"]

#: The command modules, in the order their commands are listed in help.
MODULES = (
    "_ingest",
    "_coordination",
    "_campaigns",
    "_accounts",
    "_serve",
    "_analyze",
    "_llm",
    "_content",
)

#: Each top-level command (or group) and the modules that register it; a test checks
#: this against what the modules register.
COMMAND_MODULES: dict[str, tuple[str, ...]] = {
    **dict.fromkeys(
        ("ingest", "rejects", "formats", "export", "import", "stats", "show", "demo"),
        ("_ingest",),
    ),
    "coordination": ("_coordination",),
    "campaigns": ("_campaigns",),
    "accounts": ("_accounts",),
    "train": ("_accounts", "_content"),
    "serve": ("_serve",),
    "token": ("_serve",),
    "feedback": ("_serve",),
    "analyze": ("_analyze",),
    "export-labels": ("_analyze",),
    "llm": ("_llm",),
    "content": ("_content",),
    "text": ("_content",),
    "distill": ("_content",),
}


def build_app(modules: Sequence[str] = MODULES) -> typer.Typer:
    """The `limelight` app with the commands of ``modules`` (names in ``MODULES``)."""
    built = typer.Typer(
        name="limelight",
        help="Find coordinated manipulation of public opinion and put it in the spotlight.",
        no_args_is_help=True,
        add_completion=False,
        pretty_exceptions_enable=False,
    )
    for name in modules:
        importlib.import_module(f"limelight.cli.{name}").register(built)
    return built


def __getattr__(name: str) -> Any:
    if name == "app":
        whole = build_app()
        globals()["app"] = whole
        return whole
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _modules_for(args: Sequence[str]) -> Sequence[str]:
    """The modules a command line needs: its command's, or all of them for help."""
    if not args or args[0].startswith("-"):
        return MODULES
    return COMMAND_MODULES.get(args[0], MODULES)


def main() -> None:
    """Entry point of the console script."""
    try:
        build_app(_modules_for(sys.argv[1:]))(standalone_mode=True)
    except LimelightError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        print("interrupted before any work was done", file=sys.stderr)
        sys.exit(130)
