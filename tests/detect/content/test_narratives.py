"""Narratives on real posts: clearly different topics land in different narratives."""

from __future__ import annotations

import re
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from limelight.detect.content import NarrativeSettings, find_narratives, load_tweepfake

TOPICS = {
    "covid": r"\b(vaccine|covid|coronavirus|pandemic)",
    "music": r"\b(song|album|music)\b",
    "trump": r"\btrump\b",
}


def _topic_posts(data_dir: Path, per_topic: int) -> tuple[list[str], list[str], list[str]]:
    """Real human tweets that mention exactly one of three unrelated topics."""
    tweets = load_tweepfake(data_dir, "train")
    texts: list[str] = []
    accounts: list[str] = []
    labels: list[str] = []
    for name, pattern in TOPICS.items():
        others = [re.compile(p, re.I) for n, p in TOPICS.items() if n != name]
        mine = re.compile(pattern, re.I)
        chosen = [
            (t, a)
            for t, a, g in zip(tweets.texts, tweets.accounts, tweets.generators, strict=True)
            if g == "human" and mine.search(t) and not any(o.search(t) for o in others)
        ][:per_topic]
        assert len(chosen) == per_topic
        texts += [t for t, _ in chosen]
        accounts += [a for _, a in chosen]
        labels += [name] * per_topic
    return texts, accounts, labels


def add_burst(texts: list[str], accounts: list[str], labels: list[str]) -> None:
    """A copy-paste burst: the first (covid) tweet posted 12 times by 12 accounts, each
    copy with its own mention and link."""
    burst = texts[0]
    for i in range(12):
        texts.append(f"@user{i} {burst} https://t.co/x{i}")
        accounts.append(f"copier{i}")
        labels.append("covid")


@pytest.mark.slow
def test_three_unrelated_topics_become_three_pure_narratives(data_dir: Path) -> None:
    texts, accounts, labels = _topic_posts(data_dir, 20)
    add_burst(texts, accounts, labels)
    ids = [f"p{i}" for i in range(len(texts))]
    start = datetime(2020, 3, 1, tzinfo=UTC)
    times = [start + timedelta(hours=i) for i in range(len(texts))]
    narratives, members = find_narratives(
        ids, texts, accounts, times, settings=NarrativeSettings(min_posts=5)
    )
    label_of = dict(zip(ids, labels, strict=True))
    post_ids = members["post_id"].to_pylist()
    assigned = dict(zip(post_ids, members["narrative_id"].to_pylist(), strict=True))
    assert len(assigned) >= 0.8 * len(texts)
    majority: dict[str, str] = {}
    for nid in narratives["narrative_id"].to_pylist():
        counts = Counter(label_of[p] for p, n in assigned.items() if n == nid)
        topic, top = counts.most_common(1)[0]
        assert top / sum(counts.values()) >= 0.85, counts
        majority.setdefault(topic, nid)
    assert set(majority) == set(TOPICS)
    # the burst is one family inside one narrative, and its size still counts
    family = dict(zip(post_ids, members["family"].to_pylist(), strict=True))
    burst_ids = [*ids[-12:], ids[0]]
    assert len({family[i] for i in burst_ids}) == 1
    row = narratives.to_pylist()
    covid = next(r for r in row if r["narrative_id"] == assigned[ids[0]])
    assert covid["posts"] >= covid["families"] + 12
    assert len(set(covid["representative_texts"])) == len(covid["representative_texts"])
    assert covid["first_at"] <= covid["last_at"] and covid["top_terms"]
    terms = {t for r in row for t in r["top_terms"]}
    assert terms & {"covid-19", "pandemic", "coronavirus"} and terms & {"album", "song", "music"}


def test_no_posts_give_empty_tables_with_the_schema() -> None:
    narratives, members = find_narratives([], [], [], [])
    assert narratives.num_rows == 0 and "top_terms" in narratives.column_names
    assert members.num_rows == 0 and "family" in members.column_names
