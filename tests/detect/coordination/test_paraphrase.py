"""co-similar-text's embedding method: real MiniLM vectors, a real faiss index.

The neighbour search is checked against brute force (exact and inverted-file indexes);
the clustering with the real model on real IRA tweets that word sets miss and on
paraphrases written for the test; and the behaviour end to end against the MinHash path.
"""

from __future__ import annotations

import csv
import math
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest

from limelight.detect.coordination import edges
from limelight.detect.coordination._paraphrase import EXACT_LIMIT, paraphrase_items, similar_pairs
from limelight.records import Post
from tests.detect.coordination._data import at, posts_table


def _planted(n: int, dim: int, seed: int) -> tuple[np.ndarray, set[tuple[int, int]]]:
    """Random unit vectors, every tenth one a slightly moved copy of its predecessor."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, dim)).astype(np.float32)
    planted = set()
    for i in range(1, n, 10):
        x[i] = x[i - 1] + rng.normal(scale=0.15, size=dim)
        planted.add((i - 1, i))
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    return x, planted


def _brute(x: np.ndarray, cosine: float) -> set[tuple[int, int]]:
    sims = x @ x.T
    a, b = np.nonzero(np.triu(sims >= cosine, 1))
    return set(zip(a.tolist(), b.tolist(), strict=True))


def test_exact_search_matches_brute_force() -> None:
    x, planted = _planted(3000, 48, seed=1)
    a, b, s = similar_pairs(x, cosine=0.9, k=5)
    found = set(zip(a.tolist(), b.tolist(), strict=True))
    assert found == _brute(x, 0.9)
    assert planted <= found and len(found) >= 290
    assert np.all(s >= 0.9) and np.all(a < b)


@pytest.mark.slow
def test_inverted_file_search_above_the_exact_limit_finds_the_planted_pairs() -> None:
    x, planted = _planted(EXACT_LIMIT + 2000, 32, seed=2)
    a, b, _ = similar_pairs(x, cosine=0.9, k=5)
    found = set(zip(a.tolist(), b.tolist(), strict=True))
    truth = _brute(x[:6000], 0.9)  # a corner, to keep the check cheap
    corner = {p for p in found if p[1] < 6000}
    assert corner <= truth  # never invents a pair
    assert len(corner & truth) >= 0.95 * len(truth)  # approximate, but close
    assert len(found & planted) >= 0.95 * len(planted)
    again = similar_pairs(x, cosine=0.9, k=5)
    assert np.array_equal(again[0], a) and np.array_equal(again[1], b)  # reproducible


def _ira_near_duplicates(data_dir: Path) -> list[str]:
    """Real IRA tweets of one story told by several accounts with different hashtags."""
    texts = set()
    for path in sorted((data_dir / "ira-538-by-author").glob("sample30_per_author_*.csv")):
        with path.open(newline="", encoding="utf-8") as handle:
            for row in csv.DictReader(handle):
                if "huckabee has perfect solution" in row["content"].lower():
                    texts.add(row["content"].lower())
    return sorted(texts)


# Paraphrases a person would recognise, and an unrelated text of the same length.
_PARAPHRASES = (
    "the government has been lying to all of us about the vaccine",
    "the authorities keep lying to everyone about the vaccine",
)
_UNRELATED = "my cat knocked the coffee off the kitchen table this morning"


@pytest.mark.slow
def test_paraphrases_share_an_item_when_posted_together(data_dir: Path) -> None:
    real = _ira_near_duplicates(data_dir)
    assert len(real) >= 2
    texts = [*real, *_PARAPHRASES, _UNRELATED, "too short"]
    now = [0] * len(texts)
    items = paraphrase_items(pa.array(texts), pa.array(now, pa.int64())).to_pylist()
    assert len(set(items[: len(real)])) == 1  # the story, whatever the hashtags
    n = len(real)
    assert items[n] == items[n + 1] != items[0]
    assert items[n + 2] == _UNRELATED  # alone in its cluster
    assert items[-1] is None  # under min_tokens
    # Posted hours apart, the same paraphrases do not link (the time condition) ...
    later = [0] * n + [0, 3 * 3600 * 10**6, 0, 0]
    apart = paraphrase_items(pa.array(texts), pa.array(later, pa.int64())).to_pylist()
    assert apart[n] != apart[n + 1]
    # ... unless the window is infinite.
    anytime = paraphrase_items(pa.array(texts), pa.array(later, pa.int64()), window=math.inf)
    assert anytime.to_pylist()[n] == anytime.to_pylist()[n + 1]


@pytest.mark.slow
def test_embedding_method_links_accounts_that_minhash_misses() -> None:
    pairs = [
        (
            "the government has been lying to all of us about the vaccine",
            "the authorities keep lying to everyone about the vaccine",
        ),
        (
            "stop the steal rally tonight at the capitol bring your friends",
            "tonight we rally at the capitol to stop the steal, bring friends",
        ),
        (
            "share this video before they delete it from the internet",
            "spread this clip before they take it off the internet",
        ),
    ]
    posts = []
    for k, (first, second) in enumerate(pairs):
        t = 3600 * k
        posts.append(Post("twitter", f"a{k}", "alice", at(t), text=first))
        posts.append(Post("twitter", f"b{k}", "bob", at(t + 20), text=second))
        posts.append(Post("twitter", f"c{k}", "carol", at(t + 30), text=_UNRELATED + f" {k}"))
    table = posts_table(posts)
    minhash = edges(table, "co-similar-text", min_weight=1).table
    assert minhash.num_rows == 0
    found = edges(table, "co-similar-text", method="embedding", min_weight=2)
    assert found.method == "embedding"
    rows = found.table.to_pylist()
    assert [(r["source"], r["target"]) for r in rows] == [("alice", "bob")]
    assert rows[0]["weight"] >= 2
    narrow = edges(table, "co-similar-text", method="embedding", window=10, min_weight=1)
    assert narrow.table.num_rows == 0  # 20 s apart is outside a 10 s window
