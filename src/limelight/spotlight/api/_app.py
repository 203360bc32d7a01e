"""The FastAPI application: the JSON API under /api, the dashboard at /, one store.

``create_app(settings)`` builds it; ``limelight serve`` runs it with uvicorn. Reads are
answered only to loopback clients (and only for a loopback Host name, which keeps a web
page elsewhere from reading the API through DNS rebinding) unless
``allow_remote_reads`` is set.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request, Response

from limelight import __version__
from limelight.spotlight.api._cache import CachedResponse, ResponseCache
from limelight.spotlight.api._context import ServeSettings, is_loopback
from limelight.spotlight.api._errors import error_response, install_handlers
from limelight.spotlight.api._routes import router
from limelight.spotlight.api._store import StoreAccess

__all__ = ["create_app"]

_READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def create_app(settings: ServeSettings) -> FastAPI:
    """The API and dashboard over the store in ``settings.db`` (opened here, read-only)."""
    from limelight.spotlight.dashboard import mount_dashboard

    store = StoreAccess(settings.db)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        store.close()

    app = FastAPI(
        title="limelight",
        version=__version__,
        summary="Coordinated campaigns, account and post labels, with their evidence.",
        description=(
            "Reads are open to clients on this machine (unless the server was started "
            "with --allow-remote-reads). Writes (analyst feedback) need an API token from "
            "`limelight token create`, sent as `Authorization: Bearer TOKEN`. Lists take "
            "`limit` and `offset` and return `total` and `next_offset`. Errors are JSON: "
            '`{"error": {"type": ..., "message": ...}}`.'
        ),
        docs_url=None,  # Swagger UI loads its assets from a CDN; the schema is at /openapi.json
        redoc_url=None,
        lifespan=lifespan,
    )
    cache = ResponseCache(max_entries=settings.cache_entries)
    app.state.store = store
    app.state.settings = settings
    app.state.cache = cache
    inflight: dict[tuple[int, str, str], asyncio.Future[None]] = {}
    install_handlers(app)

    @app.middleware("http")
    async def _local_reads_and_cache(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        if not settings.allow_remote_reads and request.method in _READ_METHODS:
            client = request.client.host if request.client else None
            if not is_loopback(client):
                return error_response(
                    403,
                    "ForbiddenError",
                    f"reads are answered only to clients on this machine, not {client}; "
                    f"start the server with --allow-remote-reads to serve other hosts",
                )
            if not is_loopback(request.url.hostname):
                return error_response(
                    403,
                    "ForbiddenError",
                    f"Host {request.url.hostname!r} is not this machine; open the server as "
                    f"127.0.0.1 or localhost, or start it with --allow-remote-reads",
                )
        if request.method != "GET" or request.url.path.startswith("/static/"):
            return await call_next(request)
        if settings.cache_entries <= 0:
            return await call_next(request)
        # htmx asks the same URL for a fragment that a browser asks for as a whole page.
        variant = "hx" if request.headers.get("hx-request") else ""
        key = (store.generation, request.url.path, f"{request.url.query}#{variant}")
        hit = cache.get(key)
        if hit is None and key in inflight:
            # The same read is being answered: wait for it rather than query again, so a
            # crowd opening one page costs one query.
            await asyncio.shield(inflight[key])
            hit = cache.get(key)
        if hit is not None:
            return Response(hit.body, status_code=hit.status, headers=dict(hit.headers))
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        inflight[key] = done
        try:
            response = await call_next(request)
            iterator = getattr(response, "body_iterator", None)
            if response.status_code != 200 or iterator is None:
                return response
            body = b"".join([bytes(chunk) async for chunk in iterator])
            headers = tuple((k, v) for k, v in response.headers.items() if k != "content-length")
            cache.put(key, CachedResponse(200, headers, body))
            return Response(body, status_code=200, headers=dict(headers))
        finally:
            inflight.pop(key, None)
            done.set_result(None)

    app.include_router(router)
    mount_dashboard(app)
    return app
