"""A seeded simulator that plants coordinated campaigns among realistic organic activity.

No public data set marks every member of every campaign, so recovery is measured on
simulated data where the truth is known. The organic part has what makes detection hard
in real data: heavy-tailed account activity (lognormal) and item popularity (Pareto),
a daily rhythm, and viral bursts where one post or link is shared by a large crowd of
ordinary accounts within minutes. The campaigns repost a member's post, share a link or
post a message together, with the knobs operators use to evade detection: timing
jitter, partial participation, paraphrased messages, rotating links on one domain, and
slow pushes (a large jitter). Campaign members also act organically, like everyone else.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import numpy as np

from limelight.records import Account, Post

__all__ = [
    "CampaignPlan",
    "Recovery",
    "SimulatedData",
    "SimulationSettings",
    "recovery",
    "simulate",
]

_DAY = 86_400.0
# Words a paraphrasing operator swaps for one another; the rest of the vocabulary is filler.
_SYNONYMS: tuple[tuple[str, ...], ...] = tuple(
    tuple(group.split())
    for group in (
        "great excellent superb terrific",
        "bad awful terrible dreadful",
        "government regime administration authorities",
        "people citizens public folks",
        "lie falsehood fabrication deception",
        "truth facts reality evidence",
        "corrupt crooked dishonest rotten",
        "leader chief head boss",
        "country nation homeland state",
        "media press newspapers journalists",
        "stop halt block end",
        "support back endorse champion",
        "protest rally demonstration march",
        "vote ballot election poll",
        "danger threat menace risk",
        "economy markets jobs wages",
        "shocking outrageous scandalous appalling",
        "share spread repost circulate",
        "today now tonight currently",
        "wake awaken rise stand",
    )
)
_SWAP = {word: group for group in _SYNONYMS for word in group}
_FILLER_TEXT = """the a to of and in is it for on that this with you we they be are not have at
    all just what so about more can will from our one how when who new if like no time
    get out up do than but know why see good day think here only still back many would
    year even need really never make look again every after well right going people
    world news watch read video thread tell way love life work home game team city week
    school family story thing money help real best free food night show music"""
_FILLER = tuple(_FILLER_TEXT.split())


@dataclass(frozen=True, slots=True)
class CampaignPlan:
    """How the planted campaigns behave; the defaults are an easy, fast campaign.

    ``jitter_s`` is the mean delay (exponential) of a member after a push starts: seconds
    for a scripted campaign, hours for a slow one. ``participation`` is the chance that a
    member joins a push. ``paraphrase`` is the chance that each replaceable word of a
    pushed message is swapped for a synonym. ``rotate_urls`` gives each member its own
    link on the campaign's domain instead of one shared link. ``behaviours`` cycles over
    the pushes: ``repost`` (members repost one member's post), ``url`` (members post the
    campaign's link with a message) and ``text`` (members post the message and hashtag).
    """

    n_campaigns: int = 4
    size: int = 12
    pushes: int = 12
    behaviours: tuple[str, ...] = ("repost", "url", "text")
    jitter_s: float = 20.0
    participation: float = 0.9
    paraphrase: float = 0.0
    rotate_urls: bool = False


@dataclass(frozen=True, slots=True)
class SimulationSettings:
    """The organic population around the campaigns; defaults run in about a second.

    ``mean_actions`` and ``activity_sigma`` set the lognormal activity per account over
    the whole period; ``popularity_shape`` is the Pareto shape of post popularity (smaller
    is more unequal); each of ``n_viral`` bursts has ``viral_size`` ordinary accounts share
    one post (or one link, alternately) within ``viral_spread_s`` seconds.
    """

    n_accounts: int = 3000
    days: float = 3.0
    mean_actions: float = 12.0
    activity_sigma: float = 1.2
    popularity_shape: float = 1.3
    n_viral: int = 3
    viral_size: int = 800
    viral_spread_s: float = 180.0
    start: datetime = datetime(2024, 5, 6, tzinfo=UTC)
    platform: str = "sim"
    campaigns: CampaignPlan = field(default_factory=CampaignPlan)


@dataclass(slots=True)
class SimulatedData:
    """The simulated records plus the truth: which account belongs to which campaign."""

    posts: list[Post]
    accounts: list[Account]
    truth: dict[str, str]
    settings: SimulationSettings
    random_state: int


def simulate(settings: SimulationSettings | None = None, *, random_state: int = 0) -> SimulatedData:
    """Simulate organic activity with planted campaigns; the same seed gives the same data."""
    s = settings or SimulationSettings()
    plan = s.campaigns
    rng = np.random.default_rng(random_state)
    n_planted = plan.n_campaigns * plan.size
    n = s.n_accounts + n_planted
    ids = np.array([f"u{k:06d}" for k in rng.permutation(np.arange(100_000, 100_000 + n))])
    activity = rng.lognormal(np.log(s.mean_actions) - s.activity_sigma**2 / 2, s.activity_sigma, n)
    sim = _Builder(s, rng, ids)
    originals = sim.organic_originals(activity)
    sim.organic_reactions(activity, originals)
    sim.viral_bursts(activity[: s.n_accounts], originals)
    truth: dict[str, str] = {}
    for c in range(plan.n_campaigns):
        members = ids[s.n_accounts + c * plan.size : s.n_accounts + (c + 1) * plan.size]
        truth.update({str(m): f"planted-{c + 1}" for m in members})
        sim.campaign(c, members)
    return SimulatedData(sim.finish(), sim.accounts(), truth, s, random_state)


class _Builder:
    """Collects post rows column by column, then turns them into Post records once."""

    def __init__(self, s: SimulationSettings, rng: np.random.Generator, ids: np.ndarray) -> None:
        self.s, self.rng, self.ids = s, rng, ids
        self.rows: list[tuple[str, float, str, str | None, str | None, str | None, str | None]] = []
        self.vocab = np.array(_FILLER + tuple(_SWAP))
        ranks = np.arange(1, self.vocab.size + 1, dtype=np.float64)
        self.vocab_p = (1 / ranks) / (1 / ranks).sum()
        self.pool: list[str] = []
        self.used = 0
        self.stock_texts: dict[str, str] = {}

    def times(self, size: int) -> np.ndarray:
        """Seconds from the start with a daily rhythm: quiet at dawn, busiest at 20:00."""
        out = np.empty(0)
        while out.size < size:
            t = self.rng.uniform(0, self.s.days * _DAY, 2 * size + 16)
            hour = (t % _DAY) / 3600
            keep = self.rng.uniform(0, 1.7, t.size) < 1 + 0.7 * np.cos(2 * np.pi * (hour - 20) / 24)
            out = np.concatenate([out, t[keep]])
        return out[:size]

    def words(self, n: int) -> list[str]:
        """``n`` words, common ones more often (Zipf), drawn from a pool refilled in bulk."""
        if self.used + n > len(self.pool):
            self.pool = self.rng.choice(self.vocab, 100_000 + n, p=self.vocab_p).tolist()
            self.used = 0
        self.used += n
        return self.pool[self.used - n : self.used]

    def text(self) -> str:
        """An ordinary post of 6 to 18 words."""
        return " ".join(self.words(int(self.rng.integers(6, 19))))

    def paraphrase(self, words: list[str], chance: float) -> str:
        """The message with each swappable word replaced by a synonym with ``chance``."""
        if chance <= 0:
            return " ".join(words)
        swap = self.rng.random(len(words)) < chance
        picks = self.rng.integers(0, 3, len(words))
        out = []
        for word, do, pick in zip(words, swap, picks, strict=True):
            group = _SWAP.get(word)
            if do and group:
                others = [w for w in group if w != word]
                word = others[int(pick) % len(others)]
            out.append(word)
        return " ".join(out)

    def add(
        self,
        author: str,
        t: float,
        kind: str = "original",
        text: str | None = None,
        ref: int | None = None,
        url: str | None = None,
        tag: str | None = None,
    ) -> int:
        """Add one post row and return its index (used as a reference target)."""
        ref_id = None if ref is None else str(ref)
        self.rows.append((author, t, kind, text, ref_id, url, tag))
        return len(self.rows) - 1

    def organic_originals(self, activity: np.ndarray) -> np.ndarray:
        """Originals of every account (about 45% of its activity); some carry a link or tag."""
        counts = self.rng.poisson(0.45 * activity)
        authors = np.repeat(np.arange(activity.size), counts)
        times = self.times(authors.size)
        stories = self.rng.zipf(1.15, authors.size)  # a few big stories, a long tail
        tags = self.rng.zipf(1.3, authors.size)
        phrases = self.rng.zipf(1.3, authors.size)
        has_url = self.rng.random(authors.size) < 0.25
        has_tag = self.rng.random(authors.size) < 0.3
        style = self.rng.random(authors.size)
        rows = np.empty(authors.size, dtype=np.int64)
        for k, a in enumerate(authors):
            story = int(stories[k])
            url = f"https://site{story % 97}.example/story/{story}" if has_url[k] else None
            tag = f"topic{tags[k]}" if has_tag[k] else None
            if url and style[k] < 0.6:  # a share button posts the headline as the text
                text = self.stock(f"headline{story}", 8)
            elif style[k] < 0.08:  # "good morning", "so true": common short phrases
                text = self.stock(f"phrase{phrases[k]}", 4)
            else:
                text = self.text()
            rows[k] = self.add(str(self.ids[a]), float(times[k]), text=text, url=url, tag=tag)
        return rows

    def stock(self, key: str, length: int) -> str:
        """A text that many accounts post word for word (a headline, a stock phrase)."""
        if key not in self.stock_texts:
            self.stock_texts[key] = " ".join(self.words(length))
        return self.stock_texts[key]

    def organic_reactions(self, activity: np.ndarray, originals: np.ndarray) -> None:
        """Reposts (45% of activity) and replies (10%) of originals, by popularity."""
        if not originals.size:
            return
        weight = self.rng.pareto(self.s.popularity_shape, originals.size) + 1
        weight /= weight.sum()
        who = activity / activity.sum()
        for kind, share, median_delay in (("repost", 0.45, 1800.0), ("reply", 0.10, 900.0)):
            total = int(self.rng.poisson(share * activity.sum()))
            targets = self.rng.choice(originals, total, p=weight)
            actors = self.rng.choice(activity.size, total, p=who)
            delays = self.rng.lognormal(np.log(median_delay), 1.5, total)
            seen: set[tuple[int, int]] = set()
            for target, actor, delay in zip(targets, actors, delays, strict=True):
                author, t0 = self.rows[target][0], self.rows[target][1]
                if (actor, target) in seen or author == self.ids[actor]:
                    continue
                seen.add((actor, target))
                text = self.text() if kind == "reply" else None
                self.add(str(self.ids[actor]), t0 + float(delay), kind, text, ref=int(target))

    def viral_bursts(self, activity: np.ndarray, originals: np.ndarray) -> None:
        """Crowds of ordinary accounts sharing one post, or one link, within minutes."""
        s = self.s
        early = originals[[self.rows[o][1] < 0.7 * s.days * _DAY for o in originals]]
        for v in range(s.n_viral):
            size = min(s.viral_size, activity.size)
            crowd = self.rng.choice(activity.size, size, replace=False, p=activity / activity.sum())
            delays = self.rng.exponential(s.viral_spread_s / 3, size).clip(0, s.viral_spread_s)
            if v % 2 == 0 and early.size:
                target = int(self.rng.choice(early))
                t0 = self.rows[target][1] + 60
                for actor, d in zip(crowd, delays, strict=True):
                    if self.ids[actor] != self.rows[target][0]:
                        self.add(str(self.ids[actor]), t0 + float(d), "repost", ref=target)
            else:
                t0 = float(self.times(1)[0])
                url = f"https://breaking{v}.example/live"
                share = self.rng.random(size) < 0.6
                for actor, d, button in zip(crowd, delays, share, strict=True):
                    text = self.stock(f"breaking{v}", 8) if button else self.text()
                    self.add(str(self.ids[actor]), t0 + float(d), text=text, url=url)

    def campaign(self, c: int, members: np.ndarray) -> None:
        """One campaign's pushes, each joined by part of its members after a jitter."""
        plan, rng = self.s.campaigns, self.rng
        domain = f"site{rng.integers(100, 200)}.example"
        swappable = list(_SWAP)
        messages = [
            [swappable[i] for i in rng.integers(0, len(swappable), 7)] + self.words(7)
            for _ in range(3)
        ]
        for words in messages:
            rng.shuffle(words)
        tag = f"topic{rng.integers(5_000, 9_000)}"
        for push, t0 in enumerate(np.sort(self.times(plan.pushes))):
            behaviour = plan.behaviours[push % len(plan.behaviours)]
            joined = members[rng.random(members.size) < plan.participation]
            delays = rng.exponential(plan.jitter_s, joined.size)
            message = messages[(push // len(plan.behaviours)) % len(messages)]
            if behaviour == "repost":
                author = str(rng.choice(members))
                seed = self.add(author, float(t0), text=" ".join(message), tag=tag)
                for m, d in zip(joined, delays, strict=True):
                    if m != author:
                        self.add(str(m), float(t0 + 5 + d), "repost", ref=seed)
                continue
            story = int(rng.integers(1, 10**6))
            for k, (m, d) in enumerate(zip(joined, delays, strict=True)):
                text = self.paraphrase(message, plan.paraphrase)
                url = None
                if behaviour == "url":
                    path = story + k if plan.rotate_urls else story
                    url = f"https://{domain}/news/{path}"
                self.add(str(m), float(t0 + d), text=text, url=url, tag=tag)

    def finish(self) -> list[Post]:
        """Turn the rows into Posts with ids in time order (like snowflake ids)."""
        order = sorted(range(len(self.rows)), key=lambda i: (self.rows[i][1], i))
        post_id = {i: f"{self.s.platform}-{rank + 1:07d}" for rank, i in enumerate(order)}
        author_of = {i: r[0] for i, r in enumerate(self.rows)}
        posts = []
        for i in order:
            author, t, kind, text, ref, url, tag = self.rows[i]
            ref_i = None if ref is None else int(ref)
            posts.append(
                Post(
                    platform=self.s.platform,
                    post_id=post_id[i],
                    account_id=author,
                    created_at=self.s.start + timedelta(seconds=round(t, 3)),
                    text=text,
                    kind=kind,
                    ref_post_id=None if ref_i is None or kind != "repost" else post_id[ref_i],
                    ref_account_id=None if ref_i is None or kind != "repost" else author_of[ref_i],
                    reply_to_post_id=post_id[ref_i]
                    if ref_i is not None and kind == "reply"
                    else None,
                    reply_to_account_id=author_of[ref_i]
                    if ref_i is not None and kind == "reply"
                    else None,
                    urls=[url] if url else [],
                    hashtags=[tag] if tag else [],
                )
            )
        return posts

    def accounts(self) -> list[Account]:
        """One profile per account; profiles carry no hint of the truth."""
        followers = self.rng.lognormal(5, 1.5, self.ids.size).astype(np.int64)
        ages = self.rng.uniform(30, 3000, self.ids.size)
        return [
            Account(
                platform=self.s.platform,
                account_id=str(a),
                handle=f"user{str(a)[1:]}",
                created_at=self.s.start - timedelta(days=float(ages[k])),
                followers=int(followers[k]),
                seen_at=self.s.start + timedelta(days=self.s.days),
            )
            for k, a in enumerate(self.ids)
        ]


@dataclass(frozen=True, slots=True)
class Recovery:
    """How well found campaigns match the planted ones.

    ``precision`` and ``recall`` are over flagged accounts (in any found campaign versus
    in any planted one; 1.0 when there is nothing to flag or nothing was flagged). ``ari``
    is the adjusted Rand index of the two partitions of all accounts, where each account
    outside a campaign is its own singleton, so it rewards putting each campaign's members
    together and apart from the other campaigns.
    """

    precision: float
    recall: float
    ari: float
    flagged: int
    planted: int


def recovery(
    truth: Mapping[str, str], found: Mapping[str, str], accounts: Iterable[str]
) -> Recovery:
    """Compare found campaign labels (account -> campaign id) with the planted truth."""
    n = len(set(accounts) | set(truth) | set(found))
    hit = len(set(truth) & set(found))
    precision = hit / len(found) if found else 1.0
    recall = hit / len(truth) if truth else 1.0

    def pairs(counts: Iterable[int]) -> float:
        return float(sum(c * (c - 1) / 2 for c in counts))

    together = pairs(Counter((truth[a], found[a]) for a in set(truth) & set(found)).values())
    planted = pairs(Counter(truth.values()).values())
    flagged = pairs(Counter(found.values()).values())
    chance = planted * flagged / (n * (n - 1) / 2) if n > 1 else 0.0
    top = (planted + flagged) / 2 - chance
    ari = 1.0 if top == 0 else (together - chance) / top
    return Recovery(precision, recall, ari, len(found), len(truth))
