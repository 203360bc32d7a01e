"""The REST API over a store: campaigns, accounts, posts, edges, search, labels, feedback.

``create_app(ServeSettings(db=PATH))`` returns the FastAPI app (the dashboard included);
``limelight serve`` runs it. The query functions are public too, for notebooks and for
the dashboard, which renders the same data as HTML. Needs the ``serve`` extra.
"""

from __future__ import annotations

from limelight.spotlight.api._app import create_app
from limelight.spotlight.api._context import ServeSettings
from limelight.spotlight.api._errors import AuthError, ForbiddenError, NotFoundError
from limelight.spotlight.api._feedback import create_token, list_tokens, revoke_token
from limelight.spotlight.api._relations import FEEDBACK_TABLE, TOKENS_TABLE
from limelight.spotlight.api._store import StoreAccess

__all__ = [
    "FEEDBACK_TABLE",
    "TOKENS_TABLE",
    "AuthError",
    "ForbiddenError",
    "NotFoundError",
    "ServeSettings",
    "StoreAccess",
    "create_app",
    "create_token",
    "list_tokens",
    "revoke_token",
]
