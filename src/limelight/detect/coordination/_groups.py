"""Group seeds: campaigns whose members rarely co-act in pairs, found and tested as groups.

A campaign of twelve whose members each join a third of twelve pushes gives a pair of
members about one co-action (``0.3^2 x 12``), below any pairwise test: no pair is
significant, so Leiden finds no core and growth (``_membership``) has nothing to grow.
Together, though, the members make dozens of co-actions on items almost nobody else
touched, which organic accounts do not repeat.

The test here never goes through pairs. Co-actions on *small* items (acted on by at most
``max_item_accounts`` accounts, so viral crowds cannot dominate) are split into two halves
by a hash of the item. Leiden on one half's co-action graph proposes groups; each group is
tested on the *other* half only, so choosing the group cannot inflate its test:

- observed: the group's co-actions in the other half (pairs of members acting on one item
  within the window);
- expected: the same Chung-Lu null as the pairwise test (``_significance``), pooled over
  the small items: accounts ``u`` and ``v`` with ``d_u`` and ``d_v`` small items in that
  half co-act ``c d_u d_v`` times by chance, with ``c = q sum(n_i^2) / M^2`` (``q``: the
  share of pairs on those items that acted within the window, add-one smoothed);
- a Poisson tail, Bonferroni-corrected over the groups proposed in that half.

A group that passes keeps the members whose own co-actions with the rest of it in the
other half pass the same tail, Bonferroni-corrected over its members, so an organic
account that Leiden put beside a campaign is not carried in by it. The kept groups of
both halves are the seeds (merged where they share an account: the two halves find one
campaign twice); ``campaigns_from_layers`` adds them to the pairwise cores before growth
(``add_seeds``). Members who joined pushes only in one half are missed here and left
to growth.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from dataclasses import dataclass

import igraph
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from limelight.detect.coordination._duck import connect
from limelight.detect.coordination._significance import poisson_log_sf, window_microseconds

__all__ = ["GroupSeeds", "add_seeds", "group_seeds", "merge_groups"]

#: Items acted on by more accounts than this are left to the pairwise test: a push joined
#: by part of a campaign is a handful of accounts, and a crowd of thousands on one viral
#: post would otherwise make every pair in it a co-action.
MAX_ITEM_ACCOUNTS = 30


@dataclass(frozen=True, slots=True)
class GroupSeeds:
    """Groups that passed the split-half test, and the co-acting pairs behind them.

    ``pairs`` has ``source``, ``target`` (source < target) and ``co_actions`` for every
    pair of accounts that co-acted on a small item in either half, restricted to pairs
    inside one seed: the evidence of the group, even where no pair reaches ``min_weight``.
    ``tests`` records each proposed group: half it was proposed in, size, observed and
    expected co-actions in the other half, log10 p-value (uncorrected) and members kept.
    """

    groups: list[list[str]]
    pairs: pa.Table
    tests: list[dict[str, float | int]]

    def summary(self) -> dict[str, int]:
        """Counts for a run's parameters: groups proposed and passed, accounts seeded."""
        return {
            "proposed": len(self.tests),
            "passed": sum(1 for t in self.tests if int(t["kept"]) > 0),
            "accounts": sum(len(g) for g in self.groups),
        }


_PAIR_SCHEMA = pa.schema(
    [("source", pa.string()), ("target", pa.string()), ("co_actions", pa.int64())]
)

_SQL = """
CREATE TEMP TABLE _first AS
    SELECT account_id, item, min("at") AS at FROM _acts GROUP BY ALL;
CREATE TEMP TABLE _items AS
    SELECT item, count(*) AS n, hash(item) % 2 AS half
    FROM _first GROUP BY item HAVING count(*) BETWEEN 2 AND {cap};
CREATE TEMP TABLE _small AS
    SELECT f.account_id, f.item, epoch_us(f.at) AS t, i.half
    FROM _first f JOIN _items i USING (item);
CREATE TEMP TABLE _near AS
    SELECT x.account_id AS source, y.account_id AS target, x.half, count(*) AS k
    FROM _small x JOIN _small y
      ON x.item = y.item AND x.account_id < y.account_id
    WHERE abs(x.t - y.t) <= {window}
    GROUP BY ALL;
"""


def group_seeds(
    actions: pa.Table,
    window: float,
    *,
    alpha: float = 0.01,
    min_accounts: int = 3,
    max_item_accounts: int = MAX_ITEM_ACCOUNTS,
    random_state: int = 0,
) -> GroupSeeds:
    """Groups of accounts that co-act beyond chance as groups (module docstring).

    ``actions`` has ``account_id``, ``item`` and ``at`` (the combined layer's actions);
    ``window`` is in seconds. Groups are proposed with at least ``min_accounts`` accounts;
    ``alpha`` bounds the chance of a false group per half and of a false member per group.
    """
    empty = GroupSeeds([], _PAIR_SCHEMA.empty_table(), [])
    if actions.num_rows == 0:
        return empty
    with connect() as conn:
        conn.register("_acts", actions.select(["account_id", "item", "at"]))
        conn.execute(_SQL.format(cap=int(max_item_accounts), window=window_microseconds(window)))
        near = conn.sql("SELECT * FROM _near ORDER BY ALL").to_arrow_table()
        per_half = dict.fromkeys((0, 1), 0.0)
        for half, pairs, sum_n, sum_n2 in conn.execute(
            "SELECT half, sum(n * (n - 1) / 2), sum(n), sum(n * n) FROM _items GROUP BY half"
        ).fetchall():
            # fetchall, not fetchone: an unfinished result would block the next query.
            close = conn.execute(
                "SELECT coalesce(sum(k), 0) FROM _near WHERE half = ?", [half]
            ).fetchall()
            q = (float(close[0][0] if close else 0) + 1.0) / (float(pairs) + 1.0)
            per_half[int(half)] = q * float(sum_n2) / float(sum_n) ** 2
        degrees = conn.sql(
            "SELECT account_id, half, count(*) AS d FROM _small GROUP BY ALL"
        ).to_arrow_table()
    if near.num_rows == 0:
        return empty
    # Accounts in sorted order (Arrow compares UTF-8 bytes, which sorts as code points,
    # as Python's sorted does); every account of _near has a degree.
    names = pc.unique(degrees.column("account_id"))
    names = names.take(pc.sort_indices(names))
    accounts = names.to_pylist()
    degree = np.zeros((2, len(accounts)))
    at = pc.index_in(degrees.column("account_id"), value_set=names).to_numpy()
    degree[degrees.column("half").to_numpy().astype(np.int64), at] = degrees.column("d").to_numpy()
    src = pc.index_in(near.column("source"), value_set=names).to_numpy().astype(np.int64)
    dst = pc.index_in(near.column("target"), value_set=names).to_numpy().astype(np.int64)
    half_of = np.asarray(near.column("half").to_numpy(), dtype=np.int64)
    k = np.asarray(near.column("k").to_numpy(), dtype=np.int64)
    halves = [(src[half_of == h], dst[half_of == h], k[half_of == h]) for h in (0, 1)]

    # Only an account with co-actions in both halves can be kept (a member is tested on
    # the half its group was not proposed in), so the others are left out of the graphs.
    both = np.zeros(len(accounts), dtype=np.int8)
    for h, (s, t, _) in enumerate(halves):
        both[np.concatenate([s, t])] |= 1 << h
    seeds: list[list[str]] = []
    tests: list[dict[str, float | int]] = []
    for h in (0, 1):
        s, t, w = halves[h]
        usable = (both[s] == 3) & (both[t] == 3)
        proposed = _propose((s[usable], t[usable], w[usable]), min_accounts, random_state)
        if not proposed:
            continue
        other = 1 - h
        o_src, o_dst, o_k = halves[other]
        d, c = degree[other], per_half[other]
        label = np.full(len(accounts), -1, dtype=np.int64)
        for g, members in enumerate(proposed):
            label[members] = g
        inside = (label[o_src] >= 0) & (label[o_src] == label[o_dst])
        observed = np.bincount(label[o_src[inside]], weights=o_k[inside], minlength=len(proposed))
        expected = np.empty(len(proposed))
        for g, members in enumerate(proposed):
            total = d[members].sum()
            expected[g] = c * (total * total - (d[members] ** 2).sum()) / 2.0
        log_p = poisson_log_sf(observed.astype(np.int64), expected)
        for g, members in enumerate(proposed):
            kept: list[int] = []
            if log_p[g] + math.log(len(proposed)) <= math.log(alpha):
                kept = _members_tied(members, label, g, halves[other], d, c, alpha)
            tests.append(
                {
                    "half": h,
                    "accounts": len(members),
                    "observed": int(observed[g]),
                    "expected": float(expected[g]),
                    "log10_p": float(log_p[g] / math.log(10)),
                    "kept": len(kept),
                }
            )
            if len(kept) >= 2:
                seeds.append(sorted(accounts[i] for i in kept))
    groups = merge_groups(seeds)
    return GroupSeeds(groups, _pairs_inside(groups, near), tests)


def _propose(
    half: tuple[np.ndarray, np.ndarray, np.ndarray], min_accounts: int, seed: int
) -> list[np.ndarray]:
    """Leiden (modularity) groups of one half's co-action graph, ``min_accounts`` or more.

    Only the accounts with a co-action in the half are vertices: most accounts have none,
    and Leiden's time grows with every vertex it visits.
    """
    src, dst, k = half
    if src.size == 0:
        return []
    vertices, ends = np.unique(np.concatenate([src, dst]), return_inverse=True)
    graph = igraph.Graph(
        n=vertices.size, edges=np.column_stack([ends[: src.size], ends[src.size :]]).tolist()
    )
    graph.es["weight"] = k.astype(float).tolist()
    # igraph's own Leiden is about twice as fast as leidenalg's here; it draws from the
    # generator igraph is given, so a seeded one is lent for the call and taken back.
    igraph.set_random_number_generator(random.Random(seed))
    try:
        partition = graph.community_leiden(
            objective_function="modularity", weights="weight", n_iterations=2
        )
    finally:
        igraph.set_random_number_generator(random)
    return [np.sort(vertices[list(c)]) for c in partition if len(c) >= min_accounts]


def _members_tied(
    members: np.ndarray,
    label: np.ndarray,
    group: int,
    other: tuple[np.ndarray, np.ndarray, np.ndarray],
    degree: np.ndarray,
    c: float,
    alpha: float,
) -> list[int]:
    """The members whose co-actions with the rest of the group pass on the other half."""
    src, dst, k = other
    inside = (label[src] == group) & (label[dst] == group)
    own = np.bincount(src[inside], weights=k[inside], minlength=label.size)
    own += np.bincount(dst[inside], weights=k[inside], minlength=label.size)
    d = degree[members]
    expected = c * d * (d.sum() - d)
    log_p = poisson_log_sf(own[members].astype(np.int64), expected)
    passed = log_p + math.log(len(members)) <= math.log(alpha)
    return [int(m) for m, ok in zip(members, passed, strict=True) if ok]


def _pairs_inside(groups: Sequence[Sequence[str]], near: pa.Table) -> pa.Table:
    """The co-acting pairs (both halves summed) whose accounts are in one seed."""
    label = {a: g for g, members in enumerate(groups) for a in members}
    seeded = pa.array(list(label), pa.string())
    near = near.filter(
        pc.and_(
            pc.is_in(near.column("source"), value_set=seeded),
            pc.is_in(near.column("target"), value_set=seeded),
        )
    )
    totals: dict[tuple[str, str], int] = {}
    for s, t, k in zip(
        near.column("source").to_pylist(),
        near.column("target").to_pylist(),
        near.column("k").to_pylist(),
        strict=True,
    ):
        gs = label.get(s)
        if gs is not None and gs == label.get(t):
            totals[(s, t)] = totals.get((s, t), 0) + int(k)
    rows = sorted(totals.items())
    return pa.table(
        {
            "source": pa.array([s for (s, _), _ in rows], pa.string()),
            "target": pa.array([t for (_, t), _ in rows], pa.string()),
            "co_actions": pa.array([k for _, k in rows], pa.int64()),
        }
    )


def merge_groups(groups: Sequence[Sequence[str]]) -> list[list[str]]:
    """Groups that share an account merged into one (sorted, largest first).

    The two halves find the same campaign twice, and a seed may overlap a core found by
    the pairwise test; an account belongs to one campaign.
    """
    parent: dict[str, str] = {}

    def find(a: str) -> str:
        while parent[a] != a:
            parent[a] = parent[parent[a]]
            a = parent[a]
        return a

    for members in groups:
        for a in members:
            parent.setdefault(a, a)
        for a in members[1:]:
            ra, rb = find(members[0]), find(a)
            if ra != rb:
                parent[max(ra, rb)] = min(ra, rb)
    merged: dict[str, list[str]] = {}
    for a in parent:
        merged.setdefault(find(a), []).append(a)
    return sorted((sorted(g) for g in merged.values()), key=lambda g: (-len(g), g[0]))


def add_seeds(
    cores: Sequence[Sequence[str]], seeds: Sequence[Sequence[str]], *, min_accounts: int = 3
) -> list[list[str]]:
    """The cores with each seed's accounts added (sorted, largest first).

    A seed that shares accounts with cores joins the core it shares most with (the first
    such core on a tie), bringing its other accounts and the other cores it touches that
    are smaller than ``min_accounts`` (pairs kept for growth, too small to stand alone); a
    seed that shares none is a group of its own. Two cores of ``min_accounts`` or more are
    never merged through a seed: campaigns found by the pairwise test stay apart even when
    a group test links an account of each.
    """
    out: list[list[str] | None] = [list(g) for g in cores]
    label = {a: i for i, g in enumerate(cores) for a in g}
    for seed in seeds:
        shared: dict[int, int] = {}
        for a in seed:
            if a in label:
                shared[label[a]] = shared.get(label[a], 0) + 1
        if shared:
            target = max(shared, key=lambda i: (shared[i], -i))
        else:
            target = len(out)
            out.append([])
        group = out[target]
        assert group is not None
        for i in shared:
            small = out[i]
            if i != target and small is not None and len(small) < min_accounts:
                group.extend(small)
                for a in small:
                    label[a] = target
                out[i] = None
        for a in seed:
            if a not in label:
                group.append(a)
                label[a] = target
    kept = [sorted(g) for g in out if g]
    return sorted(kept, key=lambda g: (-len(g), g[0]))
