"""The local embedding model: real MiniLM vectors, no network."""

from __future__ import annotations

import numpy as np

from limelight.embed import DIMENSIONS, embed_texts


def test_paraphrases_are_closer_than_unrelated_texts() -> None:
    vectors = embed_texts(
        [
            "The election was stolen by fraudulent mail-in ballots.",
            "Mail-in ballot fraud stole the election.",
            "My cat likes to sleep in the sun all afternoon.",
        ]
    )
    assert vectors.shape == (3, DIMENSIONS)
    assert vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, rtol=1e-4)
    paraphrase = float(vectors[0] @ vectors[1])
    unrelated = float(vectors[0] @ vectors[2])
    assert paraphrase > 0.6
    assert paraphrase > unrelated + 0.4


def test_empty_input_loads_nothing() -> None:
    assert embed_texts([]).shape == (0, DIMENSIONS)
