"""`limelight content --fast`: the whole content stage without torch, on real posts.

The command runs in a child process in which torch, transformers and sentence-transformers
cannot be imported, over a real DuckDB file built from real tweets; the narratives of the
fast path are checked on real TweepFake tweets of three unrelated topics plus a copy-paste
burst of one of them (the same posts as tests/detect/content/test_narratives.py).
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from limelight.cli import app
from limelight.detect.content import (
    STATIC_NARRATIVES,
    AiTextModel,
    PersuasionModel,
    StaticEmbedder,
    analyse_posts,
)
from limelight.errors import InputError
from tests.detect.content._no_torch import NO_TORCH_PRELUDE

from .test_narratives import TOPICS, _topic_posts, add_burst

TWEETS = "twitter-v1-json"

_NO_TORCH_CLI = (
    NO_TORCH_PRELUDE
    + """
from limelight.cli import app
code = 0
try:
    app(["content", "--db", sys.argv[1], "--fast", "--json", "--min-posts", "3"])
except SystemExit as exc:
    code = exc.code or 0
loaded = sorted({m.split(".")[0] for m in sys.modules} & BLOCKED)
print(json.dumps({"code": code, "loaded": loaded}), file=sys.stderr)
"""
)


def test_content_fast_stores_the_five_tables_without_loading_torch(
    tmp_path: Path, data_dir: Path
) -> None:
    db = tmp_path / "store.duckdb"
    files = sorted((data_dir / TWEETS).glob("tweepy_test*.json"))
    ingest = CliRunner().invoke(app, ["ingest", *map(str, files), "--db", str(db)])
    assert ingest.exit_code == 0, ingest.output
    done = subprocess.run(
        [sys.executable, "-c", _NO_TORCH_CLI, str(db)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    status = json.loads(done.stderr.strip().splitlines()[-1])
    assert status == {"code": 0, "loaded": []}, done.stderr[-2000:]
    summary = json.loads(done.stdout)
    static = StaticEmbedder.load()
    fast_head = PersuasionModel(fast=True)
    ngram = AiTextModel(use_encoder=False)
    assert summary["models"] == {
        "persuasion": fast_head.version,
        "ai_text": ngram.version,
        "narratives": static.version,
    }
    con = duckdb.connect(str(db), read_only=True)
    try:
        with_text = con.execute(
            "SELECT count(*) FROM posts "
            "WHERE kind NOT IN ('repost','like') AND length(trim(text)) > 0"
        ).fetchone()
        assert with_text is not None and summary["posts"] == with_text[0] > 20
        ai = con.execute("SELECT count(*), list(DISTINCT model) FROM post_ai_text").fetchone()
        assert ai == (summary["posts"], [ngram.version])
        accounts = con.execute("SELECT sum(posts) FROM account_ai_text").fetchone()
        assert accounts == (summary["posts"],)
        techniques = con.execute(
            "SELECT count(*), count(DISTINCT model), min(model) FROM post_techniques"
        ).fetchone()
        assert techniques is not None and techniques[0] == summary["technique_hits"] > 0
        assert techniques[1:] == (1, fast_head.version)
        narratives = con.execute("SELECT count(*), list(DISTINCT embedder) FROM narratives")
        row = narratives.fetchone()
        assert row is not None and row[0] == summary["narratives"] > 0
        assert row[1] == [static.version]
        members = con.execute(
            "SELECT count(*) FROM narrative_posts n JOIN posts p USING (platform, post_id)"
        ).fetchone()
        assert members is not None and members[0] >= 5 * row[0]
    finally:
        con.close()


def test_fast_narratives_keep_a_burst_together_and_topics_apart(data_dir: Path) -> None:
    texts, accounts, labels = _topic_posts(data_dir, 20)
    add_burst(texts, accounts, labels)
    n = len(texts)
    ids = [f"p{i}" for i in range(n)]
    start = datetime(2020, 3, 1, tzinfo=UTC)
    result = analyse_posts(
        ["x"] * n, ids, accounts, texts, [start + timedelta(hours=i) for i in range(n)], fast=True
    )
    assert result.params["fast"] and result.params["narratives"]["embedder"].startswith("static-")
    stored = result.params["narratives"]
    assert stored["resolution"] == STATIC_NARRATIVES.resolution
    assert stored["similarity_floor"] == STATIC_NARRATIVES.similarity_floor > 0
    assert {r["embedder"] for r in result.tables["narratives"].to_pylist()} == {stored["embedder"]}
    members = result.tables["narrative_posts"].to_pylist()
    assigned = {m["post_id"]: m["narrative_id"] for m in members}
    family = {m["post_id"]: m["family"] for m in members}
    assert len(assigned) >= 0.8 * n
    # the near-duplicates are one family in one narrative ...
    burst_ids = [ids[0], *ids[-12:]]
    assert {assigned.get(i) for i in burst_ids} == {assigned[ids[0]]}
    assert len({family[i] for i in burst_ids}) == 1
    # ... and each topic has a narrative of its own, mostly free of the other topics
    label_of = dict(zip(ids, labels, strict=True))
    counts = {
        nid: Counter(label_of[p] for p, m in assigned.items() if m == nid)
        for nid in set(assigned.values())
    }
    home: dict[str, str] = {}
    for topic in TOPICS:
        nid, mine = max(((k, c[topic]) for k, c in counts.items()), key=lambda kv: kv[1])
        assert mine >= 8, (topic, counts)
        assert mine / sum(counts[nid].values()) >= 0.85, (topic, counts[nid])
        home[topic] = nid
    assert len(set(home.values())) == len(TOPICS)
    assert home["covid"] == assigned[ids[0]]


def test_fast_refuses_a_head_that_reads_minilm() -> None:
    one: tuple[list[str], list[str], list[str], list[str], list[datetime | None]]
    one = (["x"], ["p"], ["a"], ["text"], [None])
    with pytest.raises(InputError, match="fast"):
        analyse_posts(*one, fast=True, persuasion=PersuasionModel())
    with pytest.raises(InputError, match="fast"):
        analyse_posts(*one, fast=True, ai_text=AiTextModel())
