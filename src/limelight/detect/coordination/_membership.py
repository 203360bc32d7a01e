"""Growing campaigns: outside accounts tied to a campaign as a whole beyond chance.

Pairwise tests are strict by necessity: every pair of accounts that shared an item is a
hypothesis, millions of them, so a pair needs a p-value near 1e-9 to pass the false
discovery rate. A member who joins only half the pushes, with jittered timing and
paraphrased texts, shares two or three co-actions with each other member and passes with
none of them, although together those ties are overwhelming. Once Leiden has found a
campaign's core from the significant pairs, the question for an outside account is
smaller and has its own family: is it tied to *this group* beyond chance? Its co-actions
with all the members are summed, as are the chance expectations of those pairs (the
null model's ``expected``), and the sum is tested against a Poisson tail. The family is
every (account, campaign) candidate, corrected by Benjamini-Hochberg at ``alpha``.

To keep organic accounts out, a candidate needs tested edges (``min_weight`` co-actions)
with at least ``min_partners`` members: one strong pair is a pair, not membership. Pairs
without an edge are left out of both sums (their co-actions are below ``min_weight``);
the tests pin that organic worlds, viral crowds included, gain no members this way.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from limelight.detect.coordination._significance import poisson_log_sf

__all__ = ["grow_campaigns"]


def grow_campaigns(
    groups: Sequence[Sequence[str]],
    layers: Mapping[str, pa.Table],
    *,
    alpha: float = 0.01,
    min_partners: int = 3,
) -> list[list[str]]:
    """Each group with the outside accounts tied to it beyond chance (sorted, largest first).

    ``layers`` holds each layer's scored edges (``edge_significance`` output, with
    ``observed`` and ``expected``); pass the combined layer alone when there is one, so
    that no co-action counts twice. An account joins at most one group, the one it is
    most significantly tied to.
    """
    label = {a: g for g, members in enumerate(groups) for a in members}
    if not label:
        return [sorted(g) for g in groups]
    k: dict[tuple[str, int], int] = {}
    lam: dict[tuple[str, int], float] = {}
    partners: dict[tuple[str, int], int] = {}
    members = pa.array(list(label), pa.string())
    for table in layers.values():
        if table.num_rows == 0:
            continue
        # Only edges with exactly one end in a group matter; the rest stay in Arrow.
        one_end = pc.xor(
            pc.is_in(table.column("source"), value_set=members),
            pc.is_in(table.column("target"), value_set=members),
        )
        border = table.select(["source", "target", "observed", "expected"]).filter(one_end)
        cols = border.to_pydict()
        for s, t, obs, exp in zip(*cols.values(), strict=True):
            gs, gt = label.get(s), label.get(t)
            if (gs is None) == (gt is None):
                continue  # both inside (already members) or both outside
            key: tuple[str, int] = (t, gs) if gs is not None else (s, gt)  # type: ignore[assignment]
            k[key] = k.get(key, 0) + int(obs)
            lam[key] = lam.get(key, 0.0) + float(exp)
            partners[key] = partners.get(key, 0) + 1
    keys = [key for key in k if partners[key] >= min_partners]
    if not keys:
        return [sorted(g) for g in groups]
    log_p = poisson_log_sf(np.array([k[x] for x in keys]), np.array([lam[x] for x in keys]))
    m = len(keys)
    order = np.argsort(log_p, kind="stable")
    log_q = log_p[order] + math.log(m) - np.log(np.arange(1, m + 1))
    log_q = np.minimum.accumulate(log_q[::-1])[::-1]
    passed = np.zeros(m, dtype=bool)
    passed[order] = log_q <= math.log(alpha)
    best: dict[str, tuple[float, int]] = {}
    for (account, group), lp, ok in zip(keys, log_p, passed, strict=True):
        if ok and (account not in best or lp < best[account][0]):
            best[account] = (float(lp), group)
    grown = [list(g) for g in groups]
    for account, (_, group) in best.items():
        grown[group].append(account)
    return sorted((sorted(g) for g in grown), key=lambda g: (-len(g), g[0]))
