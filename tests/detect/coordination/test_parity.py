"""limelight's co-action edges against coordination-network-toolkit (CNT) on the same data.

Both sides read the same CSV: CNT through its own ``compute_networks DB preprocess`` and
``compute co_retweet|co_tweet|co_link|co_reply``, limelight through ``limelight ingest``'s
cnt-csv reader, the store and ``edges()``. The edges must be equal, pair for pair and
weight for weight, after one documented translation (``_data.undirected``): CNT writes
directed edges ``a -> b`` weighted by a's messages matched by b, plus self-loops; limelight
writes each pair once (source < target), weighted by the smaller direction, and keeps a
pair when both directions reach the minimum weight.

Documented differences, each pinned by its own test below:
- CNT matches texts that normalize to nothing (a message that is only @mentions) with
  each other; limelight leaves them out.
- CNT's CSV preprocessing turns an empty ``urls`` field into one empty URL, so every
  link-less message co-links with every other; limelight has no such URL. The generated
  data give every non-repost message a link, so the co_link comparison is unaffected.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from limelight.detect.coordination import edges
from limelight.store import Database
from tests.detect.coordination._data import (
    as_dict,
    cnt_network,
    cnt_preprocess,
    coortweet_cnt_csv,
    generate_cnt_rows,
    ingested,
    russian_csv,
    undirected,
    write_cnt_csv,
)

NETWORKS = {
    "co_retweet": "co-repost",
    "co_tweet": "co-text",
    "co_link": "co-url",
    "co_reply": "co-reply",
}


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Database]:
    """The generated CSV loaded into a CNT database and a limelight store."""
    folder = tmp_path_factory.mktemp("generated")
    csv_path = write_cnt_csv(generate_cnt_rows(), folder / "messages.csv")
    return cnt_preprocess(csv_path, folder / "cnt.db"), ingested([csv_path], folder / "s.duckdb")


@pytest.mark.parametrize(("window", "min_weight"), [(60, 2), (10, 1)])
@pytest.mark.parametrize("network", list(NETWORKS))
def test_generated_edges_equal_the_toolkits(
    generated: tuple[Path, Database], network: str, window: int, min_weight: int
) -> None:
    cnt_db, store = generated
    directed = cnt_network(cnt_db, network, window, min_weight)
    expected = undirected(directed)
    ours = as_dict(edges(store, NETWORKS[network], window=window, min_weight=min_weight).table)
    assert ours == expected
    # The comparison has teeth: many pairs, and pairs whose two directions differ (so
    # taking the smaller one is what made them equal).
    assert len(expected) > 30
    if min_weight == 1:
        asymmetric = [p for p in expected if directed[p] != directed[(p[1], p[0])]]
        assert len(asymmetric) >= 2


def test_generated_one_way_pairs_are_left_out(generated: tuple[Path, Database]) -> None:
    cnt_db, store = generated
    directed = cnt_network(cnt_db, "co_retweet", 60, 2)
    one_way = {tuple(sorted(p)) for p in directed if p[0] != p[1] and p[::-1] not in directed}
    ours = as_dict(edges(store, "co-repost", window=60, min_weight=2).table)
    assert one_way and not one_way & set(ours)


@pytest.fixture(scope="module")
def russian(tmp_path_factory: pytest.TempPathFactory, data_dir: Path) -> tuple[Path, Database]:
    """CooRTweet's Navalny-protest retweets in CNT and in a limelight store."""
    folder = tmp_path_factory.mktemp("russian")
    cnt_db = cnt_preprocess(coortweet_cnt_csv(data_dir, folder / "r.csv"), folder / "cnt.db")
    return cnt_db, ingested([russian_csv(data_dir)], folder / "s.duckdb")


@pytest.mark.parametrize(
    ("window", "min_weight", "n_edges", "total_weight"),
    [(60, 2, 32, 68), (10, 2, 2, 5), (60, 1, 6206, 6242)],
)
def test_russian_retweet_network_equals_the_toolkits(
    russian: tuple[Path, Database],
    window: int,
    min_weight: int,
    n_edges: int,
    total_weight: int,
) -> None:
    cnt_db, store = russian
    expected = undirected(cnt_network(cnt_db, "co_retweet", window, min_weight))
    ours = as_dict(edges(store, "co-repost", window=window, min_weight=min_weight).table)
    assert ours == expected
    assert (len(ours), sum(ours.values())) == (n_edges, total_weight)


def _two_messages(folder: Path, text_a: str, text_b: str, urls: str) -> tuple[Path, Path]:
    rows = [
        ["m1", "alice", "alice", "", "", text_a, "1700000000", urls],
        ["m2", "bob", "bob", "", "", text_b, "1700000005", urls],
    ]
    return write_cnt_csv(rows, folder / "two.csv"), folder / "two.db"


def test_difference_mention_only_texts_match_in_the_toolkit_only(tmp_path: Path) -> None:
    csv_path, cnt_db = _two_messages(tmp_path, "@carol", "@dave  ", "https://a.example/1")
    cnt_preprocess(csv_path, cnt_db)
    assert undirected(cnt_network(cnt_db, "co_tweet", 60, 1)) == {("alice", "bob"): 1}
    store = ingested([csv_path], tmp_path / "s.duckdb")
    assert edges(store, "co-text", window=60, min_weight=1).table.num_rows == 0


def test_difference_empty_url_field_co_links_in_the_toolkit_only(tmp_path: Path) -> None:
    csv_path, cnt_db = _two_messages(tmp_path, "one text", "another text", "")
    cnt_preprocess(csv_path, cnt_db)
    assert undirected(cnt_network(cnt_db, "co_link", 60, 1)) == {("alice", "bob"): 1}
    store = ingested([csv_path], tmp_path / "s.duckdb")
    assert edges(store, "co-url", window=60, min_weight=1).table.num_rows == 0
