"""Turning texts into the feature rows the content heads read.

A row is the text's sentence embedding (meaning: MiniLM's, or the static token vectors
distilled from it, see ``_static``), optionally followed by hashed
word or character n-grams (wording: the loaded words of a slogan, the tics of a text
generator) and a few style counts (capitals, exclamation marks, length). Hashing keeps
no vocabulary, so the shipped model is only its weights and these settings; scikit-learn's
``HashingVectorizer`` is deterministic across runs and machines.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from limelight.errors import InputError

__all__ = ["STYLE_NAMES", "FeatureSpec", "build_features", "style_features"]

_INSTALL_HINT = "install the content extra: pip install 'limelight[content]'"
_WORD = re.compile(r"\w+", re.UNICODE)
_URL = re.compile(r"https?://\S+")

STYLE_NAMES: tuple[str, ...] = (
    "log_chars",
    "upper_share",
    "exclamations",
    "questions",
    "quotes",
    "urls",
    "mentions",
    "hashtags",
    "log_words",
    "mean_word_len",
)


@dataclass(frozen=True, slots=True)
class FeatureSpec:
    """Which feature blocks a head reads, with their sizes and weights."""

    embedding: bool = True
    word_hash: int = 0
    char_hash: int = 0
    style: bool = False
    lexical_weight: float = 1.0
    embedder: str = "minilm"
    """Which sentence vectors: ``minilm`` (the transformer) or ``static`` (``_static``)."""
    embedding_dim: int = 384

    @property
    def dense_width(self) -> int:
        """Columns of the dense block (embedding and style)."""
        return (self.embedding_dim if self.embedding else 0) + (
            len(STYLE_NAMES) if self.style else 0
        )

    @property
    def width(self) -> int:
        """Total columns of a feature row."""
        return self.dense_width + self.word_hash + self.char_hash

    def to_json(self) -> dict[str, Any]:
        """Plain settings for the model file."""
        return asdict(self)


def style_features(texts: Sequence[str]) -> np.ndarray:
    """Ten cheap counts per text (see ``STYLE_NAMES``), scaled to about [0, 1]."""
    rows = np.zeros((len(texts), len(STYLE_NAMES)), dtype=np.float32)
    for i, text in enumerate(texts):
        letters = "".join(filter(str.isalpha, text))  # C-level loops: this runs per post
        words = _WORD.findall(_URL.sub(" ", text))
        rows[i] = (
            np.log1p(len(text)) / 8.0,
            (sum(map(str.isupper, letters)) / len(letters)) if letters else 0.0,
            min(text.count("!"), 5) / 5.0,
            min(text.count("?"), 5) / 5.0,
            min(text.count('"') + text.count("“"), 6) / 6.0,
            min(len(_URL.findall(text)), 3) / 3.0,
            min(text.count("@"), 5) / 5.0,
            min(text.count("#"), 5) / 5.0,
            np.log1p(len(words)) / 6.0,
            (sum(len(w) for w in words) / len(words) / 10.0) if words else 0.0,
        )
    return rows


def _hashed(texts: Sequence[str], analyzer: str, ngrams: tuple[int, int], width: int) -> Any:
    try:
        from sklearn.feature_extraction.text import HashingVectorizer
    except ImportError as exc:
        raise InputError(f"scikit-learn is missing: {_INSTALL_HINT}") from exc
    vectorizer = HashingVectorizer(
        analyzer=analyzer,
        ngram_range=ngrams,
        n_features=width,
        alternate_sign=False,
        norm="l2",
        lowercase=True,
        dtype=np.float32,
    )
    return vectorizer.transform(list(texts))


def build_features(texts: Sequence[str], embeddings: np.ndarray | None, spec: FeatureSpec) -> Any:
    """The CSR feature matrix of ``texts`` under ``spec`` (embeddings given when it needs them)."""
    try:
        import scipy.sparse as sp
    except ImportError as exc:
        raise InputError(f"scipy is missing: {_INSTALL_HINT}") from exc
    blocks: list[Any] = []
    if spec.embedding:
        if embeddings is None or embeddings.shape[0] != len(texts):
            raise InputError("content features need one embedding per text; embed the texts first")
        if embeddings.shape[1] != spec.embedding_dim:
            raise InputError(
                f"content features need {spec.embedding_dim}-dimensional {spec.embedder} "
                f"vectors, got {embeddings.shape[1]}; embed with the head's own embedder"
            )
        blocks.append(sp.csr_matrix(embeddings.astype(np.float32)))
    if spec.style:
        blocks.append(sp.csr_matrix(style_features(texts)))
    if spec.word_hash:
        blocks.append(_hashed(texts, "word", (1, 2), spec.word_hash) * spec.lexical_weight)
    if spec.char_hash:
        blocks.append(_hashed(texts, "char_wb", (2, 4), spec.char_hash) * spec.lexical_weight)
    if not blocks:
        raise InputError("a feature spec must name at least one feature block")
    return sp.hstack(blocks, format="csr", dtype=np.float32)
