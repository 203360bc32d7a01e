"""Which shard each action goes to, and the Parquet partitions that hold the shards.

The action key is the item: every action on one item must meet the others in one shard,
because the window join compares only actions on the same item. An edge's weight counts
an account's *posts*, so a post must also land in one shard, or a post with two items in
two shards would count twice. Most behaviours give one item per post; a post that shares
several links (co-url, co-domain) ties its items together, and such items are kept in one
shard by the connected components of the item-post graph (scipy, vectorized).
"""

from __future__ import annotations

import uuid

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.fs as pafs
import pyarrow.parquet as pq

from limelight.detect.coordination import ACTION_SCHEMA
from limelight.detect.coordination._edges import run_pure_sql

__all__ = ["action_shards", "run_folder", "write_shards"]

# Items tied together by posts with more than one item: (account, post) -> its items.
_TIED_SQL = """
WITH multi AS (
    SELECT account_id, post_id FROM actions
    WHERE account_id IS NOT NULL AND post_id IS NOT NULL AND item IS NOT NULL
    GROUP BY account_id, post_id HAVING count(DISTINCT item) > 1
)
SELECT DISTINCT account_id || chr(31) || post_id AS post, item
FROM actions SEMI JOIN multi USING (account_id, post_id) WHERE item IS NOT NULL
"""


def _tie_keys(actions: pa.Table) -> pa.Table | None:
    """Item -> the item that names its component, for items tied by multi-item posts."""
    tied = run_pure_sql(_TIED_SQL, {"actions": actions.select(ACTION_SCHEMA.names)})
    if tied.num_rows == 0:
        return None
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    items = pc.dictionary_encode(tied.column("item")).combine_chunks()
    posts = pc.dictionary_encode(tied.column("post")).combine_chunks()
    n_items, n_posts = len(items.dictionary), len(posts.dictionary)
    i = items.indices.to_numpy(zero_copy_only=False)
    p = posts.indices.to_numpy(zero_copy_only=False) + n_items
    size = n_items + n_posts
    graph = coo_matrix((np.ones(len(i), dtype=np.int8), (i, p)), shape=(size, size))
    _, label = connected_components(graph, directed=False)
    # The component's name is its smallest item, so the key does not depend on row order.
    comps = pa.table({"item": items.dictionary, "comp": pa.array(label[:n_items])})
    return run_pure_sql(
        "SELECT item, min(item) OVER (PARTITION BY comp) AS key FROM comps", {"comps": comps}
    )


def action_shards(actions: pa.Table, n: int) -> pa.Array:
    """The shard (0..n-1) of every action: a hash of its item, or of its component's name
    where posts with several items tie items together."""
    acts = actions.select(ACTION_SCHEMA.names)
    ties = _tie_keys(acts)
    tables = {"actions": acts}
    if ties is None:
        sql = f"SELECT (hash(item) % {int(n)})::INTEGER AS shard FROM actions"
    else:
        tables["ties"] = ties
        sql = (
            f"SELECT (hash(coalesce(t.key, a.item)) % {int(n)})::INTEGER AS shard "
            f"FROM (SELECT *, row_number() OVER () AS rn FROM actions) a "
            f"LEFT JOIN ties t USING (item) ORDER BY a.rn"
        )
    return run_pure_sql(sql, tables).column("shard").combine_chunks()


def run_folder(workdir: str) -> tuple[pafs.FileSystem, str]:
    """A fresh folder for one run's partitions under ``workdir`` (a path or a URI such as
    ``s3://bucket/limelight``; on a multi-node cluster it must be shared by all nodes)."""
    fs, root = (
        pafs.FileSystem.from_uri(workdir)
        if "://" in workdir
        else (
            pafs.LocalFileSystem(),
            workdir,
        )
    )
    folder = f"{root.rstrip('/')}/run-{uuid.uuid4().hex[:12]}"
    fs.create_dir(folder, recursive=True)
    return fs, folder


def write_shards(
    actions: pa.Table, shards: pa.Array, n: int, fs: pafs.FileSystem, folder: str
) -> list[str]:
    """Write each shard's actions to ``folder/shard=K/part.parquet``; returns the paths of
    the shards that hold actions (an empty shard gets no file and no task)."""
    acts = actions.select(ACTION_SCHEMA.names)
    order = pc.sort_indices(shards)
    sorted_acts = acts.take(order)
    counts = np.bincount(shards.to_numpy(zero_copy_only=False), minlength=n)
    paths = []
    start = 0
    for k, count in enumerate(counts):
        if count == 0:
            continue
        path = f"{folder}/shard={k}/part.parquet"
        fs.create_dir(f"{folder}/shard={k}", recursive=True)
        pq.write_table(sorted_acts.slice(start, int(count)), path, filesystem=fs)
        paths.append(path)
        start += int(count)
    return paths
