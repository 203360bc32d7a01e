"""Features: values for real accounts, NaN (never 0) for what a source lacks, behaviour
from real posts in the store."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest

from limelight.detect.accounts import (
    FEATURE_NAMES,
    FEATURES,
    AccountModel,
    LabelledAccounts,
    compute_features,
    scoring_table,
)
from limelight.detect.accounts._fit import VARIANTS, mask_fields, training_table
from limelight.store import Database

F = {name: j for j, name in enumerate(FEATURE_NAMES)}


@pytest.fixture(scope="module")
def features(labelled: LabelledAccounts, model: AccountModel) -> np.ndarray:
    return compute_features(training_table(labelled), model.bigrams)


def _row(labelled: LabelledAccounts, handle: str) -> int:
    return next(i for i, a in enumerate(labelled.accounts) if a.handle == handle)


def test_every_feature_is_documented() -> None:
    assert len(FEATURES) == len(set(FEATURE_NAMES)) == 42
    for spec in FEATURES:
        assert spec.doc.endswith(".") and "{v}" in spec.words, spec.name


def test_profile_features_of_a_social_spambot(
    labelled: LabelledAccounts, features: np.ndarray
) -> None:
    x = features[_row(labelled, "davideb66")]
    assert x[F["age_days"]] == pytest.approx(1859.2466, abs=1e-3)  # 2009-03-17 to 2014-04-19
    assert x[F["posts_per_day"]] == pytest.approx(1299 / 1859.2466, rel=1e-6)
    assert x[F["follower_ratio"]] == pytest.approx(23 / 41)
    assert x[F["likes_per_post"]] == pytest.approx(1 / 1300)
    assert (x[F["default_image"]], x[F["description_length"]], x[F["has_location"]]) == (1, 0, 0)
    assert (x[F["handle_digits"]], x[F["handle_trailing_digits"]], x[F["name_words"]]) == (2, 2, 2)


def test_random_handles_are_less_likely_than_names(
    labelled: LabelledAccounts, features: np.ndarray
) -> None:
    lik = {
        h: features[_row(labelled, h), F["handle_likelihood"]]
        for h in ("borremanstpdri2", "davideb66", "BarackObama")
    }
    assert lik["borremanstpdri2"] < lik["davideb66"] < lik["BarackObama"]


def test_self_declared_bots(labelled: LabelledAccounts, features: np.ndarray) -> None:
    assert features[_row(labelled, "mcgucket_bot"), F["declares_bot"]] == 1
    assert features[_row(labelled, "davideb66"), F["declares_bot"]] == 0
    kaggle = np.array([g.startswith("kaggle") for g in labelled.group])
    y = np.array(labelled.label)
    declared = features[:, F["declares_bot"]] == 1
    assert declared[kaggle & (y == 1)].sum() > 300 and declared[kaggle & (y == 0)].sum() < 25


@pytest.mark.parametrize("variant", ["twitter-v2", "mastodon", "bluesky"])
def test_fields_a_platform_lacks_are_nan_not_zero(
    labelled: LabelledAccounts, model: AccountModel, variant: str
) -> None:
    table = training_table(labelled).slice(0, 500)
    x = compute_features(mask_fields(table, VARIANTS[variant]), model.bigrams)
    assert np.isnan(x[:, F["default_profile"]]).all() and np.isnan(x[:, F["likes"]]).all()
    assert np.isnan(x[:, F["likes_per_day"]]).all()
    assert not np.isnan(x[:, F["followers"]]).any()
    if variant != "twitter-v2":
        assert np.isnan(x[:, F["listed_per_1k_followers"]]).all()


def test_behaviour_features_from_real_posts(
    store: Database, model: AccountModel, data_dir: Path
) -> None:
    table = scoring_table(store)
    ids = table.column("account_id").to_pylist()
    x = compute_features(table, model.bigrams)
    path = data_dir / "ira-538-by-author" / "sample30_per_author_00.csv"
    with path.open(encoding="utf-8", newline="") as fh:
        rows = [r for r in csv.DictReader(fh) if r["author_id"] == "10_gop"]
    i = ids.index("10_gop")
    assert x[i, F["posts_observed"]] == len(rows) == 30
    assert x[i, F["repost_share"]] == pytest.approx(sum(r["post_type"] == "R" for r in rows) / 30)
    assert 0.0 <= x[i, F["hour_entropy"]] <= 1.0 and -1.0 <= x[i, F["burstiness"]] <= 1.0
    # cresci accounts have no posts here: behaviour unknown, not zero
    j = ids.index("24858289")
    assert np.isnan(x[j, F["repost_share"]]) and np.isnan(x[j, F["posts_observed"]])


def test_empty_table_gives_empty_matrix(model: AccountModel, labelled: LabelledAccounts) -> None:
    empty = training_table(labelled).slice(0, 0)
    assert compute_features(empty, model.bigrams).shape == (0, len(FEATURES))
    assert compute_features(
        pa.table({"platform": pa.array([], pa.string())}), model.bigrams
    ).shape == (0, 42)
