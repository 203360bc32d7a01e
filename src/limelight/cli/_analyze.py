"""`limelight analyze` (files to report in one command) and `limelight export-labels`.

Both are thin shells: ingest is ``limelight.ingest.ingest_paths``, the detectors and the
fusion are ``limelight.campaigns.run_stages``, the report is
``limelight.spotlight.report.write_report`` and the exports ``export_results``.
`limelight demo` runs the same ``run_analysis`` on the bundled sample.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import Progress, SpinnerColumn, TaskID, TextColumn, TimeElapsedColumn
from rich.table import Table

from limelight.campaigns import (
    EXPORT_FORMATS,
    AnalysisSettings,
    StageResult,
    export_results,
    run_stages,
)
from limelight.cli._common import (
    AlphaOption,
    DbOption,
    MinAccountsOption,
    SeedOption,
    console,
    err_console,
    handle_errors,
)
from limelight.errors import InputError
from limelight.ingest import IngestSummary, ingest_paths
from limelight.store import Database

__all__ = ["AnalysisRun", "register", "run_analysis"]

_STAGE_TITLES = {
    "ingest": "reading posts",
    "coordination": "finding accounts that act together",
    "accounts": "scoring accounts",
    "content": "reading content signals",
    "fusion": "fusing campaigns, labels and amplification",
    "report": "writing the report",
    "export": "writing exports",
}


def register(app: typer.Typer) -> None:
    """Add `analyze` and `export-labels` to the app."""
    app.command("analyze")(analyze)
    app.command("export-labels")(export_labels)


@dataclass(slots=True)
class AnalysisRun:
    """What one `analyze` did: ingest summary, each stage, and the files written."""

    ingest: IngestSummary | None
    stages: list[StageResult] = field(default_factory=list)
    report: Path | None = None
    exports: list[Path] = field(default_factory=list)
    seconds: float = 0.0


def run_analysis(
    paths: Sequence[Path],
    db_path: Path,
    out: Path,
    *,
    settings: AnalysisSettings | None = None,
    fmt: str | None = None,
    force: bool = False,
    exports: Sequence[str] = (),
    quiet: bool = False,
) -> AnalysisRun:
    """Ingest ``paths`` into ``db_path``, run every stage, write ``out/report.html``."""
    started = time.perf_counter()
    progress = Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        TimeElapsedColumn(),
        console=err_console,
        transient=False,
        disable=quiet or not err_console.is_terminal,
    )
    tasks: dict[str, TaskID] = {}

    def on_stage(stage: str, event: str) -> None:
        title = _STAGE_TITLES.get(stage, stage)
        if event == "start":
            tasks[stage] = progress.add_task(title, total=1)
        else:
            progress.update(tasks[stage], completed=1, description=f"{title}: {event}")

    from limelight.spotlight.report import write_report

    with Database(db_path) as db, progress:
        summary = None
        if paths:
            on_stage("ingest", "start")
            summary = ingest_paths(paths, db, fmt=fmt, force=force)
            on_stage("ingest", "done" if summary.ok else "some files failed")
        if db.count("posts") == 0 and db.count("accounts") == 0:
            raise InputError(
                f"{db_path}: the store holds no posts or accounts; give the files to read, "
                f"e.g. `limelight analyze collected.jsonl --db {db_path}`"
            )
        stages = run_stages(db, settings, on_stage=on_stage, force=force)
        on_stage("report", "start")
        report = write_report(db, out / "report.html")
        on_stage("report", "done")
        written: list[Path] = []
        if exports:
            on_stage("export", "start")
            written = export_results(db, out / "exports", exports)
            on_stage("export", "done")
    return AnalysisRun(summary, stages, report, written, time.perf_counter() - started)


def print_run(run: AnalysisRun, *, report_line: bool = True) -> None:
    """The stages as a table, the files that failed, and (last) where the report is."""
    table = Table(title="analysis", title_justify="left")
    for col in ("stage", "status", "seconds", "what"):
        table.add_column(col, justify="right" if col == "seconds" else "left")
    if run.ingest is not None:
        s = run.ingest
        unchanged = sum(f.status == "unchanged" for f in s.files)
        what = (
            f"{s.total('read'):,} read, {s.total('stored'):,} new, "
            f"{s.total('duplicates'):,} already held, {s.total('rejected'):,} rejected, "
            f"{s.total('accounts'):,} account profiles"
        )
        notes = sum(f.status == "not-data" for f in s.files)
        if unchanged:
            what += f"; {unchanged} unchanged file{'s' if unchanged > 1 else ''} skipped"
        if notes:
            what += f"; {notes} note file{'s' if notes > 1 else ''} (readme, licence) left out"
        read = len(s.files) - notes
        status = "skipped" if unchanged == read else "done" if s.ok else "failed files"
        table.add_row("ingest", status, f"{sum(f.seconds for f in s.files):.1f}", what)
        for f in s.files:
            if f.status == "error":
                err_console.print(f"[red]error:[/red] {f.message}", highlight=False)
    for r in run.stages:
        table.add_row(r.stage, r.status, f"{r.seconds:.1f}", r.message)
    console.print(table)
    for path in run.exports[:3]:
        console.print(f"export: {path}", highlight=False)
    if len(run.exports) > 3:
        console.print(f"... and {len(run.exports) - 3} more export files", highlight=False)
    if report_line:
        console.print(f"report: {run.report}", highlight=False, soft_wrap=True)


def _formats(value: list[str] | None) -> list[str]:
    out: list[str] = []
    for v in value or []:
        out += [x.strip() for x in v.split(",") if x.strip()]
    if "all" in out:
        return list(EXPORT_FORMATS)
    unknown = [f for f in out if f not in EXPORT_FORMATS]
    if unknown:
        raise InputError(
            f"unknown export format {', '.join(unknown)}; choose from "
            f"{', '.join(EXPORT_FORMATS)} or all"
        )
    return out


@handle_errors
def analyze(
    paths: Annotated[
        list[Path] | None,
        typer.Argument(help="Files or folders to read (none: analyse what the store holds)."),
    ] = None,
    db: DbOption = Path("limelight.duckdb"),
    out: Annotated[
        Path, typer.Option("--out", help="Folder for report.html (and exports/).", file_okay=False)
    ] = Path("limelight-report"),
    format: Annotated[
        str | None, typer.Option("--format", "-f", help="Read every file as this format.")
    ] = None,
    export: Annotated[
        list[str] | None,
        typer.Option(
            "--export",
            help="Also write exports to OUT/exports: csv, jsonl, parquet, gexf, graphml or all "
            "(repeatable or comma-separated).",
        ),
    ] = None,
    behaviour: Annotated[
        list[str] | None,
        typer.Option("--behaviour", "-b", help="Coordination behaviour to use (repeatable)."),
    ] = None,
    alpha: AlphaOption = 0.01,
    min_accounts: MinAccountsOption = 3,
    seed: SeedOption = 0,
    content: Annotated[
        bool,
        typer.Option(
            "--content/--no-content",
            help="Run the content detectors (techniques, AI-written text, narratives) when "
            "installed; they embed every post with text, the slowest stage on CPU.",
        ),
    ] = True,
    fast_content: Annotated[
        bool,
        typer.Option(
            "--fast-content",
            help="Run the content detectors without torch, as `limelight content --fast` "
            "does (hundreds of posts a second on a CPU; see docs/benchmarks.md).",
        ),
    ] = False,
    force: Annotated[
        bool, typer.Option("--force", help="Reread files and rerun every stage.")
    ] = False,
) -> None:
    """Read posts, run every detector, fuse campaigns and labels, and write the report.

    Rerunning on the same data reuses what is done: unchanged files are not read again and
    stages whose inputs and settings did not change are skipped.
    """
    settings = AnalysisSettings(
        behaviours=tuple(behaviour) if behaviour else None,
        alpha=alpha,
        min_accounts=min_accounts,
        random_state=seed,
        content=content,
        fast_content=fast_content,
    )
    run = run_analysis(
        paths or [], db, out, settings=settings, fmt=format, force=force, exports=_formats(export)
    )
    print_run(run)
    if run.ingest is not None and not run.ingest.ok:
        raise typer.Exit(2)


@handle_errors
def export_labels(
    directory: Annotated[Path, typer.Argument(help="Folder to write the exports into.")],
    db: DbOption = Path("limelight.duckdb"),
    format: Annotated[
        list[str] | None,
        typer.Option(
            "--format",
            "-f",
            help="csv, jsonl, parquet, gexf, graphml or all (repeatable or comma-separated; "
            "default all).",
        ),
    ] = None,
) -> None:
    """Write the analysis's labels (CSV, JSONL), tables (Parquet) and networks (GEXF, GraphML)."""
    if not db.exists():
        raise InputError(f"{db}: no such database; run `limelight analyze FILE --db {db}` first")
    formats = _formats(format) or list(EXPORT_FORMATS)
    with Database(db, read_only=True) as store:
        written = export_results(store, directory, formats)
    for path in written:
        console.print(str(path), highlight=False)
