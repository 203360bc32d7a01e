"""`limelight campaigns`: find coordinated campaigns in a store and report or export them."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Annotated, Any

import orjson
import typer
from rich.table import Table

from limelight.cli._common import (
    AlphaOption,
    DbOption,
    MinAccountsOption,
    SeedOption,
    console,
    err_console,
    handle_errors,
)
from limelight.cli._scale import AddressOption, EngineOption, edge_join
from limelight.errors import InputError
from limelight.store import Database

__all__ = ["register"]

_OUT_HELP = (
    "Write the campaigns to FILE: .json for everything (members and evidence), "
    ".csv for one row per flagged account (account_id,campaign_id,score). "
    "Without it, print a ranked summary."
)


def register(app: typer.Typer) -> None:
    """Add the `campaigns` command to the app."""
    app.command("campaigns")(campaigns)


@handle_errors
def campaigns(
    db: DbOption = Path("limelight.duckdb"),
    out: Annotated[Path | None, typer.Option("--out", help=_OUT_HELP, dir_okay=False)] = None,
    behaviour: Annotated[
        list[str] | None,
        typer.Option("--behaviour", "-b", help="Use only this behaviour (repeatable)."),
    ] = None,
    alpha: AlphaOption = 0.01,
    min_accounts: MinAccountsOption = 3,
    seed: SeedOption = 0,
    paraphrase: Annotated[
        bool,
        typer.Option(
            "--paraphrase",
            help="Match paraphrased texts with MiniLM embeddings (co-similar-text "
            "method=embedding; needs the embed extra; slow without a GPU).",
        ),
    ] = False,
    group_test: Annotated[
        bool,
        typer.Option(
            "--group-test/--no-group-test",
            help="Also find groups whose members co-act too rarely for any pair to pass, "
            "tested as groups on held-out items (default on).",
        ),
    ] = True,
    engine: EngineOption = None,
    address: AddressOption = None,
) -> None:
    """Find groups of accounts that act together far beyond chance, with the evidence.

    Runs the co-action behaviours (co-repost, co-url, co-text, co-similar-text,
    co-hashtags), tests each pair of accounts against chance, clusters the significant
    pairs with Leiden, adds groups that pass as groups on held-out items (members who
    rarely co-act in pairs), grows each group by the accounts tied to it beyond chance, and
    writes the tables campaigns, campaign_members, campaign_evidence and the scored edges
    (edges_<behaviour>, with edge_params) to the store in one transaction.
    """
    from limelight.detect.coordination._campaigns import find_campaigns

    suffix = out.suffix.lower() if out else ""
    if out is not None and suffix not in (".json", ".csv"):
        raise InputError(f"{out}: unknown output type {suffix or '(none)'}; use .json or .csv")
    if not db.exists():
        raise InputError(
            f"{db}: no such database; create it with `limelight ingest FILE --db {db}`"
        )
    join = edge_join(engine, address)
    with Database(db) as store:
        chosen = behaviour or None
        options = {}
        if paraphrase:
            from limelight.detect.coordination._campaigns import DEFAULT_WINDOWS

            if chosen is not None and "co-similar-text" not in chosen:
                chosen = [*chosen, "co-similar-text"]
            elif chosen is None:
                chosen = list(DEFAULT_WINDOWS)
            options = {"co-similar-text": {"method": "embedding"}}
        result = find_campaigns(
            store,
            chosen,
            options=options,
            alpha=alpha,
            min_accounts=min_accounts,
            random_state=seed,
            group_test=group_test,
            join=join,
        )
    flagged = result.members.num_rows
    if out is None:
        _print_summary(result.campaigns.to_pylist())
        return
    if suffix == ".json":
        out.write_bytes(orjson.dumps(_report(result), option=orjson.OPT_INDENT_2))
    else:
        with out.open("w", newline="", encoding="utf-8") as fh:
            writer = csv.writer(fh)
            writer.writerow(["account_id", "campaign_id", "score"])
            for m in result.members.to_pylist():
                writer.writerow([m["account_id"], m["campaign_id"], f"{m['score']:.3f}"])
    err_console.print(
        f"wrote {result.campaigns.num_rows} campaigns ({flagged} accounts) to {out}",
        highlight=False,
    )


def _report(result: Any) -> dict[str, Any]:
    """The full JSON document: settings, then each campaign with its members and evidence."""
    members: dict[str, list[dict[str, Any]]] = {}
    for m in result.members.to_pylist():
        members.setdefault(m.pop("campaign_id"), []).append(m)
    evidence: dict[str, list[dict[str, Any]]] = {}
    for e in result.evidence.to_pylist():
        evidence.setdefault(e.pop("campaign_id"), []).append(e)
    found = []
    for c in result.campaigns.to_pylist():
        c["members"] = members.get(c["campaign_id"], [])
        c["evidence"] = evidence.get(c["campaign_id"], [])
        found.append(c)
    return {"params": result.params, "campaigns": found}


def _print_summary(rows: list[dict[str, Any]]) -> None:
    """A ranked table of campaigns, strongest first."""
    if not rows:
        console.print("no campaigns found: no group of accounts co-acts beyond chance")
        return
    table = Table(title=f"{len(rows)} candidate campaigns, strongest first")
    table.add_column("#", justify="right", no_wrap=True)
    table.add_column("campaign", no_wrap=True, min_width=16)
    table.add_column("accounts", justify="right", no_wrap=True)
    table.add_column("score", justify="right", no_wrap=True)
    table.add_column("active", no_wrap=True)  # first co-action and how long it went on
    table.add_column("behaviours")
    table.add_column("top item")
    for c in rows:
        first, last = c["first_at"], c["last_at"]
        days = (last - first).total_seconds() / 86400 if first and last else 0.0
        active = f"{first:%Y-%m-%d} +{days:.1f}d" if first else ""
        top = c["top_items"][0] if c["top_items"] else ""
        table.add_row(
            str(c["rank"]),
            c["campaign_id"],
            str(c["n_accounts"]),
            f"{c['score']:.1f}",
            active,
            " ".join(b.removeprefix("co-") for b in c["behaviours"]),
            top if len(top) <= 32 else top[:31] + "…",
        )
    console.print(table)
