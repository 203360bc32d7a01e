"""`limelight content` on a real DuckDB file built from real tweets."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from limelight.cli import app
from limelight.detect.content import AiTextModel

runner = CliRunner()
TWEETS = "twitter-v1-json"


@pytest.mark.slow
def test_content_writes_the_five_tables_for_the_posts_in_the_store(
    tmp_path: Path, data_dir: Path
) -> None:
    db = tmp_path / "store.duckdb"
    files = sorted((data_dir / TWEETS).glob("tweepy_test*.json"))
    assert runner.invoke(app, ["ingest", *map(str, files), "--db", str(db)]).exit_code == 0
    result = runner.invoke(app, ["content", "--db", str(db), "--json", "--min-posts", "3"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    con = duckdb.connect(str(db), read_only=True)
    with_text = con.execute(
        "SELECT count(*) FROM posts WHERE kind NOT IN ('repost','like') AND length(trim(text)) > 0"
    ).fetchone()
    assert with_text is not None and summary["posts"] == with_text[0] > 20
    ai_rows = con.execute(
        "SELECT count(*), min(ai_score), max(ai_score) FROM post_ai_text"
    ).fetchone()
    assert ai_rows is not None and ai_rows[0] == summary["posts"]
    assert 0.0 <= ai_rows[1] <= ai_rows[2] <= 1.0
    # every technique span points at the stored post's own text
    spans = con.execute(
        "SELECT p.text, t.span_start, t.span_end, t.fragment FROM post_techniques t "
        "JOIN posts p USING (platform, post_id)"
    ).fetchall()
    assert len(spans) == summary["technique_hits"]
    for text, start, end, fragment in spans:
        assert 0 <= start < end <= len(text) and text[start:end] == fragment
    accounts = con.execute("SELECT sum(posts) FROM account_ai_text").fetchone()
    assert accounts is not None and accounts[0] == summary["posts"]
    narratives = con.execute("SELECT count(*) FROM narratives").fetchone()
    members = con.execute(
        "SELECT count(*) FROM narrative_posts n JOIN posts p USING (platform, post_id)"
    ).fetchone()
    assert narratives is not None and narratives[0] == summary["narratives"]
    assert members is not None and (members[0] > 0) == (narratives[0] > 0)
    # the default run clusters on MiniLM and says so in each narrative row
    embedders = con.execute("SELECT list(DISTINCT embedder) FROM narratives").fetchone()
    assert embedders == (["all-MiniLM-L6-v2"] if narratives[0] else None,)
    assert summary["models"]["narratives"] == "all-MiniLM-L6-v2"
    con.close()


def test_content_on_a_missing_store_says_how_to_make_one(tmp_path: Path) -> None:
    result = runner.invoke(app, ["content", "--db", str(tmp_path / "none.duckdb")])
    assert result.exit_code == 2 and "limelight ingest" in result.output


@pytest.mark.slow
def test_text_scores_each_line_of_a_jsonl_file(tmp_path: Path, data_dir: Path) -> None:
    memes = json.loads(
        (data_dir / "semeval2021-t6-memes" / "dev_set_task1.txt").read_text(encoding="utf-8")
    )[:8]
    src = tmp_path / "in.jsonl"
    lines = [{"id": m["id"], "text": m["text"]} for m in memes]
    lines.append({"id": "refusal", "text": "I'm sorry, but I can't assist with that request."})
    src.write_text("\n".join(json.dumps(x) for x in lines) + "\n", encoding="utf-8")
    out = tmp_path / "out.jsonl"
    result = runner.invoke(app, ["text", str(src), "--out", str(out)])
    assert result.exit_code == 0, result.output
    rows = [json.loads(x) for x in out.read_text(encoding="utf-8").splitlines()]
    assert [r["id"] for r in rows] == [x["id"] for x in lines]
    assert sum(len(r["techniques"]) for r in rows) >= 4
    for r, x in zip(rows, lines, strict=True):
        assert 0.0 <= r["ai_generated"] <= 1.0
        for t in r["techniques"]:
            assert 0 <= t["span_start"] < t["span_end"] <= len(x["text"])
    assert rows[-1]["ai_rule"] == "refusal" and rows[-1]["ai_generated"] >= 0.85
    # --no-ai-encoder: the n-gram head alone, as AiTextModel(use_encoder=False) scores
    fast_out = tmp_path / "fast.jsonl"
    fast = runner.invoke(app, ["text", str(src), "--out", str(fast_out), "--no-ai-encoder"])
    assert fast.exit_code == 0, fast.output
    fast_rows = [json.loads(x) for x in fast_out.read_text(encoding="utf-8").splitlines()]
    ngram = AiTextModel(use_encoder=False).score([x["text"] for x in lines])
    assert [r["ai_generated"] for r in fast_rows] == pytest.approx(
        [s.ai_score for s in ngram], abs=1e-4
    )
    blended = AiTextModel().score([x["text"] for x in lines])
    assert [r["ai_generated"] for r in rows] == pytest.approx(
        [s.ai_score for s in blended], abs=1e-4
    )
    assert [r["ai_generated"] for r in rows] != pytest.approx(
        [r["ai_generated"] for r in fast_rows], abs=1e-4
    )


def test_text_keeps_each_bad_line_as_an_error_line_in_its_place(tmp_path: Path) -> None:
    src = tmp_path / "bad.jsonl"
    src.write_text(
        '{"id": 1, "text": "fine"}\n{"id": 2}\nnot json\n\n{"id": 4, "text": ""}\n',
        encoding="utf-8",
    )
    out = tmp_path / "out.jsonl"
    result = runner.invoke(app, ["text", str(src), "--out", str(out), "--no-ai-encoder"])
    assert result.exit_code == 0, result.output
    assert "bad.jsonl:2" in result.output and "bad.jsonl:3" in result.output
    rows = [json.loads(x) for x in out.read_text(encoding="utf-8").splitlines()]
    assert [r["id"] for r in rows] == [1, 2, 3, 4]  # one line out per line in, blanks aside
    assert rows[1] == {"id": 2, "line": 2, "error": 'no "text" string'}
    assert rows[2] == {"id": 3, "line": 3, "error": "not JSON"}
    assert "error" not in rows[0] and rows[3]["ai_generated"] == 0.0


def test_text_refuses_a_file_with_no_readable_line(tmp_path: Path) -> None:
    src = tmp_path / "bad.jsonl"
    src.write_text("a,b\n1,2\n", encoding="utf-8")
    result = runner.invoke(app, ["text", str(src)])
    assert result.exit_code == 2 and "bad.jsonl:1" in result.output
