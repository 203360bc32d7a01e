"""Narratives on static vectors against MiniLM's: how ``STATIC_NARRATIVES`` was chosen.

Run ``python benchmarks/narratives_static.py`` from the repository root (``--data DIR``,
``--texts N``, ``--seed S``; about three minutes on two cores, most of it MiniLM). It reads
a seeded random sample of distinct IRA tweets (``ira-538-by-author``,
``sample30_per_author_01.csv``; no test or evaluation reads that file), embeds each text
with MiniLM (the peer) and with the static token vectors, and prints, for all tweets and
for the English ones (at least 90% ASCII characters):

- the share of each text's 10 nearest-neighbour edges that MiniLM keeps at 0.35 and 0.95
  (the default thresholds), and the static cosine that keeps the same share; a floor ``a``
  maps a static cosine ``c`` to ``(c - a) / (1 - a)``, and ``a`` solves it for 0.35;
- how well the static partition agrees with MiniLM's (adjusted Rand index and normalised
  mutual information over the posts, a post in no narrative counting as its own group)
  for floors and resolutions around the chosen ones.

docs/narratives.md ("Static vectors") quotes one run.
"""

from __future__ import annotations

import argparse
import csv
import os
from pathlib import Path

import numpy as np
from _shared import add_data_option

from limelight.detect.content import NarrativeSettings

K = 10


def _texts(data: Path, n: int, seed: int) -> list[str]:
    from limelight.detect.content._narratives import _normalise

    path = data / "ira-538-by-author" / "sample30_per_author_01.csv"
    with path.open(encoding="utf-8", newline="") as f:
        distinct = sorted({_normalise(r["content"]) for r in csv.DictReader(f)} - {""})
    order = np.random.default_rng(seed).permutation(len(distinct))[:n]
    return [distinct[i] for i in order]


def _top_cosines(vectors: np.ndarray) -> np.ndarray:
    sims = vectors @ vectors.T
    np.fill_diagonal(sims, -np.inf)
    return -np.sort(-sims, axis=1)[:, :K]


def _assignments(texts: list[str], vectors: np.ndarray, settings: NarrativeSettings) -> list[str]:
    from limelight.detect.content import find_narratives

    ids = [str(i) for i in range(len(texts))]
    _, members = find_narratives(
        ids, texts, ["a"] * len(texts), [None] * len(texts), embeddings=vectors, settings=settings
    )
    of = dict(zip(members["post_id"].to_pylist(), members["narrative_id"].to_pylist(), strict=True))
    return [of.get(i, f"alone-{i}") for i in ids]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_data_option(parser)
    parser.add_argument("--texts", type=int, default=2500)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import torch
    from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

    from limelight.detect.content import STATIC_NARRATIVES, StaticEmbedder
    from limelight.embed import embed_texts

    torch.set_num_threads(2)
    texts = _texts(args.data, args.texts, args.seed)
    minilm = embed_texts(texts)
    static = StaticEmbedder.load().embed(texts)
    english = np.array([sum(c.isascii() for c in t) >= 0.9 * len(t) for t in texts])
    print(
        f"{len(texts)} distinct IRA tweets, {int(english.sum())} English; chosen: "
        f"floor {STATIC_NARRATIVES.similarity_floor}, resolution {STATIC_NARRATIVES.resolution}"
    )
    print(f"{'tweets':<8}{'MiniLM cut':>11}{'edges kept':>11}{'static cut':>11}{'floor':>7}")
    for name, mask in (("all", np.ones(len(texts), dtype=bool)), ("English", english)):
        ours, peer = _top_cosines(static[mask]), _top_cosines(minilm[mask])
        for cut in (0.35, 0.95):
            share = float((peer >= cut).mean())
            same = float(np.quantile(ours, 1.0 - share))
            floor = (same - cut) / (1.0 - cut)
            print(f"{name:<8}{cut:>11.2f}{share:>11.4f}{same:>11.3f}{floor:>7.2f}")
    print(f"{'tweets':<8}{'floor':>6}{'resolution':>11}{'narratives':>11}{'ARI':>7}{'NMI':>7}")
    for name, mask in (("all", np.ones(len(texts), dtype=bool)), ("English", english)):
        subset = [t for t, m in zip(texts, mask, strict=True) if m]
        reference = _assignments(subset, minilm[mask], NarrativeSettings())
        for floor in (0.5, 0.6, 0.7):
            for resolution in (0.5, 1.0, 1.5, 2.0):
                settings = NarrativeSettings(similarity_floor=floor, resolution=resolution)
                got = _assignments(subset, static[mask], settings)
                print(
                    f"{name:<8}{floor:>6.1f}{resolution:>11.1f}"
                    f"{len({g for g in got if not g.startswith('alone-')}):>11}"
                    f"{adjusted_rand_score(reference, got):>7.3f}"
                    f"{normalized_mutual_info_score(reference, got):>7.3f}"
                )


if __name__ == "__main__":
    main()
