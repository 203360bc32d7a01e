"""The shipped model: generalization floors, calibration, format, and that training
reproduces it. The floors are the ones the model card documents."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from limelight.detect.accounts import (
    FEATURE_NAMES,
    AccountModel,
    LabelledAccounts,
    TrainSettings,
    default_model_path,
    train_account_model,
)
from limelight.detect.accounts._additive import from_lightgbm_dump
from limelight.detect.accounts._fit import FitSettings, balanced_weights, training_table
from limelight.detect.accounts._metrics import auc
from limelight.detect.accounts._names import BigramModel
from limelight.detect.accounts._train import (
    build_matrix,
    held_out_rows,
    leave_one_dataset_out,
    reference_words,
)

# Leave-one-dataset-out AUC floors (docs/models/accounts.md).
FLOORS = {
    "cresci-social": 0.95,
    "cresci-traditional": 0.95,
    "cresci-fake": 0.97,
    "gilani-2017": 0.68,
    "kaggle-2017": 0.85,
    "cresci-all": 0.92,
}
# BotometerLite-style baseline on the same splits (benchmarks/accounts.py).
BASELINE = {"gilani-2017": 0.685, "kaggle-2017": 0.871, "cresci-all": 0.900}


def test_shipped_model_is_small_json_and_round_trips(model: AccountModel, tmp_path: Path) -> None:
    path = default_model_path()
    assert path.stat().st_size < 2_000_000
    assert json.loads(path.read_text())["format"] == "limelight-account-model/1"
    model.save(tmp_path / "m.json")
    again = AccountModel.load(tmp_path / "m.json")
    assert again.version == model.version
    assert set(model.specialists) == {"spammer", "fake_follower", "amplifier", "self_declared"}


def test_report_meets_the_documented_floors(model: AccountModel) -> None:
    folds = model.report["folds"]
    for name, floor in FLOORS.items():
        assert folds[name]["auc"] >= floor, name
    for name, base in BASELINE.items():
        assert folds[name]["auc"] > base + 0.01, name


def test_calibration_is_reliable_on_held_out_predictions(model: AccountModel) -> None:
    cal = model.report["calibration"]
    assert cal["ece"] < 0.10 and cal["brier"] < 0.12
    for b in cal["reliability"]:
        if b["accounts"] >= 1000:
            assert abs(b["mean_score"] - b["bot_share"]) < 0.2, b
    # Higher scores mean more bots, bin after bin, at the ends.
    shares = [b["bot_share"] for b in cal["reliability"]]
    assert shares[0] < 0.25 and shares[1] < 0.1 and shares[-1] > 0.9


def test_hard_folds_reproduce_the_shipped_report(
    labelled: LabelledAccounts, model: AccountModel, data_dir: Path
) -> None:
    bigrams = BigramModel.fit(reference_words(data_dir))
    assert np.array_equal(bigrams.log_prob, model.bigrams.log_prob)
    m = build_matrix(labelled, bigrams)
    held = leave_one_dataset_out(m, TrainSettings(folds=("gilani-2017", "kaggle-2017")))
    for name, z in held.items():
        value = auc(z["full"], m.label[held_out_rows(m, name)])
        assert value >= FLOORS[name]
        assert round(value, 4) == model.report["folds"][name]["auc"]


def test_additive_tables_equal_lightgbm_raw_scores(
    labelled: LabelledAccounts, model: AccountModel
) -> None:
    lgb = pytest.importorskip("lightgbm")
    from limelight.detect.accounts._features import compute_features

    x = compute_features(training_table(labelled), model.bigrams)
    y = np.array(labelled.label)
    w = balanced_weights(y, np.array(labelled.fold), {})
    params = {
        "objective": "binary",
        "num_leaves": 2,
        "max_depth": 1,
        "verbosity": -1,
        "num_threads": 2,
        "deterministic": True,
        "max_bin": 63,
        "min_data_in_leaf": 20,
    }
    booster = lgb.train(params, lgb.Dataset(x, y, weight=w), num_boost_round=40)
    gam = from_lightgbm_dump(booster.dump_model(), FEATURE_NAMES, x)
    used = np.isnan(x[:, gam.columns]).any(axis=1)
    raw = booster.predict(x[~used], raw_score=True)
    assert np.allclose(gam.decision_function(x[~used]), raw, atol=1e-9)
    # a missing value contributes nothing
    assert all(v == 0.0 for v in gam.nan_values)


def test_scores_separate_real_bots_from_genuine(
    labelled: LabelledAccounts, model: AccountModel
) -> None:
    from limelight.detect.accounts._features import compute_features

    pred = model.predict(compute_features(training_table(labelled), model.bigrams))
    assert ((pred.bot_score >= 0) & (pred.bot_score <= 1)).all()
    group = np.array(labelled.group)
    genuine = pred.bot_score[group == "cresci-2017/genuine_acconts"]
    fake = pred.bot_score[group == "cresci-2017/fake_followers"]
    assert np.median(genuine) < 0.2 and np.median(fake) > 0.9
    # the fake-follower specialist ranks fake followers above the spammer specialist does
    ff = pred.sub_scores["fake_follower"][group == "cresci-2017/fake_followers"]
    sp = pred.sub_scores["spammer"][group == "cresci-2017/fake_followers"]
    assert np.median(ff) > np.median(sp)


@pytest.mark.slow
def test_train_accounts_reproduces_the_shipped_model(data_dir: Path, model: AccountModel) -> None:
    trained = train_account_model(
        data_dir, TrainSettings(fit=FitSettings(excluded=("declares_bot",)))
    )
    assert trained.version == model.version
    assert trained.report == model.report


def test_model_card_quotes_the_shipped_model(model: AccountModel) -> None:
    card = (Path(__file__).resolve().parents[3] / "docs" / "models" / "accounts.md").read_text()
    assert f"`{model.version}`" in card
    for name, r in model.report["folds"].items():
        row = f"| {name} | {r['accounts']} | {r['bots']} | {r['auc']:.3f} |"
        assert row in card, row
        assert f"| {r['f1']:.3f} |" in card
    assert f"ECE {model.report['calibration']['ece']:.3f}" in card
    for feature in FEATURE_NAMES:
        assert f"| `{feature}` |" in card, feature
