"""How many co-actions two accounts would share by chance, and how surprising theirs are.

A raw co-action count cannot tell a campaign from a crowd: a viral post reposted by
thousands of people within minutes makes every pair of them "co-repost" it, and two very
active accounts share popular items all the time. ``edge_significance`` puts each edge's
count against a null model built from the same actions (docs/campaigns.md has the long
form).

Items are split into popularity strata (item ``i``, acted on by ``n_i`` accounts, goes to
stratum ``floor(log2 n_i)``, per ``behaviour`` when the actions carry that column): items
of one popularity are roughly exchangeable, items of very different popularity are not.
Within stratum ``s`` account ``u`` acted on ``d_us`` items; under the null it picks them
in proportion to popularity (a Chung-Lu bipartite configuration model), so it acts on item
``i`` with probability ``d_us n_i / M_s``. Two accounts that both act on an item co-act
(first actions within the window) with probability ``q_s``: the share of all pairs of an
item's accounts that acted within the window, pooled over the stratum, leaving out the
pairs under test (add-one smoothed), so that a campaign cannot raise the bar it is tested
against. The expected count is ``lambda_s = d_us d_vs q_s sum(n_i^2) / M_s^2`` (capped at
``min(d_us, d_vs)``) and the observed count is tested against a Poisson tail. Strata are
accumulated rarest first and the best prefix p-value is Bonferroni-corrected; an edge is
significant when its Benjamini-Hochberg q-value over all pairs that shared an item (at
most the sum over items of their pairs of accounts) is at most ``alpha``.

Sources: validating bipartite projections per stratum of item degree follows Tumminello
et al., "Statistically validated networks in bipartite complex systems", PLoS ONE 6(3),
2011; the degree-preserving null is the bipartite configuration model of Saracco et al.,
"Inferring monopartite projections of bipartite networks: an entropy-based approach", New
J. Phys. 19, 2017 (here in its Chung-Lu form); the concern that popular items make
co-sharing cheap is Giglietto et al. (2020, "It takes a village to manipulate the media")
and Pacheco et al. (2021, "Uncovering coordinated networks on social media"), who answer
it with thresholds and TF-IDF weights.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from datetime import timedelta

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from limelight.detect.coordination._duck import connect
from limelight.detect.coordination._numbers import numbered
from limelight.errors import InputError

__all__ = [
    "SIGNIFICANCE_COLUMNS",
    "co_actions",
    "edge_significance",
    "poisson_log_sf",
    "significant_edges",
    "window_microseconds",
]

SIGNIFICANCE_COLUMNS: tuple[str, ...] = (
    "expected",
    "pvalue",
    "score",
    "significant",
    "observed",
)
_LN10 = math.log(10.0)
_TS = pa.timestamp("us", tz="UTC")


def window_microseconds(window: timedelta | float) -> int:
    """The co-action window in whole microseconds, from a timedelta or seconds."""
    seconds = window.total_seconds() if isinstance(window, timedelta) else float(window)
    if not seconds >= 0 or math.isinf(seconds):
        raise InputError(f"window {window!r} must be a finite number of seconds >= 0; give e.g. 60")
    return round(seconds * 1_000_000)


def poisson_log_sf(k: np.ndarray, lam: np.ndarray) -> np.ndarray:
    """Natural log of P(X >= k) for X ~ Poisson(lam), elementwise and exact to rounding.

    Computed in log space from the term at ``k`` times a geometric-like series, so p-values
    far below the smallest float (a campaign's) keep their size in the score.
    """
    k = np.asarray(k, dtype=np.int64)
    lam = np.maximum(np.asarray(lam, dtype=np.float64), 1e-300)
    out = np.zeros(k.shape, dtype=np.float64)
    if k.size == 0:
        return out
    log_fact = np.concatenate(([0.0], np.cumsum(np.log(np.arange(1, int(k.max()) + 2)))))
    log_lam = np.log(lam)
    upper = k > lam  # the tail beyond the mean: sum terms k, k+1, ... directly
    idx = np.flatnonzero(upper)
    if idx.size:
        kk, ll = k[idx].astype(np.float64), lam[idx]
        log_term = -ll + kk * log_lam[idx] - log_fact[k[idx]]
        out[idx] = log_term + np.log(_series(ll, kk, rising=True))
    idx = np.flatnonzero(~upper & (k > 0))  # at or below the mean: one minus the lower tail
    if idx.size:
        kk, ll = k[idx].astype(np.float64) - 1.0, lam[idx]
        log_term = -ll + kk * log_lam[idx] - log_fact[k[idx] - 1]
        cdf = np.exp(log_term) * _series(ll, kk, rising=False)
        out[idx] = np.log1p(-np.minimum(cdf, 1.0 - 1e-16))
    return out


def _series(lam: np.ndarray, k: np.ndarray, *, rising: bool) -> np.ndarray:
    """Sum of the Poisson terms beyond (rising) or below (falling) term k, relative to it."""
    total = np.ones_like(lam)
    term = np.ones_like(lam)
    active = np.arange(lam.size)
    m = 0
    while active.size:
        m += 1
        if rising:
            term[active] *= lam[active] / (k[active] + m)
        else:
            term[active] *= np.maximum(k[active] - m + 1, 0.0) / lam[active]
        total[active] += term[active]
        active = active[term[active] > 1e-17 * total[active]]
    return total


_FIRST_ACTIONS = """
    CREATE TEMP TABLE _fa AS
    SELECT account_id, item, min("at") AS t, arg_min(post_id, "at") AS post_id,
           any_value(kind) AS kind
    FROM _acts
    WHERE account_id IS NOT NULL AND item IS NOT NULL AND "at" IS NOT NULL
    GROUP BY account_id, item
"""

# One row per edge and item both accounts acted on; probed from the less active side of
# each pair, so the join costs the sum over edges of min(d_u, d_v).
_SHARED = """
    WITH deg AS (SELECT account_id, count(*) AS d FROM _fa GROUP BY account_id),
    e AS (
        SELECT _edges.source, _edges.target, _edges._eid,
               coalesce(ds.d, 0) <= coalesce(dt.d, 0) AS flip_free,
               CASE WHEN coalesce(ds.d, 0) <= coalesce(dt.d, 0)
                    THEN _edges.source ELSE _edges.target END AS lo,
               CASE WHEN coalesce(ds.d, 0) <= coalesce(dt.d, 0)
                    THEN _edges.target ELSE _edges.source END AS hi
        FROM _edges
        LEFT JOIN deg ds ON ds.account_id = _edges.source
        LEFT JOIN deg dt ON dt.account_id = _edges.target
    )
    SELECT {pair}, a.item,{posts}
           abs(epoch_us(a.t) - epoch_us(b.t)) <= {window} AS close
    FROM e
    JOIN _fa a ON a.account_id = e.lo
    JOIN _fa b ON b.account_id = e.hi AND b.item = a.item
"""


_POSTS = """
           CASE WHEN flip_free THEN a.post_id ELSE b.post_id END AS source_post_id,
           CASE WHEN flip_free THEN a.t ELSE b.t END AS source_at,
           CASE WHEN flip_free THEN b.post_id ELSE a.post_id END AS target_post_id,
           CASE WHEN flip_free THEN b.t ELSE a.t END AS target_at,"""


def _shared_items(
    conn: duckdb.DuckDBPyConnection,
    edges: pa.Table,
    actions: pa.Table,
    window_us: int,
    *,
    posts: bool = False,
) -> None:
    """The temporary table ``_shared``: every item both accounts of an edge acted on, with
    ``close`` for within the window.

    Each row names its edge by ``eid`` (the edge's row number) and its item by a number,
    unless ``posts`` asks for the evidence: then by ``source`` and ``target``, with the
    item itself and both accounts' post ids and times. The rows stay in DuckDB, which
    spills them under its memory cap: at 10M generated posts, two million co-url edges
    share tens of millions of items, and a round trip through Arrow held them all in
    memory; with numbers for edges and items, instead of account ids and links or texts,
    each of those rows is a few bytes. Leaves the first-action table ``_fa`` on the
    connection for the caller too.
    """
    columns = ["account_id", "item", "at", "post_id"]
    if "behaviour" in actions.column_names:
        acts = actions.select([*columns, "behaviour"]).rename_columns([*columns, "kind"])
    else:
        acts = actions.select(columns).append_column(
            "kind", pa.nulls(actions.num_rows, pa.string())
        )
    pairs = edges.select(["source", "target"])
    if not posts:
        number = numbered(acts.column("item"))[1]
        acts = acts.set_column(acts.column_names.index("item"), "item", number)
        # Accounts by number as well: every later join and grouping is on accounts, and
        # integer keys hash and compare faster than the ids (an edge's account that never
        # acted finds no number, and no row, as its id would).
        names, account = numbered(acts.column("account_id"))
        acts = acts.set_column(acts.column_names.index("account_id"), "account_id", account)
        pairs = pa.table(
            {
                "source": pc.index_in(pairs.column("source"), value_set=names),
                "target": pc.index_in(pairs.column("target"), value_set=names),
            }
        )
    conn.register("_acts", acts)
    keyed = pairs.append_column("_eid", pa.array(np.arange(edges.num_rows, dtype=np.int32)))
    conn.register("_edges", keyed)
    conn.execute(_FIRST_ACTIONS)
    conn.unregister("_acts")  # _fa holds what is needed; the numbered copy can go
    pair = "e.source, e.target" if posts else "e._eid AS eid"
    sql = _SHARED.format(window=window_us, posts=_POSTS if posts else "", pair=pair)
    # The joins run in the order written: each edge's less active account's items, then a
    # lookup of (other account, item). DuckDB's join-order optimizer, misled by its
    # estimates, joined the first actions with themselves on the item first, a row per
    # pair of accounts on every item (18 billion at 10M generated posts where the probe
    # from the edges makes 313 million): 762 s against 23 s for the combined layer. The
    # hash tables are built on the first actions, as written, and the edges' rows probe
    # them: with numbered items DuckDB chose to build one on the 313 million rows of the
    # first join instead (73 s and 0.9 GB more, against 18 s).
    conn.execute("SET disabled_optimizers = 'join_order,build_side_probe_side'")
    try:
        conn.execute(f"CREATE TEMP TABLE _shared AS {sql}")
    finally:
        conn.execute("RESET disabled_optimizers")


def co_actions(edges: pa.Table, actions: pa.Table, window: timedelta | float) -> pa.Table:
    """Every item on which the two accounts of an edge acted within the window, with posts.

    One row per (source, target, item), comparing each account's first action on the item,
    with both post ids and times: the evidence a person can open and check, and the
    observed counts the null model is tested on. Cost is linear in the sum, over edges, of
    the less active account's number of items.
    """
    with connect() as conn:
        _shared_items(conn, edges, actions, window_microseconds(window), posts=True)
        return conn.sql(
            "SELECT * EXCLUDE (close) FROM _shared WHERE close ORDER BY source, target, item"
        ).to_arrow_table()


# Strata are named (behaviour:log2 of popularity) and numbered in the names' order; the
# tables that grow with accounts and edges carry the number.
_STRATA = """
    CREATE TEMP TABLE _named AS
        SELECT item, count(*) AS n, sum(near) / 2 AS close_pairs,
               concat_ws(':', any_value(kind), floor(log2(count(*)))::INTEGER) AS name
        FROM (
            SELECT item, kind, count(*) OVER (
                PARTITION BY item ORDER BY epoch_us(t)
                RANGE BETWEEN {window} PRECEDING AND {window} FOLLOWING) - 1 AS near
            FROM _fa)
        GROUP BY item HAVING count(*) >= 2;
    CREATE TEMP TABLE _sids AS
        SELECT name, (row_number() OVER (ORDER BY name))::INTEGER AS sid
        FROM (SELECT DISTINCT name FROM _named);
    CREATE TEMP TABLE _items AS
        SELECT i.item, i.n, i.close_pairs, s.sid AS stratum
        FROM _named i JOIN _sids s USING (name);
    DROP TABLE _named;
    CREATE TEMP TABLE _deg AS
        SELECT f.account_id, i.stratum, count(*) AS d
        FROM _fa f JOIN _items i USING (item) GROUP BY ALL;
"""

# Observed co-actions per edge and stratum, and the chance rate per stratum estimated from
# the close pairs that are NOT on an edge under test (leave-out, add-one smoothed). Edge
# and stratum numbers and counts are 32-bit: at 10M generated posts the combined layer has
# 18 million (edge, stratum) observations and 40 million rows to score.
_PER_STRATUM = """
    CREATE TEMP TABLE _obs AS
        SELECT c.eid, i.stratum, (count(*) FILTER (WHERE close))::INTEGER AS k,
               count(*)::INTEGER AS shared
        FROM _shared c JOIN _items i USING (item) GROUP BY ALL;
    CREATE TEMP TABLE _strata AS
        SELECT s.stratum,
               (1 + s.close - coalesce(o.k, 0)) / (1 + s.pairs - coalesce(o.shared, 0))
               * s.nn / (s.m ^ 2) AS c
        FROM (SELECT stratum, sum(close_pairs) AS close, sum(n * (n - 1) / 2) AS pairs,
                     sum(n * n) AS nn, sum(n) AS m
              FROM _items GROUP BY stratum) s
        LEFT JOIN (SELECT stratum, sum(k) AS k, sum(shared) AS shared FROM _obs GROUP BY stratum) o
            USING (stratum);
    SELECT e._eid AS eid, du.stratum AS sid,
           least(du.d * dv.d * s.c, least(du.d, dv.d)) AS lam,
           coalesce(o.k, 0) AS k
    FROM _edges e
    JOIN _deg du ON du.account_id = e.source
    JOIN _deg dv ON dv.account_id = e.target AND dv.stratum = du.stratum
    JOIN _strata s ON s.stratum = du.stratum
    LEFT JOIN _obs o ON o.eid = e._eid AND o.stratum = du.stratum
"""


def edge_significance(
    edges: pa.Table,
    actions: pa.Table,
    window: timedelta | float,
    *,
    alpha: float = 0.01,
) -> pa.Table:
    """The edges with ``expected``, ``pvalue``, ``score``, ``significant``, ``observed`` added.

    ``actions`` and ``window`` must be the ones the edges came from. ``expected`` is the
    co-action count the null model predicts for the pair (see the module docstring),
    ``pvalue`` the chance of at least the observed co-actions under it (strata combined),
    ``score`` is -log10(pvalue) computed in log space (so it stays finite where the p-value
    underflows to 0), and ``significant`` says whether the Benjamini-Hochberg q-value over
    all pairs that shared an item is at most ``alpha`` (default 0.01: one false pair per
    hundred reported); ``observed`` is the co-action count the test used (first actions
    on an item within the window). Rows keep their order.
    """
    if not 0 < alpha < 1:
        raise InputError(f"alpha {alpha} must be between 0 and 1; the default is 0.01")
    n = edges.num_rows
    expected = np.zeros(n)
    observed = np.zeros(n, dtype=np.int64)
    log_p = np.zeros(n)
    significant = np.zeros(n, dtype=bool)
    if n and actions.num_rows:
        w_us = window_microseconds(window)
        with connect() as cur:
            _shared_items(cur, edges, actions, w_us)
            cur.execute(_STRATA.format(window=w_us))
            *setup, select = _PER_STRATUM.split(";")
            cur.execute(";".join(setup))
            # The (edge, stratum) rows stay in DuckDB, which spills them; they come out a
            # range of edges at a time, so memory here follows a chunk, not every edge.
            cur.execute("SET SESSION preserve_insertion_order = false")
            cur.execute(f"CREATE TEMP TABLE _rows AS {select}")
            per_edge = cur.sql("SELECT eid, count(*) AS c FROM _rows GROUP BY eid").to_arrow_table()
            rows_of = np.bincount(
                per_edge["eid"].to_numpy(), weights=per_edge["c"].to_numpy(), minlength=n
            ).astype(np.int64)
            carry = _Carry()
            for lo, hi in _edge_ranges(rows_of, _ROWS_PER_CHUNK):
                # Sorted by DuckDB's parallel sort: numpy's lexsorts of the same rows took
                # most of the 18 s this loop spent at 10M generated posts.
                part = cur.sql(
                    f"SELECT eid, lam, k FROM _rows WHERE eid >= {lo} AND eid < {hi} "
                    "ORDER BY eid, lam, sid"
                ).to_arrow_table()
                _score_chunk(part, expected, observed, log_p, carry)
            # The family: pairs that shared an item (bounded by the pairs of each item).
            family = cur.execute(
                "SELECT (SELECT count(DISTINCT account_id) FROM _deg), "
                "(SELECT sum(n * (n - 1) / 2) FROM _items)"
            ).fetchone()
        n_active, item_pairs = (int(family[0] or 0), float(family[1] or 0)) if family else (0, 0)
        n_tests = min(n_active * (n_active - 1) / 2, item_pairs)
        significant = _benjamini_hochberg(log_p, n_tests, alpha)
    columns = {
        "expected": pa.array(expected, pa.float64()),
        "pvalue": pa.array(np.exp(log_p), pa.float64()),
        "score": pa.array(np.maximum(-log_p / _LN10, 0.0), pa.float64()),
        "significant": pa.array(significant, pa.bool_()),
        "observed": pa.array(observed, pa.int64()),
    }
    out = edges.drop_columns([c for c in SIGNIFICANCE_COLUMNS if c in edges.column_names])
    for name, column in columns.items():
        out = out.append_column(name, column)
    return out


#: (edge, stratum) rows brought into Python at a time by ``edge_significance``.
_ROWS_PER_CHUNK = 4_000_000


@dataclass(slots=True)
class _Carry:
    """Running sums over the chunks, so that chunked prefix sums equal one pass's bits."""

    lam: float = 0.0
    k: int = 0


def _edge_ranges(rows_of: np.ndarray, per_chunk: int) -> list[tuple[int, int]]:
    """Consecutive ranges of edge numbers holding about ``per_chunk`` rows each."""
    n = rows_of.size
    if n == 0:
        return []
    cum = np.cumsum(rows_of)
    bounds = np.searchsorted(cum, np.arange(per_chunk, int(cum[-1]), per_chunk), side="left")
    cuts = np.unique(np.r_[0, bounds + 1, n].clip(0, n))  # a handful of numbers
    return [(int(a), int(b)) for a, b in itertools.pairwise(cuts) if b > a]


def _score_chunk(
    part: pa.Table,
    expected: np.ndarray,
    observed: np.ndarray,
    log_p: np.ndarray,
    carry: _Carry,
) -> None:
    """Add a range of edges' (edge, stratum) rows to ``expected``, ``observed``, ``log_p``.

    The rows come sorted by edge, expected count and stratum number (ties in the
    rarest-first order follow the stratum number), and are summed in that order.
    """
    if part.num_rows == 0:
        return
    eid = part["eid"].to_numpy()
    lam = part["lam"].to_numpy(zero_copy_only=False)
    k = part["k"].to_numpy().astype(np.int64)
    del part
    starts = np.flatnonzero(np.r_[True, eid[1:] != eid[:-1]])
    chunk = eid[starts]  # the edges of this chunk, one each
    expected[chunk] += np.add.reduceat(lam, starts)
    observed[chunk] += np.add.reduceat(k, starts)
    _rarest_first(starts, chunk, lam, k, log_p, carry)


def _rarest_first(
    starts: np.ndarray,
    chunk: np.ndarray,
    lam: np.ndarray,
    k: np.ndarray,
    log_p: np.ndarray,
    carry: _Carry,
) -> None:
    """Each edge's log p-value: the best Poisson tail over its strata accumulated rarest first.

    The rows of edge ``chunk[j]`` start at ``starts[j]``, sorted by expected count; for
    each prefix (the rarest stratum, the two rarest, ...) the observed and expected
    counts are summed and tested, and the smallest p-value is multiplied by the number of
    prefixes (Bonferroni). Co-actions spread over several obscure strata add up, while a
    stratum where co-actions are expected (viral items) cannot dilute the evidence of the
    rarer ones. Writes the edges of this chunk into ``log_p``; the running sums go on in
    ``carry``, so the chunks give the bits one pass over every row would.
    """
    sizes = np.diff(np.r_[starts, lam.size])
    cum_lam = np.cumsum(np.r_[carry.lam, lam])
    cum_k = np.cumsum(np.r_[carry.k, k])
    # Row i's running sum is cum[i + 1]; an edge's rows subtract the sum before its first.
    before = np.repeat(starts, sizes)
    prefix_lam = cum_lam[1:] - cum_lam[before]
    prefix_k = cum_k[1:] - cum_k[before]
    carry.lam, carry.k = float(cum_lam[-1]), int(cum_k[-1])
    tail = np.zeros(lam.size)  # a prefix without co-actions has a tail of exactly 1
    tested = prefix_k > 0
    tail[tested] = poisson_log_sf(prefix_k[tested], prefix_lam[tested])
    best = np.minimum.reduceat(tail, starts)
    log_p[chunk] = np.minimum(best + np.log(sizes), 0.0)


def _benjamini_hochberg(log_p: np.ndarray, n_tests: float, alpha: float) -> np.ndarray:
    """Which p-values pass Benjamini-Hochberg at ``alpha`` among ``n_tests`` hypotheses.

    Pairs that shared an item without reaching ``min_weight`` are hypotheses too (with a
    large p), so ``n_tests`` counts every pair that shared an item (as Tumminello et al.
    2011 count tests), not only the edges.
    """
    m = max(n_tests, float(log_p.size), 1.0)
    order = np.argsort(log_p, kind="stable")
    ranks = np.arange(1, log_p.size + 1, dtype=np.float64)
    log_q = log_p[order] + math.log(m) - np.log(ranks)
    log_q = np.minimum.accumulate(log_q[::-1])[::-1]
    passed = np.zeros(log_p.size, dtype=bool)
    passed[order] = log_q <= math.log(alpha)
    return passed


def significant_edges(scored: pa.Table) -> pa.Table:
    """Only the significant rows of an ``edge_significance`` result."""
    return scored.filter(pc.field("significant"))
