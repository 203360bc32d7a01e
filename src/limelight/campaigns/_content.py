"""The content stage's tables as the fusion reads them, when they exist.

Content signals (persuasion techniques, AI-written text, narratives) come from
``limelight content``. Fusion reads them through the SQL views built here, which pick the
columns by name and give them one shape, so that a store without them (the content stage
not run, or its extra not installed) still fuses, with the content parts left empty and the
report saying so.

Shapes read (extra columns are ignored), as ``limelight content`` writes them:

- ``post_techniques``: ``post_id``, ``technique`` (or ``label``), ``score`` (or
  ``probability``); optional ``span_start``/``span_end`` (or ``start``/``end``) character
  offsets of the span.
- ``post_ai_text``: ``post_id`` and ``ai_score`` (or ``score``, ``ai_generated``,
  ``probability``).
- ``narrative_posts`` (or ``post_narratives``): ``post_id``, ``narrative_id``;
  ``narratives``: ``narrative_id`` and ``title`` (or ``label``, ``name``; where that is
  missing or empty, the first three ``top_terms``).
"""

from __future__ import annotations

from dataclasses import dataclass

from limelight.store import Database

__all__ = ["ContentViews", "content_views"]


@dataclass(frozen=True, slots=True)
class ContentViews:
    """SQL subqueries with fixed columns, or None where the store lacks the table.

    ``techniques``: post_id, technique, score, span_start, span_end;
    ``ai_text``: post_id, score; ``narratives``: post_id, narrative_id, title.
    """

    techniques: str | None
    ai_text: str | None
    narratives: str | None

    @property
    def available(self) -> bool:
        """Whether any content signal is in the store."""
        return any((self.techniques, self.ai_text, self.narratives))


def _columns(db: Database, table: str) -> set[str]:
    rows = db.query(
        "SELECT column_name FROM information_schema.columns WHERE table_name = ?", [table]
    )
    return {str(r[0]) for r in rows}


def _quoted(column: str | None) -> str:
    return f'"{column}"' if column else "NULL"


def _pick(cols: set[str], *names: str) -> str | None:
    return next((n for n in names if n in cols), None)


def content_views(db: Database) -> ContentViews:
    """Find the content tables in ``db`` and say how to read each in the fusion's shape."""
    techniques = ai_text = narratives = None
    cols = _columns(db, "post_techniques")
    label = _pick(cols, "technique", "label")
    score = _pick(cols, "score", "probability")
    if "post_id" in cols and label and score:
        start = _pick(cols, "span_start", "start")
        end = _pick(cols, "span_end", "end")
        techniques = (
            f"SELECT post_id, {label}::VARCHAR AS technique, {score}::DOUBLE AS score, "
            f"{_quoted(start)}::BIGINT AS span_start, {_quoted(end)}::BIGINT AS span_end "
            "FROM post_techniques"
        )
    cols = _columns(db, "post_ai_text")
    score = _pick(cols, "ai_score", "score", "ai_generated", "probability")
    if "post_id" in cols and score:
        ai_text = (
            f"SELECT post_id, max({score}::DOUBLE) AS score FROM post_ai_text GROUP BY post_id"
        )
    members = next(
        (
            t
            for t in ("narrative_posts", "post_narratives")
            if {"post_id", "narrative_id"} <= _columns(db, t)
        ),
        None,
    )
    ncols = _columns(db, "narratives")
    name = _pick(ncols, "title", "label", "name")
    terms = "nullif(array_to_string(n.top_terms[1:3], ' '), '')" if "top_terms" in ncols else None
    title = f"nullif(n.{name}::VARCHAR, '')" if name else None
    if title and terms:  # a row without a title (an older store) is named by its terms
        title = f"coalesce({title}, {terms})"
    title = title or terms
    if members:
        named, join = "p.narrative_id::VARCHAR", ""
        if title and "narrative_id" in ncols:
            named = f"coalesce({title}, p.narrative_id::VARCHAR)"
            join = "LEFT JOIN narratives n ON n.narrative_id = p.narrative_id"
        narratives = (
            f"SELECT p.post_id, p.narrative_id::VARCHAR AS narrative_id, {named} AS title "
            f"FROM {members} p {join}"
        )
    return ContentViews(techniques, ai_text, narratives)
