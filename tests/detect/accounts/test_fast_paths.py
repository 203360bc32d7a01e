"""The vectorised scoring paths give what the plain ones give, on real profiles.

Scoring avoids regexes, split lists and per-model loops on its hot path (byte-level
string statistics, literal pre-filters, one fused lookup for all models). Each fast path
is checked here against the straightforward Arrow or per-model computation it replaces,
on the real labelled profiles (cresci-2017, gilani-2017, kaggle 2017) and their field
dropouts, plus the edge cases the real data may not hold.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from limelight.detect.accounts import (
    FEATURE_NAMES,
    AccountModel,
    LabelledAccounts,
    compute_features,
)
from limelight.detect.accounts._additive import FusedTables
from limelight.detect.accounts._fit import VARIANTS, mask_fields, training_table
from limelight.detect.accounts._names import (
    contains_ascii,
    handle_local_part,
    name_stats,
    replace_ascii_digits,
    template_parts,
)
from limelight.detect.accounts._reasons import reason_text, reason_texts

_EDGES = ["", None, "ab12", "a1b12", "_12", "12", "ab1", "äb12", "AB_x999", "Bot", "x\u3000y"]


@pytest.fixture(scope="module")
def profiles(labelled: LabelledAccounts) -> pa.Table:
    return training_table(labelled)


def _column(profiles: pa.Table, name: str) -> pa.Array:
    values = profiles.column(name).combine_chunks()
    return pa.concat_arrays([values, pa.array(_EDGES, pa.string())])


def test_fused_tables_equal_each_model_alone(
    profiles: pa.Table, model: AccountModel, labelled: LabelledAccounts
) -> None:
    models = [model.general, *model.specialists.values()]
    fused = FusedTables(models)
    for name, fields in VARIANTS.items():
        x = compute_features(mask_fields(profiles, fields), model.bigrams)
        logits, contrib = fused.evaluate(x, detail=0)
        for i, m in enumerate(models):
            assert np.allclose(logits[:, i], m.decision_function(x), atol=1e-9), name
        assert np.allclose(contrib, model.general.contributions(x), atol=1e-12), name
        # a row-major copy scores the same as the column-major matrix
        assert np.allclose(fused.evaluate(np.ascontiguousarray(x))[0], logits)


def test_name_stats_equal_arrow_string_functions(profiles: pa.Table) -> None:
    names = _column(profiles, "display_name")
    got = name_stats(names)
    length = pc.utf8_length(names).to_numpy(zero_copy_only=False)
    digits = pc.count_substring_regex(names, r"\d").to_numpy(zero_copy_only=False)
    trimmed = pc.utf8_trim_whitespace(names)
    words = pc.list_value_length(pc.utf8_split_whitespace(trimmed)).to_numpy(zero_copy_only=False)
    blank = pc.utf8_length(trimmed).to_numpy(zero_copy_only=False) == 0
    words = np.where(blank, 0.0, words)
    for ours, ref in ((got["length"], length), (got["digits"], digits), (got["words"], words)):
        ref = np.asarray(ref, dtype=np.float64)
        assert np.array_equal(ours, ref, equal_nan=True)
    # every Unicode white-space character separates words
    spaces = [chr(c) for c in range(0x110000) if chr(c).isspace()]
    assert name_stats(pa.array([f"a{s}b" for s in spaces]))["words"].tolist() == [2.0] * len(spaces)


def test_literal_prefilter_equals_the_regex(profiles: pa.Table) -> None:
    for column in ("description", "display_name", "handle"):
        values = _column(profiles, column)
        for needle in ("bot", "http", "www."):
            ref = pc.fill_null(pc.match_substring(values, needle, ignore_case=True), False)
            got = contains_ascii(values, (needle,))
            assert np.array_equal(got, ref.to_numpy(zero_copy_only=False)), needle
    x = compute_features(profiles, AccountModel.load().bigrams)
    declared = x[:, FEATURE_NAMES.index("declares_bot")]
    assert np.nansum(declared) > 50  # kaggle's self-declared bots are found


def test_handle_templates_and_digit_masks_equal_the_regexes(profiles: pa.Table) -> None:
    handles = handle_local_part(_column(profiles, "handle"))
    parts = pc.extract_regex(handles, r"^(?P<letters>[A-Za-z_]+)(?P<digits>[0-9]{2,})$")
    letters, digits = template_parts(handles)
    ref_letters = pc.fill_null(pc.utf8_length(pc.struct_field(parts, "letters")), -1)
    ref_digits = pc.fill_null(pc.utf8_length(pc.struct_field(parts, "digits")), -1)
    assert np.array_equal(letters, ref_letters.to_numpy())
    assert np.array_equal(digits, ref_digits.to_numpy())
    assert (letters > 0).sum() > 1000  # cresci's name + digits handles
    bios = pc.utf8_lower(_column(profiles, "description"))
    assert replace_ascii_digits(bios).equals(pc.replace_substring_regex(bios, r"\d", "0"))


def test_batched_reason_wording_equals_one_at_a_time(
    profiles: pa.Table, model: AccountModel
) -> None:
    x = compute_features(profiles, model.bigrams)
    for j, name in enumerate(FEATURE_NAMES):
        real = x[:, j][np.isfinite(x[:, j])]
        values = [*np.unique(real)[:500].tolist(), 0.0, 0.5, 1.0, 12.0, 123.456, 1e16]
        assert reason_texts(name, values) == [reason_text(name, v) for v in values], name
