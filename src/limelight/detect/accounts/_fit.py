"""Fitting the additive models with LightGBM, and the training matrix they learn from.

Training choices that aim at generalization across data sets rather than fit to one:

- **stumps only** (one split per tree): an additive model with no feature interactions;
- **monotone constraints** where the direction is not in doubt (digits in a generated
  handle, a default avatar, a self-declared bot, an unlikely handle);
- **balanced weights**: every data set weighs the same, and within it both classes;
  the weakly labelled kaggle set weighs half as much;
- **field dropout**: every account is also seen with the fields that Twitter v2,
  Mastodon or Bluesky do not have blanked out, so missing fields carry no label and the
  model has a fallback for each platform.

LightGBM is needed only here, at training time; scoring reads the exported tables.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from limelight.detect.accounts._additive import AdditiveModel, from_lightgbm_dump
from limelight.detect.accounts._behaviour import BEHAVIOUR_SCHEMA
from limelight.detect.accounts._datasets import LabelledAccounts
from limelight.detect.accounts._features import FEATURE_NAMES, FEATURES
from limelight.errors import InputError
from limelight.store import records_to_table

__all__ = [
    "VARIANTS",
    "FitSettings",
    "balanced_weights",
    "fit_additive",
    "mask_fields",
    "training_table",
]

# Model variants by the profile fields an account lacks, nested from full to minimal:
# Twitter v1.1 has them all; v2 lacks the theme flag and (in most archives) favourites;
# Mastodon also lists and location; Bluesky also a website; "counts" keeps only counts,
# age and handle (what engineered-feature data sets such as gilani-2017 leave).
VARIANTS: dict[str, tuple[str, ...]] = {
    "full": (),
    "twitter-v2": ("default_profile", "likes_count"),
    "mastodon": ("default_profile", "likes_count", "listed_count", "location"),
    "bluesky": ("default_profile", "likes_count", "listed_count", "location", "url"),
    "counts": (
        "default_profile",
        "likes_count",
        "listed_count",
        "location",
        "url",
        "default_image",
        "description",
        "display_name",
    ),
}


@dataclass(frozen=True, slots=True)
class FitSettings:
    """LightGBM settings for one additive model, with the reasons for the defaults.

    ``rounds`` x ``learning_rate`` = 20 keeps the shapes smooth; ``min_leaf`` (a share of
    the weighted rows) stops a step being learned from a handful of accounts; 63 bins make
    coarse steps that survive a change of data set.
    """

    rounds: int = 400
    learning_rate: float = 0.05
    min_leaf: float = 0.01
    max_bin: int = 63
    l2: float = 1.0
    monotone: bool = True
    random_state: int = 0
    excluded: tuple[str, ...] = field(default_factory=tuple)


def training_table(data: LabelledAccounts) -> pa.Table:
    """The labelled accounts as one table: profile columns plus any behaviour summary."""
    table = records_to_table(data.accounts, "accounts")
    if data.behaviour is None:
        return table
    beh = data.behaviour
    keys = pc.binary_join_element_wise(table["platform"], table["account_id"], "\x1f")
    bkeys = pc.binary_join_element_wise(beh["platform"], beh["account_id"], "\x1f")
    idx = pc.index_in(keys, value_set=bkeys)
    for name in BEHAVIOUR_SCHEMA.names[2:]:
        table = table.append_column(name, pc.take(beh[name], idx))
    return table


def mask_fields(table: pa.Table, fields: tuple[str, ...]) -> pa.Table:
    """A copy of ``table`` with ``fields`` set to null (what another platform lacks)."""
    for name in fields:
        i = table.schema.get_field_index(name)
        table = table.set_column(i, name, pa.nulls(table.num_rows, table.schema.field(name).type))
    return table


def balanced_weights(label: np.ndarray, dataset: np.ndarray, scale: dict[str, float]) -> np.ndarray:
    """Weights giving every (data set, class) cell the same total, times ``scale[set]``."""
    w = np.zeros(len(label))
    for ds in np.unique(dataset):
        for cls in (0, 1):
            m = (dataset == ds) & (label == cls)
            if m.any():
                w[m] = scale.get(str(ds), 1.0) / m.sum()
    return np.asarray(w * len(label) / w.sum(), dtype=np.float64)


def fit_additive(
    x: np.ndarray, y: np.ndarray, w: np.ndarray, settings: FitSettings
) -> AdditiveModel:
    """Boost stumps on (x, y, w) and read them back as an AdditiveModel."""
    try:
        import lightgbm as lgb
    except ImportError:
        raise InputError(
            "training the account model needs LightGBM; install it with `pip install lightgbm`"
        ) from None

    usable = [
        j
        for j, name in enumerate(FEATURE_NAMES)
        if name not in settings.excluded and np.isfinite(x[:, j]).mean() > 0.02
    ]
    mono = [FEATURES[j].monotone if settings.monotone else 0 for j in range(len(FEATURES))]
    params = {
        "objective": "binary",
        "num_leaves": 2,
        "max_depth": 1,
        "learning_rate": settings.learning_rate,
        "min_sum_hessian_in_leaf": settings.min_leaf * float(w.sum()) * 0.25,
        "min_data_in_leaf": 20,
        "lambda_l2": settings.l2,
        "max_bin": settings.max_bin,
        "monotone_constraints": mono,
        "monotone_constraints_method": "advanced",
        "zero_as_missing": False,
        "use_missing": True,
        "deterministic": True,
        "force_row_wise": True,
        "num_threads": 2,
        "seed": settings.random_state,
        "verbosity": -1,
    }
    x_used = np.where(np.isin(np.arange(x.shape[1]), usable)[None, :], x, np.nan)
    ds = lgb.Dataset(
        x_used, label=y, weight=w, feature_name=list(FEATURE_NAMES), free_raw_data=True
    )
    booster = lgb.train(params, ds, num_boost_round=settings.rounds)
    return from_lightgbm_dump(booster.dump_model(), FEATURE_NAMES, x_used)
