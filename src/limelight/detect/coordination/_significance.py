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

import math
from dataclasses import dataclass
from datetime import timedelta

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from limelight.detect.coordination._duck import connect
from limelight.detect.coordination._numbers import index_ranges, numbered
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

# Each edge meets the items both accounts acted on; probed from the less active side of
# each pair, so the join costs the sum over edges of min(d_u, d_v). ``{fa}`` is a table
# of first actions, ``{select}`` and ``{group}`` say what comes out.
_SHARED = """
    WITH deg AS (SELECT account_id, count(*) AS d FROM {fa} GROUP BY account_id),
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
    SELECT {select}
    FROM e
    JOIN {fa} a ON a.account_id = e.lo
    JOIN {fa} b ON b.account_id = e.hi AND b.item = a.item
    {group}
"""

_CLOSE = "abs(epoch_us(a.t) - epoch_us(b.t)) <= {window}"

# The evidence: one row per edge and item both accounts acted on, with both posts.
_EVIDENCE = """
           e.source, e.target, a.item,
           CASE WHEN flip_free THEN a.post_id ELSE b.post_id END AS source_post_id,
           CASE WHEN flip_free THEN a.t ELSE b.t END AS source_at,
           CASE WHEN flip_free THEN b.post_id ELSE a.post_id END AS target_post_id,
           CASE WHEN flip_free THEN b.t ELSE a.t END AS target_at,
           {close} AS close"""

# The observed counts: per edge and stratum, the items both acted on and the co-actions
# (within the window) among them, counted as the join goes.
_OBSERVED = """
           e._eid AS eid, a.stratum, (count(*) FILTER (WHERE {close}))::INTEGER AS k,
           count(*)::INTEGER AS shared"""


def _first_actions(
    conn: duckdb.DuckDBPyConnection, edges: pa.Table, actions: pa.Table, *, posts: bool
) -> None:
    """The temporary table ``_fa`` (each account's first action on each item) and the
    edges registered as ``_edges`` with their row numbers (``_eid``).

    Items and accounts are numbers unless ``posts`` asks for the evidence, which names
    them: every later join and grouping is on them, and integers hash and compare faster
    than ids, links or texts (an edge's account that never acted finds no number, and no
    row, as its id would).
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


def _join_shared(
    conn: duckdb.DuckDBPyConnection,
    table: str,
    fa: str,
    select: str,
    window_us: int,
    *,
    grouped: bool = False,
) -> None:
    """Create ``table`` from the edges' shared items in ``fa`` (``_SHARED``), its rows
    grouped by the non-aggregate columns of ``select`` when ``grouped``.

    The joins run in the order written: each edge's less active account's items, then a
    lookup of (other account, item). DuckDB's join-order optimizer, misled by its
    estimates, joined the first actions with themselves on the item first, a row per
    pair of accounts on every item (18 billion at 10M generated posts where the probe
    from the edges makes 313 million): 762 s against 23 s for the combined layer. The
    hash tables are built on the first actions, as written, and the edges' rows probe
    them: with numbered items DuckDB chose to build one on the 313 million rows of the
    first join instead (73 s and 0.9 GB more, against 18 s).
    """
    close = _CLOSE.format(window=window_us)
    sql = _SHARED.format(
        fa=fa, select=select.format(close=close), group="GROUP BY ALL" if grouped else ""
    )
    conn.execute("SET disabled_optimizers = 'join_order,build_side_probe_side'")
    try:
        conn.execute(f"CREATE TEMP TABLE {table} AS {sql}")
    finally:
        conn.execute("RESET disabled_optimizers")


#: About this many edges are sampled to estimate each stratum's cost of probing: an
#: account's degree is heavy-tailed, so a small sample can miss or over-count the few
#: edges that make most probes. At 10M generated posts every edge (1.96 million) took
#: 1.3 s and this sample 0.2 s, with the same choice.
_PROBE_SAMPLE = 200_000

# Which strata give their shared items by pairs of accounts (``_observed_counts``): those
# whose pairs of accounts (the sum over items of n(n-1)/2) number no more than the probes
# from the edges would (the sum over edges of the less active account's degree in the
# stratum, estimated on every {every}-th edge).
_BY_PAIRS = """
    CREATE TEMP TABLE _by_pairs AS
    WITH pairs AS (SELECT stratum, sum(n * (n - 1) / 2) AS p FROM _items GROUP BY stratum),
    total AS (SELECT account_id, sum(d) AS d FROM _deg GROUP BY account_id),
    lo AS (
        SELECT CASE WHEN coalesce(ds.d, 0) <= coalesce(dt.d, 0) THEN e.source ELSE e.target
               END AS account_id
        FROM (SELECT source, target FROM _edges WHERE _eid % {every} = 0) e
        LEFT JOIN total ds ON ds.account_id = e.source
        LEFT JOIN total dt ON dt.account_id = e.target),
    probes AS (
        SELECT d.stratum, sum(d.d) * {every} AS q FROM lo JOIN _deg d USING (account_id)
        GROUP BY d.stratum)
    SELECT stratum FROM pairs LEFT JOIN probes USING (stratum) WHERE p <= coalesce(q, 0)
"""

# The observed counts from pairs of accounts: every pair on an item, kept when it is an
# edge (accounts by number, ``u < v``).
_PAIRS_OBSERVED = """
    SELECT e._eid AS eid, p.stratum, (count(*) FILTER (WHERE p.close))::INTEGER AS k,
           count(*)::INTEGER AS shared
    FROM (SELECT a.account_id AS u, b.account_id AS v, a.stratum, {close} AS close
          FROM _fs_pairs a JOIN _fs_pairs b ON b.item = a.item AND b.account_id > a.account_id) p
    JOIN (SELECT _eid, least(source, target) AS u, greatest(source, target) AS v
          FROM _edges WHERE source IS NOT NULL AND target IS NOT NULL) e
        ON e.u = p.u AND e.v = p.v
    GROUP BY ALL
"""


def _observed_counts(conn: duckdb.DuckDBPyConnection, window_us: int, n_edges: int) -> None:
    """The temporary table ``_obs``: per edge and stratum, the items both accounts acted
    on (``shared``) and the co-actions among them (``k``).

    Only items two accounts acted on (``_items``) can be shared, and each brings its
    stratum. There are two ways to find an edge's shared items, and each stratum takes the
    cheaper (``_BY_PAIRS``): an item gives its pairs of accounts, which are kept when they
    are an edge, or each edge probes the less active account's items for the other
    account (``_SHARED``). Items that few accounts acted on have few pairs but turn up in
    many accounts' items: probing every item from the edges made 313 million probes at
    10M generated posts for the combined layer's 1.96 million edges, 220 million of them
    for items that at most four accounts acted on, which have 1.6 million pairs. The
    counts per (edge, stratum) are made as the joins go: the (edge, item) rows are never
    written.
    """
    every = max(1, n_edges // _PROBE_SAMPLE)
    conn.execute(_BY_PAIRS.format(every=every))
    conn.execute(
        "CREATE TEMP TABLE _fs_pairs AS SELECT f.account_id, f.item, f.t, i.stratum "
        "FROM _fa f JOIN _items i USING (item) SEMI JOIN _by_pairs USING (stratum)"
    )
    conn.execute(
        "CREATE TEMP TABLE _fs_probe AS SELECT f.account_id, f.item, f.t, i.stratum "
        "FROM _fa f JOIN _items i USING (item) ANTI JOIN _by_pairs USING (stratum)"
    )
    close = _CLOSE.format(window=window_us)
    conn.execute("SET disabled_optimizers = 'join_order,build_side_probe_side'")
    try:
        conn.execute("CREATE TEMP TABLE _obs AS " + _PAIRS_OBSERVED.format(close=close))
    finally:
        conn.execute("RESET disabled_optimizers")
    conn.execute("DROP TABLE _fs_pairs")
    _join_shared(conn, "_obs_probed", "_fs_probe", _OBSERVED, window_us, grouped=True)
    conn.execute("INSERT INTO _obs SELECT * FROM _obs_probed")
    for table in ("_obs_probed", "_fs_probe", "_by_pairs"):
        conn.execute(f"DROP TABLE {table}")


def co_actions(edges: pa.Table, actions: pa.Table, window: timedelta | float) -> pa.Table:
    """Every item on which the two accounts of an edge acted within the window, with posts.

    One row per (source, target, item), comparing each account's first action on the item,
    with both post ids and times: the evidence a person can open and check, and the
    observed counts the null model is tested on. Cost is linear in the sum, over edges, of
    the less active account's number of items.
    """
    with connect() as conn:
        _first_actions(conn, edges, actions, posts=True)
        _join_shared(conn, "_shared", "_fa", _EVIDENCE, window_microseconds(window))
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

# The chance rate per stratum, estimated from the close pairs that are NOT on an edge under
# test (leave-out, add-one smoothed). ``_obs`` holds the observed counts per edge and
# stratum (``_OBSERVED``); edge and stratum numbers and counts are 32-bit: at 10M
# generated posts the combined layer has 18 million (edge, stratum) observations.
_RATES = """
    CREATE TEMP TABLE _strata AS
        SELECT s.stratum,
               (1 + s.close - coalesce(o.k, 0)) / (1 + s.pairs - coalesce(o.shared, 0))
               * s.nn / (s.m ^ 2) AS c
        FROM (SELECT stratum, sum(close_pairs) AS close, sum(n * (n - 1) / 2) AS pairs,
                     sum(n * n) AS nn, sum(n) AS m
              FROM _items GROUP BY stratum) s
        LEFT JOIN (SELECT stratum, sum(k) AS k, sum(shared) AS shared FROM _obs GROUP BY stratum) o
            USING (stratum)
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
            _first_actions(cur, edges, actions, posts=False)
            cur.execute(_STRATA.format(window=w_us))
            _observed_counts(cur, w_us, n)
            cur.execute(_RATES)
            _score_cells(_Cells.read(cur), expected, observed, log_p)
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


#: (edge, stratum) cells laid out at a time by ``edge_significance``.
_CELLS_PER_CHUNK = 1_000_000


@dataclass(frozen=True, slots=True)
class _Cells:
    """What scoring needs from the connection, as arrays.

    ``first`` indexes each account's (stratum, d) rows in ``strata`` and ``d`` (sorted by
    account, then stratum; the last account number has none, for edge ends that never
    acted), ``source`` and ``target`` are the edges' account numbers, ``rate`` the chance
    rate ``c_s`` by stratum number - 1, and ``obs_*`` the observed counts (any order).
    """

    source: np.ndarray
    target: np.ndarray
    first: np.ndarray
    strata: np.ndarray
    d: np.ndarray
    rate: np.ndarray
    obs_eid: np.ndarray
    obs_sid: np.ndarray
    obs_k: np.ndarray

    @classmethod
    def read(cls, cur: duckdb.DuckDBPyConnection) -> _Cells:
        deg = cur.sql("SELECT account_id, stratum, d FROM _deg ORDER BY account_id, stratum")
        acc, sid, d = (np.asarray(a) for a in deg.fetchnumpy().values())
        accounts = int(acc.max()) + 1 if acc.size else 0
        ends = cur.sql("SELECT source, target FROM _edges ORDER BY _eid").to_arrow_table()
        # An end whose account is past the last with a degree (or never acted) gets the
        # empty row ``accounts``.
        source, target = (
            np.minimum(e.fill_null(accounts).to_numpy().astype(np.int64), accounts)
            for e in ends.columns
        )
        rates = cur.sql("SELECT stratum, c FROM _strata").fetchnumpy()
        rate = np.zeros(int(rates["stratum"].max()) if rates["stratum"].size else 0)
        rate[np.asarray(rates["stratum"]) - 1] = np.asarray(rates["c"])
        obs = cur.sql("SELECT eid, stratum, k FROM _obs").fetchnumpy()
        return cls(
            source=source,
            target=target,
            first=np.searchsorted(acc, np.arange(accounts + 2)),
            strata=sid.astype(np.int64) - 1,
            d=d.astype(np.int64),
            rate=rate,
            obs_eid=np.asarray(obs["eid"]),
            obs_sid=np.asarray(obs["stratum"]) - 1,
            obs_k=np.asarray(obs["k"]),
        )

    def degrees(self, accounts: np.ndarray) -> np.ndarray:
        """One row per account, one column per stratum: its number of first actions."""
        lo = self.first[accounts]
        count = self.first[accounts + 1] - lo
        width = self.rate.size
        out = np.zeros(accounts.size * width, dtype=np.int64)
        at = index_ranges(lo, count)
        out[np.repeat(np.arange(0, out.size, width), count) + self.strata[at]] = self.d[at]
        return out.reshape(accounts.size, width)


def _score_cells(
    cells: _Cells, expected: np.ndarray, observed: np.ndarray, log_p: np.ndarray
) -> None:
    """Each edge's expected and observed counts and log p-value, from its (edge, stratum) cells.

    A cell is a stratum in which both accounts acted: its expected count is
    ``min(d_us d_vs c_s, d_us, d_vs)``, its observed count the edge's co-actions there
    (0 where it has none). An edge's p-value is the best Poisson tail over its cells
    accumulated rarest first: the cells sorted by expected count (ties by stratum number),
    then for each prefix (the rarest stratum, the two rarest, ...) the observed and
    expected counts are summed and tested, and the smallest p-value is multiplied by the
    number of prefixes (Bonferroni). Co-actions spread over several obscure strata add up,
    while a stratum where co-actions are expected (viral items) cannot dilute the evidence
    of the rarer ones.

    A range of edges at a time is laid out as a dense block, one row per stratum (in
    rarest-first order, per edge) and one column per edge, so that each prefix is one
    vector addition and every sum runs within its edge. It replaced a DuckDB table of
    every cell (40 million at 10M generated posts) sorted a range of edges at a time and
    summed with running totals over all edges: 19 s of the combined layer's 41 s there,
    and running totals that lost a small prefix's last digits against a large total.
    """
    n, width = cells.source.size, cells.rate.size
    if n == 0 or width == 0:
        return
    per_chunk = max(1, _CELLS_PER_CHUNK // width)
    # The observed counts in order of chunk: a counting sort when the chunk numbers fit
    # 16 bits (numpy's stable sort is a radix sort there), 1.9 s less than DuckDB's
    # ORDER BY of 18 million rows.
    chunk = cells.obs_eid // per_chunk
    by_chunk = np.argsort(
        chunk.astype(np.int16) if n // per_chunk < 2**15 else chunk, kind="stable"
    )
    obs_at = np.searchsorted(chunk[by_chunk], np.arange(0, n // per_chunk + 2))
    del chunk
    obs_eid, obs_sid, obs_k = (a[by_chunk] for a in (cells.obs_eid, cells.obs_sid, cells.obs_k))
    del by_chunk
    for j, lo in enumerate(range(0, n, per_chunk)):
        hi = min(lo + per_chunk, n)
        du = cells.degrees(cells.source[lo:hi])
        dv = cells.degrees(cells.target[lo:hi])
        lam = np.minimum((du * dv) * cells.rate, np.minimum(du, dv))
        lam[(du == 0) | (dv == 0)] = np.inf
        del du, dv
        k = np.zeros(lam.shape, dtype=np.int64)
        o = slice(obs_at[j], obs_at[j + 1])
        k[obs_eid[o] - lo, obs_sid[o]] = obs_k[o]
        order = np.argsort(lam, axis=1, kind="stable")
        lam = np.ascontiguousarray(np.take_along_axis(lam, order, axis=1).T)
        k = np.ascontiguousarray(np.take_along_axis(k, order, axis=1).T)
        del order
        cell = lam != np.inf  # each edge's cells come first in its column
        lam[~cell] = 0.0
        for row in range(1, width):  # prefix sums down each column
            lam[row] += lam[row - 1]
            k[row] += k[row - 1]
        expected[lo:hi] = lam[-1]
        observed[lo:hi] = k[-1]
        tested = cell & (k > 0)  # a prefix without co-actions has a tail of exactly 1
        tail = np.zeros(lam.shape)
        tail[tested] = poisson_log_sf(k[tested], lam[tested])
        prefixes = cell.sum(axis=0)
        log_p[lo:hi] = np.minimum(tail.min(axis=0) + np.log(np.maximum(prefixes, 1)), 0.0)


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
