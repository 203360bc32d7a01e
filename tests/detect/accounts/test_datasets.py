"""The labelled data sets as canonical accounts: counts, labels, folds, field mapping."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime

from limelight.detect.accounts import FOLDS, LabelledAccounts


def _by_handle(data: LabelledAccounts, handle: str) -> int:
    return next(i for i, a in enumerate(data.accounts) if a.handle == handle)


def test_sizes_and_labels_match_the_source_notes(labelled: LabelledAccounts) -> None:
    groups = Counter(labelled.group)
    assert groups["cresci-2017/genuine_acconts"] == 3474
    assert groups["cresci-2017/social_spambots_2"] == 3457
    assert groups["cresci-2017/fake_followers"] == 3351
    assert sum(v for k, v in groups.items() if k.startswith("gilani")) == 3431
    # 1,056 + 1,176 kaggle rows less handles listed in both files (contradictory labels)
    assert groups["kaggle-2017/bots"] == 1051 and groups["kaggle-2017/nonbots"] == 1171
    assert Counter(labelled.label) == {1: 13437, 0: 6584}


def test_every_fold_holds_both_classes(labelled: LabelledAccounts) -> None:
    for fold in FOLDS:
        labels = {lab for lab, f in zip(labelled.label, labelled.fold, strict=True) if f == fold}
        assert labels == {0, 1}, fold
    genuine = Counter(
        f for f, g in zip(labelled.fold, labelled.group, strict=True) if "genuine" in g
    )
    assert set(genuine) == {"cresci-social", "cresci-traditional", "cresci-fake"}
    assert min(genuine.values()) > 1000


def test_cresci_profile_fields(labelled: LabelledAccounts) -> None:
    a = labelled.accounts[_by_handle(labelled, "davideb66")]
    assert (a.account_id, a.followers, a.following, a.posts_count, a.likes_count) == (
        "24858289",
        22,
        40,
        1299,
        1,
    )
    assert a.default_profile is True and a.default_image is True and a.description == ""
    assert a.created_at == datetime(2009, 3, 17, 8, 51, 12, tzinfo=UTC)
    assert a.seen_at == datetime(2014, 4, 19, 14, 46, 19, tzinfo=UTC)  # crawled_at


def test_cresci_null_is_missing_not_false(labelled: LabelledAccounts) -> None:
    a = labelled.accounts[_by_handle(labelled, "tarunkjuyal")]  # traditional_spambots_1
    assert a.default_profile is None and a.lang is None
    assert a.created_at == datetime(2007, 7, 4, 12, 30, 3, tzinfo=UTC)  # '1183552203000L'


def test_gilani_rows_map_back_to_profiles(labelled: LabelledAccounts) -> None:
    i = _by_handle(labelled, "BarackObama")
    a = labelled.accounts[i]
    assert a.posts_count == 14976  # 4.478 statuses a day over 3,344 days
    assert a.followers is None and a.following is None  # 10M band: too wide to guess
    assert a.likes_count == 19 and a.description is None
    assert labelled.kind[i] == "human"
    bot = labelled.accounts[_by_handle(labelled, "0128tktk")]
    assert bot.followers == 1000 and bot.following == round(1000 / 1.3599620348717518)
    assert labelled.behaviour is not None
    row = next(r for r in labelled.behaviour.to_pylist() if r["account_id"] == "@0128tktk")
    assert (row["n_posts"], row["n_reposts"], row["n_replies"], row["n_clients"]) == (36, 14, 16, 1)


def test_kaggle_weak_labels_and_mangled_ids(labelled: LabelledAccounts) -> None:
    i = _by_handle(labelled, "mcgucket_bot")
    assert labelled.kind[i] == "self_declared" and labelled.accounts[i].account_id == "3982731976"
    j = _by_handle(labelled, "BowieK66")  # id '8.41E+17' in the file
    assert labelled.accounts[j].account_id == "@bowiek66"
    assert labelled.accounts[j].created_at == datetime(2017, 3, 13, 22, 21, tzinfo=UTC)
