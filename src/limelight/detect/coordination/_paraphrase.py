"""Paraphrase clusters for co-similar-text's embedding method (MiniLM + nearest neighbours).

MinHash over word sets catches copy-pasta with a word or two changed; an operator who
swaps synonyms ("the regime lies" / "the government deceives") defeats it, because the
shared words are too few. Sentence embeddings put such paraphrases next to each other.
Each distinct normalized text is embedded once (``limelight.embed.embed_texts``,
all-MiniLM-L6-v2, unit vectors), a faiss index proposes each text's ``k`` nearest
neighbours by inner product (= cosine), and a proposal becomes a link when its cosine is
at least ``cosine`` *and* the two texts were posted within ``window`` seconds of each
other at least once (their time spans, widened by the window, overlap). Linked texts form
stars around a centre text, whose text is the item, exactly as on the MinHash path
(``_stars.star_clusters``), so edges keep the same window and weight semantics as every other
behaviour.

Two things keep chaining in check: the time condition (without it a 0.9 neighbour chain
can walk across a whole day of posts on one topic; with it, only texts that could co-occur
link, and ``co_action_edges`` still requires each pair of actions to be within the
window), and the stars (every member is a checked neighbour of its centre).

The index is exact (``IndexFlatIP``) up to ``EXACT_LIMIT`` texts and an inverted-file
index (``IndexIVFFlat``, seeded k-means, ``nprobe`` lists searched) above it; both give
the same neighbours for the same input, so the clusters are reproducible. Heavy imports
(torch through limelight.embed, faiss) happen on first use; a missing one raises an
InputError that names the ``embed`` extra.

Default ``cosine`` 0.8, measured on real tweets (docs/coordination.md, "Choosing the
paraphrase threshold"): 0.8% of ordinary tweets have a neighbour from another account at
or above it anywhere in a corpus of 6,000 (far fewer within a minute), while 61% of the real
near-duplicates that word Jaccard 0.8 misses (IRA tweets, Jaccard 0.5 to 0.8) are above it.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from limelight.detect.coordination._similar import shingles
from limelight.detect.coordination._stars import star_clusters
from limelight.errors import InputError

__all__ = ["EXACT_LIMIT", "paraphrase_items", "similar_pairs"]

EXACT_LIMIT = 20_000
"""Up to this many distinct texts the neighbour search is exact (a flat index)."""

_INSTALL_HINT = "install the embedding extra: pip install 'limelight[embed]'"


def similar_pairs(
    vectors: npt.NDArray[np.float32], *, cosine: float, k: int, nprobe: int = 16
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.float32]]:
    """Pairs ``i < j`` among each row's ``k`` nearest neighbours with cosine >= ``cosine``.

    ``vectors`` are unit rows (so inner product is cosine). Returns the two index arrays and
    the similarities, each pair once.
    """
    try:
        import faiss
    except ImportError as exc:
        raise InputError(
            f"faiss is missing for co-similar-text method=embedding: {_INSTALL_HINT}"
        ) from exc
    n, dim = vectors.shape
    empty = (np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, np.float32))
    if n < 2:
        return empty
    data = np.ascontiguousarray(vectors, dtype=np.float32)
    index: Any
    if n <= EXACT_LIMIT:
        index = faiss.IndexFlatIP(dim)
    else:
        nlist = int(min(4 * math.sqrt(n), n // 39))
        quantizer = faiss.IndexFlatIP(dim)
        index = faiss.IndexIVFFlat(quantizer, dim, nlist, faiss.METRIC_INNER_PRODUCT)
        index.train(data)
        index.nprobe = nprobe
    index.add(data)
    sims, nbrs = index.search(data, min(k + 1, n))
    rows = np.repeat(np.arange(n, dtype=np.int64), nbrs.shape[1])
    cols = nbrs.reshape(-1).astype(np.int64)
    vals = sims.reshape(-1)
    keep = (cols >= 0) & (cols != rows) & (vals >= cosine)
    a, b = np.minimum(rows[keep], cols[keep]), np.maximum(rows[keep], cols[keep])
    if a.size == 0:
        return empty
    key = np.unique(a * n + b, return_index=True)[1]
    return a[key], b[key], vals[keep][key]


def paraphrase_items(
    texts: pa.ChunkedArray | pa.Array,
    at_us: pa.ChunkedArray | pa.Array,
    *,
    cosine: float = 0.8,
    window: float = 60.0,
    k: int = 10,
    min_tokens: int = 5,
    batch_size: int = 256,
) -> pa.Array:
    """The paraphrase cluster item of each text (null where a text is too short).

    ``texts`` are normalized texts, one per action, and ``at_us`` the actions' times in
    epoch microseconds. Equal texts always share an item; distinct texts share one when
    they are in one star around a centre text (the item), each member linked to it as a
    neighbour pair with cosine >= ``cosine`` whose texts were posted within ``window``
    seconds (``math.inf``: any time) of each other.
    """
    from limelight.embed import embed_texts

    if not 0 < cosine <= 1:
        raise InputError(f"cosine {cosine} must be in (0, 1]; e.g. 0.8")
    table = pa.table({"t": texts, "at": at_us.cast(pa.int64())})
    spans = table.group_by("t").aggregate([("at", "min"), ("at", "max")])
    spans = spans.filter(pc.is_valid(spans.column("t")))
    values: list[str] = spans.column("t").to_pylist()
    long_enough = np.array([shingles(v, 1)[0] >= min_tokens for v in values], dtype=bool)
    kept = np.flatnonzero(long_enough)
    parent = np.arange(len(values))
    if kept.size > 1:
        vectors = embed_texts([values[i] for i in kept], batch_size=batch_size)
        a, b, _ = similar_pairs(vectors, cosine=cosine, k=k)
        if a.size and not math.isinf(window):
            lo = spans.column("at_min").to_numpy()[kept]
            hi = spans.column("at_max").to_numpy()[kept]
            w = round(window * 1_000_000)
            close = (lo[a] <= hi[b] + w) & (lo[b] <= hi[a] + w)
            a, b = a[close], b[close]
        centre = star_clusters(int(kept.size), np.column_stack([a, b]).astype(np.int64))
        parent[kept] = kept[centre]
    items = pa.array(
        [values[parent[i]] if long_enough[i] else None for i in range(len(values))],
        type=pa.string(),
    )
    return pc.take(items, pc.index_in(texts, value_set=spans.column("t")))
