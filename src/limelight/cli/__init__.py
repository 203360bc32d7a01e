"""The `limelight` command: a thin shell over the library, one module per group of commands.

Every command turns a LimelightError into one line on stderr and the error's exit code;
no traceback reaches the user for an error we anticipated.
"""

from __future__ import annotations

import sys

import typer

from limelight.cli import (
    _accounts,
    _analyze,
    _campaigns,
    _content,
    _coordination,
    _ingest,
    _llm,
    _serve,
)
from limelight.errors import LimelightError

__all__ = ["app", "main"]

app = typer.Typer(
    name="limelight",
    help="Find coordinated manipulation of public opinion and put it in the spotlight.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

for _module in (_ingest, _coordination, _campaigns, _accounts, _serve, _analyze, _llm, _content):
    _module.register(app)


def main() -> None:
    """Entry point of the console script."""
    try:
        app(standalone_mode=True)
    except LimelightError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        print("interrupted before any work was done", file=sys.stderr)
        sys.exit(130)
