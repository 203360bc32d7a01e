"""The simulator makes the organic activity that fools naive detectors, and plants campaigns.

Recovery figures are only as good as the simulated world, so these tests pin the features
that make detection hard (heavy tails, viral bursts, a daily rhythm) and check that each
evasion knob does what it says. The recovery metric is cross-checked against a brute-force
pair count.
"""

from __future__ import annotations

import itertools
from collections import Counter, defaultdict
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest

from limelight.detect.coordination._simulate import (
    CampaignPlan,
    SimulatedData,
    SimulationSettings,
    recovery,
    simulate,
)
from limelight.records import Post

SMALL = SimulationSettings(n_accounts=800, viral_size=300, n_viral=2)


@pytest.fixture(scope="module")
def world() -> SimulatedData:
    return simulate(SMALL, random_state=3)


def _campaign_posts(data: SimulatedData, campaign: str) -> list[Post]:
    return [p for p in data.posts if data.truth.get(p.account_id or "") == campaign]


def test_same_seed_same_world(world: SimulatedData) -> None:
    again = simulate(SMALL, random_state=3)
    assert again.posts == world.posts
    assert again.accounts == world.accounts
    assert again.truth == world.truth
    other = simulate(SMALL, random_state=4)
    assert other.posts != world.posts


def test_truth_names_every_planted_account(world: SimulatedData) -> None:
    plan = SMALL.campaigns
    assert len(world.truth) == plan.n_campaigns * plan.size == 48
    assert Counter(world.truth.values()) == {f"planted-{c}": 12 for c in range(1, 5)}
    ids = {a.account_id for a in world.accounts}
    assert len(ids) == 848 and set(world.truth) <= ids
    # Members are spread among the ids, not a recognisable block.
    ranks = sorted(sorted(ids).index(a) for a in world.truth)
    assert ranks[0] < 200 and ranks[-1] > 650


def test_activity_is_heavy_tailed_and_follows_the_day(world: SimulatedData) -> None:
    per_account = sorted(Counter(p.account_id for p in world.posts).values())
    median = per_account[len(per_account) // 2]
    assert per_account[-1] >= 10 * median
    hours = Counter(p.created_at.hour for p in world.posts if p.created_at)
    evening = sum(hours[h] for h in (18, 19, 20, 21, 22))
    dawn = sum(hours[h] for h in (4, 5, 6, 7, 8))
    assert evening > 2 * dawn


def test_viral_burst_is_a_crowd_within_minutes(world: SimulatedData) -> None:
    reposts: dict[str, list[Post]] = defaultdict(list)
    for p in world.posts:
        if p.kind == "repost" and p.ref_post_id:
            reposts[p.ref_post_id].append(p)
    biggest = max(reposts.values(), key=len)
    assert len({p.account_id for p in biggest}) >= 290
    times = sorted(p.created_at for p in biggest if p.created_at)
    assert times[int(0.95 * len(times))] - times[0] <= timedelta(seconds=SMALL.viral_spread_s)
    assert not {p.account_id for p in biggest} & set(world.truth)
    # Popularity is unequal: most originals are never reposted, a few very often.
    counts = sorted((len(v) for v in reposts.values()), reverse=True)
    assert counts[10] >= 5 * counts[len(counts) // 2]


def test_campaign_pushes_are_synchronised(world: SimulatedData) -> None:
    posts = _campaign_posts(world, "planted-1")
    reposts: dict[str, list[Post]] = defaultdict(list)
    for p in posts:
        if p.kind == "repost" and p.ref_post_id:
            reposts[p.ref_post_id].append(p)
    pushed = [v for v in reposts.values() if len(v) >= 5]
    assert len(pushed) == 4  # 12 pushes cycle over repost, url and text
    for group in pushed:
        times = sorted(p.created_at for p in group if p.created_at)
        assert times[-1] - times[0] < timedelta(minutes=5)


def _variant(**plan: Any) -> SimulatedData:
    return simulate(replace(SMALL, campaigns=replace(CampaignPlan(), **plan)), random_state=3)


def test_rotating_urls_give_each_member_its_own_link() -> None:
    def links(data: SimulatedData) -> Counter[str]:
        return Counter(
            u for p in _campaign_posts(data, "planted-2") for u in p.urls if "/news/" in u
        )

    fixed, rotating = links(_variant()), links(_variant(rotate_urls=True))
    assert max(fixed.values()) >= 8
    assert max(rotating.values()) == 1
    assert len({u.split("/")[2] for u in rotating}) == 1  # one domain


def test_paraphrase_changes_words_not_the_message() -> None:
    def texts(data: SimulatedData) -> Counter[str]:
        posts = [p for p in _campaign_posts(data, "planted-1") if p.kind == "original"]
        tag = Counter(t for p in posts for t in p.hashtags).most_common(1)[0][0]
        return Counter(p.text for p in posts if tag in p.hashtags and p.text)

    assert max(texts(_variant()).values()) >= 10
    paraphrased = texts(_variant(paraphrase=0.5))
    assert max(paraphrased.values()) <= 3
    a, b = list(paraphrased)[:2]
    assert len(a.split()) == len(b.split()) == 14


def test_participation_and_jitter() -> None:
    half = _variant(participation=0.5)
    full = _variant()
    n_half = len(_campaign_posts(half, "planted-3"))
    n_full = len(_campaign_posts(full, "planted-3"))
    assert n_half < n_full
    slow = _variant(jitter_s=3 * 3600.0)
    reposts: dict[str, list[Post]] = defaultdict(list)
    for p in _campaign_posts(slow, "planted-1"):
        if p.kind == "repost" and p.ref_post_id:
            reposts[p.ref_post_id].append(p)
    group = max(reposts.values(), key=len)
    times = sorted(p.created_at for p in group if p.created_at)
    assert times[-1] - times[0] > timedelta(hours=3)


def _brute_ari(truth: dict[str, str], found: dict[str, str], accounts: list[str]) -> float:
    """Adjusted Rand index by counting all pairs, with outsiders as singletons."""
    lt = {a: truth.get(a, "t:" + a) for a in accounts}
    lf = {a: found.get(a, "f:" + a) for a in accounts}
    both = same_t = same_f = total = 0
    for x, y in itertools.combinations(accounts, 2):
        total += 1
        st, sf = lt[x] == lt[y], lf[x] == lf[y]
        same_t += st
        same_f += sf
        both += st and sf
    chance = same_t * same_f / total
    return (both - chance) / ((same_t + same_f) / 2 - chance)


def test_recovery_metrics_match_a_brute_force_count() -> None:
    accounts = [f"a{i}" for i in range(12)]
    truth = {"a0": "p1", "a1": "p1", "a2": "p1", "a3": "p2", "a4": "p2", "a5": "p2"}
    found = {"a0": "x", "a1": "x", "a3": "x", "a4": "y", "a5": "y", "a9": "y"}
    got = recovery(truth, found, accounts)
    assert got.precision == pytest.approx(5 / 6)
    assert got.recall == pytest.approx(5 / 6)
    assert got.ari == pytest.approx(_brute_ari(truth, found, accounts))
    assert 0 < got.ari < 1
    assert recovery(truth, truth, accounts).ari == pytest.approx(1.0)
    nothing = recovery(truth, {}, accounts)
    assert (nothing.precision, nothing.recall, nothing.ari) == (1.0, 0.0, 0.0)
