"""The null model keeps a planted campaign and drops pairs that only shared a viral burst.

The actions are built by hand (no real data set has planted ground truth): organic items
shared by a dozen accounts over days, five viral posts each reposted by the same crowd
of heavy users within one minute, and eight accounts that co-repost five obscure posts
within seconds. Raw co-action weights cannot tell the crowd from the campaign; the
significance test must.
"""

from __future__ import annotations

import itertools
import math
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from limelight.detect.coordination._edges import co_action_edges
from limelight.detect.coordination._significance import (
    co_actions,
    edge_significance,
    poisson_log_sf,
    significant_edges,
)

T0 = datetime(2024, 3, 1, tzinfo=UTC)
WINDOW = 60.0
CAMPAIGN = [f"camp{i}" for i in range(8)]
HEAVY = [f"heavy{i:03d}" for i in range(120)]


def _actions(rows: list[tuple[str, str, float]]) -> pa.Table:
    """An actions table from (account, item, seconds after T0) rows; post ids made up."""
    return pa.table(
        {
            "account_id": [r[0] for r in rows],
            "item": [r[1] for r in rows],
            "at": pa.array([T0 + timedelta(seconds=r[2]) for r in rows], pa.timestamp("us", "UTC")),
            "post_id": [f"p{i}" for i in range(len(rows))],
        }
    )


def _scenario() -> pa.Table:
    rng = np.random.default_rng(7)
    organic = np.array([f"org{i:04d}" for i in range(800)])
    everyone = np.concatenate([organic, np.array(HEAVY)])
    rows: list[tuple[str, str, float]] = []
    # 600 ordinary items, each shared by 8-15 accounts spread over three days.
    for j in range(600):
        sharers = everyone[rng.permutation(everyone.size)[: int(rng.integers(8, 16))]]
        rows += [(str(a), f"item{j}", float(rng.uniform(0, 3 * 86400))) for a in sharers]
    # Five viral posts: the 120 heavy users plus 150 others repost each within one minute.
    for v in range(5):
        start = float(rng.uniform(0, 2 * 86400))
        crowd = HEAVY + [str(a) for a in organic[rng.permutation(organic.size)[:150]]]
        rows += [(acc, f"viral{v}", start + float(rng.uniform(0, 55))) for acc in crowd]
    # The campaign: eight accounts repost five obscure posts within 20 seconds; four
    # organic accounts also share each of those posts later in the day.
    for c in range(5):
        start = float(rng.uniform(0, 2 * 86400))
        rows += [(acc, f"camp_item{c}", start + float(rng.uniform(0, 20))) for acc in CAMPAIGN]
        for acc in organic[rng.permutation(organic.size)[:4]]:
            rows.append((str(acc), f"camp_item{c}", start + float(rng.uniform(3600, 30000))))
    return _actions(rows)


@pytest.fixture(scope="module")
def actions() -> pa.Table:
    return _scenario()


@pytest.fixture(scope="module")
def scored(actions: pa.Table) -> pa.Table:
    edges = co_action_edges(actions, WINDOW, 2)
    return edge_significance(edges, actions, WINDOW)


def _pairs(scored: pa.Table, group: list[str]) -> pa.Table:
    """The rows whose two accounts are both in ``group``."""
    members = pa.array(group)
    return scored.filter(
        pc.and_(pc.is_in(scored["source"], members), pc.is_in(scored["target"], members))
    )


def _row(scored: pa.Table, source: str, target: str) -> dict[str, Any]:
    found = scored.filter(
        pc.and_(pc.equal(scored["source"], source), pc.equal(scored["target"], target))
    )
    assert found.num_rows == 1
    row: dict[str, Any] = found.to_pylist()[0]
    return row


def test_raw_weights_cannot_tell_the_crowd_from_the_campaign(scored: pa.Table) -> None:
    campaign = _pairs(scored, CAMPAIGN)
    crowd = _pairs(scored, HEAVY)
    assert campaign.num_rows == 28  # every pair of the eight
    assert pc.min(campaign["weight"]).as_py() == 5
    # Thousands of heavy-user pairs co-reposted all five viral posts: by raw weight they
    # rank level with the campaign, so any weight threshold keeps both or neither.
    assert pc.sum(pc.greater_equal(crowd["weight"], 5)).as_py() > 5000


def test_significance_keeps_the_campaign_and_drops_the_crowd(scored: pa.Table) -> None:
    kept = significant_edges(scored)
    assert kept.num_rows == 28
    assert _pairs(kept, CAMPAIGN).num_rows == 28
    camp = _row(scored, "camp0", "camp1")
    heavy = _row(scored, "heavy000", "heavy001")
    # The crowd's five co-reposts are what chance predicts; the campaign's are not.
    assert heavy["weight"] == 5
    assert heavy["expected"] == pytest.approx(5.0, rel=0.05)
    assert heavy["pvalue"] > 0.3
    assert camp["expected"] < 0.05
    assert camp["score"] > 10
    assert 0 <= camp["pvalue"] < 1e-10


def test_columns_and_order_are_kept(scored: pa.Table) -> None:
    assert scored.column_names[:7] == [
        "source",
        "target",
        "weight",
        "first_at",
        "last_at",
        "items",
        "n_items",
    ]
    assert scored.column_names[7:] == ["expected", "pvalue", "score", "significant", "observed"]
    scores = scored.column("score").to_numpy()
    pvalues = scored.column("pvalue").to_numpy()
    assert np.all(scores >= 0) and np.all((pvalues >= 0) & (pvalues <= 1))


def test_same_input_same_scores(actions: pa.Table, scored: pa.Table) -> None:
    assert _scenario().equals(actions)
    edges = scored.select(scored.column_names[:7])
    assert edge_significance(edges, actions, WINDOW).equals(scored)


@pytest.mark.parametrize("per_chunk", [1, 200, 2000])
def test_chunks_of_edges_give_the_same_bits(
    actions: pa.Table, scored: pa.Table, per_chunk: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Millions of edges are scored a range of edges at a time (a block of edges x strata
    # cells); the running sums carried from chunk to chunk must give exactly what one
    # pass gives, whatever the cut, down to one edge a chunk.
    from limelight.detect.coordination import _significance

    monkeypatch.setattr(_significance, "_CELLS_PER_CHUNK", per_chunk)
    edges = scored.select(scored.column_names[:7])
    assert edges.num_rows > 100  # many chunks
    assert edge_significance(edges, actions, WINDOW).equals(scored)


@pytest.mark.parametrize("by_pairs", ["all", "none"])
def test_pairs_and_probes_count_the_same(
    actions: pa.Table, scored: pa.Table, by_pairs: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Each stratum finds the items an edge's accounts share either from the items' pairs
    # of accounts or by probing from the edges, whichever is estimated cheaper; either
    # way for every stratum gives the same bits.
    from limelight.detect.coordination import _significance

    where = "" if by_pairs == "all" else "WHERE false"
    sql = f"CREATE TEMP TABLE _by_pairs AS SELECT DISTINCT stratum FROM _items {where}"
    monkeypatch.setattr(_significance, "_BY_PAIRS", sql)
    edges = scored.select(scored.column_names[:7])
    assert edge_significance(edges, actions, WINDOW).equals(scored)


def test_empty_inputs_give_empty_tables() -> None:
    actions = _actions([])
    edges = co_action_edges(actions, WINDOW, 2)
    out = edge_significance(edges, actions, WINDOW)
    assert out.num_rows == 0
    assert out.column_names[-5:] == ["expected", "pvalue", "score", "significant", "observed"]
    assert co_actions(edges, actions, WINDOW).num_rows == 0


def test_actions_without_an_item_are_no_co_actions() -> None:
    # Two accounts share one item, and act at the same moments on nothing (null items):
    # only the item counts, as the edge join counts it.
    rows = [("a", "x", 0.0), ("b", "x", 5.0), ("c", "x", 500.0), ("d", "x", 900.0)]
    rows += [(acc, None, float(t)) for t in range(0, 50, 10) for acc in ("a", "b")]
    actions = _actions(rows)  # type: ignore[arg-type]
    edges = pa.table({"source": ["a"], "target": ["b"], "weight": [1]})
    scored = edge_significance(edges, actions, WINDOW)
    assert scored.column("observed").to_pylist() == [1]


def test_co_actions_name_both_posts_and_times() -> None:
    actions = _actions(
        [
            ("a", "x", 0.0),
            ("b", "x", 30.0),
            ("a", "y", 0.0),
            ("b", "y", 500.0),
            ("a", "z", 9.0),
            ("b", "z", 0.0),
        ]
    )
    edges = pa.table({"source": ["a"], "target": ["b"]})
    rows = co_actions(edges, actions, WINDOW).to_pylist()
    assert [(r["item"], r["source_post_id"], r["target_post_id"]) for r in rows] == [
        ("x", "p0", "p1"),
        ("z", "p4", "p5"),
    ]
    assert rows[0]["target_at"] - rows[0]["source_at"] == timedelta(seconds=30)


def test_co_actions_equal_a_direct_comparison_from_either_side() -> None:
    # Accounts of very different activity, edges given both ways round: the join probes
    # from the less active account and must find what a direct comparison finds.
    rng = np.random.default_rng(11)
    accounts = [f"u{i}" for i in range(30)]
    rows = [
        (a, f"i{int(rng.integers(0, 40))}", float(rng.uniform(0, 900)))
        for n, a in enumerate(accounts)
        for _ in range(1 + n * 2)
    ]
    actions = _actions(rows)
    first: dict[tuple[str, str], tuple[float, str]] = {}
    for n, (a, item, t) in enumerate(rows):
        if (a, item) not in first or t < first[(a, item)][0]:
            first[(a, item)] = (t, f"p{n}")
    pairs = [(accounts[i], accounts[j]) for i in range(30) for j in range(30) if (i + j) % 7 == 0]
    pairs = [(u, v) for u, v in pairs if u != v]
    edges = pa.table({"source": [u for u, _ in pairs], "target": [v for _, v in pairs]})
    expected = sorted(
        (u, v, item, first[(u, item)][1], first[(v, item)][1])
        for u, v in pairs
        for (a, item) in first
        if a == u
        and (v, item) in first
        and abs(first[(u, item)][0] - first[(v, item)][0]) <= WINDOW
    )
    got = sorted(
        (r["source"], r["target"], r["item"], r["source_post_id"], r["target_post_id"])
        for r in co_actions(edges, actions, WINDOW).to_pylist()
    )
    assert got == expected
    assert len(expected) > 20


@pytest.mark.parametrize(
    ("k", "lam"), [(1, 0.5), (5, 5.0), (3, 0.01), (10, 2.0), (40, 60.0), (300, 100.0)]
)
def test_poisson_tail_matches_the_direct_sum(k: int, lam: float) -> None:
    terms = [-lam + j * math.log(lam) - math.lgamma(j + 1) for j in range(k, k + 3000)]
    top = max(terms)
    direct = top + math.log(sum(math.exp(t - top) for t in terms))
    assert poisson_log_sf(np.array([k]), np.array([lam]))[0] == pytest.approx(direct, rel=1e-9)


def _reference(edges: pa.Table, actions: pa.Table, window: float) -> list[tuple[float, int, float]]:
    """(expected, observed, log p) per edge, computed directly from the module docstring.

    Plain Python over dictionaries, sharing nothing with the module but ``poisson_log_sf``
    (itself checked against a direct sum below): first actions, strata by behaviour and
    log2 of popularity, degrees, the leave-out chance rate, the capped expectation and the
    rarest-first prefixes (ties by stratum name), Bonferroni over the prefixes.
    """
    kinds = actions.column("behaviour").to_pylist() if "behaviour" in actions.column_names else None
    first: dict[tuple[str, str], float] = {}
    kind_of: dict[str, str] = {}
    for i, (acc, item, at) in enumerate(
        zip(*(actions.column(c).to_pylist() for c in ("account_id", "item", "at")), strict=True)
    ):
        if acc is None or item is None:
            continue
        t = at.timestamp()
        first[(acc, item)] = min(first.get((acc, item), t), t)
        kind_of[item] = kinds[i] if kinds else ""
    times: dict[str, dict[str, float]] = {}
    for (acc, item), t in first.items():
        times.setdefault(item, {})[acc] = t
    stratum: dict[str, str] = {}
    totals: dict[str, list[float]] = {}  # close pairs, pairs, sum n^2, sum n
    for item, by_acc in times.items():
        n = len(by_acc)
        if n < 2:
            continue
        name = ":".join(p for p in (kind_of[item], str(math.floor(math.log2(n)))) if p)
        stratum[item] = name
        ts = sorted(by_acc.values())
        close = sum(1 for a, b in itertools.combinations(ts, 2) if abs(a - b) <= window)
        tot = totals.setdefault(name, [0.0, 0.0, 0.0, 0.0])
        for j, x in enumerate((close, n * (n - 1) / 2, n * n, n)):
            tot[j] += x
    degree: dict[tuple[str, str], int] = {}
    items_of: dict[str, set[str]] = {}
    for acc, item in first:
        if item in stratum:
            degree[(acc, stratum[item])] = degree.get((acc, stratum[item]), 0) + 1
            items_of.setdefault(acc, set()).add(item)
    ends = (edges.column(c).to_pylist() for c in ("source", "target"))
    pairs = list(zip(*ends, strict=True))
    seen: dict[tuple[int, str], list[int]] = {}  # (edge, stratum) -> [k, shared]
    for e, (u, v) in enumerate(pairs):
        for item in items_of.get(u, set()) & items_of.get(v, set()):
            cell = seen.setdefault((e, stratum[item]), [0, 0])
            cell[0] += abs(first[(u, item)] - first[(v, item)]) <= window
            cell[1] += 1
    k_of: dict[str, list[int]] = {}
    for (_, name), (k, shared) in seen.items():
        acc_k = k_of.setdefault(name, [0, 0])
        acc_k[0] += k
        acc_k[1] += shared
    rate: dict[str, float] = {}
    for name, (close, npairs, nn, m) in totals.items():
        k, shared = k_of.get(name, [0, 0])
        rate[name] = (1 + close - k) / (1 + npairs - shared) * nn / m**2
    out = []
    for e, (u, v) in enumerate(pairs):
        cells = []
        for name in sorted(rate):
            du, dv = degree.get((u, name), 0), degree.get((v, name), 0)
            if du and dv:
                lam = min(du * dv * rate[name], min(du, dv))
                cells.append((lam, name, seen.get((e, name), [0, 0])[0]))
        cells.sort(key=lambda c: (c[0], c[1]))
        best, lam_sum, k_sum = 0.0, 0.0, 0
        for lam, _, k in cells:
            lam_sum, k_sum = lam_sum + lam, k_sum + k
            if k_sum:
                best = min(best, float(poisson_log_sf(np.array([k_sum]), np.array([lam_sum]))[0]))
        log_p = min(best + math.log(len(cells)), 0.0) if cells else 0.0
        out.append((lam_sum, k_sum, log_p))
    return out


@pytest.mark.parametrize("behaviours", [False, True])
def test_scores_equal_a_direct_computation_of_the_null_model(
    actions: pa.Table, behaviours: bool
) -> None:
    if behaviours:  # two behaviours: the organic items in one, the rest in the other
        items = actions.column("item").to_pylist()
        kind = ["co-url" if i.startswith("item") else "co-repost" for i in items]
        actions = actions.append_column("behaviour", pa.array(kind))
    edges = co_action_edges(actions, WINDOW, 2)
    scored = edge_significance(edges, actions, WINDOW)
    want = _reference(edges, actions, WINDOW)
    assert len(want) == scored.num_rows > 5000
    got = zip(
        scored.column("expected").to_pylist(),
        scored.column("observed").to_pylist(),
        (-scored.column("score").to_numpy() * math.log(10)).tolist(),
        strict=True,
    )
    for (exp_got, obs_got, logp_got), (exp_want, obs_want, logp_want) in zip(
        got, want, strict=True
    ):
        assert obs_got == obs_want
        assert exp_got == pytest.approx(exp_want, rel=1e-9)
        assert logp_got == pytest.approx(logp_want, rel=1e-9, abs=1e-12)
    assert sum(1 for _, _, lp in want if lp < -20) >= 28  # the campaign's pairs at least
