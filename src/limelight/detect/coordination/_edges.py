"""Co-action edges: which pairs of accounts did the same thing within a time window.

The join is bucketed, never a naive self-join: time is cut into buckets one window wide,
each action is joined only with actions on the same item in its own bucket and the two
beside it (the only buckets that can hold an action within one window), and then the
exact ``|dt| <= window`` test is applied. A popular item with thousands of actions spread
over a day is thus compared only within each few minutes, not all against all.

Counting follows coordination-network-toolkit (CNT) so results can be compared: CNT
writes a *directed* weight ``w(a -> b)`` = the number of distinct posts of ``a`` that have
at least one action of ``b`` on the same item within the window (both ends inclusive).
limelight's edges are undirected (``source < target``) and their ``weight`` is the smaller
of the two directions, ``min(w(s -> t), w(t -> s))``: the co-actions both accounts took
part in, so that one account repeating itself next to another cannot inflate the pair.
An edge passes ``min_weight`` exactly when CNT keeps *both* of its directed edges.

Inside the join, posts are told apart by a 64-bit hash of their id: two posts of the same
account would have to collide for a count to be off, odds far below one in a billion even
for millions of posts, and it saves hashing every id string twice more.

This module runs a pure computation over Arrow tables on a private in-memory DuckDB
connection (``duckdb.connect()``); it never opens or touches the store, which stays the
one place that talks to the database file.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from limelight.detect.coordination._duck import connect
from limelight.errors import InputError

__all__ = [
    "ACTION_SCHEMA",
    "EDGE_SCHEMA",
    "MATCH_SCHEMA",
    "MAX_EXAMPLE_ITEMS",
    "EdgeJoin",
    "co_action_edges",
    "co_action_matches",
    "run_pure_sql",
]

#: What one action row holds; every behaviour produces exactly these columns.
ACTION_SCHEMA = pa.schema(
    [
        ("account_id", pa.string()),
        ("item", pa.string()),
        ("at", pa.timestamp("us", tz="UTC")),
        ("post_id", pa.string()),
    ]
)

#: The columns of an edge table, shared with significance testing and campaigns.
EDGE_SCHEMA = pa.schema(
    [
        ("source", pa.string()),
        ("target", pa.string()),
        ("weight", pa.int64()),
        ("first_at", pa.timestamp("us", tz="UTC")),
        ("last_at", pa.timestamp("us", tz="UTC")),
        ("items", pa.list_(pa.string())),
        ("n_items", pa.int64()),
    ]
)

#: What joins actions into edges: ``co_action_edges(actions, window, min_weight)`` here,
#: the same join run per shard on a Ray cluster with ``limelight.scale``.
EdgeJoin = Callable[[pa.Table, float, int], pa.Table]

#: Example items kept per edge as evidence (the earliest-seen items the pair shared).
MAX_EXAMPLE_ITEMS = 10


def run_pure_sql(
    sql: str, tables: dict[str, pa.Table], params: list[Any] | None = None
) -> pa.Table:
    """Run SQL over Arrow tables on a throw-away in-memory DuckDB and return Arrow.

    The store is not involved: this is how the coordination code computes over tables it
    was handed (a posts table given instead of a database, an actions table), keeping the
    work set-based inside the engine.
    """
    with connect() as conn:
        for name, table in tables.items():
            conn.register(name, table)
        return conn.sql(sql, params=params or []).to_arrow_table()


def _window_us(window: float | timedelta) -> int | None:
    """The window in microseconds, None for an unbounded window; rejects nonsense."""
    if isinstance(window, timedelta):
        window = window.total_seconds()
    if isinstance(window, bool) or not isinstance(window, int | float) or math.isnan(window):
        raise InputError(f"window {window!r} is not a number of seconds; give e.g. 60")
    if window < 0:
        raise InputError(f"window {window} is negative; give a number of seconds >= 0")
    if math.isinf(window):
        return None
    return round(window * 1_000_000)


_ITEMS_SQL = """
CREATE TEMP VIEW a AS
    SELECT account_id AS acc, item, epoch_us("at") AS t, post_id
    FROM actions
    WHERE account_id IS NOT NULL AND item IS NOT NULL AND "at" IS NOT NULL
      AND post_id IS NOT NULL;
-- Only an item two accounts acted on can make an edge; most items are seen once.
CREATE TEMP TABLE items AS
    SELECT item, row_number() OVER (ORDER BY first_t, item) AS iid
    FROM (SELECT item, min(t) AS first_t FROM a GROUP BY item HAVING count(DISTINCT acc) >= 2);
"""

# Every join starts the same way: the shared items' actions of the accounts that could
# reach min_weight, each met with the same item's actions in the buckets beside its own.
# Each step is a statement of its own, its result a temporary table: DuckDB spills tables
# to disk under its memory cap, where one query with materialized CTEs ran out of memory
# (10 million co-url actions, 28 million matches, under a 2 GB cap).
_PAIRS_SQL = [
    "CREATE TEMP VIEW b AS "
    "SELECT a.acc, items.iid, a.t, hash(a.post_id) AS pid FROM a JOIN items USING (item)",
    # A weight counts an account's distinct posts, so fewer posts than min_weight cannot pass.
    """CREATE TEMP TABLE accs AS
    SELECT acc, row_number() OVER (ORDER BY acc) AS aid
    FROM (SELECT acc FROM b GROUP BY acc HAVING count(DISTINCT pid) >= $min_weight)""",
    "{allowed}",
    """CREATE TEMP TABLE pairs AS
    WITH x AS (SELECT accs.aid, b.iid, b.t, b.pid, {bucket} AS bk FROM b JOIN accs USING (acc)),
    -- Each action meets the same item's actions in its own bucket and the two beside it.
    x3 AS (SELECT aid, iid, t, pid, bk + o AS bk FROM x, (VALUES (-1), (0), (1)) v(o))
    -- One BIGINT names the pair (aid < 2^31), so grouping by pair hashes one number.
    SELECT (x1.aid << 32) | x2.aid AS k, x1.iid, x1.pid AS p1, x2.pid AS p2,
           least(x1.t, x2.t) AS lo, greatest(x1.t, x2.t) AS hi
    FROM x x1 JOIN x3 x2 ON x1.iid = x2.iid AND x1.bk = x2.bk
    WHERE x1.aid < x2.aid {time_filter}{allowed_filter}""",
]

# Only the pairs asked for (``pairs=`` of co_action_edges), by their numbers here.
_ALLOWED_SQL = """CREATE TEMP TABLE allowed AS
    SELECT (s.aid << 32) | d.aid AS k FROM wanted w
    JOIN accs s ON s.acc = w.source JOIN accs d ON d.acc = w.target"""
_ALLOWED_FILTER = "\n      AND ((x1.aid << 32) | x2.aid) IN (SELECT k FROM allowed)"

_EDGE_SQL = [
    *_PAIRS_SQL,
    # A weight never exceeds the pair's number of matches: this cheap count drops most
    # pairs before the distinct counts. It keeps nothing but the count, for most pairs
    # match once (31.8 million of 34.3 million at 10M generated posts' co-url, where
    # carrying the times too took 4.0 s against 3.0 s); the times come from what is kept.
    """CREATE TEMP TABLE multi AS
    SELECT k FROM pairs GROUP BY k HAVING count(*) >= $min_weight""",
    "CREATE TEMP TABLE kept AS SELECT * FROM pairs SEMI JOIN multi USING (k)",
    "DROP TABLE pairs",
    "DROP TABLE multi",
    """CREATE TEMP TABLE counted AS
    SELECT k, min(lo) AS first_t, max(hi) AS last_t FROM kept GROUP BY k""",
    # The distinct counts are done as DISTINCT rows then counts, which needs far less
    # memory than count(DISTINCT ...) per group when there are millions of pairs; each
    # is a table of its own, so DuckDB can spill it.
    """CREATE TEMP TABLE from_source AS
    SELECT k, count(*) AS w FROM (SELECT DISTINCT k, p1 FROM kept) GROUP BY k""",
    """CREATE TEMP TABLE from_target AS
    SELECT k, count(*) AS w FROM (SELECT DISTINCT k, p2 FROM kept) GROUP BY k""",
    """CREATE TEMP TABLE weighed AS
    SELECT k, least(f.w, t.w) AS weight, f.w AS source_posts, t.w AS target_posts
    FROM from_source f JOIN from_target t USING (k)
    WHERE least(f.w, t.w) >= $min_weight""",
    "DROP TABLE from_source",
    "DROP TABLE from_target",
    # Items only of the pairs that passed, and up to MAX_EXAMPLE_ITEMS example items per
    # pair, the first-seen. A top-N aggregate per pair (min(iid, N)) keeps a heap per group
    # that DuckDB cannot spill: it ran out of a 2 GB cap on the 7.7 million pairs of
    # three viral bursts. Most pairs share few items and keep them all (a plain list);
    # the few that share more are cut by a window, which is heavy per group.
    """CREATE TEMP TABLE shared AS
    SELECT DISTINCT k, iid FROM kept SEMI JOIN weighed USING (k)""",
    "DROP TABLE kept",
    """CREATE TEMP TABLE shared_n AS SELECT k, count(*) AS n_items FROM shared GROUP BY k""",
    """CREATE TEMP TABLE examples AS
    SELECT k, list(iid ORDER BY iid) AS ex FROM shared
    SEMI JOIN (SELECT k FROM shared_n WHERE n_items <= {max_items}) USING (k)
    GROUP BY k""",
    """INSERT INTO examples
    SELECT k, list(iid ORDER BY iid) FROM (
        SELECT k, iid FROM shared
        SEMI JOIN (SELECT k FROM shared_n WHERE n_items > {max_items}) USING (k)
        QUALIFY row_number() OVER (PARTITION BY k ORDER BY iid) <= {max_items}
    ) GROUP BY k""",
    "DROP TABLE shared",
    # Every join ends with accounts by number (s, d): aid follows the names' order, so
    # ordering by k orders by (source, target), and ``_run_join`` puts the names in
    # afterwards rather than carrying them through the joins and the sort.
    """SELECT w.k >> 32 AS s, w.k & 4294967295 AS d, w.weight, c.first_t, c.last_t,
           e.ex, n.n_items, w.source_posts, w.target_posts
    FROM weighed w JOIN counted c USING (k) JOIN shared_n n USING (k)
    JOIN examples e USING (k)
    ORDER BY w.weight DESC, w.k""",
]

# The pair's number of matches, an upper bound of its weight in either direction.
_MATCHES_SQL = [
    *_PAIRS_SQL,
    """SELECT k >> 32 AS s, k & 4294967295 AS d, count(*) AS matches
    FROM pairs GROUP BY k""",
]

#: The columns of ``co_action_matches``.
MATCH_SCHEMA = pa.schema(
    [("source", pa.string()), ("target", pa.string()), ("matches", pa.int64())]
)


def _check_actions(actions: pa.Table, caller: str = "co_action_edges") -> None:
    if not isinstance(actions, pa.Table):
        raise InputError(f"{caller}() takes an Arrow actions table, not {type(actions).__name__}")
    missing = [n for n in ACTION_SCHEMA.names if n not in actions.column_names]
    if missing:
        raise InputError(
            f"the actions table lacks column(s) {', '.join(missing)}; build it with "
            f"limelight.detect.coordination.actions()"
        )


def _join_sql(template: list[str], w_us: int | None, pairs: pa.Table | None) -> list[str]:
    """The statements of a join, for this window, with the pair filter if asked."""
    if w_us is None:
        bucket, time_filter = "0", ""
    else:
        bucket = f"floor(b.t / {max(w_us, 1)}.0)::BIGINT"
        time_filter = f"AND abs(x1.t - x2.t) <= {w_us}"
    filled = [
        step.format(
            bucket=bucket,
            time_filter=time_filter,
            max_items=MAX_EXAMPLE_ITEMS,
            allowed=_ALLOWED_SQL if pairs is not None else "",
            allowed_filter=_ALLOWED_FILTER if pairs is not None else "",
        )
        for step in template
    ]
    return [step for step in filled if step]


def _run_join(
    actions: pa.Table, steps: list[str], min_weight: int, pairs: pa.Table | None
) -> tuple[pa.Table, pa.Table]:
    """Run a join's statements over ``actions``; returns the last one's rows (its account
    numbers ``s`` and ``d`` named) and the item names by number."""
    with connect() as conn:
        # Row order inside the engine is never relied on (the result is sorted at the end);
        # dropping it lets DuckDB stream and aggregate with less memory.
        conn.execute("SET SESSION preserve_insertion_order = false")
        conn.register("actions", actions.select(ACTION_SCHEMA.names))
        if pairs is not None:
            conn.register("wanted", pairs.select(["source", "target"]))
        conn.execute(_ITEMS_SQL)
        for step in steps[:-1]:
            conn.execute(step, _params(step, min_weight))
        raw = conn.sql(steps[-1], params=_params(steps[-1], min_weight)).to_arrow_table()
        accounts = conn.sql("SELECT acc FROM accs ORDER BY aid").to_arrow_table()
        raw = _named_accounts(raw, accounts.column("acc").combine_chunks())
        names = conn.sql("SELECT item FROM items ORDER BY iid").to_arrow_table()
    return raw, names


def _named_accounts(raw: pa.Table, accounts: pa.Array) -> pa.Table:
    """Replace the account numbers ``s`` and ``d`` (1-based ``aid``) by their names."""
    source = accounts.take(pc.subtract(raw.column("s"), 1))
    target = accounts.take(pc.subtract(raw.column("d"), 1))
    rest = raw.drop_columns(["s", "d"])
    return pa.Table.from_arrays(
        [source, target, *rest.columns], names=["source", "target", *rest.column_names]
    )


def _params(step: str, min_weight: int) -> dict[str, int] | None:
    return {"min_weight": min_weight} if "$min_weight" in step else None


def co_action_edges(
    actions: pa.Table,
    window: float | timedelta,
    min_weight: int,
    *,
    directed: bool = False,
    pairs: pa.Table | None = None,
) -> pa.Table:
    """Pairs of accounts that acted on the same item within ``window`` seconds.

    ``actions`` has the columns of ``ACTION_SCHEMA`` (what ``actions()`` returns). Two
    actions co-occur when their items are equal and their times differ by at most
    ``window`` seconds (inclusive; a timedelta works too; ``math.inf`` ignores time).
    Returns one row per pair with ``source < target`` (``EDGE_SCHEMA``): ``weight`` as
    explained in the module docstring, the pair's first and last co-action time, up to
    ``MAX_EXAMPLE_ITEMS`` example items (the earliest-seen ones) and the number of
    distinct items shared, heaviest pairs first.
    Actions of an account with itself never count.

    With ``directed``, two more columns give the directed weights (``source_posts`` =
    ``w(source -> target)``, ``target_posts`` = ``w(target -> source)``): shards of the
    actions split by item can then be summed per pair (limelight.scale), since a post's
    count lands in one shard while the smaller of two sums is not the sum of the smaller.
    ``pairs`` (columns ``source < target``) limits the result to those pairs: a shard
    then spends nothing on the pairs that other shards' counts rule out.
    """
    w_us = _window_us(window)
    if isinstance(min_weight, bool) or not isinstance(min_weight, int) or min_weight < 1:
        raise InputError(f"min_weight {min_weight!r} must be a whole number >= 1")
    _check_actions(actions)
    raw, names = _run_join(actions, _join_sql(_EDGE_SQL, w_us, pairs), min_weight, pairs)
    table = _finish(raw, names.column("item").combine_chunks())
    if directed:
        for name in ("source_posts", "target_posts"):
            table = table.append_column(name, raw.column(name).cast(pa.int64()))
    return table


def co_action_matches(actions: pa.Table, window: float | timedelta) -> pa.Table:
    """Every pair of accounts with at least one co-action, and its number of matches.

    A match is one pair of actions (one of each account) on the same item within the
    window; a pair's weight in either direction never exceeds its matches, and matches
    add up over shards of the actions split by item. So summing the shards' matches and
    keeping the pairs with at least ``min_weight`` gives, with one cheap pass, the only
    pairs whose full edges are worth computing (limelight.scale). ``MATCH_SCHEMA``.
    """
    w_us = _window_us(window)
    _check_actions(actions, "co_action_matches")
    raw, _ = _run_join(actions, _join_sql(_MATCHES_SQL, w_us, None), 1, None)
    return raw.cast(MATCH_SCHEMA)


def _finish(raw: pa.Table, item_names: pa.Array) -> pa.Table:
    """Turn item numbers into item strings and give the columns their final types."""
    ex = raw.column("ex").combine_chunks()
    offsets = pc.subtract(ex.offsets, ex.offsets[0])
    numbers = pc.list_flatten(ex)
    examples = pa.ListArray.from_arrays(offsets, pc.take(item_names, pc.subtract(numbers, 1)))
    to_ts = pa.timestamp("us", tz="UTC")
    columns = [
        raw.column("source").cast(pa.string()),
        raw.column("target").cast(pa.string()),
        raw.column("weight").cast(pa.int64()),
        raw.column("first_t").cast(pa.int64()).cast(to_ts),
        raw.column("last_t").cast(pa.int64()).cast(to_ts),
        examples,
        raw.column("n_items").cast(pa.int64()),
    ]
    return pa.Table.from_arrays(columns, schema=EDGE_SCHEMA)
