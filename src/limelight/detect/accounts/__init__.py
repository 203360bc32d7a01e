"""Account scoring: is an account automated, fake, or a real person, and why.

Profile features (counts, age, growth rates, handle and name statistics, bio, defaults)
and, where the store holds the account's posts, behaviour features (rhythm, reposts,
replies, links, clients, repetition) feed a small additive model trained on real
labelled data (cresci-2017, gilani-2017, kaggle 2017) and shipped with limelight. Each
account gets a calibrated ``bot_score``, sub-scores by kind, the reasons behind its
score, and its cohort when it was created in a templated batch. The model card is
docs/models/accounts.md.
"""

from __future__ import annotations

from limelight.detect.accounts._additive import AdditiveModel
from limelight.detect.accounts._behaviour import BEHAVIOUR_SCHEMA, scoring_table
from limelight.detect.accounts._cohorts import CohortFinder, CohortResult
from limelight.detect.accounts._datasets import BOT_KINDS, FOLDS, LabelledAccounts
from limelight.detect.accounts._features import (
    FEATURE_NAMES,
    FEATURES,
    FeatureSpec,
    compute_features,
)
from limelight.detect.accounts._metrics import label_agreement
from limelight.detect.accounts._model import AccountModel, Prediction, default_model_path
from limelight.detect.accounts._reasons import reason_text
from limelight.detect.accounts._score import (
    COHORTS_TABLE,
    SCORES_TABLE,
    AccountScorer,
    AccountScores,
    account_report,
)
from limelight.detect.accounts._train import TrainSettings, load_training_data, train_account_model

__all__ = [
    "BEHAVIOUR_SCHEMA",
    "BOT_KINDS",
    "COHORTS_TABLE",
    "FEATURES",
    "FEATURE_NAMES",
    "FOLDS",
    "SCORES_TABLE",
    "AccountModel",
    "AccountScorer",
    "AccountScores",
    "AdditiveModel",
    "CohortFinder",
    "CohortResult",
    "FeatureSpec",
    "LabelledAccounts",
    "Prediction",
    "TrainSettings",
    "account_report",
    "compute_features",
    "default_model_path",
    "label_agreement",
    "load_training_data",
    "reason_text",
    "scoring_table",
    "train_account_model",
]
