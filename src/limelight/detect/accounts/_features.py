"""The account features: what each one measures, and how it is computed for many accounts.

Every feature is computed from the canonical ``accounts`` columns (and, where the store
holds the account's posts, from the behaviour summary of ``_behaviour.py``) by the same
vectorized code at training and at scoring time. A feature whose inputs a source lacks
(Twitter v2 has no ``default_profile``, Mastodon no ``listed_count``, a profile-only data
set no posts) is NaN, never zero: the model routes missing values on its own.

Left out on purpose, with the reason: ``verified`` (its meaning changed when checkmarks
were sold, and the weakly labelled kaggle set leaks its label through it), ``lang``,
time zones and profile colours (collection-time artefacts that do not carry across
platforms), and the absolute creation date (it dates the data set, not the account).
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from limelight.detect.accounts._catalogue import FEATURE_NAMES, FEATURES, FeatureSpec
from limelight.detect.accounts._names import (
    BigramModel,
    contains_ascii,
    handle_local_part,
    handle_stats,
    name_stats,
)

__all__ = ["FEATURES", "FEATURE_NAMES", "FeatureSpec", "compute_features"]

_DAY_US = 86_400 * 1_000_000


def _col(table: pa.Table, name: str) -> pa.ChunkedArray | None:
    return table.column(name) if name in table.column_names else None


def _num(table: pa.Table, name: str) -> np.ndarray:
    col = _col(table, name)
    if col is None:
        return np.full(table.num_rows, np.nan)
    return np.asarray(pc.cast(col, pa.float64()).to_numpy(zero_copy_only=False), dtype=np.float64)


def _micros(table: pa.Table, name: str) -> np.ndarray:
    col = _col(table, name)
    if col is None:
        return np.full(table.num_rows, np.nan)
    ints = pc.cast(pc.cast(col, pa.timestamp("us", tz="UTC")), pa.int64())
    return np.asarray(pc.cast(ints, pa.float64()).to_numpy(zero_copy_only=False), dtype=np.float64)


def _strings(table: pa.Table, name: str) -> pa.Array:
    col = _col(table, name)
    if col is None:
        return pa.nulls(table.num_rows, pa.string())
    return col.combine_chunks() if isinstance(col, pa.ChunkedArray) else col


def _present(values: pa.Array) -> np.ndarray:
    """1 for a non-empty string, 0 for an empty one, NaN for unknown (null)."""
    out = _floats_of(pc.greater(pc.utf8_length(values), 0))
    return out


def _floats_of(arr: pa.Array | pa.ChunkedArray) -> np.ndarray:
    return np.asarray(pc.cast(arr, pa.float64()).to_numpy(zero_copy_only=False), dtype=np.float64)


def _share(part: np.ndarray, whole: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(whole > 0, part / whole, np.nan)


def compute_features(
    table: pa.Table, bigrams: BigramModel, local_handles: pa.Array | None = None
) -> np.ndarray:
    """The (accounts x FEATURES) float matrix for an accounts table, NaN where unknown.

    ``table`` has the store's ``accounts`` columns and, optionally, the behaviour
    summary columns of ``_behaviour.BEHAVIOUR_SCHEMA``; absent columns count as unknown.
    ``local_handles`` (``handle_local_part`` of the handles) saves recomputing them when
    the caller has them already. The matrix is column-major: scoring reads it by feature.
    """
    n = table.num_rows
    f: dict[str, np.ndarray] = {}
    followers, following = _num(table, "followers"), _num(table, "following")
    posts, likes, listed = (
        _num(table, "posts_count"),
        _num(table, "likes_count"),
        _num(table, "listed_count"),
    )
    f["followers"], f["following"], f["posts"], f["likes"], f["listed"] = (
        followers,
        following,
        posts,
        likes,
        listed,
    )
    age = np.maximum((_micros(table, "seen_at") - _micros(table, "created_at")) / _DAY_US, 1.0)
    f["age_days"] = age
    for name, count in (
        ("posts", posts),
        ("followers", followers),
        ("following", following),
        ("likes", likes),
        ("listed", listed),
    ):
        f[f"{name}_per_day"] = count / age
    f["follower_ratio"] = (followers + 1.0) / (following + 1.0)
    f["likes_per_post"] = likes / (posts + 1.0)
    f["listed_per_1k_followers"] = 1000.0 * listed / (followers + 1.0)
    f["default_profile"] = _num(table, "default_profile")
    f["default_image"] = _num(table, "default_image")
    description = _strings(table, "description")
    f["description_length"] = _floats_of(pc.utf8_length(description))
    f["description_has_url"] = _match(description, r"https?://|www\.", ("http", "www."))
    f["has_location"] = _present(_strings(table, "location"))
    f["has_url"] = _present(_strings(table, "url"))
    f["declares_bot"] = _declares_bot(table, description)
    handle = (
        local_handles if local_handles is not None else handle_local_part(_strings(table, "handle"))
    )
    hs = handle_stats(handle)
    f["handle_length"], f["handle_digits"] = hs["length"], hs["digits"]
    f["handle_trailing_digits"] = hs["trailing_digits"]
    f["handle_likelihood"] = bigrams.score(handle)
    ns = name_stats(_strings(table, "display_name"))
    f["name_length"], f["name_digits"], f["name_words"] = ns["length"], ns["digits"], ns["words"]
    _behaviour_features(table, f)
    out = np.empty((n, len(FEATURES)), dtype=np.float64, order="F")
    for j, name in enumerate(FEATURE_NAMES):
        out[:, j] = f[name]
    np.putmask(out, np.isinf(out), np.nan)  # NaN stays NaN; infinities become unknown
    return out


def _nulls(values: pa.Array) -> np.ndarray:
    return np.asarray(pc.is_null(values).to_numpy(zero_copy_only=False), dtype=bool)


def _match(values: pa.Array, pattern: str, needles: tuple[str, ...]) -> np.ndarray:
    """Case-insensitive regex match as 1/0 (NaN for null), run only on the strings that
    contain one of ``needles`` (ASCII literals every match contains): most bios contain
    none, so the regex engine sees a few strings instead of all."""
    out = np.where(_nulls(values), np.nan, 0.0)
    rows = np.flatnonzero(contains_ascii(values, needles))
    if len(rows):
        hit = pc.match_substring_regex(values.take(pa.array(rows)), pattern, ignore_case=True)
        out[rows] = np.asarray(pc.fill_null(hit, False).to_numpy(zero_copy_only=False), dtype=bool)
    return out


def _declares_bot(table: pa.Table, description: pa.Array) -> np.ndarray:
    """Platform bot flag, or 'bot' as a word in the bio or name, or a handle ending in bot."""
    word = r"(^|[^a-z])(ro)?bot([^a-z]|s\b|$)"
    hits = [
        _match(description, word, ("bot",)),
        _match(_strings(table, "display_name"), word, ("bot",)),
        _match(_strings(table, "handle"), r"bot(@|\.|$)|^bot_", ("bot",)),
    ]
    flag = _num(table, "bot_declared")
    known = np.zeros(table.num_rows, dtype=bool)
    found = flag == 1.0
    known |= ~np.isnan(flag)
    for h in hits:
        known |= ~np.isnan(h)
        found |= h == 1.0
    return np.where(found, 1.0, np.where(known, 0.0, np.nan))


def _behaviour_features(table: pa.Table, f: dict[str, np.ndarray]) -> None:
    n_posts = _num(table, "n_posts")
    f["posts_observed"] = n_posts
    f["repost_share"] = _share(_num(table, "n_reposts"), n_posts)
    f["reply_share"] = _share(_num(table, "n_replies"), n_posts)
    f["quote_share"] = _share(_num(table, "n_quotes"), n_posts)
    f["urls_per_post"] = _share(_num(table, "n_urls"), n_posts)
    f["mentions_per_post"] = _share(_num(table, "n_mentions"), n_posts)
    f["hashtags_per_post"] = _share(_num(table, "n_hashtags"), n_posts)
    f["client_count"] = _num(table, "n_clients")
    f["top_client_share"] = _num(table, "top_client_share")
    f["hour_entropy"] = _num(table, "hour_entropy")
    f["burstiness"] = _num(table, "burstiness")
    f["median_gap_s"] = _num(table, "median_gap_s")
    f["text_repetition"] = _num(table, "text_repetition")
    f["posts_per_active_day"] = _share(n_posts, _num(table, "active_days"))
