"""The ingest pipeline: files in, canonical records in the store, counts that add up.

For each file: skip it if this exact file was ingested to its end before (unless forced),
detect its format, stream its records, and write them in batches, one transaction each.
The summary counts every record read as stored, duplicate or rejected, so that
``read == stored + duplicates + rejected`` holds for every file and for the total.
"""

from __future__ import annotations

import gc
import hashlib
import io
import os
import re
import signal
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures.process import BrokenProcessPool
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import orjson
import pyarrow as pa

from limelight._batch import Batch, dedupe_posts, merge_snapshots_table
from limelight._parallel import COLUMNAR_JSON, ChunkResult, parse_in_parallel
from limelight.errors import InputError, LimelightError
from limelight.sources import FileRead, ReaderOptions, get_reader, read_records, resolve_format
from limelight.sources._io import CountingFile, Opened, open_source, read_head
from limelight.sources._read import read_csv_units
from limelight.store import Database

__all__ = [
    "DEFAULT_BATCH_SIZE",
    "DEFAULT_CHUNKED_BATCH_SIZE",
    "FileSummary",
    "IngestSummary",
    "expand_paths",
    "ingest_paths",
    "is_documentation",
    "split_paths",
]

#: Records per transaction: large enough that DuckDB's per-statement cost is amortized,
#: small enough that an interrupted batch costs seconds and a batch stays under ~100 MB.
DEFAULT_BATCH_SIZE = 50_000

#: Records per transaction when a file is read in chunks of Arrow tables: these cost far
#: less memory per record than Python objects, and each transaction's anti-join scans the
#: keys already stored, so fewer, larger transactions are much faster (measured: 1M CNT
#: rows write in about a third of the time at 250,000 as at 50,000).
DEFAULT_CHUNKED_BATCH_SIZE = 250_000

#: Files at least this large are parsed on several processes: below it, starting the
#: workers costs more than it saves.
PARALLEL_MIN_BYTES = 16 << 20

#: CSV files are parsed on worker processes only from this many workers on. Arrow parses a
#: CSV block in C++ and the rest is column-wise compute, all outside the GIL, so one parse
#: thread beside the writing thread keeps two cores busy; worker processes add the cost
#: of sending every block and its tables between processes. Measured on 2 cores, 1M CNT
#: rows: 2.7 to 3.1 s with the parse thread, 4.1 to 4.5 s with 2 processes. Beyond 2
#: cores it was not measured; 4 is where several parsing processes should outrun one
#: thread.
CSV_MIN_PROCESSES = 4

ProgressCallback = Callable[[FileRead, int], None]


@dataclass
class FileSummary:
    """What ingesting one file did. ``read == stored + duplicates + rejected``."""

    path: str
    format: str | None = None
    read: int = 0
    stored: int = 0
    duplicates: int = 0
    rejected: int = 0
    accounts: int = 0
    status: str = "ok"  # ok | unchanged | empty | error | not-data
    message: str | None = None
    seconds: float = 0.0

    def counts(self) -> dict[str, int]:
        """The four counts, as stored in the ingested_files table."""
        return {
            "read": self.read,
            "stored": self.stored,
            "duplicates": self.duplicates,
            "rejected": self.rejected,
        }


@dataclass
class IngestSummary:
    """The per-file summaries and their total."""

    files: list[FileSummary] = field(default_factory=list)

    def total(self, key: str) -> int:
        """Sum of one count over all files."""
        return sum(int(getattr(f, key)) for f in self.files)

    @property
    def ok(self) -> bool:
        """True when no file failed."""
        return all(f.status != "error" for f in self.files)

    def to_json(self) -> dict[str, Any]:
        """The summary as one JSON object: the four totals, accounts, and per-file entries."""
        return {
            "read": self.total("read"),
            "stored": self.total("stored"),
            "duplicates": self.total("duplicates"),
            "rejected": self.total("rejected"),
            "accounts": self.total("accounts"),
            "files": [asdict(f) for f in self.files],
        }


class _StopBetweenBatches:
    """Ctrl-C during ingest stops at the next batch boundary, never inside a batch.

    A KeyboardInterrupt raised at an arbitrary point can land inside a DuckDB query, an
    Arrow call or a lazy import, and come out as some other error. Here the first Ctrl-C
    only asks to stop; ``check`` raises KeyboardInterrupt after the batch in progress is
    written. A second Ctrl-C interrupts at once, as usual.
    """

    def __init__(self) -> None:
        self.requested = False
        self._installed = False
        self._previous: Any = None

    def __enter__(self) -> _StopBetweenBatches:
        if threading.current_thread() is threading.main_thread():
            self._previous = signal.signal(signal.SIGINT, self._handle)
            # Arrow would otherwise take Ctrl-C itself and cancel a parse mid-block.
            pa.enable_signal_handlers(False)
            self._installed = True
        return self

    def __exit__(self, *exc: object) -> None:
        if self._installed:
            signal.signal(signal.SIGINT, self._previous)
            pa.enable_signal_handlers(True)
            self._installed = False
        self.requested = False

    def _handle(self, signum: int, frame: object) -> None:
        if self.requested:
            raise KeyboardInterrupt
        self.requested = True

    def check(self) -> None:
        """Raise KeyboardInterrupt if Ctrl-C was pressed since ingest began."""
        if self.requested:
            raise KeyboardInterrupt


_stop = _StopBetweenBatches()


#: What a directory walk leaves out: the notes a folder of collected data usually holds
#: beside it (readme, licence, citation, code, images), by suffix or by name ("LICENSE",
#: "LICENSE-MIT", "README.txt"). A data suffix always means data. Named on the command
#: line, any file is read.
_NOT_DATA_SUFFIXES = frozenset(
    {
        ".md", ".markdown", ".rst", ".pdf", ".html", ".htm", ".doc", ".docx", ".png",
        ".jpg", ".jpeg", ".gif", ".svg", ".py", ".r", ".ipynb", ".sh", ".yml", ".yaml",
        ".toml", ".cff",
    }
)  # fmt: skip
_NOT_DATA_NAME = re.compile(
    r"(readme|license|licence|copying|notice|authors|changelog|citation|description)"
    r"([^a-z0-9]|$)"
)
_DATA_SUFFIXES = frozenset(
    {".csv", ".tsv", ".json", ".jsonl", ".ndjson", ".gz", ".bz2", ".zst", ".zstd", ".xz"}
)


def is_documentation(path: Path) -> bool:
    """Whether a file's name marks it as notes beside data, not data (README.md,
    LICENSE-MIT, CITATION.cff, a script, an image); a data suffix always means data."""
    suffix = path.suffix.lower()
    if suffix in _DATA_SUFFIXES:
        return False
    return suffix in _NOT_DATA_SUFFIXES or _NOT_DATA_NAME.match(path.name.lower()) is not None


def split_paths(paths: Iterable[str | Path]) -> tuple[list[Path], list[Path]]:
    """The files to read and the documentation files that directory walks left out.

    Files named directly are always read. Under a directory, every non-hidden file is
    read, sorted, except those ``is_documentation`` names.
    """
    out: list[Path] = []
    left: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            found = sorted(
                q
                for q in p.rglob("*")
                if q.is_file() and not any(part.startswith(".") for part in q.relative_to(p).parts)
            )
            if not found:
                raise InputError(f"{p}: the directory holds no files to ingest")
            notes = [is_documentation(q) for q in found]
            if all(notes):
                raise InputError(
                    f"{p}: the directory holds only notes (readme, licence, ...), no data; "
                    "name a file directly to read it anyway"
                )
            for q, note in zip(found, notes, strict=True):
                (left if note else out).append(q)
        elif p.exists():
            out.append(p)
        else:
            raise InputError(f"{p}: no such file or directory; check the path")
    return out, left


def expand_paths(paths: Iterable[str | Path]) -> list[Path]:
    """The files ``ingest_paths`` reads for ``paths`` (see ``split_paths``)."""
    return split_paths(paths)[0]


def fingerprint(path: Path) -> str:
    """A cheap identity for a file's content: size, mtime and hashes of both ends."""
    st = path.stat()
    h = hashlib.blake2b(digest_size=16)
    h.update(f"{st.st_size}:{st.st_mtime_ns}".encode())
    with open(path, "rb") as f:
        h.update(f.read(65536))
        if st.st_size > 131072:
            f.seek(-65536, os.SEEK_END)
            h.update(f.read(65536))
    return h.hexdigest()


def ingest_paths(
    paths: Iterable[str | Path],
    db: Database,
    *,
    fmt: str | None = None,
    encoding: str = "utf-8",
    options: ReaderOptions | None = None,
    batch_size: int | None = None,
    force: bool = False,
    progress: ProgressCallback | None = None,
    on_file_start: Callable[[FileRead], None] | None = None,
    workers: int | None = None,
    parallel_min_bytes: int = PARALLEL_MIN_BYTES,
    parse: Callable[..., Iterable[ChunkResult]] | None = None,
) -> IngestSummary:
    """Ingest files (or directories of files) into ``db`` and return what happened.

    A file that fails (unknown format, truncated, missing columns) is reported in its
    FileSummary with status "error" and a one-line message; the other files go on. Notes
    that a directory walk left out (``split_paths``) come last, with status "not-data".
    Raise nothing for bad data; raise InputError only for paths that do not exist.

    Files of ``parallel_min_bytes`` or more are parsed on ``workers`` processes (default:
    one per core); the store ends up the same as with one. ``batch_size`` is records per
    transaction (default DEFAULT_BATCH_SIZE row by row, DEFAULT_CHUNKED_BATCH_SIZE for
    files read in chunks). ``parse`` parses a file's chunks (default ``parse_in_parallel``,
    with its arguments; ``limelight.scale`` passes one that parses them on a Ray cluster).
    """
    n_workers = workers if workers is not None else min(os.cpu_count() or 1, 8)
    summary = IngestSummary()
    files, notes = split_paths(paths)
    # Parsing makes millions of short-lived dicts and records and no reference cycles;
    # the cyclic collector would rescan the live batch again and again (measured: ingest
    # takes ~1.7x as long with it on).
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        with _stop, db.bulk_writes():
            for path in files:
                summary.files.append(
                    _ingest_file(
                        path,
                        db,
                        fmt=fmt,
                        encoding=encoding,
                        options=options,
                        batch_size=batch_size,
                        force=force,
                        progress=progress,
                        on_file_start=on_file_start,
                        workers=n_workers,
                        parallel_min_bytes=parallel_min_bytes,
                        parse=parse,
                    )
                )
                _stop.check()
    finally:
        if gc_was_enabled:
            gc.enable()
    for path in notes:
        summary.files.append(
            FileSummary(
                path=str(path),
                status="not-data",
                message="left out of the directory as notes, not data; name it to read it",
            )
        )
    return summary


def _ingest_file(
    path: Path,
    db: Database,
    *,
    fmt: str | None,
    encoding: str,
    options: ReaderOptions | None,
    batch_size: int | None,
    force: bool,
    progress: ProgressCallback | None,
    on_file_start: Callable[[FileRead], None] | None,
    workers: int,
    parallel_min_bytes: int,
    parse: Callable[..., Iterable[ChunkResult]] | None = None,
) -> FileSummary:
    started = time.perf_counter()
    source = str(path.resolve())
    fs = FileSummary(path=str(path))
    try:
        fp = fingerprint(path)
    except OSError as exc:
        fs.status, fs.message = "error", f"{path}: cannot read ({exc.strerror}); check the file"
        return fs
    if not force and db.file_completed(source, fp):
        fs.status = "unchanged"
        fs.message = "already ingested and unchanged; use --force to read it again"
        return fs
    fr = FileRead(path=path, format=fmt)
    if on_file_start is not None:
        on_file_start(fr)
    batch = Batch()
    fallback_stored = 0
    try:
        plan = _chunk_plan(path, fmt, encoding, workers, parallel_min_bytes)
        if plan is not None:
            try:
                _ingest_parallel(
                    path,
                    db,
                    plan[0],
                    fmt is not None,
                    options,
                    encoding,
                    source,
                    fp,
                    fs,
                    fr,
                    plan[1],
                    batch_size or DEFAULT_CHUNKED_BATCH_SIZE,
                    progress,
                    parse,
                )
                return fs
            except (BrokenProcessPool, OSError):
                # Workers could not start or died (no fork server, a killed worker): read
                # the file here instead; what the workers stored counts as duplicates now.
                earlier = fs.stored
                fs.read = fs.duplicates = fs.rejected = fs.accounts = fs.stored = 0
                fs.status, fs.message = "ok", None
                fallback_stored = earlier
        # The store names files by absolute path, so reruns from elsewhere match.
        records = read_records(
            path, fmt, options=options, encoding=encoding, progress=fr, source_name=source
        )
        add = batch.add
        rows_per_batch = batch_size or DEFAULT_BATCH_SIZE
        for rec in records:
            if add(rec) >= rows_per_batch:
                _flush(db, batch, fs, source, fp, fr.format, completed=False)
                if progress is not None:
                    progress(fr, fs.read)
                _stop.check()
        fs.format = fr.format
        _flush(db, batch, fs, source, fp, fr.format, completed=True)
        if fallback_stored:
            fs.stored += fallback_stored
            fs.duplicates -= fallback_stored
        if fr.format is None:
            fs.status, fs.message = "empty", "the file holds no records"
    except LimelightError as exc:
        fs.format = fr.format
        # Records read before a truncation or corruption are good: keep them.
        if batch:
            _flush(db, batch, fs, source, fp, fr.format, completed=False)
        fs.status, fs.message = "error", exc.message
    finally:
        fs.seconds = round(time.perf_counter() - started, 3)
        if progress is not None:
            progress(fr, fs.read)
    return fs


def _chunk_plan(
    path: Path, fmt: str | None, encoding: str, workers: int, min_bytes: int
) -> tuple[str, int] | None:
    """(reader name, worker processes) if this file is read in chunks, else None.

    CSV files are always read in chunks, so that readers with a column-wise mapping use it
    (in this process below ``min_bytes`` or ``CSV_MIN_PROCESSES`` workers). Large JSONL
    files are parsed in parallel when there are cores to spare; JSON arrays and single
    documents cannot be cut into chunks of whole records.
    """
    big = workers >= 2 and path.stat().st_size >= min_bytes
    name = resolve_format(path, fmt, encoding)
    if name is None:
        return None
    if get_reader(name).container == "csv":
        return name, (workers if big and workers >= CSV_MIN_PROCESSES else 1)
    if not big and name not in COLUMNAR_JSON:
        return None
    head = read_head(path).lstrip()
    if head[:1] != b"{":
        return None
    try:
        orjson.loads(head.split(b"\n", 1)[0])
    except orjson.JSONDecodeError:
        return None
    return name, (workers if big else 1)


def _ingest_parallel(
    path: Path,
    db: Database,
    name: str,
    forced: bool,
    options: ReaderOptions | None,
    encoding: str,
    source: str,
    fp: str,
    fs: FileSummary,
    fr: FileRead,
    workers: int,
    batch_size: int,
    progress: ProgressCallback | None,
    parse: Callable[..., Iterable[ChunkResult]] | None = None,
) -> None:
    fs.format = fr.format = name
    opened = open_source(path)
    fr.opened = opened
    waiting: list[ChunkResult] = []
    try:
        header = None
        if get_reader(name).container == "csv":
            header = opened.stream.readline()
            _check_header(header, name, options, source, encoding)
        for result in (parse or parse_in_parallel)(
            opened,
            reader=name,
            forced=forced,
            options=options,
            encoding=encoding,
            source=source,
            workers=workers,
            header=header,
        ):
            waiting.append(result)
            if sum(r.read for r in waiting) >= batch_size:
                _flush_chunks(db, waiting, fs)
                if progress is not None:
                    progress(fr, fs.read)
                _stop.check()
        _flush_chunks(db, waiting, fs)
        db.record_file(source, fp, name, fs.counts(), completed=True)
    except LimelightError as exc:
        _flush_chunks(db, waiting, fs)
        fs.status, fs.message = "error", exc.message
    finally:
        opened.close()


def _check_header(
    header: bytes, name: str, options: ReaderOptions | None, source: str, encoding: str
) -> None:
    # The sequential reader raises the missing-column error; run it on the header alone.
    raw = CountingFile(io.BytesIO(header))
    opened = Opened(Path(source), io.BufferedReader(raw), raw, None, len(header))
    reader = get_reader(name)(options)
    for _ in read_csv_units(reader, opened, source, encoding):  # type: ignore[arg-type]
        pass


def _flush_chunks(db: Database, waiting: list[ChunkResult], fs: FileSummary) -> None:
    if not waiting:
        return
    tables = [
        pa.concat_tables([getattr(r, t) for r in waiting])
        for t in ("posts", "accounts", "deletions", "rejects")
    ]
    # Keys repeated across the chunks of a batch (a tweet referenced on many pages) are
    # merged here as Batch merges them, so the store's transaction gets one row per key
    # and takes its fast path (a plain anti-join insert, no window over the batch).
    # The keys' hashes, which the store needs anyway, number the keys for the merge.
    hashes = db.post_key_hashes(tables[0])
    posts, repeats = dedupe_posts(tables[0], hashes)
    given = hashes if not repeats else None  # they were the rows' before the repeats went
    result = db.write_tables(
        posts,
        merge_snapshots_table(tables[1]),
        tables[2],
        tables[3],
        unique=True,
        post_hashes=given,
    )
    fs.read += sum(r.read for r in waiting)
    fs.rejected += tables[3].num_rows
    fs.stored += result.posts_stored + result.deletions_stored
    fs.duplicates += (
        result.posts_duplicate
        + result.deletions_duplicate
        + repeats
        + sum(r.duplicates for r in waiting)
    )
    fs.accounts += sum(r.account_snapshots for r in waiting)
    waiting.clear()


def _flush(
    db: Database,
    batch: Batch,
    fs: FileSummary,
    source: str,
    fp: str,
    fmt: str | None,
    *,
    completed: bool,
) -> None:
    # The batch is one transaction. The file row is written after it: a crash in between
    # leaves the file marked unfinished, so a rerun reads it again and dedupes; the row can
    # never claim data the store lacks.
    result = db.write_batch(
        batch.posts, batch.merged_accounts(), list(batch.deletions.values()), batch.rejects
    )
    fs.read += len(batch.posts) + len(batch.deletions) + len(batch.rejects) + batch.post_dups
    fs.rejected += len(batch.rejects)
    fs.stored += result.posts_stored + result.deletions_stored
    fs.duplicates += result.posts_duplicate + result.deletions_duplicate + batch.post_dups
    fs.accounts += batch.account_snapshots
    batch.clear()
    if completed:
        db.record_file(source, fp, fmt or "", fs.counts(), completed=True)
