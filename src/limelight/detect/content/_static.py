"""Static token vectors distilled from MiniLM: sentence vectors at tokenizer speed, no torch.

A transformer reads every token in context, which costs about 0.7 GFLOP per tweet and
bounds a two-core CPU to some 30 posts a second. The static approach (as in model2vec,
Tulkens and van Dongen, 2024) keeps one vector per vocabulary token instead: the MiniLM
sentence vector of that token on its own, reduced by PCA, and scaled by a weight that
falls with the token's frequency (a Zipf estimate from its vocabulary rank, as a SIF
weight; frequent tokens say little). A text's vector is the mean of its tokens' vectors,
L2-normalised. Reading a post is then one tokenizer call and a sparse sum.

The shipped file (``static_minilm.npz``) holds the vectors as int8 with one float scale
per token, the MiniLM tokenizer as JSON, and a JSON header; no pickle. Inference needs
only numpy and the ``tokenizers`` package; ``distill_static`` needs torch and
transformers and the shipped MiniLM folder (``limelight train content`` runs it).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from importlib import resources
from itertools import chain
from pathlib import Path
from typing import Any

import numpy as np

from limelight.detect.content._npz import load_npz, save_npz
from limelight.errors import InputError

__all__ = [
    "STATIC_DIMS",
    "STATIC_FORMAT",
    "StaticEmbedder",
    "default_static_path",
    "distill_static",
    "token_vectors",
    "zipf_weights",
]

STATIC_FORMAT = "limelight-static-vectors/1"
STATIC_DIMS = 128
"""PCA dimensions kept (of MiniLM's 384): chosen out of fold, see the model card."""
SIF_COEFFICIENT = 1e-3
"""The a of a SIF weight a / (a + p(token)); larger keeps more weight on frequent tokens."""
MAX_TOKENS = 512
"""Tokens read per text; a longer text is cut (its start says what it is about)."""
_INSTALL_HINT = "install the content extra: pip install 'limelight[content]'"


def default_static_path() -> Path:
    """Where the shipped static vectors live inside the package."""
    return Path(
        str(resources.files("limelight").joinpath("models", "content", "static_minilm.npz"))
    )


def _tokenizer_from_json(text: str) -> Any:
    try:
        from tokenizers import Tokenizer
    except ImportError as exc:
        raise InputError(f"the tokenizers package is missing: {_INSTALL_HINT}") from exc
    tokenizer = Tokenizer.from_str(text)
    tokenizer.no_padding()
    tokenizer.enable_truncation(MAX_TOKENS)
    return tokenizer


@dataclass(slots=True)
class StaticEmbedder:
    """Token vectors (int8 x per-token scale), the tokenizer that indexes them, and a header."""

    codes: np.ndarray
    scales: np.ndarray
    tokenizer_json: str
    header: dict[str, Any] = field(default_factory=dict)
    version: str = ""
    _tokenizer: Any = None
    _table: np.ndarray | None = None

    def __post_init__(self) -> None:
        if self.codes.ndim != 2 or self.scales.shape != (self.codes.shape[0],):
            raise InputError("static vectors: codes and scales do not match; rebuild them")
        if not self.version:
            digest = hashlib.sha256(np.ascontiguousarray(self.codes, dtype=np.int8).tobytes())
            digest.update(self.scales.astype(np.float32).tobytes())
            digest.update(self.tokenizer_json.encode())
            self.version = f"static-{digest.hexdigest()[:12]}"

    @property
    def dims(self) -> int:
        """Width of a sentence vector."""
        return int(self.codes.shape[1])

    def _vectors(self) -> np.ndarray:
        if self._table is None:
            self._table = self.codes.astype(np.float32) * self.scales[:, None].astype(np.float32)
        return self._table

    def token_ids(self, texts: Sequence[str]) -> list[list[int]]:
        """The tokenizer's ids of each text, without the [CLS]/[SEP] markers."""
        if self._tokenizer is None:
            self._tokenizer = _tokenizer_from_json(self.tokenizer_json)
        encodings = self._tokenizer.encode_batch(list(texts), add_special_tokens=False)
        return [e.ids for e in encodings]

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Unit-length float32 rows (texts x dims); a text with no token gets zeros."""
        n = len(texts)
        if n == 0:
            return np.zeros((0, self.dims), dtype=np.float32)
        ids = self.token_ids(texts)
        lengths = np.fromiter(map(len, ids), dtype=np.int64, count=n)
        flat = np.fromiter(chain.from_iterable(ids), dtype=np.int64, count=int(lengths.sum()))
        out = _row_sums(self._vectors(), flat, lengths)
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        np.divide(out, norms, out=out, where=norms > 0)
        return out

    def save(self, path: Path) -> None:
        """Write one compressed npz (int8 codes, float32 scales, tokenizer and header JSON)."""
        header = {**self.header, "format": STATIC_FORMAT, "version": self.version}
        arrays: dict[str, np.ndarray] = {
            "codes": self.codes.astype(np.int8),
            "scales": self.scales.astype(np.float32),
            "tokenizer": np.frombuffer(self.tokenizer_json.encode(), dtype=np.uint8),
        }
        save_npz(path, header, arrays)

    @classmethod
    def load(cls, path: Path | None = None) -> StaticEmbedder:
        """Read vectors written by ``save`` (the shipped ones by default; never unpickles)."""
        where = path or default_static_path()
        header, data = load_npz(
            where,
            STATIC_FORMAT,
            "limelight static vectors",
            "limelight train content --static",
            need=("codes", "scales", "tokenizer"),
        )
        codes = np.asarray(data["codes"], dtype=np.int8)
        scales = np.asarray(data["scales"], dtype=np.float32)
        tokenizer_json = bytes(data["tokenizer"]).decode()
        return cls(codes, scales, tokenizer_json, header=header, version=header["version"])


def _row_sums(table: np.ndarray, flat: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """Row i: the sum of ``table`` rows ``flat[start_i : start_i + lengths[i]]``.

    A sparse (texts x vocabulary) count matrix times the table when scipy is there (it
    comes with scikit-learn, which the heads need; about 20 times faster than a reduce).
    """
    indptr = np.concatenate([[0], np.cumsum(lengths)])
    try:
        import scipy.sparse as sp
    except ImportError:
        out = np.zeros((len(lengths), table.shape[1]), dtype=np.float32)
        filled = np.flatnonzero(lengths)
        if filled.size:
            out[filled] = np.add.reduceat(table[flat], indptr[filled], axis=0)
        return out
    counts = sp.csr_matrix(
        (np.ones(len(flat), dtype=np.float32), flat, indptr),
        shape=(len(lengths), table.shape[0]),
    )
    return np.asarray(counts @ table, dtype=np.float32)


def zipf_weights(vocab: dict[str, int], special: set[int]) -> np.ndarray:
    """A SIF weight per token id, from a Zipf estimate of its frequency by vocabulary rank.

    A WordPiece vocabulary lists its entries roughly from frequent to rare (characters
    first, then "the", "of", "and", ...), so a token's rank r among the usable entries
    estimates its frequency as 1 / (r * H_n), as model2vec does, except that single
    characters and one-letter pieces (``##x``) keep weight 1 (as whole words most are rare,
    and punctuation is read by the style features): weighting them by rank too gave a lower
    out-of-fold micro-F1 (model card). The special and ``[unusedN]`` entries get weight 0.
    """
    n = max(vocab.values()) + 1
    weights = np.zeros(n, dtype=np.float64)
    ranked = sorted(
        (i, tok) for tok, i in vocab.items() if i not in special and not tok.startswith("[unused")
    )
    harmonic = float(np.sum(1.0 / np.arange(1, len(ranked) + 1)))
    for rank, (i, tok) in enumerate(ranked, start=1):
        p = 1.0 / (rank * harmonic) if len(tok.removeprefix("##")) > 1 else 0.0
        weights[i] = SIF_COEFFICIENT / (SIF_COEFFICIENT + p)
    return weights


def token_vectors(model_dir: Path, batch_size: int = 512) -> tuple[np.ndarray, str]:
    """MiniLM's sentence vector of each vocabulary token alone (vocab x 384), and the tokenizer.

    Each token is read as ``[CLS] token [SEP]``, mean-pooled over the three outputs and
    L2-normalised, as the sentence model itself pools, so a token's vector is what MiniLM
    says about that token with no context, in the space of its sentence vectors. Needs
    torch and transformers (a minute or two on two CPU cores).
    """
    import os

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    try:
        import torch
        from transformers import AutoModel
    except ImportError as exc:
        raise InputError(f"distilling static vectors needs torch: {_INSTALL_HINT}") from exc
    tokenizer_json = (model_dir / "tokenizer.json").read_text(encoding="utf-8")
    vocab: dict[str, int] = json.loads(tokenizer_json)["model"]["vocab"]
    cls_id, sep_id = vocab["[CLS]"], vocab["[SEP]"]
    model = AutoModel.from_pretrained(str(model_dir))
    model.eval()
    n = max(vocab.values()) + 1
    out = np.zeros((n, int(model.config.hidden_size)), dtype=np.float32)
    with torch.inference_mode():
        for start in range(0, n, batch_size):
            ids = torch.arange(start, min(start + batch_size, n))
            batch = torch.stack(
                [torch.full_like(ids, cls_id), ids, torch.full_like(ids, sep_id)], dim=1
            )
            hidden = model(input_ids=batch, attention_mask=torch.ones_like(batch))[0]
            pooled = torch.nn.functional.normalize(hidden.mean(dim=1), dim=1)
            out[start : start + len(ids)] = pooled.float().numpy()
    return out, tokenizer_json


def distill_static(
    model_dir: Path,
    *,
    dims: int = STATIC_DIMS,
    weighting: str = "zipf",
    raw: tuple[np.ndarray, str] | None = None,
) -> StaticEmbedder:
    """Static vectors from the MiniLM folder: token vectors, PCA to ``dims``, SIF weights.

    ``weighting`` is ``zipf`` (the shipped choice) or ``none``. ``raw`` reuses the output
    of ``token_vectors`` (so that several settings can be compared from one model pass).
    Deterministic: the same folder gives the same file, bit for bit.
    """
    if weighting not in ("zipf", "none"):
        raise InputError(f"{weighting}: unknown weighting; use zipf or none")
    vectors, tokenizer_json = raw if raw is not None else token_vectors(model_dir)
    config = json.loads(tokenizer_json)
    vocab: dict[str, int] = config["model"]["vocab"]
    special = {int(t["id"]) for t in config.get("added_tokens", []) if t.get("special")}
    if not 0 < dims <= vectors.shape[1]:
        raise InputError(f"dims must be in 1..{vectors.shape[1]}, not {dims}")
    usable = np.ones(vectors.shape[0], dtype=bool)
    usable[list(special)] = False
    usable[[i for tok, i in vocab.items() if tok.startswith("[unused")]] = False
    x = vectors.astype(np.float64)
    mean = x[usable].mean(axis=0)
    _, _, vt = np.linalg.svd(x[usable] - mean, full_matrices=False)
    basis = vt[:dims]
    basis *= np.where(basis[np.arange(dims), np.abs(basis).argmax(axis=1)] < 0, -1.0, 1.0)[
        :, None
    ]  # a fixed sign per component, so that the file does not depend on the SVD routine
    reduced = (x - mean) @ basis.T
    if weighting == "zipf":
        reduced *= zipf_weights(vocab, special)[:, None]
    reduced[~usable] = 0.0
    peak = np.abs(reduced).max(axis=1)
    scales = np.where(peak > 0, peak / 127.0, 1.0)
    codes = np.clip(np.rint(reduced / scales[:, None]), -127, 127).astype(np.int8)
    header = {
        "source": f"{model_dir.parent.name}/{model_dir.name}",
        "dims": dims,
        "weighting": weighting,
        "sif_coefficient": SIF_COEFFICIENT,
        "vocabulary": int(vectors.shape[0]),
        "max_tokens": MAX_TOKENS,
    }
    return StaticEmbedder(codes, scales.astype(np.float32), tokenizer_json, header=header)
