"""Embeddings of training sets, cached on disk so that retraining does not re-embed.

Training embeds some 37,000 texts, which takes minutes on a laptop CPU; the cache keys each
set by a hash of the embedding model's folder name and every text, so a changed text or
model never reuses stale vectors. The cache is a plain ``.npy`` per set in a folder the
caller names (``limelight train content --cache``), never inside the package.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from limelight.embed import embed_texts, model_path

__all__ = ["embed_cached"]


def embed_cached(texts: Sequence[str], cache_dir: Path | None) -> np.ndarray:
    """``embed_texts(texts)``, read from or written to ``cache_dir`` when one is given."""
    if cache_dir is None or len(texts) == 0:
        return embed_texts(texts)
    digest = hashlib.sha256(model_path().name.encode())
    for text in texts:
        digest.update(text.encode("utf-8", "surrogatepass"))
        digest.update(b"\x00")
    path = Path(cache_dir) / f"embed-{digest.hexdigest()[:24]}.npy"
    if path.is_file():
        cached = np.load(path)
        if cached.shape[0] == len(texts):
            return np.asarray(cached, dtype=np.float32)
    vectors = embed_texts(texts)
    path.parent.mkdir(parents=True, exist_ok=True)
    np.save(path, vectors)
    return vectors
