"""The FastAPI application: the JSON API under /api, the dashboard at /, one store.

``create_app(settings)`` builds it; ``limelight serve`` runs it with uvicorn. Reads are
answered only to loopback clients (and only for a loopback Host name, which keeps a web
page elsewhere from reading the API through DNS rebinding) unless
``allow_remote_reads`` is set.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request, Response

from limelight import __version__
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
    app.state.store = store
    app.state.settings = settings
    install_handlers(app)

    @app.middleware("http")
    async def _local_reads_only(
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
        return await call_next(request)

    app.include_router(router)
    mount_dashboard(app)
    return app
