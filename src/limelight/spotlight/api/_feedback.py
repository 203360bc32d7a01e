"""Analyst feedback and the API tokens that allow writing it.

Tokens: ``create_token`` makes a random token, stores only its SHA-256 in ``api_tokens``
(with its name and time) and returns the token once; the server hashes what a client
sends and looks the hash up. A token is 256 random bits, so a fast hash is enough (no
password stretching: nothing to guess).

Feedback: one row per judgement in ``analyst_feedback``: who (``author``, and the
``token_name`` that vouched for the write), when (UTC), on what (campaign or account),
which action (confirm, dismiss, comment) and the subject's score at that moment, so a
later evaluation can compare judgements with the scores analysts saw.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from datetime import UTC, datetime
from typing import Any

import duckdb
import pyarrow as pa

from limelight.errors import InputError
from limelight.spotlight.api._errors import AuthError
from limelight.spotlight.api._models import Feedback, FeedbackIn
from limelight.spotlight.api._relations import FEEDBACK_TABLE, TOKENS_TABLE
from limelight.spotlight.api._rows import fetch_dicts
from limelight.store import Database

__all__ = [
    "FEEDBACK_SCHEMA",
    "TOKEN_SCHEMA",
    "create_token",
    "feedback_counts_sql",
    "feedback_for",
    "hash_token",
    "list_tokens",
    "record_feedback",
    "revoke_token",
    "token_name",
]

_TS = pa.timestamp("us", tz="UTC")

TOKEN_SCHEMA = pa.schema(
    [("name", pa.string()), ("token_hash", pa.string()), ("created_at", _TS), ("revoked_at", _TS)]
)

FEEDBACK_SCHEMA = pa.schema(
    [
        ("feedback_id", pa.string()),
        ("subject_kind", pa.string()),
        ("subject_id", pa.string()),
        ("platform", pa.string()),
        ("action", pa.string()),
        ("comment", pa.string()),
        ("author", pa.string()),
        ("token_name", pa.string()),
        ("created_at", _TS),
        ("score_at_feedback", pa.float64()),
    ]
)

_PREFIX = "llt_"


def hash_token(token: str) -> str:
    """The stored form of a token."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def create_token(db: Database, name: str) -> str:
    """Make a token named ``name``, store its hash, and return the token (shown once)."""
    name = name.strip()
    if not name or len(name) > 100:
        raise InputError(f"token name {name!r}: give 1 to 100 characters, e.g. --name alice")
    if name in {t["name"] for t in list_tokens(db) if t["revoked_at"] is None}:
        raise InputError(
            f"a token named {name!r} exists; choose another --name or revoke it first "
            f"with `limelight token revoke {name}`"
        )
    token = _PREFIX + secrets.token_urlsafe(32)
    row = pa.table(
        {
            "name": [name],
            "token_hash": [hash_token(token)],
            "created_at": pa.array([datetime.now(UTC)], _TS),
            "revoked_at": pa.nulls(1, _TS),
        },
        schema=TOKEN_SCHEMA,
    )
    db.append_table(TOKENS_TABLE, row)
    return token


def list_tokens(db: Database) -> list[dict[str, Any]]:
    """Every token's name and times (never the hashes)."""
    if not db.has_table(TOKENS_TABLE):
        return []
    return fetch_dicts(
        db.cursor(),
        f"SELECT name, created_at, revoked_at FROM {TOKENS_TABLE} ORDER BY created_at, name",
    )


def revoke_token(db: Database, name: str) -> int:
    """Mark every live token of this name revoked; return how many were."""
    live = [t for t in list_tokens(db) if t["name"] == name and t["revoked_at"] is None]
    if not live:
        raise InputError(f"no live token named {name!r}; `limelight token list` shows them")
    table = db.arrow(f"SELECT * FROM {TOKENS_TABLE}")
    now = datetime.now(UTC)
    revoked = [
        now if (n == name and r is None) else r
        for n, r in zip(
            table.column("name").to_pylist(), table.column("revoked_at").to_pylist(), strict=True
        )
    ]
    table = table.set_column(
        table.schema.get_field_index("revoked_at"), "revoked_at", pa.array(revoked, _TS)
    )
    db.replace_table(TOKENS_TABLE, table)
    return len(live)


def token_name(cur: duckdb.DuckDBPyConnection, tables: frozenset[str], token: str | None) -> str:
    """The name of a live token, or AuthError saying what is wrong with it."""
    if not token:
        raise AuthError(
            "this request writes and needs an API token: send 'Authorization: Bearer TOKEN' "
            "(create one with `limelight token create --name NAME --db FILE`)"
        )
    if TOKENS_TABLE not in tables:
        raise AuthError(
            "the store has no API tokens yet; create one with `limelight token create "
            "--name NAME --db FILE` (with the server stopped) and send it as a Bearer token"
        )
    row = cur.execute(
        f"SELECT name FROM {TOKENS_TABLE} WHERE token_hash = ? AND revoked_at IS NULL",
        [hash_token(token)],
    ).fetchone()
    if row is None:
        raise AuthError(
            "the API token is unknown or revoked; check it, or create a new one with "
            "`limelight token create`"
        )
    return str(row[0])


def record_feedback(
    db: Database, item: FeedbackIn, author: str, token: str, score: float | None
) -> Feedback:
    """Append one judgement to ``analyst_feedback`` and return it as stored."""
    fb = Feedback(
        feedback_id=uuid.uuid4().hex,
        subject_kind=item.subject_kind,
        subject_id=item.subject_id,
        platform=item.platform,
        action=item.action,
        comment=item.comment.strip() if item.comment else None,
        author=author,
        token_name=token,
        created_at=datetime.now(UTC),
        score_at_feedback=score,
    )
    row = {k: [v] for k, v in fb.model_dump().items()}
    db.append_table(FEEDBACK_TABLE, pa.table(row, schema=FEEDBACK_SCHEMA))
    return fb


def feedback_for(
    cur: duckdb.DuckDBPyConnection,
    tables: frozenset[str],
    subject_kind: str,
    subject_id: str,
) -> list[Feedback]:
    """A subject's judgements, newest first."""
    if FEEDBACK_TABLE not in tables:
        return []
    rows = fetch_dicts(
        cur,
        f"""SELECT * FROM {FEEDBACK_TABLE} WHERE subject_kind = ? AND subject_id = ?
            ORDER BY created_at DESC, feedback_id""",
        [subject_kind, subject_id],
    )
    return [Feedback.model_validate(r) for r in rows]


def feedback_counts_sql(tables: frozenset[str], subject_kind: str) -> str:
    """A relation (subject_id, feedback) with each subject's counts, for joining."""
    if FEEDBACK_TABLE not in tables:
        return (
            "(SELECT NULL::VARCHAR AS subject_id, "
            "NULL::STRUCT(confirm BIGINT, dismiss BIGINT, comment BIGINT) AS feedback "
            "WHERE false)"
        )
    return f"""(SELECT subject_id, {{
            'confirm': count(*) FILTER (WHERE action = 'confirm'),
            'dismiss': count(*) FILTER (WHERE action = 'dismiss'),
            'comment': count(*) FILTER (WHERE action = 'comment')}} AS feedback
        FROM {FEEDBACK_TABLE} WHERE subject_kind = '{subject_kind}' GROUP BY subject_id)"""
