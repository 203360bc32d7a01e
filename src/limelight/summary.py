"""What a store holds, as one data dict: used by `limelight stats`, `demo` and later pages."""

from __future__ import annotations

from typing import Any

from limelight.store import Database

__all__ = ["store_overview"]


def store_overview(db: Database, *, top: int = 5) -> dict[str, Any]:
    """Counts, time span, kinds, platforms and the most reposted posts and active accounts."""
    cur = db.cursor()

    def one(sql: str) -> Any:
        row = cur.execute(sql).fetchone()
        return row[0] if row else None

    span = cur.execute("SELECT min(created_at), max(created_at) FROM posts").fetchone()
    return {
        "posts": one("SELECT count(*) FROM posts"),
        "accounts": one("SELECT count(*) FROM accounts"),
        "deletions": one("SELECT count(*) FROM deletions"),
        "rejects": one("SELECT count(*) FROM rejects"),
        "first_post_at": span[0].isoformat() if span and span[0] else None,
        "last_post_at": span[1].isoformat() if span and span[1] else None,
        "platforms": dict(
            cur.execute(
                "SELECT platform, count(*) FROM posts GROUP BY 1 ORDER BY 2 DESC"
            ).fetchall()
        ),
        "kinds": dict(
            cur.execute("SELECT kind, count(*) FROM posts GROUP BY 1 ORDER BY 2 DESC").fetchall()
        ),
        "most_reposted": [
            {"post_id": r[0], "reposts": r[1], "accounts": r[2]}
            for r in cur.execute(
                """SELECT ref_post_id, count(*), count(DISTINCT account_id) FROM posts
                WHERE kind = 'repost' AND ref_post_id IS NOT NULL
                GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT ?""",
                [top],
            ).fetchall()
        ],
        "most_active": [
            {"account_id": r[0], "handle": r[1], "posts": r[2]}
            for r in cur.execute(
                """SELECT p.account_id, any_value(a.handle), count(*) FROM posts p
                LEFT JOIN accounts a USING (platform, account_id)
                GROUP BY 1 ORDER BY 3 DESC, 1 LIMIT ?""",
                [top],
            ).fetchall()
        ],
    }
