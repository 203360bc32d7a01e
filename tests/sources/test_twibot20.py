"""The TwiBot-20 reader on the real public sample (100 users, their recent tweet texts).

The sample has no labels; the label test writes two hand-made users in the same layout.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from limelight.cli import app
from limelight.ingest import ingest_paths
from limelight.sources import resolve_format
from limelight.sources._io import read_head
from limelight.sources.twibot20 import clean_profile
from limelight.store import Database
from tests.conftest import ReadResult, read_all

SAMPLE = "twibot20-sample/TwiBot-20_sample.json"


@pytest.fixture(scope="module")
def users(data_dir: Path) -> list[dict[str, Any]]:
    """The sample as plain JSON, to compare the reader against."""
    loaded: list[dict[str, Any]] = json.loads((data_dir / SAMPLE).read_text(encoding="utf-8"))
    return loaded


@pytest.fixture(scope="module")
def sample(data_dir: Path) -> ReadResult:
    return read_all(data_dir / SAMPLE)


def test_the_sample_is_detected(data_dir: Path) -> None:
    assert resolve_format(data_dir / SAMPLE, None) == "twibot-20"


def test_every_user_and_every_tweet_text_is_read(
    sample: ReadResult, users: list[dict[str, Any]]
) -> None:
    assert not sample.rejects
    assert sorted(a.account_id for a in sample.accounts) == sorted(u["ID"] for u in users)
    assert len(sample.posts) == sum(len(u["tweet"] or []) for u in users)
    by_id = {p.post_id: p for p in sample.posts}
    for u in users:
        for i, text in enumerate(u["tweet"] or []):
            post = by_id[f"twibot20-{u['ID']}-{i}"]
            assert (post.account_id, post.text) == (u["ID"], text.rstrip("\n"))
            assert post.created_at is None


def test_profiles_read_as_the_user_objects_they_were(
    sample: ReadResult, users: list[dict[str, Any]]
) -> None:
    checked_urls = 0
    for u in users:
        p, a = u["profile"], sample.account(u["ID"])
        assert a.handle == p["screen_name"].strip()
        assert a.followers == int(p["followers_count"])
        assert a.following == int(p["friends_count"])
        assert a.posts_count == int(p["statuses_count"])
        assert a.verified is (p["verified"].strip() == "True")
        assert a.default_image is (p["default_profile_image"].strip() == "True")
        assert a.created_at is not None and a.created_at.year >= 2006
        if "expanded_url" in p["entities"] and "'url': {" in p["entities"]:
            # The profile link is the expansion that the entities give, not the t.co one.
            assert a.url is not None and "t.co/" not in a.url
            checked_urls += 1
        if p["description"].strip() in ("", "None"):
            assert a.description is None
    assert checked_urls >= 10


def test_retweets_and_replies_are_told_from_the_text(sample: ReadResult) -> None:
    kinds = {p.kind for p in sample.posts}
    assert {"repost", "reply", "original"} <= kinds
    for p in sample.posts:
        text = p.text or ""
        if p.kind == "repost":
            assert text.startswith("RT ")
            assert p.ref_account_id and p.ref_account_id[1:] in text.lower()
        elif p.kind == "reply":
            assert text.startswith("@") and p.reply_to_account_id
        assert all(m.startswith("@") and m == m.lower() for m in p.mentions)
        # A link the collector cut off ("https://t.co/abc…") is no link.
        assert not any(u.endswith("…") for u in p.urls)


def test_clean_profile_undoes_the_stringified_values() -> None:
    profile = {
        "id": "12 ",
        "screen_name": "someone ",
        "followers_count": "1500 ",
        "verified": "False ",
        "lang": "None ",
        "entities": "{'url': {'urls': [{'url': 'https://t.co/x', "
        "'expanded_url': 'http://a.example/p?utm_source=x'}]}} ",
        "status": "{'text': __import__('os').system('true')} ",
        "profile_location": "{[1]: 2} ",
    }
    user = clean_profile(profile)
    assert user["id"] == "12" and user["screen_name"] == "someone"
    assert user["followers_count"] == 1500 and user["verified"] is False
    assert user["lang"] is None
    assert user["entities"]["url"]["urls"][0]["expanded_url"] == "http://a.example/p?utm_source=x"
    assert user["status"] is None  # not a literal: never evaluated
    assert user["profile_location"] is None  # a literal Python cannot build


def test_labels_are_kept_and_a_rerun_stores_nothing_twice(tmp_path: Path) -> None:
    profile = {"id": "7 ", "screen_name": "bot7 ", "followers_count": "3 ", "created_at": "None "}
    rows = [
        {"ID": "7", "profile": profile, "tweet": ["hi #Tag https://t.co/abcdefgh\n"], "label": "1"},
        {"ID": "8", "profile": None, "tweet": None, "neighbor": None, "label": "0"},
        {"ID": "", "profile": None, "tweet": []},
    ]
    path = tmp_path / "train.json"
    path.write_text(json.dumps(rows))
    with Database(tmp_path / "s.duckdb") as db:
        first = ingest_paths([path], db).files[0]
        second = ingest_paths([path], db, force=True).files[0]
        labels = dict(
            db.query("SELECT account_id, json_extract_string(raw, '$.label') FROM accounts")
        )
        post = db.query("SELECT hashtags, urls FROM posts")
    assert first.format == "twibot-20" and first.rejected == 1
    assert first.read == first.stored + first.duplicates + first.rejected
    assert second.stored == 0 and second.duplicates == first.stored
    assert labels == {"7": "1", "8": "0"}
    assert post == [(["tag"], ["https://t.co/abcdefgh"])]


def test_analyze_runs_on_posts_without_times(data_dir: Path, tmp_path: Path) -> None:
    db, out = tmp_path / "s.duckdb", tmp_path / "out"
    result = CliRunner().invoke(
        app, ["analyze", str(data_dir / SAMPLE), "--db", str(db), "--out", str(out), "--no-content"]
    )
    assert result.exit_code == 0, result.output
    assert (out / "report.html").stat().st_size > 0
    with Database(db) as store:
        scored = store.query("SELECT count(*) FROM account_scores")[0][0]
        tags = store.query("SELECT sum(volume) FROM amplification WHERE item_kind = 'hashtag'")
        buckets = store.query("SELECT count(*) FROM amplification_timeline")[0][0]
    assert scored == 100
    assert tags[0][0] > 0 and buckets == 0  # counted, but no time to put them on


def test_a_one_line_array_is_detected_from_its_first_items(
    data_dir: Path, tmp_path: Path, users: list[dict[str, Any]]
) -> None:
    # The sample is one 3 MB line: detection reads its first items, not the whole line.
    sample = data_dir / SAMPLE
    assert len(read_head(sample)) < sample.stat().st_size // 4
    # Items larger than the first block: the head grows until five of them are whole.
    big = [dict(u, tweet=[t * 40 for t in (u["tweet"] or [])]) for u in users[:20]]
    path = tmp_path / "big.json"
    path.write_text(json.dumps(big), encoding="utf-8")
    head = read_head(path)
    assert 256 * 1024 < len(head) < path.stat().st_size
    assert resolve_format(path, None) == "twibot-20"
