"""Persuasion techniques in a post: which of the 20 SemEval techniques, how sure, and where.

The head (``LinearHead`` of kind ``persuasion``) gives each text a probability per
technique (``TECHNIQUES``); a technique is found when its probability reaches that
technique's threshold, chosen on held-out folds of the training data. To say *where*, a
post with several sentences or lines is also scored fragment by fragment: each technique
found is located at the fragment that scores highest for it, and a fragment whose own score
passes the threshold adds the technique even when the whole post does not (a long text
dilutes a one-line slogan). ``span_start``/``span_end`` are character offsets into the
post's text.

Two heads ship. The default reads MiniLM sentence vectors (``persuasion.npz``); the fast
one (``fast=True``, ``persuasion_fast.npz``) reads static token vectors distilled from the
same MiniLM (``_static``) with the same n-gram and style features, and needs no torch:
it runs at tokenizer speed, fragments included. The model card compares the two.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np

from limelight.detect.content._linear import LinearHead
from limelight.detect.content._static import StaticEmbedder
from limelight.embed import embed_texts
from limelight.errors import InputError

__all__ = [
    "PersuasionModel",
    "TechniqueHit",
    "default_fast_persuasion_path",
    "default_persuasion_path",
    "fragments",
]

_FRAGMENT = re.compile(r"[^\n.!?]+[.!?]*")
_WORDY = re.compile(r"\w{2,}")


def default_persuasion_path() -> Path:
    """Where the shipped persuasion head lives inside the package."""
    return Path(str(resources.files("limelight").joinpath("models", "content", "persuasion.npz")))


def default_fast_persuasion_path() -> Path:
    """Where the shipped fast head (static token vectors, no torch) lives inside the package."""
    return default_persuasion_path().with_name("persuasion_fast.npz")


def fragments(text: str) -> list[tuple[int, int]]:
    """Sentence or line spans [start, end) of ``text`` with at least one word, edges trimmed."""
    spans: list[tuple[int, int]] = []
    for m in _FRAGMENT.finditer(text):
        start, end = m.start(), m.end()
        while start < end and text[start].isspace():
            start += 1
        while end > start and text[end - 1].isspace():
            end -= 1
        if _WORDY.search(text, start, end):
            spans.append((start, end))
    return spans


@dataclass(frozen=True, slots=True)
class TechniqueHit:
    """One technique found in one post, with its score and the characters it rests on."""

    technique: str
    score: float
    span_start: int
    span_end: int


class PersuasionModel:
    """The shipped (or a given) persuasion head, applied to posts with spans.

    ``fast=True`` picks the shipped static-vector head instead of the MiniLM one (ignored
    when ``head`` or ``model_path`` is given: a head file says which vectors it reads).
    """

    def __init__(
        self,
        head: LinearHead | None = None,
        *,
        model_path: Path | None = None,
        fast: bool = False,
        static: StaticEmbedder | None = None,
    ) -> None:
        default = default_fast_persuasion_path() if fast else default_persuasion_path()
        self.head = head or LinearHead.load(model_path or default)
        self.static: StaticEmbedder | None = None
        if self.head.spec.embedding and self.head.spec.embedder == "static":
            self.static = static or StaticEmbedder.load()
            expected = self.head.report.get("static_vectors")
            if expected and expected != self.static.version:
                raise InputError(
                    f"the {self.head.version} head was trained on static vectors {expected}, "
                    f"not {self.static.version}; retrain it with `limelight train content`"
                )

    @property
    def version(self) -> str:
        """The head's content hash, stored beside every result."""
        return self.head.version

    @property
    def reads_minilm(self) -> bool:
        """Whether the head needs MiniLM vectors (callers embed only when it does)."""
        return self.head.spec.embedding and self.static is None

    def predict_proba(self, texts: list[str], embeddings: np.ndarray | None = None) -> np.ndarray:
        """Post-level probabilities (posts x techniques).

        ``embeddings`` are MiniLM vectors of ``texts``, used by the MiniLM head when given;
        the fast head always reads its own static vectors.
        """
        if self.static is not None:
            embeddings = self.static.embed(texts)
        elif self.head.spec.embedding and embeddings is None:
            embeddings = embed_texts(texts)
        return self.head.predict_proba(texts, embeddings)

    def find(
        self, texts: list[str], embeddings: np.ndarray | None = None
    ) -> list[list[TechniqueHit]]:
        """The techniques found in each text, each located at its best fragment."""
        post_p = self.predict_proba(texts, embeddings)
        owners: list[int] = []
        frag_spans: list[tuple[int, int]] = []
        for i, text in enumerate(texts):
            spans = fragments(text)
            if len(spans) > 1:
                owners.extend([i] * len(spans))
                frag_spans.extend(spans)
        frag_texts = [texts[i][s:e] for i, (s, e) in zip(owners, frag_spans, strict=True)]
        frag_p = self.predict_proba(frag_texts) if frag_texts else np.zeros((0, post_p.shape[1]))
        thresholds = self.head.thresholds
        by_post: dict[int, list[int]] = {}
        for row, owner in enumerate(owners):
            by_post.setdefault(owner, []).append(row)
        results: list[list[TechniqueHit]] = []
        for i, text in enumerate(texts):
            rows = by_post.get(i, [])
            hits: list[TechniqueHit] = []
            for j, technique in enumerate(self.head.labels):
                best_row = max(rows, key=lambda r: frag_p[r, j]) if rows else None
                best_frag = frag_p[best_row, j] if best_row is not None else -1.0
                score = max(post_p[i, j], best_frag)
                if score < thresholds[j]:
                    continue
                if best_row is not None:
                    start, end = frag_spans[best_row]
                else:
                    whole = fragments(text)
                    start, end = (whole[0][0], whole[-1][1]) if whole else (0, len(text))
                hits.append(TechniqueHit(technique, float(score), start, end))
            hits.sort(key=lambda h: -h.score)
            results.append(hits)
        return results
