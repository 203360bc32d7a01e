"""The API's request and response bodies: what /openapi.json documents.

Responses are built from the relations' rows (``_relations``), so a field is null where
the store lacks the signal behind it (no account scores, no content stage).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, model_validator

__all__ = [
    "Account",
    "AccountDetail",
    "Amplification",
    "Campaign",
    "CampaignDetail",
    "Edge",
    "Evidence",
    "Feedback",
    "FeedbackIn",
    "Label",
    "Network",
    "NetworkEdge",
    "NetworkNode",
    "Page",
    "Post",
    "SearchResult",
    "Span",
    "Stats",
    "Timeline",
    "TimelineBucket",
]

T = TypeVar("T")


class _Row(BaseModel):
    """A model built from a store row: a null list column reads as an empty list."""

    @model_validator(mode="before")
    @classmethod
    def _null_lists(cls, data: Any) -> Any:
        if isinstance(data, dict):
            for name, field in cls.model_fields.items():
                if data.get(name, 0) is None and isinstance(field.default, list):
                    data = {k: v for k, v in data.items() if k != name}
        return data


class Page(BaseModel, Generic[T]):
    """One page of a list: ``total`` rows match the filters, ``items`` are rows
    ``offset`` to ``offset + limit``; ``next_offset`` is null on the last page."""

    total: int
    limit: int
    offset: int
    next_offset: int | None
    items: list[T]


class FeedbackCounts(BaseModel):
    """How analysts have judged a campaign or account so far."""

    confirm: int = 0
    dismiss: int = 0
    comment: int = 0


class Campaign(_Row):
    """A campaign: accounts that act together beyond chance, ranked by ``score``.

    ``score`` is the fused score in [0, 1] when the store holds ``spotlight_campaigns``
    (``limelight analyze``), else coordination's mean pair -log10 p (``score_scale``
    in the page says which)."""

    campaign_id: str
    rank: int
    score: float
    confidence: float | None = None
    confidence_level: str | None = None
    coordination_score: float | None = None
    n_accounts: int
    n_pairs: int | None = None
    n_posts: int | None = None
    n_items: int | None = None
    behaviours: list[str] = []
    first_seen: datetime | None = None
    last_seen: datetime | None = None
    observed: float | None = None
    expected: float | None = None
    automated_share: float | None = None
    mean_bot_score: float | None = None
    techniques: list[str] = []
    ai_text_share: float | None = None
    narratives: list[str] = []
    top_items: list[str] = []
    accounts: list[str] = []
    note: str | None = None
    note_source: str | None = None
    feedback: FeedbackCounts = FeedbackCounts()


class CampaignPage(Page[Campaign]):
    """Campaigns, with the scale of their score and its range over the whole store."""

    score_scale: Literal["fused", "coordination", "none"]
    score_min: float | None
    score_max: float | None


class Account(_Row):
    """An account with its bot score, main label, campaign and the reasons behind them."""

    platform: str
    account_id: str
    handle: str | None = None
    display_name: str | None = None
    description: str | None = None
    created_at: datetime | None = None
    followers: int | None = None
    following: int | None = None
    posts_count: int | None = None
    verified: bool | None = None
    bot_score: float | None = None
    bot_kind: str | None = None
    basis: str | None = None
    cohort_id: str | None = None
    cohort_size: int | None = None
    label: str | None = None
    labels: list[str] = []
    label_score: float | None = None
    confidence: float | None = None
    campaign_id: str | None = None
    campaign_score: float | None = None
    reasons: list[str] = []
    techniques: list[str] = []
    feedback: FeedbackCounts = FeedbackCounts()


class Span(BaseModel):
    """A persuasion technique found in a post's text (character offsets)."""

    start: int
    end: int
    technique: str | None = None
    score: float | None = None


class Post(_Row):
    """A post with its label and technique spans, where the content stage ran."""

    platform: str
    post_id: str
    account_id: str | None = None
    handle: str | None = None
    created_at: datetime | None = None
    text: str | None = None
    lang: str | None = None
    kind: str | None = None
    ref_post_id: str | None = None
    ref_account_id: str | None = None
    reply_to_post_id: str | None = None
    urls: list[str] = []
    hashtags: list[str] = []
    mentions: list[str] = []
    like_count: int | None = None
    repost_count: int | None = None
    reply_count: int | None = None
    quote_count: int | None = None
    label: str | None = None
    labels: list[str] = []
    label_score: float | None = None
    confidence: float | None = None
    campaign_id: str | None = None
    techniques: list[str] = []
    spans: list[Span] = []
    ai_text_score: float | None = None


class Evidence(_Row):
    """One row of a campaign's evidence: two posts on the same item, or another signal."""

    campaign_id: str
    evidence_id: str
    kind: str
    behaviour: str | None = None
    item: str | None = None
    account_id: str | None = None
    post_id: str | None = None
    at: datetime | None = None
    other_account_id: str | None = None
    other_post_id: str | None = None
    other_at: datetime | None = None
    seconds_apart: float | None = None
    observed: float | None = None
    expected: float | None = None
    value: float | None = None
    detail: str | None = None


class Edge(_Row):
    """A co-action edge between two accounts in one layer (behaviour)."""

    source_table: str
    campaign_id: str | None = None
    source: str
    target: str
    layer: str
    weight: int | None = None
    expected: float | None = None
    pvalue: float | None = None
    score: float | None = None
    first_at: datetime | None = None
    last_at: datetime | None = None


class Label(_Row):
    """A label on a campaign, account or post, as exported for other systems."""

    subject: Literal["campaign", "account", "post"]
    platform: str | None = None
    subject_id: str
    label: str
    labels: list[str] = []
    score: float | None = None
    confidence: float | None = None
    campaign_id: str | None = None


class NetworkNode(BaseModel):
    """A campaign member, placed by a seeded force layout."""

    id: str
    label: str
    x: float
    y: float
    size: float
    bot_score: float | None = None
    bot_kind: str | None = None
    member_score: float | None = None


class NetworkEdge(_Row):
    """Two members tied by significant co-actions, all layers together."""

    source: str
    target: str
    weight: float
    score: float | None = None
    layers: list[str] = []


class Network(BaseModel):
    """A campaign's network: members and the pairs that tie them."""

    campaign_id: str
    nodes: list[NetworkNode]
    edges: list[NetworkEdge]
    edge_source: str


class TimelineBucket(BaseModel):
    """Members' posts in one time bucket, and how many of them are cited as evidence."""

    start: datetime
    posts: int
    evidence_posts: int


class Timeline(BaseModel):
    """A campaign's activity over time."""

    campaign_id: str
    bucket_seconds: int
    buckets: list[TimelineBucket]


class Feedback(BaseModel):
    """An analyst's judgement of a campaign or account, with who and when."""

    feedback_id: str
    subject_kind: Literal["campaign", "account"]
    subject_id: str
    platform: str | None = None
    action: Literal["confirm", "dismiss", "comment"]
    comment: str | None = None
    author: str
    token_name: str
    created_at: datetime
    score_at_feedback: float | None = None


class FeedbackIn(BaseModel):
    """A judgement to record: confirm or dismiss a finding, or comment on it."""

    model_config = ConfigDict(extra="forbid")

    subject_kind: Literal["campaign", "account"]
    subject_id: str = Field(min_length=1, max_length=500)
    platform: str | None = Field(
        default=None,
        max_length=50,
        description="needed only when an account id is on several platforms",
    )
    action: Literal["confirm", "dismiss", "comment"]
    comment: str | None = Field(default=None, max_length=5000)
    author: str | None = Field(
        default=None,
        min_length=1,
        max_length=100,
        description="who judged; defaults to the API token's name",
    )

    @model_validator(mode="after")
    def _comment_has_text(self) -> FeedbackIn:
        if self.action == "comment" and not (self.comment and self.comment.strip()):
            raise ValueError("a comment needs a non-empty 'comment'")
        return self


class CampaignDetail(BaseModel):
    """A campaign with its members, evidence and analyst feedback."""

    campaign: Campaign
    score_scale: Literal["fused", "coordination"]
    members: list[Account]
    evidence: list[Evidence]
    feedback: list[Feedback]


class AccountDetail(BaseModel):
    """An account with its campaign, recent posts and analyst feedback."""

    account: Account
    campaign: Campaign | None
    posts: Page[Post]
    feedback: list[Feedback]


class SearchResult(BaseModel):
    """Posts whose text matches, plus the accounts and campaigns that match."""

    query: str
    posts: Page[Post]
    accounts: list[Account]
    campaigns: list[Campaign]


class Amplification(_Row):
    """How much of an item's volume came from campaigns and likely-automated accounts."""

    item_kind: str
    item: str
    rank: int
    volume: int
    accounts: int | None = None
    campaign_volume: int | None = None
    automated_volume: int | None = None
    automated_only_volume: int | None = None
    organic_volume: int | None = None
    campaign_share: float | None = None
    automated_share: float | None = None
    automated_only_share: float | None = None
    organic_share: float | None = None
    manufactured_share: float | None = None
    campaigns: list[str] = []
    first_at: datetime | None = None
    last_at: datetime | None = None


class Stats(BaseModel):
    """What the store holds, for the dashboard's header and for health checks."""

    db: str
    posts: int
    accounts: int
    campaigns: int
    score_scale: Literal["fused", "coordination", "none"]
    tables: list[str]
    feedback: int
