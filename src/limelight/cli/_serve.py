"""`limelight serve` (the API and dashboard), `limelight token` (API tokens) and
`limelight feedback` (export what analysts decided)."""

from __future__ import annotations

import csv
from datetime import datetime
from pathlib import Path
from typing import Annotated

import orjson
import typer
from rich.table import Table

from limelight.cli._common import DbOption, console, err_console, handle_errors
from limelight.errors import InputError
from limelight.store import Database

__all__ = ["register"]

_EXTRA = "the API needs the serve extra: pip install 'limelight[serve]'"


def register(app: typer.Typer) -> None:
    """Add `serve`, `token create|list|revoke` and `feedback` to the app."""
    app.command("serve")(serve)
    tokens = typer.Typer(help="API tokens that allow writing analyst feedback.")
    tokens.command("create")(token_create)
    tokens.command("list")(token_list)
    tokens.command("revoke")(token_revoke)
    app.add_typer(tokens, name="token")
    app.command("feedback")(feedback)


def _require_db(db: Path) -> None:
    if not db.exists():
        raise InputError(
            f"{db}: no such database; create it with `limelight ingest FILE --db {db}`"
        )


@handle_errors
def serve(
    db: DbOption = Path("limelight.duckdb"),
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.", min=1, max=65535)] = 8000,
    allow_remote_reads: Annotated[
        bool,
        typer.Option(
            "--allow-remote-reads",
            envvar="LIMELIGHT_ALLOW_REMOTE_READS",
            help="Answer reads from other machines too (default: this machine only).",
        ),
    ] = False,
    cache: Annotated[
        int,
        typer.Option(
            help="Read responses kept until the next write (0: off).", min=0, max=1_000_000
        ),
    ] = 1024,
) -> None:
    """Serve the REST API (/api, schema at /openapi.json) and the dashboard (/).

    The store is opened read-only; analyst feedback is written in short turns. Writes need
    a token from `limelight token create` (create tokens while the server is stopped:
    DuckDB lets only one process write a file).
    """
    try:
        import uvicorn

        from limelight.spotlight.api import ServeSettings, create_app
    except ImportError:
        raise InputError(_EXTRA) from None
    _require_db(db)
    app = create_app(
        ServeSettings(db=db, allow_remote_reads=allow_remote_reads, cache_entries=cache)
    )
    shown = f"[{host}]" if ":" in host else host
    err_console.print(
        f"serving {db} at http://{shown}:{port}/ (API at /api, schema at /openapi.json); "
        f"Ctrl-C stops",
        highlight=False,
        soft_wrap=True,
    )
    if host not in ("127.0.0.1", "localhost", "::1") and not allow_remote_reads:
        err_console.print(
            "note: other machines can reach this address, but reads are answered only to "
            "this machine; add --allow-remote-reads to serve them",
            highlight=False,
            soft_wrap=True,
        )
    uvicorn.run(app, host=host, port=port, log_level="warning")


@handle_errors
def token_create(
    db: DbOption = Path("limelight.duckdb"),
    name: Annotated[
        str, typer.Option("--name", help="Who or what uses the token (shown as author).")
    ] = "analyst",
) -> None:
    """Create an API token, store only its hash, and print the token once."""
    from limelight.spotlight.api import create_token

    _require_db(db)
    with Database(db) as store:
        token = create_token(store, name)
    err_console.print(
        f"token {name!r} created; it is shown only now. Send it as "
        f"'Authorization: Bearer TOKEN' or paste it into the dashboard.",
        highlight=False,
        soft_wrap=True,
    )
    print(token)


@handle_errors
def token_list(db: DbOption = Path("limelight.duckdb")) -> None:
    """List the API tokens (names and times; the tokens themselves are not stored)."""
    from limelight.spotlight.api import list_tokens

    _require_db(db)
    with Database(db, read_only=True) as store:
        rows = list_tokens(store)
    if not rows:
        console.print("no API tokens; create one with `limelight token create --name NAME`")
        return
    table = Table(title=f"API tokens in {db}")
    for col in ("name", "created", "revoked"):
        table.add_column(col)
    for r in rows:
        table.add_row(r["name"], _when(r["created_at"]), _when(r["revoked_at"]))
    console.print(table)


@handle_errors
def token_revoke(
    name: Annotated[str, typer.Argument(help="The token's name.")],
    db: DbOption = Path("limelight.duckdb"),
) -> None:
    """Revoke the live token(s) of this name: writes with it are refused from now on."""
    from limelight.spotlight.api import revoke_token

    _require_db(db)
    with Database(db) as store:
        n = revoke_token(store, name)
    err_console.print(f"revoked {n} token(s) named {name!r}", highlight=False)


@handle_errors
def feedback(
    db: DbOption = Path("limelight.duckdb"),
    out: Annotated[
        Path,
        typer.Option("--out", help="Write to FILE: .jsonl or .csv.", dir_okay=False),
    ] = Path("feedback.jsonl"),
) -> None:
    """Export analyst feedback (confirm, dismiss, comment; author and time) for evaluation."""
    from limelight.spotlight.api import FEEDBACK_TABLE

    suffix = out.suffix.lower()
    if suffix not in (".jsonl", ".csv"):
        raise InputError(f"{out}: unknown output type {suffix or '(none)'}; use .jsonl or .csv")
    _require_db(db)
    with Database(db, read_only=True) as store:
        if not store.has_table(FEEDBACK_TABLE):
            raise InputError(
                f"{db}: no analyst feedback yet; give some in the dashboard "
                f"(`limelight serve`) or POST /api/feedback"
            )
        table = store.arrow(f"SELECT * FROM {FEEDBACK_TABLE} ORDER BY created_at, feedback_id")
    rows = table.to_pylist()
    try:
        if suffix == ".jsonl":
            out.write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in rows))
        else:
            with out.open("w", newline="", encoding="utf-8") as fh:
                writer = csv.writer(fh)
                writer.writerow(table.column_names)
                for r in rows:
                    writer.writerow([_cell(r[c]) for c in table.column_names])
    except OSError as exc:
        raise InputError(f"{out}: cannot write ({exc.strerror}); choose another --out") from None
    err_console.print(f"wrote {len(rows)} judgements to {out}", highlight=False)


def _cell(value: object) -> object:
    return value.isoformat() if isinstance(value, datetime) else value


def _when(value: datetime | None) -> str:
    return f"{value:%Y-%m-%d %H:%M:%S} UTC" if value else ""
