"""Co-action edges on Ray: shard the actions by item, join each shard with the local
engine's window join, and reduce the shards' edges by account pair.

A pair that co-acts once in each of two shards has weight two, so no shard can apply
``min_weight`` on its own; but most pairs co-act once in all (2.5 million of 2.5 million
and a few thousand pairs in the benchmark's million actions), and computing and moving a
full edge for each of them is what made a one-pass plan slow. So there are two passes.
Count: each shard gives every pair its number of matches (``co_action_matches``, pairs
of actions within the window; a weight never exceeds it), the counts are summed by pair
in reduce partitions, and the pairs with at least ``min_weight`` matches are the
candidates. Map: each shard's actions go through ``co_action_edges`` (the same DuckDB
bucketed-window SQL as the local engine) for the candidate pairs only, with
``min_weight=1`` and ``directed=True``; each edge's rows are written to the reduce
partition of its pair. Reduce: per partition, the directed weights are summed (a
post lands in one shard, so its count is never split or repeated), the smaller sum is the
weight, ``min_weight`` is applied, times and item counts are merged and the example items
are again the earliest-seen ones. The driver gets the reduced edges, heaviest first, in
``EDGE_SCHEMA``: the same table the local engine returns for the same actions.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as pads
import pyarrow.fs as pafs
import pyarrow.parquet as pq

from limelight.detect.coordination import EDGE_SCHEMA, MAX_EXAMPLE_ITEMS, co_action_edges
from limelight.detect.coordination._edges import co_action_matches, run_pure_sql
from limelight.scale._partition import action_shards, run_folder, write_shards
from limelight.scale._ray import connect, ray_failure

if TYPE_CHECKING:
    from limelight.scale._engine import RayEngine

__all__ = ["count_shard", "distributed_edges", "map_shard", "reduce_counts", "reduce_partition"]

# Each example item with the time of its first action in the shard (the local engine's
# order of items: first action, then the item itself).
_ITEM_TIMES_SQL = """
WITH firsts AS (
    SELECT item, min(epoch_us("at")) AS t FROM actions
    WHERE account_id IS NOT NULL AND item IS NOT NULL AND "at" IS NOT NULL
      AND post_id IS NOT NULL
    GROUP BY item
),
ex AS (SELECT rn, unnest(items) AS item FROM (SELECT row_number() OVER () AS rn, items FROM e))
SELECT rn, list(f.t ORDER BY f.t, ex.item) AS item_t, list(ex.item ORDER BY f.t, ex.item) AS ex
FROM ex JOIN firsts f USING (item) GROUP BY rn ORDER BY rn
"""

_REDUCE_SQL = f"""
WITH agg AS (
    SELECT source, target,
           least(sum(source_posts), sum(target_posts))::BIGINT AS weight,
           min(first_at) AS first_at, max(last_at) AS last_at,
           sum(n_items)::BIGINT AS n_items
    FROM e GROUP BY source, target
    HAVING least(sum(source_posts), sum(target_posts)) >= {{min_weight}}
),
ex AS (
    SELECT source, target, list(item ORDER BY t, item)[1:{MAX_EXAMPLE_ITEMS}] AS items
    FROM (SELECT source, target, unnest(ex) AS item, unnest(item_t) AS t FROM e)
    GROUP BY source, target
)
SELECT a.source, a.target, a.weight, a.first_at, a.last_at, x.items, a.n_items
FROM agg a JOIN ex x USING (source, target)
"""


def _drill(path: str | None) -> None:
    """A fault drill: the task that finds the marker file removes it and kills its own
    worker process, as a crashed or preempted node would."""
    if path and os.path.exists(path):
        try:
            os.remove(path)
        except FileNotFoundError:
            return
        os._exit(1)


def _write_by_pair(
    table: pa.Table, n_reduce: int, out_folder: str, name: str, filesystem: pafs.FileSystem
) -> None:
    """Write ``table``'s rows to ``out_folder/reduce=P/name.parquet`` by a hash of the pair."""
    part = run_pure_sql(
        f"SELECT (hash(source, target) % {int(n_reduce)})::INTEGER AS p FROM e",
        {"e": table.select(["source", "target"])},
    ).column("p")
    for p in sorted(set(part.to_pylist())):
        rows = table.filter(pc.equal(part, p))
        folder = f"{out_folder}/reduce={p}"
        filesystem.create_dir(folder, recursive=True)
        pq.write_table(rows, f"{folder}/{name}.parquet", filesystem=filesystem)


def _shard_name(shard_path: str) -> str:
    return shard_path.rstrip("/").split("/")[-2]


def count_shard(
    shard_path: str, window: float, n_reduce: int, out_folder: str, filesystem: pafs.FileSystem
) -> int:
    """Count one shard's matches per pair and write them by reduce partition; returns
    the number of pairs."""
    matches = co_action_matches(pq.read_table(shard_path, filesystem=filesystem), window)
    if matches.num_rows:
        _write_by_pair(matches, n_reduce, out_folder, _shard_name(shard_path), filesystem)
    return int(matches.num_rows)


def reduce_counts(folder: str, min_weight: int, filesystem: pafs.FileSystem) -> pa.Table:
    """The pairs of one reduce partition whose matches, summed over shards, reach
    ``min_weight`` (the only pairs that can)."""
    table = pads.dataset(folder, format="parquet", filesystem=filesystem).to_table()
    return run_pure_sql(
        "SELECT source, target FROM m GROUP BY source, target HAVING sum(matches) >= $1",
        {"m": table},
        [int(min_weight)],
    )


def map_shard(
    shard_path: str,
    window: float,
    n_reduce: int,
    out_folder: str,
    filesystem: pafs.FileSystem,
    candidates: pa.Table | None = None,
    drill: str | None = None,
) -> int:
    """Join one shard's actions into directed edges (of the ``candidates`` pairs only,
    when given) and write them by reduce partition.

    Returns the number of edges the shard produced.
    """
    _drill(drill)
    actions = pq.read_table(shard_path, filesystem=filesystem)
    edges = co_action_edges(actions, window, 1, directed=True, pairs=candidates)
    if edges.num_rows == 0:
        return 0
    times = run_pure_sql(_ITEM_TIMES_SQL, {"actions": actions, "e": edges.select(["items"])})
    edges = edges.drop_columns(["items"])
    edges = edges.append_column("ex", times.column("ex")).append_column(
        "item_t", times.column("item_t")
    )
    _write_by_pair(edges, n_reduce, out_folder, _shard_name(shard_path), filesystem)
    return int(edges.num_rows)


def reduce_partition(folder: str, min_weight: int, filesystem: pafs.FileSystem) -> pa.Table:
    """Sum one reduce partition's directed edges by pair and keep those >= ``min_weight``."""
    table = pads.dataset(folder, format="parquet", filesystem=filesystem).to_table()
    return run_pure_sql(_REDUCE_SQL.format(min_weight=int(min_weight)), {"e": table})


def _parts(fs: pafs.FileSystem, folder: str) -> list[str]:
    """The reduce partitions written under ``folder``."""
    return [
        info.path
        for info in fs.get_file_info(pafs.FileSelector(folder, allow_not_found=True))
        if info.type == pafs.FileType.Directory
    ]


def distributed_edges(
    actions: pa.Table, window: float, min_weight: int, engine: RayEngine
) -> pa.Table:
    """``co_action_edges(actions, window, min_weight)``, computed on Ray (see module doc)."""
    # The local join on no rows checks the arguments with the local engine's messages.
    empty = co_action_edges(actions.slice(0, 0), window, min_weight)
    if actions.num_rows == 0:
        return empty
    ray = connect(engine.address, engine.num_cpus)
    n = engine.shard_count(ray)
    fs, folder = run_folder(engine.work_folder())
    try:
        paths = write_shards(actions, action_shards(actions, n), n, fs, f"{folder}/actions")
        retries = engine.max_retries
        count_task = ray.remote(num_cpus=1, max_retries=retries)(count_shard)
        candidates_task = ray.remote(num_cpus=1, max_retries=retries)(reduce_counts)
        map_task = ray.remote(num_cpus=1, max_retries=retries)(map_shard)
        reduce_task = ray.remote(num_cpus=1, max_retries=retries)(reduce_partition)
        counts, out = f"{folder}/counts", f"{folder}/edges"
        drill = engine.drill
        try:
            ray.get([count_task.remote(path, float(window), n, counts, fs) for path in paths])
            wanted = ray.get(
                [candidates_task.remote(p, int(min_weight), fs) for p in _parts(fs, counts)]
            )
            candidates = pa.concat_tables(wanted) if wanted else None
            if candidates is None or candidates.num_rows == 0:
                return empty
            cand_ref = ray.put(candidates)
            ray.get(
                [
                    map_task.remote(
                        path, float(window), n, out, fs, cand_ref, drill if i == 0 else None
                    )
                    for i, path in enumerate(paths)
                ]
            )
            reduced = ray.get([reduce_task.remote(p, int(min_weight), fs) for p in _parts(fs, out)])
        except ray.exceptions.RayError as exc:
            raise ray_failure(exc, "the co-action join") from None
    finally:
        fs.delete_dir(folder)
    if not reduced:
        return empty
    merged = pa.concat_tables([t.cast(EDGE_SCHEMA) for t in reduced])
    ordered = run_pure_sql("SELECT * FROM e ORDER BY weight DESC, source, target", {"e": merged})
    return ordered.cast(EDGE_SCHEMA)
