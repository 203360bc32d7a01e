"""What every command shares: the --db option, error handling, JSON output."""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, TypeVar

import duckdb
import orjson
import typer
from rich.console import Console
from rich.markup import escape

from limelight.errors import LimelightError
from limelight.store._database import is_interrupt

__all__ = [
    "AlphaOption",
    "DbOption",
    "MinAccountsOption",
    "SeedOption",
    "console",
    "err_console",
    "handle_errors",
    "print_json",
]

F = TypeVar("F", bound=Callable[..., Any])

console = Console()
err_console = Console(stderr=True)

DbOption = Annotated[
    Path,
    typer.Option(
        "--db",
        help="The DuckDB store file (created if missing).",
        envvar="LIMELIGHT_DB",
        dir_okay=False,
    ),
]

# The campaign options shared by `campaigns` and `analyze` (defaults in docs/campaigns.md).
AlphaOption = Annotated[
    float, typer.Option(help="False discovery rate for co-action edges.", min=1e-12, max=0.5)
]
MinAccountsOption = Annotated[int, typer.Option(help="Smallest campaign reported.", min=2)]
SeedOption = Annotated[int, typer.Option(help="Random seed for Leiden clustering.")]


def handle_errors(func: F) -> F:
    """Turn a LimelightError into one line on stderr and its exit code, never a traceback."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except LimelightError as exc:
            # escape: a message may hold brackets ("pip install 'limelight[llm-local]'")
            # that Rich would otherwise take for markup and drop.
            err_console.print(
                f"[red]error:[/red] {escape(exc.message)}", highlight=False, soft_wrap=True
            )
            raise typer.Exit(exc.exit_code) from None
        except duckdb.OutOfMemoryException:
            from limelight.detect.coordination import memory_limit

            err_console.print(
                f"[red]error:[/red] out of memory: DuckDB's working memory is capped at "
                f"{escape(memory_limit())} per connection and this step needs more; nothing "
                f"was written. Raise the cap (e.g. LIMELIGHT_DUCKDB_MEMORY=6GB) and run the "
                f"command again",
                highlight=False,
                soft_wrap=True,
            )
            raise typer.Exit(3) from None
        except (KeyboardInterrupt, duckdb.InterruptException, RuntimeError) as exc:
            if isinstance(exc, RuntimeError) and not is_interrupt(exc):
                raise
            err_console.print(
                "interrupted: the store holds every batch written before the interrupt; "
                "run the same command again to finish",
                soft_wrap=True,
            )
            raise typer.Exit(130) from None

    return wrapper  # type: ignore[return-value]


def print_json(value: Any) -> None:
    """Write one JSON document to stdout (bypassing Rich, so it stays machine-readable)."""
    sys.stdout.write(orjson.dumps(value, option=orjson.OPT_INDENT_2).decode() + "\n")
    sys.stdout.flush()
