"""`limelight coordination`: co-action edges of one behaviour, saved and exported.

A thin shell over ``limelight.detect.coordination.edges``: the edges always go into the
store (table ``edges_<behaviour>``), and with ``--out`` also into a CSV, GEXF or GraphML
file; without it a summary and the heaviest pairs are printed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from limelight.cli._common import DbOption, console, handle_errors
from limelight.cli._scale import AddressOption, EngineOption, edge_join
from limelight.detect.coordination import (
    BEHAVIOURS,
    EDGE_FORMATS,
    EdgeResult,
    edges,
    get_behaviour,
    save_edges,
    write_edges,
)
from limelight.errors import InputError
from limelight.store import Database

__all__ = ["parse_option", "register"]

DEFAULT_DB = Path("limelight.duckdb")
_TOP = 10


def register(app: typer.Typer) -> None:
    """Add the `coordination` command to the app."""
    app.command("coordination")(coordination)


def parse_option(behaviour: str, text: str) -> tuple[str, Any]:
    """Read one ``KEY=VALUE`` behaviour option, typed like the option's default."""
    key, sep, raw = text.partition("=")
    key = key.strip().replace("-", "_")
    spec = get_behaviour(behaviour)
    if not sep or key not in spec.options:
        allowed = ", ".join(f"{k}={v}" for k, v in spec.options.items()) or "none"
        raise InputError(
            f"--option {text!r}: give KEY=VALUE with a key of {spec.name!r}; "
            f"its options and defaults: {allowed}"
        )
    default = spec.options[key]
    raw = raw.strip()
    if isinstance(default, str):
        return key, raw
    try:
        if isinstance(default, bool):
            if raw.lower() not in ("true", "false", "1", "0", "yes", "no"):
                raise ValueError(raw)
            return key, raw.lower() in ("true", "1", "yes")
        if isinstance(default, int):
            return key, int(raw)
        return key, float(raw)
    except ValueError:
        raise InputError(
            f"--option {text!r}: {raw!r} is not a {type(default).__name__} "
            f"(the default is {default!r})"
        ) from None


@handle_errors
def coordination(
    behaviour: Annotated[
        str,
        typer.Option(
            "--behaviour",
            "-b",
            help=f"What counts as the same action: {', '.join(BEHAVIOURS)}.",
        ),
    ],
    db: DbOption = DEFAULT_DB,
    window: Annotated[
        float | None,
        typer.Option(help="Seconds within which two actions co-occur (default per behaviour)."),
    ] = None,
    min_weight: Annotated[
        int | None,
        typer.Option(
            "--min-weight", min=1, help="Fewest co-actions an edge needs (default per behaviour)."
        ),
    ] = None,
    option: Annotated[
        list[str] | None,
        typer.Option(
            "--option",
            "-o",
            help="A behaviour option as KEY=VALUE, e.g. by_domain=true (repeatable).",
        ),
    ] = None,
    method: Annotated[
        str | None,
        typer.Option(
            "--method",
            help="co-similar-text only: minhash (near-duplicates, default) or embedding "
            "(paraphrases; needs the embed extra).",
        ),
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            dir_okay=False,
            help=f"Write the edges to FILE ({', '.join(EDGE_FORMATS)}); else print a summary.",
        ),
    ] = None,
    engine: EngineOption = None,
    address: AddressOption = None,
) -> None:
    """Find pairs of accounts that repeatedly did the same thing within a time window."""
    spec = get_behaviour(behaviour)
    options = dict(parse_option(spec.name, text) for text in option or [])
    if method is not None:
        if "method" not in spec.options:
            raise InputError(
                f"--method applies to co-similar-text only, not {spec.name!r}; drop it"
            )
        options["method"] = method
    if out is not None and out.suffix.lower() not in EDGE_FORMATS:
        raise InputError(
            f"{out}: unknown edge file type {out.suffix or '(none)'!r}; "
            f"end the name with {', '.join(EDGE_FORMATS)}"
        )
    if not db.exists():
        raise InputError(
            f"{db}: no such database; create it with `limelight ingest FILE --db {db}`"
        )
    join = edge_join(engine, address)
    with Database(db) as store:
        result = edges(store, spec.name, window=window, min_weight=min_weight, join=join, **options)
        table_name = save_edges(store, result)
    if out is not None:
        write_edges(result.table, out, description=_describe(result))
        console.print(
            f"{result.table.num_rows:,} {spec.name} edges written to {out} "
            f"and to table {table_name}",
            highlight=False,
        )
        return
    _print_summary(result, table_name)


def _describe(result: EdgeResult) -> str:
    options = ", ".join(f"{k}={v}" for k, v in result.options.items())
    text = f"limelight {result.behaviour} edges, window {result.window:g} s, "
    text += f"min weight {result.min_weight}"
    return text + (f" ({options})" if options else "")


def _print_summary(result: EdgeResult, table_name: str) -> None:
    summary = Table(title=_describe(result), show_header=False)
    summary.add_column("what")
    summary.add_column("count", justify="right")
    summary.add_row("actions", f"{result.n_actions:,}")
    summary.add_row("edges", f"{result.table.num_rows:,}")
    summary.add_row("accounts with an edge", f"{result.n_accounts:,}")
    summary.add_row("stored in table", table_name)
    console.print(summary)
    if result.table.num_rows == 0:
        return
    top = Table(title=f"heaviest {min(_TOP, result.table.num_rows)} pairs")
    for name in ("source", "target", "weight", "items", "first co-action", "example"):
        top.add_column(name, justify="right" if name in ("weight", "items") else "left")
    for row in result.table.slice(0, _TOP).to_pylist():
        example = row["items"][0] if row["items"] else ""
        top.add_row(
            row["source"],
            row["target"],
            str(row["weight"]),
            str(row["n_items"]),
            row["first_at"].strftime("%Y-%m-%d %H:%M:%S"),
            example if len(example) <= 60 else example[:57] + "...",
        )
    console.print(top)
