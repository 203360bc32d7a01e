"""The tables the fusion stage writes: what the report, the API and the dashboard read.

``limelight analyze`` (and ``limelight.campaigns.fuse``) reads the detectors' tables
(``campaigns``, ``campaign_members``, ``campaign_evidence`` from coordination,
``account_scores`` from account scoring, and the content tables when they exist) and writes
the tables below with ``Database.replace_table``. Every table is replaced as a whole on each
run, so a reader never sees half of one run and half of another. Ids are stable across
runs on the same data: ``campaign_id`` is coordination's (``cmp-`` + SHA-1 of the sorted
member ids), ``evidence_id`` is ``<subject_id>#<n>`` with ``n`` counted in a fixed order.

Scores and confidences are in [0, 1]. A *score* says how strongly the evidence points to
manipulation; a *confidence* says how much evidence there is and how independent it is
(many co-actions on many items in several behaviours, profiles as well as behaviour for
bot scores). A high score with a low confidence is a lead to check, not a finding.

``spotlight_campaigns`` (one row per campaign, ``rank`` 1 = strongest)
    campaign_id, rank; ``score`` (fused: coordination strength raised by the members'
    automation and content signals, never created by them), ``confidence`` and
    ``confidence_level`` (``low``/``medium``/``high``); ``coordination_score`` (mean pair
    -log10 p from coordination, unbounded); ``n_accounts``, ``n_pairs`` (member pairs with
    a significant edge), ``n_posts`` (posts by members in the store), ``n_items``
    (distinct shared items in the evidence and ``top_items``); ``behaviours``;
    ``first_seen``/``last_seen`` (first and last co-action); ``observed`` (co-actions of the
    tied member pairs, each pair in its strongest layer) and ``expected`` (what the null
    model predicts for the same pairs and layers); ``automated_share`` (share of members
    whose bot score counts and passes the
    threshold; null when no member's score counts), ``mean_bot_score``; ``techniques``
    (persuasion techniques found in members' posts, most frequent first; empty when the
    content stage did not run), ``ai_text_share`` (share of members' scored posts judged
    AI-written; null when not run), ``narratives``; ``top_items``; ``accounts``;
    ``note`` (the spotlight note, plain language, cites post ids, built only from the
    campaign's evidence rows), ``note_source`` (``template`` or ``llm:<model>``).

``spotlight_evidence`` (the evidence list of every campaign, account label and post label)
    subject_kind (``campaign``, ``account`` or ``post``), subject_id, evidence_id; ``kind``:
    ``co-action`` (two posts of two accounts on the same item within the window),
    ``chance`` (observed co-actions against the null model's expectation: one row for all
    tied member pairs together, ``account_id`` null and ``value`` the number of pairs,
    then one per strongest pair with ``value`` its -log10 p),
    ``account-score`` (a member's bot score and its reasons), ``technique`` (a persuasion
    technique in a post, with its span), ``ai-text`` (a post judged AI-written),
    ``membership`` (an account or post belonging to a campaign); behaviour, item;
    account_id, post_id, at; other_account_id, other_post_id, other_at, seconds_apart;
    ``observed``, ``expected``, ``value`` (the kind's number: pair score, bot score,
    technique or AI-text probability); ``detail`` (one short line: reasons, technique name,
    span text). Notes may only state what these rows show.

``spotlight_edges`` (the network picture of each campaign)
    campaign_id, source, target (account ids, ``source < target``), layer (a behaviour or
    ``combined``), weight (co-actions), expected (chance), pvalue, score (-log10 p),
    first_at, last_at. Only significant edges between members of the same campaign.

``account_labels`` (one row per account that is in a campaign, likely automated, or has a
content signal)
    platform, account_id, handle; ``label`` (the main one: ``coordinated``,
    ``likely-automated``, ``persuasion`` or ``ai-text``) and ``labels`` (all that apply);
    score, confidence; campaign_id (null when in none), campaign_score (its member score);
    bot_score, bot_kind (null when accounts were not scored); n_posts; techniques;
    ai_text_share; reasons (short lines, from the account model and the campaign);
    n_evidence (its rows in ``spotlight_evidence``).

``post_labels`` (one row per post that is campaign evidence, by a campaign member, or has a
content signal)
    platform, post_id, account_id, created_at, text; ``label``, ``labels`` (as for
    accounts, plus ``campaign-evidence`` for posts cited as co-actions); score,
    confidence; campaign_id; techniques; ``spans`` (list of ``{start, end, technique,
    score}``, character offsets into ``text``, for highlighting); ai_text_score;
    n_evidence.

``amplification`` (one row per item: what is being pushed and by whom)
    item_kind (``hashtag``, ``url``, ``domain``, ``post`` for a reposted post,
    ``narrative``), item, rank (within its kind, most manufactured volume first);
    ``volume`` (posts carrying the item), ``accounts``; ``campaign_volume`` (posts by
    members of flagged campaigns), ``automated_volume`` (posts by likely-automated
    accounts, in campaigns or not), ``automated_only_volume`` (likely automated and in no
    campaign), ``organic_volume`` (the rest); ``campaign_share``, ``automated_share``,
    ``automated_only_share``, ``organic_share`` are the same over ``volume``:
    ``campaign_share + automated_only_share + organic_share = 1``; ``manufactured_share``
    = ``campaign_share + automated_only_share``; campaigns (ids that pushed it);
    first_at, last_at.

``amplification_timeline`` (the same counts per time bucket, for items in
``amplification``)
    item_kind, item, bucket (start of the bucket, UTC), bucket_seconds, volume,
    campaign_volume, automated_volume, automated_only_volume, organic_volume.

``spotlight_runs`` (what made the tables above; one row per stage)
    stage (``coordination``, ``accounts``, ``content``, ``fusion``), fingerprint (of the
    stage's inputs and parameters; a rerun with the same fingerprint skips the stage),
    status (``done``, ``skipped`` or ``unavailable``), params (JSON: the settings; for
    fusion also ``llm_notes``, how many LLM notes were accepted or rejected), message
    (what the stage found; ``reused: ...`` when skipped), seconds (how long the stage took
    in this run), finished_at.
"""

from __future__ import annotations

import pyarrow as pa

__all__ = [
    "ACCOUNT_LABELS",
    "ACCOUNT_LABEL_SCHEMA",
    "AMPLIFICATION",
    "AMPLIFICATION_SCHEMA",
    "EDGES",
    "EDGE_SCHEMA",
    "EVIDENCE",
    "EVIDENCE_SCHEMA",
    "FUSED_TABLES",
    "POST_LABELS",
    "POST_LABEL_SCHEMA",
    "RUNS",
    "RUN_SCHEMA",
    "SPAN_TYPE",
    "SPOTLIGHT_CAMPAIGNS",
    "SPOTLIGHT_CAMPAIGN_SCHEMA",
    "TIMELINE",
    "TIMELINE_SCHEMA",
]

_TS = pa.timestamp("us", tz="UTC")
_STRS = pa.list_(pa.string())

SPOTLIGHT_CAMPAIGNS = "spotlight_campaigns"
EVIDENCE = "spotlight_evidence"
EDGES = "spotlight_edges"
ACCOUNT_LABELS = "account_labels"
POST_LABELS = "post_labels"
AMPLIFICATION = "amplification"
TIMELINE = "amplification_timeline"
RUNS = "spotlight_runs"

SPOTLIGHT_CAMPAIGN_SCHEMA = pa.schema(
    [
        ("campaign_id", pa.string()),
        ("rank", pa.int64()),
        ("score", pa.float64()),
        ("confidence", pa.float64()),
        ("confidence_level", pa.string()),
        ("coordination_score", pa.float64()),
        ("n_accounts", pa.int64()),
        ("n_pairs", pa.int64()),
        ("n_posts", pa.int64()),
        ("n_items", pa.int64()),
        ("behaviours", _STRS),
        ("first_seen", _TS),
        ("last_seen", _TS),
        ("observed", pa.float64()),
        ("expected", pa.float64()),
        ("automated_share", pa.float64()),
        ("mean_bot_score", pa.float64()),
        ("techniques", _STRS),
        ("ai_text_share", pa.float64()),
        ("narratives", _STRS),
        ("top_items", _STRS),
        ("accounts", _STRS),
        ("note", pa.string()),
        ("note_source", pa.string()),
    ]
)

EVIDENCE_SCHEMA = pa.schema(
    [
        ("subject_kind", pa.string()),
        ("subject_id", pa.string()),
        ("evidence_id", pa.string()),
        ("kind", pa.string()),
        ("behaviour", pa.string()),
        ("item", pa.string()),
        ("account_id", pa.string()),
        ("post_id", pa.string()),
        ("at", _TS),
        ("other_account_id", pa.string()),
        ("other_post_id", pa.string()),
        ("other_at", _TS),
        ("seconds_apart", pa.float64()),
        ("observed", pa.float64()),
        ("expected", pa.float64()),
        ("value", pa.float64()),
        ("detail", pa.string()),
    ]
)

EDGE_SCHEMA = pa.schema(
    [
        ("campaign_id", pa.string()),
        ("source", pa.string()),
        ("target", pa.string()),
        ("layer", pa.string()),
        ("weight", pa.int64()),
        ("expected", pa.float64()),
        ("pvalue", pa.float64()),
        ("score", pa.float64()),
        ("first_at", _TS),
        ("last_at", _TS),
    ]
)

ACCOUNT_LABEL_SCHEMA = pa.schema(
    [
        ("platform", pa.string()),
        ("account_id", pa.string()),
        ("handle", pa.string()),
        ("label", pa.string()),
        ("labels", _STRS),
        ("score", pa.float64()),
        ("confidence", pa.float64()),
        ("campaign_id", pa.string()),
        ("campaign_score", pa.float64()),
        ("bot_score", pa.float64()),
        ("bot_kind", pa.string()),
        ("n_posts", pa.int64()),
        ("techniques", _STRS),
        ("ai_text_share", pa.float64()),
        ("reasons", _STRS),
        ("n_evidence", pa.int64()),
    ]
)

SPAN_TYPE = pa.struct(
    [
        ("start", pa.int64()),
        ("end", pa.int64()),
        ("technique", pa.string()),
        ("score", pa.float64()),
    ]
)

POST_LABEL_SCHEMA = pa.schema(
    [
        ("platform", pa.string()),
        ("post_id", pa.string()),
        ("account_id", pa.string()),
        ("created_at", _TS),
        ("text", pa.string()),
        ("label", pa.string()),
        ("labels", _STRS),
        ("score", pa.float64()),
        ("confidence", pa.float64()),
        ("campaign_id", pa.string()),
        ("techniques", _STRS),
        ("spans", pa.list_(SPAN_TYPE)),
        ("ai_text_score", pa.float64()),
        ("n_evidence", pa.int64()),
    ]
)

AMPLIFICATION_SCHEMA = pa.schema(
    [
        ("item_kind", pa.string()),
        ("item", pa.string()),
        ("rank", pa.int64()),
        ("volume", pa.int64()),
        ("accounts", pa.int64()),
        ("campaign_volume", pa.int64()),
        ("automated_volume", pa.int64()),
        ("automated_only_volume", pa.int64()),
        ("organic_volume", pa.int64()),
        ("campaign_share", pa.float64()),
        ("automated_share", pa.float64()),
        ("automated_only_share", pa.float64()),
        ("organic_share", pa.float64()),
        ("manufactured_share", pa.float64()),
        ("campaigns", _STRS),
        ("first_at", _TS),
        ("last_at", _TS),
    ]
)

TIMELINE_SCHEMA = pa.schema(
    [
        ("item_kind", pa.string()),
        ("item", pa.string()),
        ("bucket", _TS),
        ("bucket_seconds", pa.int64()),
        ("volume", pa.int64()),
        ("campaign_volume", pa.int64()),
        ("automated_volume", pa.int64()),
        ("automated_only_volume", pa.int64()),
        ("organic_volume", pa.int64()),
    ]
)

RUN_SCHEMA = pa.schema(
    [
        ("stage", pa.string()),
        ("fingerprint", pa.string()),
        ("status", pa.string()),
        ("params", pa.string()),
        ("message", pa.string()),
        ("seconds", pa.float64()),
        ("finished_at", _TS),
    ]
)

#: Every table the fusion stage writes, with its schema (the exports and the API use this).
FUSED_TABLES: dict[str, pa.Schema] = {
    SPOTLIGHT_CAMPAIGNS: SPOTLIGHT_CAMPAIGN_SCHEMA,
    EVIDENCE: EVIDENCE_SCHEMA,
    EDGES: EDGE_SCHEMA,
    ACCOUNT_LABELS: ACCOUNT_LABEL_SCHEMA,
    POST_LABELS: POST_LABEL_SCHEMA,
    AMPLIFICATION: AMPLIFICATION_SCHEMA,
    TIMELINE: TIMELINE_SCHEMA,
}
