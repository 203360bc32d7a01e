"""Persuasion techniques on the real SemEval data: dev F1 against baselines, spans, labels."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from limelight.detect.content import (
    MEMES_TO_TECHNIQUE,
    POLITICAL_ACCOUNTS,
    PTC_TO_TECHNIQUES,
    TECHNIQUES,
    LabelledTexts,
    LinearHead,
    PersuasionModel,
    fragments,
    load_ptc,
    load_tweepfake,
    macro_f1,
    micro_f1,
)
from limelight.embed import embed_texts
from tests.detect.content._spans import assert_spans_point_at_gold

MARGIN = 0.07
"""Dev micro-F1 must beat the best label-frequency baseline by this much (model card)."""


def _frequency_baseline(train: LabelledTexts, dev: LabelledTexts, k: int) -> np.ndarray:
    order = np.argsort(-train.labels.sum(axis=0), kind="stable")
    pred = np.zeros_like(dev.labels, dtype=bool)
    pred[:, order[:k]] = True
    return pred


def test_dev_micro_f1_beats_every_frequency_baseline_by_the_documented_margin(
    persuasion_model: PersuasionModel,
    memes_train: LabelledTexts,
    memes_dev: LabelledTexts,
    memes_dev_vectors: np.ndarray,
) -> None:
    proba = persuasion_model.predict_proba(memes_dev.texts, memes_dev_vectors)
    pred = proba >= persuasion_model.head.thresholds
    ours = micro_f1(memes_dev.labels, pred)
    best = max(
        micro_f1(memes_dev.labels, _frequency_baseline(memes_train, memes_dev, k))
        for k in range(1, 6)
    )
    assert ours >= best + MARGIN, (ours, best)
    # macro-F1 too: the baselines name at most a few techniques
    assert macro_f1(memes_dev.labels, pred) > max(
        macro_f1(memes_dev.labels, _frequency_baseline(memes_train, memes_dev, k))
        for k in range(1, 6)
    )
    # the model card's figure is what the shipped head does
    assert ours == pytest.approx(persuasion_model.head.report["dev"]["micro_f1"], abs=1e-3)


def test_found_spans_lie_inside_the_post_and_point_at_words(
    persuasion_model: PersuasionModel, memes_dev: LabelledTexts, memes_dev_vectors: np.ndarray
) -> None:
    texts = memes_dev.texts[:25]
    hits = persuasion_model.find(texts, memes_dev_vectors[:25])
    assert_spans_point_at_gold(texts, hits, memes_dev.spans[:25])


def test_fragments_are_trimmed_sentences_and_lines_with_words() -> None:
    text = "WAKE UP AMERICA!!\n\n  They lie. Every day... \n---\nWhy?"
    spans = fragments(text)
    assert [text[s:e] for s, e in spans] == [
        "WAKE UP AMERICA!!",
        "They lie.",
        "Every day...",
        "Why?",
    ]


def test_every_source_label_maps_into_the_one_set(data_dir: Path) -> None:
    listed = (data_dir / "semeval2021-t6-memes" / "techniques_list_task1-2.txt").read_text(
        encoding="utf-8"
    )
    names = [line.strip() for line in listed.splitlines() if line.strip()]
    assert sorted(MEMES_TO_TECHNIQUE) == sorted(names)
    assert sorted(MEMES_TO_TECHNIQUE.values()) == sorted(TECHNIQUES)
    ptc_classes = {
        line.split("\t")[1]
        for line in (data_dir / "semeval2020-t11-ptc" / "train-task2-TC.labels")
        .read_text(encoding="utf-8")
        .splitlines()
    }
    assert ptc_classes == set(PTC_TO_TECHNIQUES)
    assert all(t in TECHNIQUES for ts in PTC_TO_TECHNIQUES.values() for t in ts)


def test_news_sentence_labels_follow_the_spans_and_merged_classes_are_masked(
    data_dir: Path,
) -> None:
    heldout = load_ptc(data_dir, "heldout")
    assert len(heldout) > 1000
    for text, spans in zip(heldout.texts[:500], heldout.spans[:500], strict=True):
        for s in spans:
            assert 0 <= s.start < s.end <= len(text)
    smears = TECHNIQUES.index("smears")
    straw = TECHNIQUES.index("straw_man")
    assert not heldout.known[:, smears].any()  # never annotated in the 2020 taxonomy
    masked = ~heldout.known[:, straw]
    assert masked.any() and not heldout.labels[masked, straw].any()


def test_saved_head_loads_to_the_same_predictions(
    persuasion_model: PersuasionModel,
    memes_dev: LabelledTexts,
    memes_dev_vectors: np.ndarray,
    tmp_path: Path,
) -> None:
    path = tmp_path / "head.npz"
    persuasion_model.head.save(path)
    again = LinearHead.load(path)
    assert again.version == persuasion_model.version
    before = persuasion_model.head.predict_proba(memes_dev.texts[:10], memes_dev_vectors[:10])
    after = again.predict_proba(memes_dev.texts[:10], memes_dev_vectors[:10])
    np.testing.assert_allclose(before, after, atol=1e-6)


ORDINARY_CEILING = 0.5
"""At most this share of ordinary tweets may get a technique (model card: 0.40 on all 876).

A head trained on propaganda-dense memes alone fired on 0.72 of them; the shipped head also
learns from ordinary tweets as weak negatives, and this ceiling keeps that from eroding."""


def _ordinary_sample(data_dir: Path, n: int = 200) -> list[str]:
    """Every fourth human validation tweet outside politics, up to ``n`` (never trained on)."""
    tweets = load_tweepfake(data_dir, "validation")
    rows = [
        i
        for i, (g, a) in enumerate(zip(tweets.generators, tweets.accounts, strict=True))
        if g == "human" and a not in POLITICAL_ACCOUNTS
    ]
    return [tweets.texts[i] for i in rows[::4][:n]]


@pytest.mark.slow
def test_ordinary_tweets_fire_less_than_memes_and_as_reported(
    persuasion_model: PersuasionModel,
    data_dir: Path,
    memes_dev: LabelledTexts,
    memes_dev_vectors: np.ndarray,
) -> None:
    """Everyday tweets fire less often than propaganda memes, and as often as the report says."""
    thresholds = persuasion_model.head.thresholds
    texts = _ordinary_sample(data_dir)
    assert len(texts) == 200
    tweet_share = float(
        (persuasion_model.predict_proba(texts, embed_texts(texts)) >= thresholds).any(1).mean()
    )
    meme_share = float(
        (persuasion_model.predict_proba(memes_dev.texts, memes_dev_vectors) >= thresholds)
        .any(1)
        .mean()
    )
    assert tweet_share <= ORDINARY_CEILING, tweet_share
    assert meme_share > tweet_share, (meme_share, tweet_share)
    reported = persuasion_model.head.report["ordinary_tweets"]["with_any_technique"]
    assert abs(reported - tweet_share) <= 0.1, (reported, tweet_share)
