"""Shared fixtures of the content tests: the shipped models and real data, embedded once.

Embedding is the slow step on a CPU, so every text set is embedded once per session and
shared by the tests that need it.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from limelight.detect.content import (
    AiTextModel,
    LabelledTexts,
    PersuasionModel,
    TweetSet,
    load_memes,
    load_tweepfake,
)
from limelight.embed import embed_texts


@pytest.fixture(scope="session")
def persuasion_model() -> PersuasionModel:
    """The shipped persuasion head."""
    return PersuasionModel()


@pytest.fixture(scope="session")
def ai_text_model() -> AiTextModel:
    """The shipped AI-text head with the phrase rules."""
    return AiTextModel()


@pytest.fixture(scope="session")
def memes_train(data_dir: Path) -> LabelledTexts:
    """SemEval-2021 Task 6 training memes (for the label-frequency baselines)."""
    return load_memes(data_dir, "train")


@pytest.fixture(scope="session")
def memes_dev(data_dir: Path) -> LabelledTexts:
    """SemEval-2021 Task 6 dev memes, never used in training or threshold choice."""
    return load_memes(data_dir, "dev")


@pytest.fixture(scope="session")
def memes_dev_vectors(memes_dev: LabelledTexts) -> np.ndarray:
    """MiniLM vectors of the dev memes."""
    return embed_texts(memes_dev.texts)


@pytest.fixture(scope="session")
def tweepfake_validation(data_dir: Path) -> TweetSet:
    """TweepFake validation tweets (not used to fit the head)."""
    return load_tweepfake(data_dir, "validation")
