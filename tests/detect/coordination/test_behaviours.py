"""Each behaviour's actions and edges, on small posts made here and on real data sets."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from limelight.detect.coordination import (
    ACTION_SCHEMA,
    BEHAVIOURS,
    actions,
    edge_table_name,
    edges,
    get_behaviour,
    save_edges,
)
from limelight.detect.coordination._behaviours import shared_actions_of
from limelight.detect.coordination._layers import shared_actions
from limelight.detect.coordination._sql import WHITESPACE, normalized_text_sql
from limelight.errors import InputError
from limelight.records import Post
from limelight.store import Database
from tests.detect.coordination._data import at, ingested, ira_csvs, posts_table, store_with


def _post(n: str, account: str, seconds: float, **fields: object) -> Post:
    return Post("twitter", n, account, at(seconds), **fields)  # type: ignore[arg-type]


def _items(posts: list[Post], behaviour: str, **options: Any) -> dict[str, str]:
    table = actions(posts_table(posts), behaviour, **options)
    assert table.schema == ACTION_SCHEMA
    return dict(
        zip(table.column("post_id").to_pylist(), table.column("item").to_pylist(), strict=True)
    )


def _weights(posts: list[Post], behaviour: str, **kw: object) -> dict[tuple[str, str], int]:
    table = edges(posts_table(posts), behaviour, **kw).table  # type: ignore[arg-type]
    return {(e["source"], e["target"]): e["weight"] for e in table.to_pylist()}


def test_behaviours_are_listed_with_defaults() -> None:
    assert BEHAVIOURS == (
        "co-repost",
        "co-text",
        "co-url",
        "co-domain",
        "co-hashtags",
        "co-reply",
        "co-mention",
        "co-similar-text",
        "fast-repost",
        "sync",
    )
    assert (get_behaviour("co_repost").window, get_behaviour("co-repost").min_weight) == (60, 2)
    assert get_behaviour("fast-repost").window == 10
    with pytest.raises(InputError, match="co-repost"):
        get_behaviour("co-retweet")
    with pytest.raises(InputError, match="by_domain"):
        actions(posts_table([]), "co-url", domain=True)
    with pytest.raises(InputError, match="bool"):
        actions(posts_table([]), "co-url", by_domain=1)
    with pytest.raises(InputError, match="minhash, embedding"):
        actions(posts_table([]), "co-similar-text", method="bert")
    with pytest.raises(InputError, match="cosine"):
        actions(posts_table([]), "co-similar-text", cosine=1.5)


def test_co_repost_three_posts_five_seconds_apart() -> None:
    posts = []
    for n, start in enumerate((0, 500, 900)):
        posts.append(_post(f"a{n}", "a", start, kind="repost", ref_post_id=f"orig{n}"))
        posts.append(_post(f"b{n}", "b", start + 5, kind="repost", ref_post_id=f"orig{n}"))
    # An original quoting the same post is not a repost and must not count.
    posts.append(_post("q", "c", 1, kind="quote", ref_post_id="orig0"))
    assert _weights(posts, "co-repost") == {("a", "b"): 3}
    assert _weights(posts, "co-repost", window=2.5) == {}
    assert _weights(posts, "co-repost", window=5) == {("a", "b"): 3}
    assert _weights(posts, "co-repost", min_weight=4) == {}


def test_co_text_normalizes_like_the_toolkit() -> None:
    posts = [
        _post("1", "a", 0, text="Vote NO  on 7!\n"),
        _post("2", "b", 1, text="@friend vote no on 7!"),
        _post("3", "c", 2, text="vote\u00a0no on 7! @x"),
        _post("4", "d", 3, text="Vote no on 7! https://t.co/abc"),
        _post("5", "e", 4, text="@only @mentions"),
        _post("6", "f", 5, text="vote no on 7!", kind="repost", ref_post_id="1"),
        _post("7", "g", 6, text="ΟΔΟΣ"),
        _post("8", "h", 7, text="οδος"),
    ]
    items = _items(posts, "co-text")
    assert items["1"] == items["2"] == items["3"] == "vote no on 7!"
    assert items["4"] == "vote no on 7! https://t.co/abc"
    assert "5" not in items and "6" not in items  # nothing left; a repost
    assert items["7"] == items["8"]
    assert _items(posts, "co-text", strip_urls=True)["4"] == "vote no on 7!"
    assert _weights(posts, "co-text", min_weight=1) == {
        ("a", "b"): 1,
        ("a", "c"): 1,
        ("b", "c"): 1,
        ("g", "h"): 1,
    }


def test_co_url_items_and_domains() -> None:
    posts = [
        _post("1", "a", 0, urls=["https://news.example/x", "https://blog.example/y"]),
        _post("2", "b", 3, urls=["https://news.example/x", "https://blog.example/y"]),
        _post("3", "c", 4, urls=["https://news.example/z"]),
        _post("4", "d", 5, kind="repost", ref_post_id="1", urls=["https://news.example/x"]),
    ]
    table = edges(posts_table(posts), "co-url", min_weight=1).table.to_pylist()
    assert [(e["source"], e["target"], e["weight"], e["n_items"]) for e in table] == [
        ("a", "b", 1, 2)
    ]
    by_domain = _weights(posts, "co-url", min_weight=1, by_domain=True)
    assert by_domain == {("a", "b"): 1, ("a", "c"): 1, ("b", "c"): 1}
    assert _weights(posts, "co-domain", min_weight=1) == by_domain


def test_co_hashtags_sets_and_sequences() -> None:
    posts = [
        _post("1", "a", 0, hashtags=["maga", "qanon"]),
        _post("2", "b", 1, hashtags=["qanon", "maga", "qanon"]),
        _post("3", "c", 2, hashtags=["maga"]),
    ]
    assert _items(posts, "co-hashtags") == {"1": "#maga #qanon", "2": "#maga #qanon"}
    assert _items(posts, "co-hashtags", sequence=True) == {
        "1": "#maga #qanon",
        "2": "#qanon #maga #qanon",
    }
    assert _items(posts, "co-hashtags", min_size=1)["3"] == "#maga"


def test_co_reply_and_co_mention() -> None:
    posts = [
        _post("1", "a", 0, kind="reply", reply_to_post_id="t", mentions=["@x", "@y"]),
        _post("2", "b", 30, kind="reply", reply_to_post_id="t", mentions=["@y", "@x"]),
        _post("3", "c", 200, kind="reply", reply_to_post_id="t", mentions=["@x"]),
    ]
    assert _weights(posts, "co-reply", min_weight=1) == {("a", "b"): 1}
    assert _items(posts, "co-mention") == {"1": "@x @y", "2": "@x @y", "3": "@x"}
    assert _items(posts, "co-mention", min_size=2) == {"1": "@x @y", "2": "@x @y"}


def test_co_similar_text_clusters_near_duplicates() -> None:
    base = "the election was stolen by corrupt officials in three swing states"
    posts = [
        _post("1", "a", 0, text=base),
        _post("2", "b", 5, text=base.replace("three", "four")),  # Jaccard 10/12
        _post(
            "3",
            "c",
            9,
            text="The ELECTION was stolen by corrupt officials in three swing"
            " states https://t.co/x1",
        ),
        _post("4", "d", 9, text="completely different words about the weather today here"),
        _post("5", "e", 9, text="stolen election"),  # too short to judge
    ]
    items = _items(posts, "co-similar-text")
    assert items["1"] == items["2"] == items["3"]
    assert items["4"] != items["1"] and "5" not in items
    strict = _items(posts, "co-similar-text", threshold=0.9)
    assert strict["1"] == strict["3"] != strict["2"]


def test_fast_repost_measures_from_the_original() -> None:
    posts = [_post("1000", "author", 0, text="original")]
    for n, (account, delay) in enumerate([("a", 2), ("b", 9), ("c", 30)]):
        posts.append(_post(f"r{n}", account, delay, kind="repost", ref_post_id="1000"))
    assert _items(posts, "fast-repost") == {"r0": "1000", "r1": "1000"}
    assert _items(posts, "fast-repost", delay=60) == {"r0": "1000", "r1": "1000", "r2": "1000"}


def test_fast_repost_reads_a_missing_originals_time_from_its_twitter_id() -> None:
    # Tweet 1440713161355583489's id carries its creation time: 2021-09-22T16:22:39.480Z.
    created = datetime(2021, 9, 22, 16, 22, 39, 480000, tzinfo=UTC)
    posts = [
        Post(
            "twitter",
            "r1",
            "a",
            created + timedelta(seconds=4),
            kind="repost",
            ref_post_id="1440713161355583489",
        ),
        Post(
            "twitter",
            "r2",
            "b",
            created + timedelta(seconds=11),
            kind="repost",
            ref_post_id="1440713161355583489",
        ),
    ]
    assert _items(posts, "fast-repost") == {"r1": "1440713161355583489"}
    assert _items(posts, "fast-repost", snowflake=False) == {}
    for post in posts:
        post.platform = "bluesky"
    assert _items(posts, "fast-repost") == {}


def test_sync_buckets_active_accounts() -> None:
    posts = []
    for account in ("a", "b", "c"):
        for minute in range(12):
            posts.append(_post(f"{account}{minute}", account, minute * 60 + 5))
    posts.append(_post("d0", "d", 5))  # too few posts to be judged
    table = actions(posts_table(posts), "sync")
    assert table.num_rows == 36
    assert table.column("item").to_pylist()[0].startswith("2024-03-01T12:")
    assert _weights(posts, "sync") == {("a", "b"): 12, ("a", "c"): 12, ("b", "c"): 12}
    assert actions(posts_table(posts), "sync", max_accounts=2).num_rows == 0


def test_a_posts_table_without_needed_columns_is_refused() -> None:
    table = posts_table([]).drop_columns(["ref_post_id"])
    with pytest.raises(InputError, match="ref_post_id"):
        actions(table, "co-repost")


# --- real data: the IRA troll tweets --------------------------------------------------


@pytest.fixture(scope="module")
def ira(tmp_path_factory: pytest.TempPathFactory, data_dir: Path) -> Database:
    return ingested(ira_csvs(data_dir), tmp_path_factory.mktemp("ira") / "s.duckdb")


def test_ira_copy_pasta_links_the_trt_accounts(ira: Database) -> None:
    # Without links (each tweet's t.co address differs) the IRA accounts ending in "TrT"
    # posted the same headlines within the minute, seven times per pair.
    result = edges(ira, "co-text", strip_urls=True)
    top = result.table.slice(0, 2).to_pylist()
    assert [(e["source"], e["target"], e["weight"]) for e in top] == [
        ("ScarleesTruT", "abisadmassT", 7),
        ("ScarleesTruT", "adelisTrTT", 7),
    ]
    assert (
        "mike huckabee congratulates new press secretary with hilarious tweet!" in top[0]["items"]
    )
    assert (result.table.num_rows, result.n_accounts) == (1016, 122)
    # With links kept, almost nothing matches: the toolkit's default misses this network.
    assert edges(ira, "co-text").table.num_rows == 5


def test_ira_other_behaviours(ira: Database) -> None:
    hashtags = edges(ira, "co-hashtags").table
    assert hashtags.num_rows == 2422
    assert hashtags.slice(0, 1).to_pylist()[0]["items"] == ["#gopdebate #stopthegop"]
    similar = edges(ira, "co-similar-text").table
    exact = edges(ira, "co-text", strip_urls=True).table
    assert similar.num_rows >= exact.num_rows  # near-duplicates include the exact copies
    sync = edges(ira, "sync").table
    assert sync.num_rows == 3253 and pc.max(sync.column("weight")).as_py() == 20


def test_a_store_and_its_posts_table_give_the_same_actions(ira: Database) -> None:
    from_store = actions(ira, "co-hashtags")
    from_table = actions(ira.arrow("SELECT * FROM posts"), "co-hashtags")
    key = [("post_id", "ascending"), ("item", "ascending")]
    assert from_store.sort_by(key).equals(from_table.sort_by(key))


@pytest.mark.parametrize(
    ("behaviour", "options"),
    [
        ("co-text", {"strip_urls": True}),
        ("co-hashtags", {"min_size": 1}),
        ("co-url", {}),
        ("sync", {}),
        ("co-similar-text", {"threshold": 0.5}),
    ],
)
def test_shared_actions_from_the_store_are_the_arrow_cut(
    ira: Database, behaviour: str, options: dict[str, Any]
) -> None:
    # campaigns read each behaviour's shared actions in DuckDB (or, for near-duplicates,
    # as cluster numbers); they must be exactly the rows the plain Arrow cut keeps
    every = actions(ira, behaviour, **options)
    expected = shared_actions(every)
    got, n_actions = shared_actions_of(ira, behaviour, **options)
    assert n_actions == every.num_rows
    assert 0 < got.num_rows < every.num_rows  # a real cut, on real posts
    key = [(c, "ascending") for c in ("account_id", "post_id", "item", "at")]
    assert got.sort_by(key).equals(expected.sort_by(key))
    from_table, _ = shared_actions_of(ira.arrow("SELECT * FROM posts"), behaviour, **options)
    assert from_table.sort_by(key).equals(expected.sort_by(key))


def test_edges_are_saved_under_the_behaviours_table(tmp_path: Path) -> None:
    posts = [
        _post(f"{a}{n}", a, n * 100 + (a == "b"), kind="repost", ref_post_id=f"o{n}")
        for a in "ab"
        for n in range(3)
    ]
    with store_with(tmp_path / "s.duckdb", posts) as db:
        name = save_edges(db, edges(db, "co-repost"))
        assert name == edge_table_name("co-repost") == "edges_co_repost"
        assert db.query("SELECT source, target, weight, n_items FROM edges_co_repost") == [
            ("a", "b", 3, 3)
        ]
        assert isinstance(db.arrow("SELECT items FROM edges_co_repost").column(0).type, pa.ListType)


def test_fast_repost_on_real_retweets_agrees_with_the_twitter_ids(
    tmp_path: Path, data_dir: Path
) -> None:
    # twarc2's brexit sample holds the retweeted tweets too: times from the stored
    # originals and from the ids of those originals (originals left out) must agree.
    db = ingested([data_dir / "twarc2-v2-json" / "brexit.jsonl"], tmp_path / "s.duckdb")
    with db:
        stored = actions(db, "fast-repost", delay=3600, snowflake=False)
        reposts_only = db.arrow("SELECT * FROM posts WHERE kind = 'repost'")
        from_ids = actions(reposts_only, "fast-repost", delay=3600)
        assert 10 < stored.num_rows < db.count("posts")
        assert sorted(stored.column("post_id").to_pylist()) == sorted(
            from_ids.column("post_id").to_pylist()
        )
        assert actions(reposts_only, "fast-repost", delay=3600, snowflake=False).num_rows == 0


@settings(max_examples=40, deadline=None)
@given(
    texts=st.lists(
        st.text(alphabet=" \t\n\r\x0b\x1c\xa0\u3000\u2028aB@ςΣ:/htps.", max_size=30),
        min_size=1,
        max_size=40,
    ),
    strip_urls=st.booleans(),
)
def test_text_normalization_equals_the_plain_regular_expressions(
    texts: list[str], strip_urls: bool
) -> None:
    # The plain form: every step applied to every text (the shipped one skips the
    # white-space rewrite where it would change nothing).
    expr = "lower(text)"
    if strip_urls:
        expr = f"regexp_replace({expr}, 'https?://[^{WHITESPACE}]*', '', 'g')"
    expr = f"replace(regexp_replace({expr}, '@[^{WHITESPACE}]*', '', 'g'), 'ς', 'σ')"
    plain = f"trim(regexp_replace({expr}, '[{WHITESPACE}]+', ' ', 'g'), ' ')"
    shipped = normalized_text_sql("text", strip_urls=strip_urls)
    conn = duckdb.connect()
    try:
        conn.register("t", pa.table({"text": texts}))
        rows = conn.sql(f"SELECT {plain}, {shipped} FROM t").fetchall()
    finally:
        conn.close()
    assert all(a == b for a, b in rows), rows
    # Without mentions or sigmas (where DuckDB and Python lower-case alike), it is the
    # toolkit's rule: Python's lower() and split().
    for text, (got, _) in zip(texts, rows, strict=True):
        if not strip_urls and not set(text) & {"@", "ς", "Σ"}:
            assert got == " ".join(text.lower().split()), text
