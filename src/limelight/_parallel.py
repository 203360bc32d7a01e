"""Parallel ingest of one large file: the main process cuts, worker processes parse.

Parsing JSON and building records is CPU-bound Python, so one process cannot use a second
core. For a large JSONL or CSV file the main process reads the (decompressed) bytes and
cuts them into chunks of whole records; worker processes parse each chunk with the same
readers and the same Batch as the sequential path and send back Arrow tables; the main
process writes them to the store in order, one transaction per batch, while the workers
parse the next chunks. Results are taken in chunk order, so the first record of a key
still wins and the store ends up exactly as the sequential path leaves it.

An uncompressed JSONL file is not read by the main process at all: it finds where each
chunk's last line ends (a short read past every cut), and each worker reads its own byte
range from the file and counts its lines. Line numbers in a result then start at 1 and
are shifted as the results come back in order. This spares the main process, which also
writes the store, from reading the file and sending every byte down a pipe.
"""

from __future__ import annotations

import io
import multiprocessing as mp
import signal
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path
from typing import IO

import pyarrow as pa
import pyarrow.compute as pc

from limelight._batch import Batch
from limelight.errors import LimelightError
from limelight.sources import CsvReader, JsonReader, ReaderOptions, get_reader, readers
from limelight.sources._columnar import ColumnarBlock, _is_utf8, csv_header, parse_csv_block
from limelight.sources._columnar_json import parse_twarc2_block
from limelight.sources._io import DECOMPRESS_ERRORS, CountingFile, Opened, decompress_error
from limelight.sources._read import read_csv_units, read_json_units

__all__ = [
    "COLUMNAR_JSON",
    "ChunkResult",
    "ChunkTask",
    "cut_chunks",
    "cut_spans",
    "parse_chunk",
    "parse_in_parallel",
]

#: Chunks submitted to the workers ahead of the one awaited: enough that the workers keep
#: parsing while this process writes a batch to the store (a transaction takes seconds),
#: few enough that the chunks and results held stay a few hundred MB.
IN_FLIGHT_CHUNKS = 32

#: Chunks parsed ahead on the in-process parse thread (one worker or none): a batch of
#: 250,000 CSV rows is about eight 4 MB chunks, so the thread keeps a batch ahead.
THREAD_AHEAD_CHUNKS = 10

#: JSON formats read column-wise (sources/_columnar_json.py); files in them are read in
#: chunks even when small, so that the column-wise path is the one used.
COLUMNAR_JSON: frozenset[str] = frozenset({"twarc2", "twarc2-flat"})

#: Bytes per chunk: large enough that pickling and scheduling cost little per record,
#: small enough that a worker's records stay a few tens of MB.
CHUNK_BYTES = 4 << 20


@dataclass(frozen=True, slots=True)
class ChunkTask:
    """One chunk of whole records and what a worker needs to parse it."""

    data: bytes
    first_line: int
    header: bytes | None
    reader: str
    forced: bool
    options: ReaderOptions | None
    encoding: str
    source: str
    #: (path, start, end): the worker reads these bytes of the file itself; ``data`` is
    #: empty and the result's line numbers start at 1 (see ``ChunkResult.lines``).
    span: tuple[str, int, int] | None = None


@dataclass(slots=True)
class ChunkResult:
    """A parsed chunk: the store's four tables and the counts behind them."""

    posts: pa.Table
    accounts: pa.Table
    deletions: pa.Table
    rejects: pa.Table
    read: int
    duplicates: int
    account_snapshots: int
    #: For a task given as a span: the line breaks in its bytes (else None).
    lines: int | None = None


def cut_chunks(
    stream: IO[bytes], *, csv: bool, size: int = CHUNK_BYTES, first_line: int = 1
) -> Iterator[tuple[bytes, int]]:
    """Yield (chunk, number of its first line) with every chunk ending at a record's end.

    JSONL records end at a newline. CSV records end at a newline outside quotes: the
    newline where the count of '"' so far is even (an escaped quote adds two).
    """
    line = first_line
    carry = b""
    while True:
        pieces = [carry]
        try:
            # Read in pieces, so that a truncated or corrupt file loses little.
            got = 0
            while got < size:
                piece = stream.read(min(size - got, 1 << 18))
                if not piece:
                    break
                pieces.append(piece)
                got += len(piece)
        except DECOMPRESS_ERRORS:
            # Hand over the whole records read before the damage, then fail.
            data = b"".join(pieces)
            cut = _last_record_end(data, csv)
            if cut >= 0:
                yield data[: cut + 1], line
            raise
        if not got:
            if carry:
                yield carry, line
            return
        data = b"".join(pieces)
        cut = _last_record_end(data, csv)
        if cut < 0:
            carry = data
            continue
        chunk, carry = data[: cut + 1], data[cut + 1 :]
        yield chunk, line
        line += chunk.count(b"\n")


def _last_record_end(data: bytes, csv: bool) -> int:
    pos = data.rfind(b"\n")
    if not csv:
        return pos
    quotes = data.count(b'"')
    while pos >= 0:
        after = data.count(b'"', pos)
        if (quotes - after) % 2 == 0:
            return pos
        pos = data.rfind(b"\n", 0, pos)
    return -1


def parse_chunk(task: ChunkTask, *, threads: bool = False) -> ChunkResult:
    """Parse one chunk: column-wise where the reader and the chunk allow, else with the
    readers and Batch of the sequential path (the same records either way)."""
    if task.span is not None:
        path, start, end = task.span
        with open(path, "rb") as f:
            f.seek(start)
            data = f.read(end - start)
        if len(data) != end - start:
            raise OSError(f"{path}: the file changed while it was read; ingest it again")
        result = parse_chunk(replace(task, data=data, first_line=1, span=None), threads=threads)
        result.lines = data.count(b"\n")
        return result
    block = _parse_columnar(task, threads)
    if block is not None:
        return block
    payload = (task.header or b"") + task.data
    raw = CountingFile(io.BytesIO(payload))
    opened = Opened(Path(task.source), io.BufferedReader(raw, 1 << 20), raw, None, len(payload))
    reader = get_reader(task.reader)(task.options)
    if isinstance(reader, JsonReader):
        records = read_json_units(reader, _others(task), opened, task.source, task.encoding)
        offset = task.first_line - 1
    else:
        records = read_csv_units(reader, opened, task.source, task.encoding)  # type: ignore[arg-type]
        offset = task.first_line - 2  # the header line was put back in front
    batch = Batch()
    for rec in records:
        if rec.source_line is not None:
            rec.source_line += offset
        batch.add(rec)
    posts, accounts, deletions, rejects = batch.tables()
    return ChunkResult(
        posts, accounts, deletions, rejects, batch.read, batch.post_dups, batch.account_snapshots
    )


def _parse_columnar(task: ChunkTask, threads: bool) -> ChunkResult | None:
    reader = get_reader(task.reader)(task.options)
    block: ColumnarBlock | None = None
    if isinstance(reader, JsonReader):
        if task.header is not None or not _is_utf8(task.encoding):
            return None
        if reader.name not in COLUMNAR_JSON:
            return None
        block = parse_twarc2_block(
            reader,
            _others(task),
            task.data,
            first_line=task.first_line,
            source=task.source,
        )
        if block is None:
            return None
        return ChunkResult(
            block.posts,
            block.accounts,
            block.deletions,
            block.rejects,
            block.read,
            block.duplicates,
            block.account_snapshots,
        )
    if not isinstance(reader, CsvReader) or task.header is None:
        return None
    header = csv_header(task.header, task.encoding)
    if header is None:
        return None
    block = parse_csv_block(
        reader,
        task.data,
        header[0],
        header[1],
        first_line=task.first_line,
        source=task.source,
        encoding=task.encoding,
        threads=threads,
    )
    if block is None:
        return None
    return ChunkResult(
        block.posts,
        block.accounts,
        block.deletions,
        block.rejects,
        block.read,
        0,
        block.account_snapshots,
    )


def _others(task: ChunkTask) -> list[JsonReader]:
    """The readers the row path offers a JSON value the chosen reader does not match."""
    if task.forced:
        return []
    return [
        c(task.options) for c in readers() if issubclass(c, JsonReader) and c.name != task.reader
    ]


def _tasks(
    opened: Opened,
    reader: str,
    forced: bool,
    options: ReaderOptions | None,
    encoding: str,
    source: str,
    header: bytes | None,
) -> Iterator[ChunkTask]:
    """The file's chunks as tasks; a damaged file raises the one-line error after the
    chunks of whole records read before the damage."""
    # The header, when there is one, was line 1 and is already read.
    chunks = cut_chunks(
        opened.stream,
        csv=header is not None,
        size=CHUNK_BYTES,
        first_line=1 if header is None else 2,
    )
    try:
        for data, first_line in chunks:
            yield ChunkTask(data, first_line, header, reader, forced, options, encoding, source)
    except DECOMPRESS_ERRORS as exc:
        raise decompress_error(opened.path, opened.compression, exc) from None


def cut_spans(path: Path, size: int, *, chunk: int = CHUNK_BYTES) -> Iterator[tuple[int, int]]:
    """Yield (start, end) byte ranges of whole JSONL lines covering a file of ``size`` bytes:
    each range ends just after a line break (the last one at the file's end), reading only
    the bytes from each cut to the next line break."""
    start = 0
    with open(path, "rb") as f:
        while start < size:
            end = start + chunk
            if end >= size:
                yield start, size
                return
            f.seek(end)
            while True:
                piece = f.read(1 << 16)
                if not piece:
                    end = size
                    break
                at = piece.find(b"\n")
                if at >= 0:
                    end += at + 1
                    break
                end += len(piece)
            yield start, end
            start = end


def _span_tasks(
    opened: Opened,
    reader: str,
    forced: bool,
    options: ReaderOptions | None,
    encoding: str,
    source: str,
) -> Iterator[ChunkTask]:
    path = str(opened.path.absolute())  # workers may not share this process's directory
    for start, end in cut_spans(opened.path, opened.size, chunk=CHUNK_BYTES):
        yield ChunkTask(b"", 1, None, reader, forced, options, encoding, source, (path, start, end))


def _shift_lines(result: ChunkResult, by: int) -> ChunkResult:
    """A span's result with its line numbers moved from 1-based to the file's."""
    if by:
        for name in ("posts", "accounts", "deletions", "rejects"):
            table: pa.Table = getattr(result, name)
            if table.num_rows:
                i = table.schema.get_field_index("source_line")
                moved = pc.add(table.column(i), pa.scalar(by, pa.int64()))
                setattr(result, name, table.set_column(i, table.schema.field(i), moved))
    return result


def _reads_spans(opened: Opened, header: bytes | None) -> bool:
    """Whether workers can read this file's chunks themselves: an uncompressed regular
    file of JSON lines, whose size is its length."""
    if header is not None or opened.compression is not None:
        return False
    try:
        return opened.path.is_file() and opened.path.stat().st_size == opened.size > 0
    except OSError:
        return False


def _ignore_sigint() -> None:
    # Ctrl-C is the main process's to handle: it stops between batches.
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _parse_on_thread(tasks: Iterator[ChunkTask]) -> Iterator[ChunkResult]:
    """Parse chunks in this process on one thread, ahead of the caller, in order.

    Arrow's parser and compute kernels and DuckDB's insert release the GIL, so the next
    chunks are parsed while the caller writes the last batch to the store. At most
    THREAD_AHEAD_CHUNKS results wait, so memory stays bounded.
    """
    with ThreadPoolExecutor(1, thread_name_prefix="limelight-parse") as pool:
        pending: deque[Future[ChunkResult]] = deque()
        try:
            try:
                for task in tasks:
                    pending.append(pool.submit(parse_chunk, task, threads=True))
                    if len(pending) >= THREAD_AHEAD_CHUNKS:
                        yield pending.popleft().result()
            except LimelightError:
                while pending:
                    yield pending.popleft().result()
                raise
            while pending:
                yield pending.popleft().result()
        except BaseException:
            for fut in pending:
                fut.cancel()
            raise


def parse_in_parallel(
    opened: Opened,
    *,
    reader: str,
    forced: bool,
    options: ReaderOptions | None,
    encoding: str,
    source: str,
    workers: int,
    header: bytes | None,
) -> Iterator[ChunkResult]:
    """Parse a file's chunks on ``workers`` processes and yield the results in order.

    At most IN_FLIGHT_CHUNKS chunks are in flight, so memory stays bounded whatever the
    file's size, while the workers keep parsing during the store's transactions. A
    worker's unexpected error is raised here.
    """
    if workers < 2:
        yield from _parse_on_thread(
            _tasks(opened, reader, forced, options, encoding, source, header)
        )
        return
    spans = _reads_spans(opened, header)
    if spans:
        tasks = _span_tasks(opened, reader, forced, options, encoding, source)
    else:
        tasks = _tasks(opened, reader, forced, options, encoding, source, header)
    line = 1

    def taken(fut: Future[ChunkResult], task: ChunkTask) -> ChunkResult:
        nonlocal line
        result = fut.result()
        lines = result.lines
        if task.span is None or lines is None:
            return result
        result = _shift_lines(result, line - 1)
        line += lines
        opened.counter.consumed = task.span[2]  # for the progress bar
        return result

    ctx = mp.get_context("forkserver")
    ctx.set_forkserver_preload(["limelight._parallel"])
    with ProcessPoolExecutor(workers, mp_context=ctx, initializer=_ignore_sigint) as pool:
        pending: deque[tuple[Future[ChunkResult], ChunkTask]] = deque()
        try:
            try:
                for task in tasks:
                    pending.append((pool.submit(parse_chunk, task), task))
                    if len(pending) >= IN_FLIGHT_CHUNKS:
                        yield taken(*pending.popleft())
            except LimelightError:
                # Records before a truncation are good: hand them over, then fail.
                while pending:
                    yield taken(*pending.popleft())
                raise
            while pending:
                yield taken(*pending.popleft())
        except BaseException:
            for fut, _ in pending:
                fut.cancel()
            raise
