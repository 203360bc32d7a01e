"""The JSON endpoints under /api: thin shells over the query functions."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import datetime
from typing import Annotated, Any, Literal

import orjson
from fastapi import APIRouter, Depends, Header, Query, Request
from fastapi.responses import StreamingResponse

from limelight.spotlight.api import _campaigns as C
from limelight.spotlight.api import _queries as Q
from limelight.spotlight.api._context import ReadContext, read_context, store_of
from limelight.spotlight.api._feedback import FEEDBACK_SCHEMA, record_feedback, token_name
from limelight.spotlight.api._models import (
    Account,
    AccountDetail,
    Amplification,
    CampaignDetail,
    CampaignPage,
    Edge,
    Evidence,
    Feedback,
    FeedbackIn,
    Label,
    Network,
    Page,
    Post,
    SearchResult,
    Stats,
    Timeline,
)
from limelight.spotlight.api._relations import FEEDBACK_TABLE
from limelight.spotlight.api._rows import fetch_dicts, page_of

__all__ = ["router"]

router = APIRouter(prefix="/api")

Ctx = Annotated[ReadContext, Depends(read_context)]
Limit = Annotated[int, Query(ge=1, le=500, description="rows per page (at most 500)")]
Offset = Annotated[int, Query(ge=0, le=2**53, description="rows to skip")]
Score = Annotated[float | None, Query(allow_inf_nan=False)]
Since = Annotated[datetime | None, Query(description="ISO 8601 time; UTC if no zone")]
Text = Annotated[str | None, Query(min_length=1, max_length=500)]


@router.get("/stats", response_model=Stats, tags=["store"])
def get_stats(ctx: Ctx, request: Request) -> Stats:
    """What the store holds: counts, the tables present, and what campaign scores mean."""
    return Q.stats(ctx.cur, ctx.tables, str(request.app.state.settings.db.name))


@router.get("/campaigns", response_model=CampaignPage, tags=["campaigns"])
def campaigns(
    ctx: Ctx,
    limit: Limit = 50,
    offset: Offset = 0,
    min_score: Score = None,
    max_score: Score = None,
    min_confidence: Score = None,
    min_accounts: Annotated[int | None, Query(ge=0, le=2**31)] = None,
    behaviour: Text = None,
    technique: Text = None,
    account_id: Text = None,
    since: Since = None,
    until: Since = None,
    q: Text = None,
    sort: C.CampaignSort = "rank",
) -> CampaignPage:
    """Campaigns, strongest first; filter by score, confidence, size, behaviour, time."""
    return C.list_campaigns(
        ctx.cur,
        ctx.tables,
        limit=limit,
        offset=offset,
        min_score=min_score,
        max_score=max_score,
        min_confidence=min_confidence,
        min_accounts=min_accounts,
        behaviour=behaviour,
        technique=technique,
        account_id=account_id,
        since=since,
        until=until,
        q=q,
        sort=sort,
    )


@router.get("/campaigns/{campaign_id}", response_model=CampaignDetail, tags=["campaigns"])
def campaign(ctx: Ctx, campaign_id: str) -> CampaignDetail:
    """A campaign with its members (scores and reasons), evidence and analyst feedback."""
    return C.campaign_detail(ctx.cur, ctx.tables, campaign_id)


@router.get("/campaigns/{campaign_id}/evidence", response_model=Page[Evidence], tags=["campaigns"])
def campaign_evidence(
    ctx: Ctx, campaign_id: str, limit: Limit = 50, offset: Offset = 0, kind: Text = None
) -> Page[Evidence]:
    """A campaign's evidence rows (co-actions and, when fused, other signals)."""
    return C.campaign_evidence(
        ctx.cur, ctx.tables, campaign_id, limit=limit, offset=offset, kind=kind
    )


@router.get("/campaigns/{campaign_id}/network", response_model=Network, tags=["campaigns"])
def campaign_network(ctx: Ctx, campaign_id: str) -> Network:
    """Members and the pairs tying them, laid out (x, y) for drawing."""
    return C.campaign_network(ctx.cur, ctx.tables, campaign_id)


@router.get("/campaigns/{campaign_id}/timeline", response_model=Timeline, tags=["campaigns"])
def campaign_timeline(ctx: Ctx, campaign_id: str) -> Timeline:
    """Members' posts per time bucket, and how many are cited as evidence."""
    return C.campaign_timeline(ctx.cur, ctx.tables, campaign_id)


@router.get("/accounts", response_model=Page[Account], tags=["accounts"])
def accounts(
    ctx: Ctx,
    limit: Limit = 50,
    offset: Offset = 0,
    min_bot_score: Score = None,
    max_bot_score: Score = None,
    bot_kind: Text = None,
    label: Text = None,
    campaign_id: Text = None,
    platform: Text = None,
    flagged: bool | None = None,
    q: Text = None,
    sort: Q.AccountSort = "bot_score",
) -> Page[Account]:
    """Accounts, most bot-like first; filter by bot score, kind, label, campaign."""
    return Q.list_accounts(
        ctx.cur,
        ctx.tables,
        limit=limit,
        offset=offset,
        min_bot_score=min_bot_score,
        max_bot_score=max_bot_score,
        bot_kind=bot_kind,
        label=label,
        campaign_id=campaign_id,
        platform=platform,
        flagged=flagged,
        q=q,
        sort=sort,
    )


@router.get("/accounts/{account_id}", response_model=AccountDetail, tags=["accounts"])
def account(ctx: Ctx, account_id: str, platform: Text = None) -> AccountDetail:
    """An account with its scores, reasons, campaign, first posts and feedback."""
    return Q.account_detail(ctx.cur, ctx.tables, account_id, platform)


@router.get("/posts", response_model=Page[Post], tags=["posts"])
def posts(
    ctx: Ctx,
    limit: Limit = 50,
    offset: Offset = 0,
    account_id: Text = None,
    campaign_id: Text = None,
    platform: Text = None,
    kind: Text = None,
    label: Text = None,
    hashtag: Text = None,
    url: Text = None,
    since: Since = None,
    until: Since = None,
    min_score: Score = None,
    q: Text = None,
    sort: Q.PostSort = "oldest",
) -> Page[Post]:
    """Posts with their labels and technique spans; filter by author, campaign, time."""
    return Q.list_posts(
        ctx.cur,
        ctx.tables,
        limit=limit,
        offset=offset,
        account_id=account_id,
        campaign_id=campaign_id,
        platform=platform,
        kind=kind,
        label=label,
        hashtag=hashtag,
        url=url,
        since=since,
        until=until,
        min_score=min_score,
        q=q,
        sort=sort,
    )


@router.get("/posts/{post_id}", response_model=Post, tags=["posts"])
def post(ctx: Ctx, post_id: str, platform: Text = None) -> Post:
    """One post."""
    return Q.get_post(ctx.cur, ctx.tables, post_id, platform)


@router.get("/edges", response_model=Page[Edge], tags=["edges"])
def edges(
    ctx: Ctx,
    limit: Limit = 50,
    offset: Offset = 0,
    campaign_id: Text = None,
    layer: Text = None,
    account_id: Text = None,
    min_weight: Annotated[int | None, Query(ge=0, le=2**53)] = None,
    min_score: Score = None,
) -> Page[Edge]:
    """Co-action edges between accounts, heaviest first."""
    return Q.list_edges(
        ctx.cur,
        ctx.tables,
        limit=limit,
        offset=offset,
        campaign_id=campaign_id,
        layer=layer,
        account_id=account_id,
        min_weight=min_weight,
        min_score=min_score,
    )


@router.get("/search", response_model=SearchResult, tags=["posts"])
def search(
    ctx: Ctx,
    q: Annotated[str, Query(min_length=1, max_length=500, description="text to find")],
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    offset: Offset = 0,
) -> SearchResult:
    """Posts containing the text (case-insensitive), and matching accounts and campaigns."""
    return Q.search(ctx.cur, ctx.tables, q, limit=limit, offset=offset)


@router.get("/amplification", response_model=Page[Amplification], tags=["labels"])
def amplification(
    ctx: Ctx,
    limit: Limit = 50,
    offset: Offset = 0,
    item_kind: Literal["hashtag", "url", "domain", "post", "narrative"] | None = None,
    min_volume: Annotated[int | None, Query(ge=0, le=2**53)] = None,
    min_manufactured_share: Score = None,
    campaign_id: Text = None,
    sort: Q.AmplificationSort = "manufactured",
) -> Page[Amplification]:
    """What is being pushed and how much of its volume is manufactured (after fusion)."""
    return Q.list_amplification(
        ctx.cur,
        ctx.tables,
        limit=limit,
        offset=offset,
        item_kind=item_kind,
        min_volume=min_volume,
        min_manufactured_share=min_manufactured_share,
        campaign_id=campaign_id,
        sort=sort,
    )


@router.get("/labels", response_model=Page[Label], tags=["labels"])
def labels(
    ctx: Ctx,
    limit: Limit = 50,
    offset: Offset = 0,
    subject: Literal["campaign", "account", "post"] | None = None,
    label: Text = None,
    min_score: Score = None,
    campaign_id: Text = None,
) -> Page[Label]:
    """Labels on campaigns, accounts and posts in one shape."""
    return Q.list_labels(
        ctx.cur,
        ctx.tables,
        limit=limit,
        offset=offset,
        subject=subject,
        label=label,
        min_score=min_score,
        campaign_id=campaign_id,
    )


def _feedback_filters(
    subject_kind: str | None, subject_id: str | None, action: str | None
) -> tuple[list[str], list[Any]]:
    where: list[str] = []
    params: list[Any] = []
    for cond, value in (
        ("subject_kind = ?", subject_kind),
        ("subject_id = ?", subject_id),
        ("action = ?", action),
    ):
        if value is not None:
            where.append(cond)
            params.append(value)
    return where, params


SubjectKind = Literal["campaign", "account"]
Action = Literal["confirm", "dismiss", "comment"]


@router.get("/feedback", response_model=Page[Feedback], tags=["feedback"])
def feedback(
    ctx: Ctx,
    limit: Limit = 50,
    offset: Offset = 0,
    subject_kind: SubjectKind | None = None,
    subject_id: Text = None,
    action: Action | None = None,
) -> Page[Feedback]:
    """Analyst feedback, newest first."""
    if FEEDBACK_TABLE not in ctx.tables:
        return Page[Feedback](total=0, limit=limit, offset=offset, next_offset=None, items=[])
    where, params = _feedback_filters(subject_kind, subject_id, action)
    return page_of(
        ctx.cur,
        Feedback,
        FEEDBACK_TABLE,
        where,
        params,
        "created_at DESC, feedback_id",
        limit,
        offset,
    )


@router.get(
    "/feedback/export",
    tags=["feedback"],
    response_class=StreamingResponse,
    responses={200: {"content": {"application/x-ndjson": {}, "text/csv": {}}}},
)
def feedback_export(
    ctx: Ctx,
    format: Literal["jsonl", "csv"] = "jsonl",
    subject_kind: SubjectKind | None = None,
    action: Action | None = None,
) -> StreamingResponse:
    """Every judgement matching the filters, oldest first, as JSON lines or CSV (for
    evaluating detectors against what analysts decided)."""
    rows: list[dict[str, Any]] = []
    if FEEDBACK_TABLE in ctx.tables:
        where, params = _feedback_filters(subject_kind, None, action)
        clause = f"WHERE {' AND '.join(where)}" if where else ""
        rows = fetch_dicts(
            ctx.cur,
            f"SELECT * FROM {FEEDBACK_TABLE} {clause} ORDER BY created_at, feedback_id",
            params,
        )
    names = FEEDBACK_SCHEMA.names
    if format == "csv":
        buf = io.StringIO()
        writer = csv.writer(buf)
        writer.writerow(names)
        for r in rows:
            writer.writerow(
                [r[n].isoformat() if isinstance(r[n], datetime) else r[n] for n in names]
            )
        body: Iterator[bytes] = iter([buf.getvalue().encode("utf-8")])
        media = "text/csv"
    else:
        body = iter([b"".join(orjson.dumps({n: r[n] for n in names}) + b"\n" for r in rows)])
        media = "application/x-ndjson"
    return StreamingResponse(
        body,
        media_type=media,
        headers={"Content-Disposition": f'attachment; filename="feedback.{format}"'},
    )


@router.post("/feedback", response_model=Feedback, status_code=201, tags=["feedback"])
def add_feedback(
    request: Request,
    item: FeedbackIn,
    authorization: Annotated[
        str | None, Header(description="Bearer TOKEN from `limelight token create`")
    ] = None,
) -> Feedback:
    """Record an analyst's confirm, dismiss or comment on a campaign or account.

    Needs an API token. The author defaults to the token's name; the subject's score at
    this moment is stored with the judgement.
    """
    store = store_of(request)
    token = None
    if authorization:
        scheme, _, value = authorization.partition(" ")
        token = value.strip() if scheme.lower() == "bearer" else None
    tables = store.tables()
    # Reads first, released before the write: the write waits for running reads to end.
    with store.reading() as cur:
        name = token_name(cur, tables, token)
        if item.subject_kind == "campaign":
            score: float | None = C.get_campaign(cur, tables, item.subject_id).score
        else:
            acct = Q.get_account(cur, tables, item.subject_id, item.platform)
            item = item.model_copy(update={"platform": acct.platform})
            score = acct.bot_score if acct.label_score is None else acct.label_score
    return store.write(lambda db: record_feedback(db, item, item.author or name, name, score))
