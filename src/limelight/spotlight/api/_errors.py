"""The API's errors: the library's LimelightError hierarchy, plus what only HTTP has.

Every error the API returns, whatever raised it (a LimelightError, a 404 for an unknown
path, a request that fails validation, a bug), has the one JSON shape of
``LimelightError.to_json``: ``{"error": {"type": ..., "message": ...}}``, validation
errors adding ``details`` (one entry per bad field).
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from limelight.errors import LimelightError

__all__ = ["AuthError", "ForbiddenError", "NotFoundError", "error_response", "install_handlers"]

_log = logging.getLogger("limelight.spotlight.api")


class NotFoundError(LimelightError):
    """The campaign, account, post or page asked for is not in the store."""

    exit_code = 2
    http_status = 404


class AuthError(LimelightError):
    """A write came without an API token, or with one the store does not know."""

    exit_code = 2
    http_status = 401


class ForbiddenError(LimelightError):
    """The request is not allowed from where it came (reads are local unless configured)."""

    exit_code = 2
    http_status = 403


def error_response(status: int, kind: str, message: str, **extra: Any) -> JSONResponse:
    """The one JSON error body, with its status code."""
    body: dict[str, Any] = {"error": {"type": kind, "message": message, **extra}}
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return JSONResponse(body, status_code=status, headers=headers)


def _field(loc: tuple[Any, ...] | list[Any]) -> str:
    parts = [str(p) for p in loc]
    if parts and parts[0] in ("query", "path", "body", "header"):
        where = {"query": "query parameter", "path": "path parameter"}.get(parts[0], parts[0])
        rest = ".".join(parts[1:])
        return f"{where} {rest}".strip()
    return ".".join(parts)


def install_handlers(app: FastAPI) -> None:
    """Route every error through ``error_response``, so clients parse one shape."""

    @app.exception_handler(LimelightError)
    async def _limelight(_: Request, exc: LimelightError) -> JSONResponse:
        return error_response(exc.http_status, type(exc).__name__, exc.message)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        details = [
            {"field": _field(e.get("loc", ())), "problem": str(e.get("msg", "invalid"))}
            for e in exc.errors()
        ]
        first = details[0] if details else {"field": "request", "problem": "invalid"}
        more = f" (and {len(details) - 1} more)" if len(details) > 1 else ""
        message = f"{first['field']}: {first['problem']}{more}; see /openapi.json"
        return error_response(422, "ValidationError", message, details=details)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        if exc.status_code == 404:
            message = (
                f"no such page {request.url.path!r}; the API is listed at /openapi.json"
                if exc.detail in (None, "Not Found")
                else str(exc.detail)
            )
            return error_response(404, "NotFoundError", message)
        if exc.status_code == 405:
            message = f"{request.method} is not allowed on {request.url.path}; see /openapi.json"
            return error_response(405, "MethodNotAllowed", message)
        return error_response(exc.status_code, "HTTPError", str(exc.detail))

    @app.exception_handler(Exception)
    async def _bug(request: Request, exc: Exception) -> JSONResponse:
        _log.exception("unexpected error on %s %s", request.method, request.url.path)
        return error_response(
            500,
            "InternalError",
            f"unexpected {type(exc).__name__} while serving {request.url.path}; "
            f"the server log has the details",
        )
