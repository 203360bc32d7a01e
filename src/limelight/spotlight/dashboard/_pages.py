"""The dashboard's pages: each calls the same query function as its API endpoint and
renders the result with Jinja2; htmx swaps in the ``/partials/...`` fragments when a
threshold or filter changes, so lists update without a page load."""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Query, Request
from fastapi.responses import HTMLResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

from limelight.spotlight.api import _campaigns as C
from limelight.spotlight.api import _queries as Q
from limelight.spotlight.api._context import ReadContext, read_context
from limelight.spotlight.api._errors import NotFoundError
from limelight.spotlight.api._feedback import feedback_for
from limelight.spotlight.api._models import Feedback
from limelight.spotlight.api._relations import FEEDBACK_TABLE
from limelight.spotlight.api._rows import page_of
from limelight.spotlight.dashboard._render import highlight, score_colour, timeline_chart

__all__ = ["mount_dashboard"]

_HERE = Path(str(files(__name__.rsplit(".", 1)[0])))
templates = Jinja2Templates(directory=str(_HERE / "templates"))
templates.env.filters["highlight"] = highlight
templates.env.filters["colour"] = score_colour
templates.env.filters["num"] = lambda v, d=2: "" if v is None else f"{v:,.{d}f}"
templates.env.filters["when"] = lambda v: "" if v is None else f"{v:%Y-%m-%d %H:%M:%S}"

router = APIRouter(include_in_schema=False)
Ctx = Annotated[ReadContext, Depends(read_context)]
Score = Annotated[float | None, Query(allow_inf_nan=False)]
PAGE = 25


def _page(request: Request, name: str, context: dict[str, Any], status: int = 200) -> Response:
    return templates.TemplateResponse(request, name, context, status_code=status)


def _not_found(request: Request, exc: NotFoundError) -> Response:
    return _page(request, "error.html", {"message": exc.message}, status=404)


def _campaign_list(
    ctx: ReadContext, min_score: float | None, behaviour: str | None, offset: int
) -> dict[str, Any]:
    page = C.list_campaigns(
        ctx.cur,
        ctx.tables,
        min_score=min_score,
        behaviour=behaviour or None,
        limit=PAGE,
        offset=offset,
    )
    return {"page": page, "min_score": min_score, "behaviour": behaviour or ""}


@router.get("/", response_class=HTMLResponse)
def campaigns_page(
    request: Request,
    ctx: Ctx,
    min_score: Score = None,
    behaviour: str | None = None,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> Response:
    """The campaign list with its score threshold."""
    data = _campaign_list(ctx, min_score, behaviour, offset)
    behaviours = sorted(
        {b for c in C.list_campaigns(ctx.cur, ctx.tables, limit=500).items for b in c.behaviours}
    )
    stats = Q.stats(ctx.cur, ctx.tables, request.app.state.settings.db.name)
    return _page(request, "campaigns.html", {**data, "behaviours": behaviours, "stats": stats})


@router.get("/partials/campaigns", response_class=HTMLResponse)
def campaigns_partial(
    request: Request,
    ctx: Ctx,
    min_score: Score = None,
    behaviour: str | None = None,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> Response:
    """The campaign table alone, for htmx to swap in when the threshold moves."""
    return _page(
        request, "partials/campaign_table.html", _campaign_list(ctx, min_score, behaviour, offset)
    )


@router.get("/campaigns/{campaign_id}", response_class=HTMLResponse)
def campaign_page(request: Request, ctx: Ctx, campaign_id: str) -> Response:
    """A campaign: note, network, timeline, account cards, evidence, posts, feedback."""
    try:
        detail = C.campaign_detail(ctx.cur, ctx.tables, campaign_id, evidence=30)
    except NotFoundError as exc:
        return _not_found(request, exc)
    timeline = C.campaign_timeline(ctx.cur, ctx.tables, campaign_id)
    posts = Q.list_posts(ctx.cur, ctx.tables, campaign_id=campaign_id, limit=30, sort="score")
    return _page(
        request,
        "campaign.html",
        {
            "d": detail,
            "c": detail.campaign,
            "chart": timeline_chart(timeline),
            "posts": posts,
            "subject_kind": "campaign",
            "subject_id": campaign_id,
            "feedback": detail.feedback,
        },
    )


@router.get("/accounts", response_class=HTMLResponse)
def accounts_page(
    request: Request,
    ctx: Ctx,
    min_bot_score: Score = None,
    flagged: bool | None = None,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> Response:
    """Accounts, most bot-like first, with a bot-score threshold."""
    page = Q.list_accounts(
        ctx.cur,
        ctx.tables,
        min_bot_score=min_bot_score,
        flagged=flagged,
        limit=PAGE,
        offset=offset,
    )
    context = {"page": page, "min_bot_score": min_bot_score, "flagged": flagged}
    if request.headers.get("HX-Request"):
        return _page(request, "partials/account_table.html", context)
    return _page(request, "accounts.html", context)


@router.get("/accounts/{account_id}", response_class=HTMLResponse)
def account_page(
    request: Request, ctx: Ctx, account_id: str, platform: str | None = None
) -> Response:
    """An account card with its reasons, campaign, posts and feedback."""
    try:
        detail = Q.account_detail(ctx.cur, ctx.tables, account_id, platform, posts=30)
    except NotFoundError as exc:
        return _not_found(request, exc)
    return _page(
        request,
        "account.html",
        {
            "d": detail,
            "a": detail.account,
            "subject_kind": "account",
            "subject_id": account_id,
            "feedback": detail.feedback,
        },
    )


@router.get("/amplification", response_class=HTMLResponse)
def amplification_page(
    request: Request,
    ctx: Ctx,
    item_kind: str | None = None,
    min_manufactured_share: Score = None,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> Response:
    """What is being pushed: items ranked by the manufactured share of their volume."""
    page = Q.list_amplification(
        ctx.cur,
        ctx.tables,
        item_kind=item_kind or None,
        min_manufactured_share=min_manufactured_share,
        min_volume=2,
        limit=50,
        offset=offset,
    )
    context = {
        "page": page,
        "item_kind": item_kind or "",
        "min_share": min_manufactured_share,
        "fused": "amplification" in ctx.tables,
    }
    if request.headers.get("HX-Request"):
        return _page(request, "partials/amplification_table.html", context)
    return _page(request, "amplification.html", context)


@router.get("/search", response_class=HTMLResponse)
def search_page(
    request: Request, ctx: Ctx, q: Annotated[str, Query(max_length=500)] = ""
) -> Response:
    """Search posts, accounts and campaigns."""
    result = Q.search(ctx.cur, ctx.tables, q, limit=50) if q.strip() else None
    context = {"q": q, "result": result}
    if request.headers.get("HX-Request"):
        return _page(request, "partials/search_results.html", context)
    return _page(request, "search.html", context)


@router.get("/feedback", response_class=HTMLResponse)
def feedback_page(request: Request, ctx: Ctx, offset: Annotated[int, Query(ge=0)] = 0) -> Response:
    """Every judgement, newest first, with export links."""
    items: list[Feedback] = []
    total = 0
    if FEEDBACK_TABLE in ctx.tables:
        page = page_of(
            ctx.cur,
            Feedback,
            FEEDBACK_TABLE,
            [],
            [],
            "created_at DESC, feedback_id",
            100,
            offset,
        )
        items, total = page.items, page.total
    return _page(request, "feedback.html", {"items": items, "total": total})


@router.get("/partials/feedback/{subject_kind}/{subject_id}", response_class=HTMLResponse)
def feedback_partial(request: Request, ctx: Ctx, subject_kind: str, subject_id: str) -> Response:
    """A subject's feedback list, reloaded after a judgement is posted."""
    return _page(
        request,
        "partials/feedback_list.html",
        {"feedback": feedback_for(ctx.cur, ctx.tables, subject_kind, subject_id)},
    )


def mount_dashboard(app: FastAPI) -> None:
    """Add the dashboard's pages and its vendored static files to the app."""
    app.include_router(router)
    app.mount("/static", StaticFiles(directory=str(_HERE / "static")), name="static")
