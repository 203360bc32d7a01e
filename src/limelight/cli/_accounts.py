"""`limelight accounts` (score every account) and `limelight train accounts` (rebuild the model).

Both are thin shells over ``limelight.detect.accounts``; ``account_report`` there is what
`limelight show account ID` prints.
"""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Annotated, Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import typer
from rich.table import Table

from limelight.cli._common import DbOption, console, handle_errors, print_json
from limelight.cli._scale import AddressOption, EngineOption, chosen_engine
from limelight.detect.accounts import (
    BOT_KINDS,
    SCORES_TABLE,
    AccountModel,
    AccountScorer,
    AccountScores,
    account_report,
    default_model_path,
    label_agreement,
    train_account_model,
)
from limelight.errors import InputError
from limelight.store import Database

__all__ = ["account_report", "register", "scores_csv_table"]

ModelOption = Annotated[
    Path | None,
    typer.Option(
        "--model", help="An account model JSON file (default: the one shipped).", dir_okay=False
    ),
]


def scores_csv_table(scores: AccountScores) -> pa.Table:
    """The CSV form of the scores: account_id and bot_score first, reasons joined by ' | '."""
    t = scores.table
    reasons = pc.binary_join(t.column("reasons"), " | ")
    names = [
        "account_id",
        "bot_score",
        "platform",
        "handle",
        "kind",
        *BOT_KINDS,
        "basis",
        "cohort_id",
        "cohort_size",
        "cohort_evidence",
        "model",
    ]
    cols = [t.column(n) for n in names]
    return pa.table([*cols, reasons], names=[*names, "reasons"])


@handle_errors
def accounts(
    db: DbOption = Path("limelight.duckdb"),
    out: Annotated[
        Path | None,
        typer.Option("--out", help="Also write the scores to this CSV file.", dir_okay=False),
    ] = None,
    model: ModelOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print a JSON summary.")] = False,
    label_field: Annotated[
        str | None,
        typer.Option(
            "--label-field",
            help="Compare the scores with the labels the data brought, kept in the "
            "accounts' raw JSON under this name (TwiBot-20: label; Kaggle CSV: bot).",
        ),
    ] = None,
    engine: EngineOption = None,
    address: AddressOption = None,
) -> None:
    """Score every account in the store: bot score, sub-scores, reasons and cohorts."""
    if not db.exists():
        raise InputError(
            f"{db}: no such database; create it with `limelight ingest FILE --db {db}`"
        )
    if label_field is not None and not _FIELD.fullmatch(label_field):
        raise InputError(
            f"--label-field {label_field!r}: give a plain field name, such as label or bot"
        )
    ray_engine = chosen_engine(engine, address)
    with Database(db) as store:
        scorer = AccountScorer(model_path=str(model) if model else None)
        scores = (
            scorer.score(store) if ray_engine is None else ray_engine.account_scores(store, scorer)
        )
        if scores.table.num_rows == 0:
            raise InputError(f"{db}: the store holds no accounts or posts; ingest data first")
        scores.write(store)
        agreement = _agreement(store, label_field) if label_field else None
    if out is not None:
        try:
            pacsv.write_csv(scores_csv_table(scores), out)
        except OSError as exc:
            raise InputError(
                f"{out}: cannot write the CSV ({exc.strerror}); choose another --out"
            ) from None
    summary = _summary(scores)
    if agreement is not None:
        summary["labels"] = {"field": label_field, **agreement}
    if as_json:
        print_json(summary)
        return
    table = Table(title=f"account scores ({summary['model']})")
    table.add_column("accounts", justify="right")
    table.add_column("bot_score >= 0.5", justify="right")
    for kind in BOT_KINDS:
        table.add_column(kind, justify="right")
    table.add_column("cohorts", justify="right")
    table.add_row(
        str(summary["accounts"]),
        str(summary["bots"]),
        *(str(summary["by_kind"].get(k, 0)) for k in BOT_KINDS),
        str(summary["cohorts"]),
    )
    console.print(table)
    for c in scores.cohorts[:5]:
        console.print(f"{c['cohort_id']}: {c['evidence']}", highlight=False, soft_wrap=True)
    if agreement is not None:
        console.print(_agreement_line(str(label_field), agreement), highlight=False)
    where = f" and {out}" if out else ""
    console.print(f"stored in table account_scores of {db}{where}", highlight=False)


_FIELD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def _agreement(store: Database, field: str) -> dict[str, Any]:
    """The scores against the labels under ``field`` of the accounts' raw JSON."""
    rows = store.arrow(
        f"SELECT s.bot_score, json_extract_string(a.raw, '$.{field}') AS label "
        f"FROM {SCORES_TABLE} s JOIN accounts a USING (platform, account_id)"
    )
    found = label_agreement(
        rows.column("bot_score").to_numpy(zero_copy_only=False),
        rows.column("label").to_pylist(),
    )
    if not found["labelled"]:
        raise InputError(
            f"no scored account has a bot or human label under raw.{field}; ingest data "
            "that keeps its labels (TwiBot-20, a profile CSV with a bot or label column) "
            "or name the field it uses"
        )
    return {k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in found.items()}


def _agreement_line(field: str, a: dict[str, Any]) -> str:
    def num(v: float | None) -> str:
        return "n/a" if v is None else f"{v:.3f}"

    return (
        f"against raw.{field}: {a['labelled']:,} labelled accounts ({a['bots']:,} bots, "
        f"{a['unlabelled']:,} without a label): AUC {num(a['auc'])}; bots called at "
        f"{a['threshold']}: precision {num(a['precision'])}, recall {num(a['recall'])}, "
        f"F1 {num(a['f1'])}, accuracy {num(a['accuracy'])}"
    )


def _summary(scores: AccountScores) -> dict[str, Any]:
    kinds = scores.table.column("kind").to_pylist()
    by_kind: dict[str, int] = {}
    for k in kinds:
        if k != "human":
            by_kind[k] = by_kind.get(k, 0) + 1
    return {
        "accounts": scores.table.num_rows,
        "bots": sum(by_kind.values()),
        "by_kind": by_kind,
        "cohorts": len(scores.cohorts),
        "model": scores.params["model"],
    }


@handle_errors
def train_accounts(
    data: Annotated[
        Path,
        typer.Option(
            "--data",
            help="The labelled data folder (cresci-2017-users, gilani-2017, ...).",
            file_okay=False,
            envvar="LIMELIGHT_SHARED_DATA",
        ),
    ] = Path("../shared/data"),
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            help="Where to write the model (default: the shipped model file).",
            dir_okay=False,
        ),
    ] = None,
    evaluate: Annotated[
        bool,
        typer.Option(
            "--evaluate/--no-evaluate", help="Run leave-one-dataset-out first (about a minute)."
        ),
    ] = True,
) -> None:
    """Rebuild the account model from the labelled data, leave-one-dataset-out evaluated."""
    if not data.is_dir():
        raise InputError(f"{data}: no such folder; give the labelled data folder with --data")
    model = train_account_model(data, evaluate=evaluate)
    target = out or default_model_path()
    model.save(target)
    _print_folds(model)
    console.print(f"wrote {target} ({model.version})", highlight=False)


def _print_folds(model: AccountModel) -> None:
    folds = model.report.get("folds")
    if not folds:
        return
    table = Table(title="leave-one-dataset-out")
    for col in ("held out", "accounts", "bots", "AUC", "F1", "AUC as v2", "AUC as Bluesky"):
        table.add_column(col, justify="right")
    for name, r in folds.items():
        table.add_row(
            name,
            str(r["accounts"]),
            str(r["bots"]),
            f"{r['auc']:.3f}",
            f"{r['f1']:.3f}",
            f"{r['auc_twitter-v2']:.3f}",
            f"{r['auc_bluesky']:.3f}",
        )
    console.print(table)
    cal = model.report.get("calibration", {})
    if cal:
        console.print(
            f"calibration (held-out, even prior): ECE {cal['ece']:.3f}, Brier {cal['brier']:.3f}"
        )


def register(app: typer.Typer) -> None:
    """Add `accounts` and `train accounts` to the app."""
    app.command("accounts")(accounts)
    train = typer.Typer(
        help="Rebuild the models shipped with limelight from labelled data.", no_args_is_help=True
    )
    train.command("accounts")(train_accounts)
    app.add_typer(train, name="train")
