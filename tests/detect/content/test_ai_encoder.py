"""The low-rank adapter on the real MiniLM: training moves it, the file keeps it, the merge is
exact, and the AI-text model blends it with the n-gram head as its report says."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from limelight.detect.content import (
    AdapterSettings,
    AiTextModel,
    TunedEncoder,
    TweetSet,
    fine_tune,
)
from limelight.errors import InputError

SMALL = AdapterSettings(rank=4, max_tokens=32, batch_size=16, epochs=2.0, learning_rate=3e-3)
"""A few optimiser steps on a few real tweets: enough to move every adapter, cheap on a CPU."""


@pytest.fixture(scope="module")
def tweets(tweepfake_validation: TweetSet) -> tuple[list[str], np.ndarray]:
    texts = tweepfake_validation.texts[:48]
    return texts, tweepfake_validation.is_ai[:48]


@pytest.fixture(scope="module")
def encoder(tweets: tuple[list[str], np.ndarray]) -> TunedEncoder:
    texts, is_ai = tweets
    return fine_tune(texts, is_ai[:, None], kind="test", labels=["ai_written"], settings=SMALL)


@pytest.mark.slow
def test_training_moves_every_adapter_and_the_file_is_small(
    encoder: TunedEncoder, tmp_path: Path
) -> None:
    # 6 layers x 6 adapted linear layers of MiniLM
    assert len(encoder.adapters) == 36
    assert all(np.abs(b).max() > 0 for _, b in encoder.adapters.values())
    assert encoder.report["steps"] == 6
    path = tmp_path / "enc.npz"
    encoder.save(path)
    assert path.stat().st_size < 1_000_000
    again = TunedEncoder.load(path)
    assert again.version == encoder.version
    for name, (a, b) in encoder.adapters.items():
        np.testing.assert_array_equal(again.adapters[name][0], a.astype(np.float32))
        np.testing.assert_array_equal(again.adapters[name][1], b.astype(np.float32))


@pytest.mark.slow
def test_merged_weights_give_what_the_adapters_add_at_run_time(
    encoder: TunedEncoder, tweets: tuple[list[str], np.ndarray]
) -> None:
    """The merge must equal the training-time form: base layer output + B A x (alpha / r)."""
    import torch

    from limelight.detect.content._lora import _load_base, _mean_pool, _target_layers

    texts = tweets[0][:8]
    merged = encoder.logits(texts)
    tokenizer, model, _ = _load_base()
    scale = SMALL.alpha / SMALL.rank
    for name, layer in _target_layers(model, SMALL.targets).items():
        a, b = (torch.from_numpy(m.astype(np.float32)) for m in encoder.adapters[name])
        layer.register_forward_hook(
            lambda _m, inputs, output, a=a, b=b: output + (inputs[0] @ a.T @ b.T) * scale
        )
    with torch.inference_mode():
        batch = tokenizer(texts, padding=True, truncation=True, max_length=32, return_tensors="pt")
        pooled = _mean_pool(model(**batch).last_hidden_state, batch["attention_mask"]).numpy()
    hooked = pooled @ encoder.head_w.T + encoder.head_b
    np.testing.assert_allclose(merged, hooked, atol=2e-3)
    assert np.ptp(merged) > 0  # the head tells the texts apart


@pytest.mark.slow
def test_ai_text_model_blends_the_encoder_with_the_ngram_head(
    ai_text_model: AiTextModel, encoder: TunedEncoder, tweets: tuple[list[str], np.ndarray]
) -> None:
    texts = tweets[0][:8]
    blend = {"encoder": 0.7, "ngram": 0.4, "bias": -0.1}
    blend["ngram_version"] = ai_text_model.head.version  # type: ignore[assignment]
    blended = replace(encoder, report={**encoder.report, "blend": blend}, version="")
    model = AiTextModel(ai_text_model.head, encoder=blended)
    assert model.version == f"{ai_text_model.head.version}+{blended.version}"
    ngram_p = AiTextModel(ai_text_model.head, use_encoder=False).model_scores(texts)
    ngram_z = np.log(ngram_p / (1 - ngram_p))
    z = 0.7 * blended.logits(texts)[:, 0] + 0.4 * ngram_z - 0.1
    np.testing.assert_allclose(model.model_scores(texts), 1 / (1 + np.exp(-z)), atol=1e-6)
    # an encoder blended with another n-gram head is refused, not silently mixed
    stale = replace(blended, report={**blended.report, "blend": {**blend, "ngram_version": "x"}})
    with pytest.raises(InputError, match="rebuild both"):
        AiTextModel(ai_text_model.head, encoder=stale)
