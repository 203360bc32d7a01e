"""Cohorts: accounts created in a burst that share a template, as operators make them.

Sockpuppets are registered in batches: within hours or days, with handles from one
generator (a name plus a fixed number of digits), copied names or bios, a default avatar
and the same posting client. ``CohortFinder`` looks for that: for each *trait key*

- the handle template (letters, bucketed by length, + exactly n digits, n >= 2),
- the same bio (lower-cased, trimmed, digits as 0, at least 12 characters),
- the same display name (lower-cased, at least 3 characters),
- a default avatar together with the same main client,

it sorts the accounts sharing the key by creation time and cuts a run wherever two
creations are more than ``burst_days`` apart. Runs of at least ``min_size`` accounts are
candidates; candidates sharing an account are merged. Each cohort's evidence says how
many members, over what creation span, and how many share each trait. Everything is
sorting and array arithmetic; Python only loops over the (few) cohorts found.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from limelight.detect.accounts._names import (
    handle_local_part,
    replace_ascii_digits,
    template_parts,
)

__all__ = ["CohortFinder", "CohortResult"]

_DAY_US = 86_400 * 1_000_000


@dataclass(slots=True)
class CohortResult:
    """Cohort of every account (``cohort_id`` null when none) and each cohort's evidence."""

    table: pa.Table
    cohorts: list[dict[str, Any]]
    params: dict[str, Any]


def _strings(table: pa.Table, name: str) -> pa.Array:
    if name not in table.column_names:
        return pa.nulls(table.num_rows, pa.string())
    col = table.column(name)
    return col.combine_chunks() if isinstance(col, pa.ChunkedArray) else col


class CohortFinder:
    """Find batches of accounts created together with shared templates.

    ``min_size=5``: fewer accounts sharing a template by chance is common in large
    collections; ``burst_days=2.0``: batches in the labelled spambot sets were registered
    over hours to a few days, while organic sign-ups sharing a template spread out.
    """

    def __init__(self, min_size: int = 5, burst_days: float = 2.0) -> None:
        self.min_size = min_size
        self.burst_days = burst_days

    def trait_keys(
        self, table: pa.Table, local_handles: pa.Array | None = None
    ) -> dict[str, pa.Array]:
        """The trait key of every account, per trait (null where the trait is absent).

        ``local_handles`` (``handle_local_part`` of the handles) if the caller has them.
        """
        handle = (
            local_handles
            if local_handles is not None
            else handle_local_part(_strings(table, "handle"))
        )
        n_letters, n_digits = template_parts(handle)
        none = n_letters < 0
        bucket = pa.array(n_letters // 4 * 4, pa.int64(), mask=none)
        digits = pa.array(n_digits, pa.int64(), mask=none)
        template = pc.binary_join_element_wise(
            pc.cast(bucket, pa.string()), pc.cast(digits, pa.string()), "+"
        )
        bio = pc.utf8_lower(_strings(table, "description"))
        bio = pc.utf8_trim_whitespace(replace_ascii_digits(bio))
        bio = pc.if_else(pc.greater_equal(pc.utf8_length(bio), 12), bio, None)
        name = pc.utf8_trim_whitespace(pc.utf8_lower(_strings(table, "display_name")))
        name = pc.if_else(pc.greater_equal(pc.utf8_length(name), 3), name, None)
        default = (
            _strings(table, "default_image") if "default_image" in table.column_names else None
        )
        client = _strings(table, "main_client")
        if default is not None and pa.types.is_boolean(default.type):
            img_client = pc.if_else(pc.fill_null(default, False), client, None)
        else:
            img_client = pa.nulls(table.num_rows, pa.string())
        return {
            "handle_template": template,
            "same_bio": bio,
            "same_name": name,
            "default_image_client": img_client,
        }

    def find(self, table: pa.Table, local_handles: pa.Array | None = None) -> CohortResult:
        """Cohorts of the accounts in ``table`` (platform, account_id, handle, created_at, ...).

        ``local_handles``: ``handle_local_part`` of the handles, if already computed.
        """
        n = table.num_rows
        created = table.column("created_at") if "created_at" in table.column_names else None
        t = (
            np.asarray(
                pc.cast(pc.cast(created, pa.timestamp("us", tz="UTC")), pa.int64()).to_numpy(
                    zero_copy_only=False
                ),
                dtype=np.float64,
            )
            if created is not None and n
            else np.full(n, np.nan)
        )
        keys = self.trait_keys(table, local_handles) if n else {}
        # Each trait is dictionary-encoded once, for the runs and for the evidence.
        encoded = {trait: pc.dictionary_encode(key) for trait, key in keys.items()}
        rows_parts, cand_parts, n_cand = [], [], 0
        for enc in encoded.values():
            rows, cand = self._runs(enc, t)
            rows_parts.append(rows)
            cand_parts.append(cand + n_cand)
            n_cand += int(cand.max()) + 1 if len(cand) else 0
        members = (
            (np.concatenate(rows_parts), np.concatenate(cand_parts), n_cand)
            if rows_parts
            else (np.zeros(0, np.int64), np.zeros(0, np.int64), 0)
        )
        label = self._merge(members, n)
        cohorts, member_rank = self._describe(label, t, encoded, table)
        sizes = np.array([0] + [c["size"] for c in cohorts], dtype=np.int64)
        # Accounts index their cohort's id and evidence (null for none): no per-row objects.
        none = member_rank < 0
        index = pa.array(np.where(none, 0, member_rank), pa.int32(), mask=none)

        def per_account(values: list[str]) -> pa.Array:
            words = pa.array(values or [""], pa.string())
            return pa.DictionaryArray.from_arrays(index, words).cast(pa.string())

        out = pa.table(
            {
                "platform": _strings(table, "platform"),
                "account_id": _strings(table, "account_id"),
                "cohort_id": per_account([c["cohort_id"] for c in cohorts]),
                "cohort_size": pa.array(sizes[member_rank + 1], pa.int64()),
                "cohort_evidence": per_account([c["evidence"] for c in cohorts]),
            }
        )
        params = {"min_size": self.min_size, "burst_days": self.burst_days}
        return CohortResult(out, cohorts, params)

    def _runs(self, enc: pa.DictionaryArray, t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Rows in burst runs of at least ``min_size`` accounts sharing a trait value
        (``enc``: the dictionary-encoded trait), with the run number (0, 1, ...) of each."""
        empty = np.zeros(0, np.int64)
        code = np.asarray(
            pc.fill_null(enc.indices, -1).to_numpy(zero_copy_only=False), dtype=np.int64
        )
        ok = np.flatnonzero((code >= 0) & ~np.isnan(t))
        if len(ok) < self.min_size:
            return empty, empty
        order = ok[np.lexsort((t[ok], code[ok]))]
        c, tt = code[order], t[order]
        new = np.ones(len(order), dtype=bool)
        new[1:] = (c[1:] != c[:-1]) | (np.diff(tt) > self.burst_days * _DAY_US)
        run = np.cumsum(new) - 1
        big = np.bincount(run) >= self.min_size
        keep = big[run]
        _, cand = np.unique(run[keep], return_inverse=True)
        return order[keep], cand.ravel().astype(np.int64)

    @staticmethod
    def _merge(members: tuple[np.ndarray, np.ndarray, int], n: int) -> np.ndarray:
        """Connected components of candidates sharing accounts (min-label propagation)."""
        rows, cand, n_cand = members
        label = np.full(n, -1, dtype=np.int64)
        if not n_cand:
            return label
        cand_label = np.arange(n_cand)
        while True:
            acc = np.full(n, np.iinfo(np.int64).max)
            np.minimum.at(acc, rows, cand_label[cand])
            new = cand_label.copy()
            np.minimum.at(new, cand, acc[rows])
            if np.array_equal(new, cand_label):
                break
            cand_label = new
        label[rows] = cand_label[cand]
        return label

    def _describe(
        self, label: np.ndarray, t: np.ndarray, keys: dict[str, pa.DictionaryArray], table: pa.Table
    ) -> tuple[list[dict[str, Any]], np.ndarray]:
        """Each cohort's size, span and most shared traits, largest first, and each
        account's cohort rank (-1 for none). Counting is vectorized over all cohorts."""
        n = len(label)
        member_rank = np.full(n, -1, dtype=np.int64)
        rows = np.flatnonzero(label >= 0)
        if not len(rows):
            return [], member_rank
        _, cl = np.unique(label[rows], return_inverse=True)
        n_c = int(cl.max()) + 1
        size = np.bincount(cl, minlength=n_c)
        first = np.full(n_c, np.inf)
        last = np.full(n_c, -np.inf)
        np.minimum.at(first, cl, t[rows])
        np.maximum.at(last, cl, t[rows])
        rank_order = np.lexsort((first, -size))
        rank = np.empty(n_c, dtype=np.int64)
        rank[rank_order] = np.arange(n_c)
        member_rank[rows] = rank[cl]
        shared = {trait: _most_shared(key, rows, cl, n_c) for trait, key in keys.items()}
        n_default: np.ndarray = np.zeros(n_c)
        if "default_image" in table.column_names:
            flag = pc.fill_null(pc.cast(table.column("default_image"), pa.float64()), 0.0)
            n_default = np.bincount(cl, weights=np.asarray(flag.to_numpy())[rows], minlength=n_c)
        days = {
            "first": _days(first),
            "last": _days(last),
        }
        out = []
        for r, c in enumerate(rank_order.tolist()):
            span = (last[c] - first[c]) / _DAY_US
            parts = [
                f"{size[c]} accounts created within {span:.1f} days "
                f"({days['first'][c]} to {days['last'][c]})"
            ]
            traits: dict[str, Any] = {}
            for trait, (value, count) in shared.items():
                if count[c] >= 2:
                    traits[trait] = {"value": value[c], "accounts": int(count[c])}
                    parts.append(_trait_words(trait, str(value[c]), int(count[c])))
            if n_default[c]:
                parts.append(f"{int(n_default[c])} with the default profile image")
            out.append(
                {
                    "cohort_id": f"cohort-{r + 1}",
                    "size": int(size[c]),
                    "span_days": round(span, 2),
                    "shared": traits,
                    "evidence": "; ".join(parts),
                }
            )
        return out, member_rank


def _days(us: np.ndarray) -> list[str]:
    """Calendar days (UTC) of microsecond times, as ISO strings."""
    return [str(d) for d in us.astype("int64").astype("datetime64[us]").astype("datetime64[D]")]


def _most_shared(
    enc: pa.DictionaryArray, rows: np.ndarray, cl: np.ndarray, n_c: int
) -> tuple[np.ndarray, np.ndarray]:
    """Per cohort, the most common value of a trait (``enc``, dictionary-encoded) among
    its members, and its count."""
    codes = np.asarray(pc.fill_null(enc.indices, -1).to_numpy(zero_copy_only=False), dtype=np.int64)
    words = np.array([*enc.dictionary.to_pylist(), None], dtype=object)
    c = codes[rows]
    ok = c >= 0
    pair = cl[ok] * (len(words)) + c[ok]
    uniq, counts = np.unique(pair, return_counts=True)
    cohort, code = uniq // len(words), uniq % len(words)
    best_count = np.zeros(n_c, dtype=np.int64)
    best_code = np.full(n_c, len(words) - 1)
    order = np.lexsort((-counts, cohort))  # per cohort, the largest count first
    head = np.ones(len(order), dtype=bool)
    head[1:] = cohort[order][1:] != cohort[order][:-1]
    best_count[cohort[order][head]] = counts[order][head]
    best_code[cohort[order][head]] = code[order][head]
    return words[best_code], best_count


def _trait_words(trait: str, value: str, count: int) -> str:
    if trait == "handle_template":
        letters, digits = value.split("+")
        return f"{count} with handles of {letters}-{int(letters) + 3} letters + {digits} digits"
    if trait == "same_bio":
        return f"{count} with the same bio ({value[:40]!r})"
    if trait == "same_name":
        return f"{count} with the same display name ({value!r})"
    return f"{count} with the default image posting from {value!r}"
