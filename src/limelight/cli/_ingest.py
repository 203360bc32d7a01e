"""Commands that fill and inspect the store: ingest, rejects, formats, export, import, stats,
show, demo."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TextColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)
from rich.table import Table

from limelight.cli._common import DbOption, console, err_console, handle_errors, print_json
from limelight.errors import InputError
from limelight.ingest import IngestSummary, ingest_paths
from limelight.sources import FileRead, ReaderOptions, readers
from limelight.store import Database
from limelight.summary import store_overview

__all__ = ["register"]

DEFAULT_DB = Path("limelight.duckdb")
_PROGRESS_MIN_BYTES = 8 << 20  # show a bar only for files that take a moment


def register(app: typer.Typer) -> None:
    """Add the store commands to the app."""
    app.command("ingest")(ingest)
    app.command("rejects")(rejects)
    app.command("formats")(formats)
    app.command("export")(export)
    app.command("import")(import_)
    app.command("stats")(stats)
    app.command("show")(show)
    app.command("demo")(demo)


@handle_errors
def ingest(
    paths: Annotated[list[Path], typer.Argument(help="Files or directories to read.")],
    db: DbOption = DEFAULT_DB,
    format: Annotated[
        str | None,
        typer.Option(
            "--format",
            "-f",
            help="Skip detection: read every file as this format (see `limelight formats`).",
        ),
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the summary as JSON on stdout.")
    ] = False,
    encoding: Annotated[str, typer.Option(help="Text encoding of the files.")] = "utf-8",
    platform: Annotated[
        str | None, typer.Option(help="Platform name for formats that do not say (CSV exports).")
    ] = None,
    keep_raw: Annotated[
        bool, typer.Option("--keep-raw", help="Also store each post's raw record.")
    ] = False,
    force: Annotated[
        bool, typer.Option("--force", help="Read files again even if unchanged.")
    ] = False,
    batch_size: Annotated[
        int | None,
        typer.Option(
            min=1,
            help="Records per transaction [default: 50,000 row by row, 250,000 for CSV "
            "files read column-wise].",
        ),
    ] = None,
    workers: Annotated[
        int | None,
        typer.Option(min=1, help="Processes parsing a large file (default: one per core)."),
    ] = None,
) -> None:
    """Read collected posts into the store; print read, stored, duplicates and rejected."""
    options = ReaderOptions(platform=platform, keep_raw=keep_raw)
    with Database(db) as store, _progress(quiet=as_json) as (start, advance):
        summary = ingest_paths(
            paths,
            store,
            fmt=format,
            encoding=encoding,
            options=options,
            batch_size=batch_size,
            force=force,
            workers=workers,
            progress=advance,
            on_file_start=start,
        )
    for f in summary.files:
        if f.status == "error":
            err_console.print(f"[red]error:[/red] {f.message}", highlight=False, soft_wrap=True)
    if as_json:
        print_json(summary.to_json())
    else:
        _print_summary(summary, db)
    if not summary.ok:
        raise typer.Exit(2)


class _progress:
    """A Rich progress bar over compressed bytes, shown only for large files on a terminal."""

    def __init__(self, quiet: bool) -> None:
        self.bar = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            DownloadColumn(),
            TransferSpeedColumn(),
            TimeRemainingColumn(),
            console=err_console,
            transient=True,
            disable=quiet or not err_console.is_terminal,
        )
        self.tasks: dict[str, Any] = {}

    def __enter__(self) -> tuple[Any, Any]:
        self.bar.__enter__()
        return self.start, self.advance

    def __exit__(self, *exc: object) -> None:
        self.bar.__exit__(None, None, None)

    def start(self, fr: FileRead) -> None:
        size = fr.path.stat().st_size
        if size >= _PROGRESS_MIN_BYTES:
            self.tasks[str(fr.path)] = self.bar.add_task(fr.path.name, total=size)

    def advance(self, fr: FileRead, _n: int) -> None:
        task = self.tasks.get(str(fr.path))
        if task is not None:
            self.bar.update(task, completed=fr.bytes_done)


def _print_summary(summary: IngestSummary, db: Path) -> None:
    table = Table(title=f"ingested into {db}", title_justify="left")
    for col in ("file", "format", "read", "stored", "duplicates", "rejected", "accounts", "status"):
        table.add_column(
            col,
            justify="right"
            if col in ("read", "stored", "duplicates", "rejected", "accounts")
            else "left",
        )
    for f in summary.files:
        table.add_row(
            f.path,
            f.format or "-",
            f"{f.read:,}",
            f"{f.stored:,}",
            f"{f.duplicates:,}",
            f"{f.rejected:,}",
            f"{f.accounts:,}",
            f.status,
        )
    if len(summary.files) > 1:
        table.add_row(
            "total",
            "",
            *(
                f"{summary.total(k):,}"
                for k in ("read", "stored", "duplicates", "rejected", "accounts")
            ),
            "",
            style="bold",
        )
    console.print(table)
    if summary.total("rejected"):
        console.print("rejected records are kept with the reason: see `limelight rejects`")


@handle_errors
def rejects(
    db: DbOption = DEFAULT_DB,
    file: Annotated[
        str | None, typer.Option(help="Only rejects from files whose path contains this.")
    ] = None,
    limit: Annotated[int, typer.Option(min=1, help="At most this many rows.")] = 50,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON on stdout.")] = False,
) -> None:
    """List the records that could not be read, with file, line and reason."""
    with Database(db, read_only=True) as store:
        rows = store.query(
            """SELECT source_file, source_line, format, reason, raw FROM rejects
            WHERE ? IS NULL OR source_file LIKE '%' || ? || '%'
            ORDER BY source_file, source_line LIMIT ?""",
            [file, file, limit],
        )
        total = store.count("rejects")
    items = [
        {"file": r[0], "line": r[1], "format": r[2], "reason": r[3], "raw": r[4]} for r in rows
    ]
    if as_json:
        print_json({"total": total, "rejects": items})
        return
    table = Table(title=f"{total:,} rejected records in {db}", title_justify="left")
    for col in ("file", "line", "reason", "raw"):
        table.add_column(col, overflow="fold")
    for it in items:
        raw = it["raw"] or ""
        table.add_row(
            Path(it["file"]).name,
            str(it["line"]),
            it["reason"],
            raw[:80] + ("…" if len(raw) > 80 else ""),
        )
    console.print(table)


@handle_errors
def formats() -> None:
    """List the formats limelight reads (names for --format)."""
    table = Table(
        title="formats (plain, gzip, bz2 or zstd; detected automatically)", title_justify="left"
    )
    table.add_column("--format")
    table.add_column("kind")
    table.add_column("what")
    for cls in readers():
        table.add_row(cls.name, cls.container, cls.title)
    console.print(table)


@handle_errors
def export(
    directory: Annotated[Path, typer.Argument(help="Folder to write <table>.parquet files into.")],
    db: DbOption = DEFAULT_DB,
) -> None:
    """Write the canonical tables (posts, accounts, deletions, rejects) as Parquet."""
    with Database(db, read_only=True) as store:
        written = store.export_parquet(directory)
    for table, n in written.items():
        console.print(f"{directory / (table + '.parquet')}: {n:,} rows")


@handle_errors
def import_(
    directory: Annotated[Path, typer.Argument(help="Folder written by `limelight export`.")],
    db: DbOption = DEFAULT_DB,
) -> None:
    """Load Parquet tables written by `limelight export`, skipping records already held."""
    with Database(db) as store:
        results = store.import_parquet(directory)
    for table, r in results.items():
        if table == "accounts":
            console.print(f"accounts: {r.accounts_upserted:,} merged")
        elif table == "posts":
            console.print(f"posts: {r.posts_stored:,} stored, {r.posts_duplicate:,} duplicates")
        elif table == "deletions":
            console.print(
                f"deletions: {r.deletions_stored:,} stored, {r.deletions_duplicate:,} duplicates"
            )
        else:
            console.print(f"rejects: {r.rejects_stored:,} stored")


@handle_errors
def stats(
    db: DbOption = DEFAULT_DB,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON on stdout.")] = False,
) -> None:
    """Show what the store holds: counts, time span, kinds, top posts and accounts."""
    with Database(db, read_only=True) as store:
        overview = store_overview(store)
    if as_json:
        print_json(overview)
    else:
        _print_overview(overview, db)


def _print_overview(o: dict[str, Any], db: Path) -> None:
    console.print(f"[bold]{db}[/bold]")
    console.print(
        f"  {o['posts']:,} posts, {o['accounts']:,} accounts, {o['deletions']:,} deletions, "
        f"{o['rejects']:,} rejects"
    )
    if o["first_post_at"]:
        console.print(f"  from {o['first_post_at']} to {o['last_post_at']}")
    if o["kinds"]:
        console.print("  kinds: " + ", ".join(f"{k} {v:,}" for k, v in o["kinds"].items()))
    if o["platforms"]:
        console.print("  platforms: " + ", ".join(f"{k} {v:,}" for k, v in o["platforms"].items()))
    if o["most_reposted"]:
        t = Table(title="most reposted posts", title_justify="left")
        for c in ("post_id", "reposts", "accounts"):
            t.add_column(c)
        for r in o["most_reposted"]:
            t.add_row(r["post_id"], f"{r['reposts']:,}", f"{r['accounts']:,}")
        console.print(t)
    if o["most_active"]:
        t = Table(title="most active accounts", title_justify="left")
        for c in ("account_id", "handle", "posts"):
            t.add_column(c)
        for r in o["most_active"]:
            t.add_row(r["account_id"], r["handle"] or "", f"{r['posts']:,}")
        console.print(t)


@handle_errors
def show(
    kind: Annotated[str, typer.Argument(help="What to show: post or account.")],
    ident: Annotated[str, typer.Argument(metavar="ID", help="The post or account id.")],
    db: DbOption = DEFAULT_DB,
    platform: Annotated[
        str | None, typer.Option(help="Platform, when the id exists on several.")
    ] = None,
) -> None:
    """Show one post or account as stored, with what the detectors found about it."""
    if kind not in ("post", "account"):
        raise InputError(
            f"cannot show {kind!r}; use `limelight show post ID` or `limelight show account ID`"
        )
    table = "posts" if kind == "post" else "accounts"
    key = "post_id" if kind == "post" else "account_id"
    with Database(db, read_only=True) as store:
        cur = store.cursor()
        rel = cur.execute(
            f"SELECT * FROM {table} WHERE {key} = ? AND (? IS NULL OR platform = ?)",
            [ident, platform, platform],
        )
        cols = [d[0] for d in rel.description or []]
        rows = rel.fetchall()
        if not rows:
            raise InputError(f"no {kind} {ident!r} in {db}; check the id (and --platform)")
        record = {c: v for c, v in zip(cols, rows[0], strict=True) if c != "raw"}
        extra = _account_extra(store, ident) if kind == "account" else {}
    print_json({**{k: _jsonable(v) for k, v in record.items()}, **extra})


def _account_extra(store: Database, account_id: str) -> dict[str, Any]:
    try:
        from limelight.detect.accounts import account_report
    except ImportError:
        return {}
    report: dict[str, Any] = account_report(store, account_id)
    return report


def _jsonable(v: Any) -> Any:
    return v.isoformat() if hasattr(v, "isoformat") else v


@handle_errors
def demo(
    db: DbOption = Path("limelight-demo.duckdb"),
    out: Annotated[
        Path | None,
        typer.Option(
            "--out", help="Folder for the report (default: beside the store).", file_okay=False
        ),
    ] = None,
    fresh: Annotated[
        bool, typer.Option("--fresh", help="Delete the demo store first and start over.")
    ] = False,
) -> None:
    """Analyse the bundled sample (real CooRTweet retweets) and write the report.

    The same as `limelight analyze SAMPLE --db limelight-demo.duckdb --out limelight-demo`;
    running it again reuses the store.
    """
    from limelight.cli._analyze import print_run, run_analysis
    from limelight.demo import sample_path

    if fresh:
        for path in (db, db.with_name(db.name + ".wal")):
            if path.exists():
                path.unlink()
    folder = db.with_suffix("") if db.suffix else db.with_name(db.name + "-report")
    run = run_analysis([sample_path()], db, out or folder)
    with Database(db, read_only=True) as store:
        overview = store_overview(store)
    _print_overview(overview, db)
    print_run(run, report_line=False)
    console.print(f"\nthe store is {db}; explore it with `limelight stats --db {db}`")
    if shutil.which("duckdb"):
        console.print(f"or with SQL: duckdb {db}")
    console.print(f"report: {run.report}", highlight=False, soft_wrap=True)
