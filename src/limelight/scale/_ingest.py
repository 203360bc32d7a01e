"""Ingest with the parsing on Ray: a file's chunks parsed by Ray tasks into Parquet.

The driver cuts each file into chunks of whole records (as local ingest does), a Ray task
parses a chunk with the same code as a local worker process (``parse_chunk``: column-wise
where the reader allows, else the row readers) and writes the chunk's four canonical tables
as Parquet partitions under the run folder; the driver reads them back in file order and
writes them to the store with local ingest's transactions, deduplication and counts. The
store ends up the same as after a local ingest (tested).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow.fs as pafs
import pyarrow.parquet as pq

from limelight._parallel import ChunkResult, ChunkTask, _tasks, parse_chunk
from limelight.errors import LimelightError
from limelight.scale._partition import run_folder
from limelight.scale._ray import ray_failure

if TYPE_CHECKING:
    from limelight.ingest import IngestSummary
    from limelight.scale._engine import RayEngine
    from limelight.sources._io import Opened
    from limelight.store import Database

__all__ = ["parse_chunk_to_parquet", "ray_ingest"]

_TABLES = ("posts", "accounts", "deletions", "rejects")


def parse_chunk_to_parquet(
    task: ChunkTask, prefix: str, filesystem: pafs.FileSystem
) -> tuple[str, int, int, int]:
    """Parse one chunk on a Ray worker and write its tables to ``prefix/<table>.parquet``."""
    result = parse_chunk(task)
    filesystem.create_dir(prefix, recursive=True)
    for name in _TABLES:
        pq.write_table(getattr(result, name), f"{prefix}/{name}.parquet", filesystem=filesystem)
    return prefix, result.read, result.duplicates, result.account_snapshots


def _read_back(done: tuple[str, int, int, int], filesystem: pafs.FileSystem) -> ChunkResult:
    prefix, read, duplicates, snapshots = done
    tables = [pq.read_table(f"{prefix}/{n}.parquet", filesystem=filesystem) for n in _TABLES]
    posts, accounts, deletions, rejects = tables
    return ChunkResult(posts, accounts, deletions, rejects, read, duplicates, snapshots)


class RayChunkParser:
    """A drop-in for ``parse_in_parallel`` that parses the chunks on Ray."""

    def __init__(self, engine: RayEngine) -> None:
        self.engine = engine

    def __call__(
        self,
        opened: Opened,
        *,
        reader: str,
        forced: bool,
        options: Any,
        encoding: str,
        source: str,
        workers: int,
        header: bytes | None,
    ) -> Iterator[ChunkResult]:
        ray = self.engine.connect()
        remote = ray.remote(num_cpus=1, max_retries=self.engine.max_retries)(parse_chunk_to_parquet)
        in_flight = 2 * self.engine.shard_count(ray)
        fs, folder = run_folder(self.engine.work_folder())
        pending: deque[Any] = deque()
        try:
            tasks = _tasks(opened, reader, forced, options, encoding, source, header)
            try:
                for i, task in enumerate(tasks):
                    pending.append(remote.remote(task, f"{folder}/chunk-{i:06d}", fs))
                    if len(pending) >= in_flight:
                        yield _read_back(ray.get(pending.popleft()), fs)
            except LimelightError:
                # Records before a truncation are good: hand them over, then fail.
                while pending:
                    yield _read_back(ray.get(pending.popleft()), fs)
                raise
            while pending:
                yield _read_back(ray.get(pending.popleft()), fs)
        except ray.exceptions.RayError as exc:
            raise ray_failure(exc, f"parsing {Path(source).name}") from None
        finally:
            for ref in pending:
                ray.cancel(ref)
            fs.delete_dir(folder)


def ray_ingest(
    paths: list[str | Path], db: Database, engine: RayEngine, **settings: Any
) -> IngestSummary:
    """``ingest_paths`` with every file that can be cut into chunks (CSV, JSONL) parsed on
    Ray; other settings are ingest_paths'."""
    from limelight.ingest import ingest_paths

    settings.setdefault("workers", 2)
    settings.setdefault("parallel_min_bytes", 0)
    return ingest_paths(paths, db, parse=RayChunkParser(engine), **settings)
