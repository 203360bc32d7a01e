"""Fusion on real retweets and on the simulator: campaigns, labels, evidence and notes."""

from __future__ import annotations

import dataclasses
from typing import Any

import pyarrow as pa
import pytest

from limelight.campaigns import (
    ACCOUNT_LABELS,
    EVIDENCE,
    POST_LABELS,
    SPOTLIGHT_CAMPAIGNS,
    campaign_note,
    fuse_tables,
    read_detector_tables,
    ungrounded,
)
from limelight.detect.coordination._simulate import SimulatedData
from limelight.store import Database

pytestmark = pytest.mark.slow


def _rows(db: Database, sql: str, params: list[Any] | None = None) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = db.arrow(sql, params).to_pylist()
    return rows


def _evidence(db: Database, kind: str, subject: str) -> list[dict[str, Any]]:
    return _rows(
        db,
        f"SELECT * FROM {EVIDENCE} WHERE subject_kind = ? AND subject_id = ?",
        [kind, subject],
    )


def test_simulated_campaigns_are_the_planted_ones_with_high_confidence(
    sim: tuple[Database, SimulatedData],
) -> None:
    db, world = sim
    campaigns = _rows(db, f"SELECT * FROM {SPOTLIGHT_CAMPAIGNS} ORDER BY rank")
    planted = set(world.truth.values())
    assert len(campaigns) == len(planted)
    for c in campaigns:
        groups = {world.truth.get(a) for a in c["accounts"]}
        assert len(groups) == 1 and None not in groups, "a campaign mixes planted groups"
        assert 0 <= c["score"] <= 1 and 0 <= c["confidence"] <= 1
        assert c["confidence_level"] == "high"
        assert c["observed"] > 50 * c["expected"]
    assert [c["rank"] for c in campaigns] == list(range(1, len(campaigns) + 1))
    assert [c["score"] for c in campaigns] == sorted((c["score"] for c in campaigns), reverse=True)


def test_every_member_gets_a_coordinated_label_with_its_evidence(
    sim: tuple[Database, SimulatedData],
) -> None:
    db, world = sim
    labels = {r["account_id"]: r for r in _rows(db, f"SELECT * FROM {ACCOUNT_LABELS}")}
    members = _rows(db, "SELECT campaign_id, account_id FROM campaign_members")
    assert members
    for m in members:
        label = labels[m["account_id"]]
        assert "coordinated" in label["labels"] and label["campaign_id"] == m["campaign_id"]
        assert label["n_evidence"] == len(_evidence(db, "account", m["account_id"])) > 0
    # No organic account is called coordinated.
    assert all(a in world.truth for a, r in labels.items() if "coordinated" in r["labels"])


def test_campaign_evidence_holds_members_chance_and_co_actions(
    sim: tuple[Database, SimulatedData],
) -> None:
    db, _ = sim
    for c in _rows(db, f"SELECT * FROM {SPOTLIGHT_CAMPAIGNS}"):
        rows = _evidence(db, "campaign", c["campaign_id"])
        kinds = [r["kind"] for r in rows]
        assert kinds.count("membership") == c["n_accounts"]
        assert {r["account_id"] for r in rows if r["kind"] == "membership"} == set(c["accounts"])
        summary = [r for r in rows if r["kind"] == "chance" and r["account_id"] is None]
        assert len(summary) == 1
        assert summary[0]["observed"] == c["observed"]
        assert summary[0]["expected"] == pytest.approx(c["expected"])
        assert kinds.count("co-action") > 0
        ids = [r["evidence_id"] for r in rows]
        assert len(set(ids)) == len(ids) and all(i.startswith(c["campaign_id"] + "#") for i in ids)


def test_real_co_actions_are_the_stored_posts(russian: Database) -> None:
    campaigns = _rows(russian, f"SELECT * FROM {SPOTLIGHT_CAMPAIGNS}")
    assert campaigns, "the Russian retweets hold at least one campaign (CooRTweet finds several)"
    checked = 0
    for c in campaigns:
        for e in _evidence(russian, "campaign", c["campaign_id"]):
            if e["kind"] != "co-action":
                continue
            a, b = (
                _rows(russian, "SELECT * FROM posts WHERE post_id = ?", [p])[0]
                for p in (e["post_id"], e["other_post_id"])
            )
            assert (a["account_id"], b["account_id"]) == (e["account_id"], e["other_account_id"])
            assert a["ref_post_id"] == b["ref_post_id"] == e["item"]  # co-repost: same post
            assert (a["created_at"], b["created_at"]) == (e["at"], e["other_at"])
            gap = abs((a["created_at"] - b["created_at"]).total_seconds())
            assert gap == e["seconds_apart"] <= 60
            checked += 1
    assert checked >= 3


def test_real_campaigns_rest_on_less_evidence_than_the_simulated(
    russian: Database, sim: tuple[Database, SimulatedData]
) -> None:
    real = _rows(russian, f"SELECT confidence FROM {SPOTLIGHT_CAMPAIGNS}")
    simulated = _rows(sim[0], f"SELECT confidence FROM {SPOTLIGHT_CAMPAIGNS}")
    assert max(r["confidence"] for r in real) < min(r["confidence"] for r in simulated)


def test_ids_without_a_profile_do_not_count_as_automated(russian: Database) -> None:
    # CooRTweet holds ids only: the account model scores them, but fusion must not lean on it.
    scored = russian.query("SELECT count(*) FROM account_scores WHERE bot_score >= 0.5")[0][0]
    assert scored > 1000
    automated = russian.query(
        f"SELECT count(*) FROM {ACCOUNT_LABELS} WHERE list_contains(labels, 'likely-automated')"
    )[0][0]
    assert automated == 0


@pytest.mark.parametrize("store", ["sim", "russian"])
def test_every_note_cites_only_its_evidence(store: str, request: pytest.FixtureRequest) -> None:
    value = request.getfixturevalue(store)
    db: Database = value[0] if isinstance(value, tuple) else value
    campaigns = _rows(db, f"SELECT * FROM {SPOTLIGHT_CAMPAIGNS}")
    assert campaigns
    for c in campaigns:
        rows = _evidence(db, "campaign", c["campaign_id"])
        note = c["note"]
        assert c["note_source"] == "template"
        assert ungrounded(note, rows) == [], note
        cited = [r["post_id"] for r in rows if r["kind"] == "co-action"]
        assert any(p in note for p in cited), "a note cites at least one post id"


def test_the_grounding_check_catches_a_number_or_id_that_is_not_in_the_evidence(
    russian: Database,
) -> None:
    c = _rows(russian, f"SELECT * FROM {SPOTLIGHT_CAMPAIGNS} LIMIT 1")[0]
    rows = _evidence(russian, "campaign", c["campaign_id"])
    assert ungrounded(c["note"] + " Another 977 accounts joined.", rows) == ["977"]
    assert ungrounded(c["note"] + " See post ff00aa11bb22.", rows) == ["ff00aa11bb22"]
    assert ungrounded(c["note"] + " At 2020-01-01 00:00:00 UTC.", rows) == [
        "2020-01-01 00:00:00 UTC"
    ]


def test_a_note_says_nothing_about_signals_that_are_not_in_its_rows() -> None:
    rows = [
        {
            "kind": "membership",
            "account_id": a,
            "item": "cmp-x",
            "detail": "member",
            "value": 1.0,
        }
        for a in ("a1", "a2", "a3")
    ]
    note = campaign_note("cmp-x", rows)
    assert note == "3 accounts acted together beyond chance in campaign cmp-x."
    assert "automated" not in note and "technique" not in note
    assert "not scored" in campaign_note("cmp-x", rows, accounts_scored=False)


def test_content_signals_reach_campaigns_labels_spans_and_notes(
    sim: tuple[Database, SimulatedData],
) -> None:
    # The content detectors are being built: a stand-in technique and AI-text table for a few
    # real member posts exercises the fusion's content path (shape of `post_techniques`).
    db, _ = sim
    inputs = read_detector_tables(db)
    member_posts = inputs.member_posts.slice(0, 4).to_pylist()
    tech = pa.Table.from_pylist(
        [
            {**p, "technique": "loaded_language", "score": 0.9, "span_start": 0, "span_end": 5}
            for p in member_posts[:3]
        ],
        schema=inputs.techniques.schema,
    )
    ai = pa.Table.from_pylist([{**member_posts[3], "score": 0.8}], schema=inputs.ai_text.schema)
    fused = fuse_tables(dataclasses.replace(inputs, techniques=tech, ai_text=ai))
    posts = {r["post_id"]: r for r in fused.tables[POST_LABELS].to_pylist()}
    for p in member_posts[:3]:
        label = posts[p["post_id"]]
        assert "persuasion" in label["labels"] and label["techniques"] == ["loaded_language"]
        assert label["spans"] == [
            {"start": 0, "end": 5, "technique": "loaded_language", "score": 0.9}
        ]
    assert posts[member_posts[3]["post_id"]]["ai_text_score"] == 0.8
    campaigns = fused.campaigns.to_pylist()
    with_tech = [c for c in campaigns if c["techniques"]]
    assert with_tech and all("loaded language in" in c["note"] for c in with_tech)
    evidence = fused.evidence.to_pylist()
    for c in campaigns:
        rows = [r for r in evidence if r["subject_kind"] == "campaign"]
        rows = [r for r in rows if r["subject_id"] == c["campaign_id"]]
        assert ungrounded(c["note"], rows) == []
    base = {
        r["campaign_id"]: r["score"]
        for r in sim[0].arrow(f"SELECT campaign_id, score FROM {SPOTLIGHT_CAMPAIGNS}").to_pylist()
    }
    for c in with_tech:
        assert c["score"] > base[c["campaign_id"]], "content raises a campaign's score"


def test_fusion_without_any_detector_output_gives_no_campaigns(tmp_path: Any) -> None:
    from limelight.campaigns import fuse
    from limelight.demo import sample_path
    from limelight.ingest import ingest_paths

    with Database(tmp_path / "plain.duckdb") as db:
        ingest_paths([sample_path()], db, workers=1)
        result = fuse(db)
        assert result.campaigns.num_rows == 0
        assert result.tables[ACCOUNT_LABELS].num_rows == 0
        assert result.params["coordination_ran"] is False
        amp = result.tables["amplification"]
        assert amp.num_rows > 0
        assert set(amp.column("organic_share").to_pylist()) == {1.0}


def test_the_report_of_the_real_retweets_holds_their_campaigns(
    russian: Database, tmp_path: Any
) -> None:
    from limelight.spotlight.report import write_report

    html = write_report(russian, tmp_path / "ru.html").read_text(encoding="utf-8")
    for c in _rows(russian, f"SELECT campaign_id, note FROM {SPOTLIGHT_CAMPAIGNS}"):
        assert f'<article class="campaign" id="{c["campaign_id"]}">' in html
        assert c["note"].split(". ")[0] in html
