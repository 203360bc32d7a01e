"""Behaviours: what counts as "the same action", with the defaults each one starts from.

A behaviour turns posts into *actions* (``account_id``, ``item``, ``at``, ``post_id``): two
accounts co-act when they act on the same item within the time window. The defaults and
the reasons for them:

* window 60 s for the content behaviours: coordination-network-toolkit's README gives
  60 seconds as the default for every network type, and its worked examples use
  ``--time_window 60``; CooRTweet's ``detect_groups`` defaults to a stricter 10 s.
* window 10 s for ``fast-repost``: CooRTweet's default ``time_window`` (10 s); two accounts
  that both repost within 10 s of the original are within 10 s of each other.
* window 60 s for ``sync``, the width of its activity buckets (one minute, the finest
  resolution many archives keep, e.g. the IRA tweets' ``publish_date``).
* min_weight 2: coordination-network-toolkit's ``--min_edge_weight`` default, and
  CooRTweet's ``min_participation`` / ``min_repetition`` default. A single shared action is
  coincidence more often than not. ``sync`` uses 5: sharing a busy minute is common.
"""

from __future__ import annotations

from collections.abc import Mapping
from concurrent.futures import Executor, Future
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from limelight.detect.coordination import _sql
from limelight.detect.coordination._edges import ACTION_SCHEMA, run_pure_sql
from limelight.detect.coordination._layers import shared_actions
from limelight.detect.coordination._numbers import numbered
from limelight.detect.coordination._similar import near_duplicate_codes, shared_clusters
from limelight.errors import InputError
from limelight.store import Database

__all__ = [
    "BEHAVIOURS",
    "Behaviour",
    "actions",
    "get_behaviour",
    "shared_actions_of",
    "start_shared_actions",
]


@dataclass(frozen=True, slots=True)
class Behaviour:
    """One kind of co-action: its name, what it matches, its defaults and its options."""

    name: str
    summary: str
    window: float
    min_weight: int
    options: Mapping[str, bool | int | float | str] = field(default_factory=dict)
    columns: tuple[str, ...] = ("account_id", "post_id", "created_at", "kind")


def _behaviour(
    name: str,
    summary: str,
    window: float,
    min_weight: int = 2,
    columns: tuple[str, ...] = (),
    **options: bool | int | float | str,
) -> Behaviour:
    base = ("account_id", "post_id", "created_at", "kind")
    return Behaviour(name, summary, window, min_weight, MappingProxyType(options), base + columns)


_REGISTRY: dict[str, Behaviour] = {
    b.name: b
    for b in (
        _behaviour("co-repost", "reposted the same post", 60.0, columns=("ref_post_id",)),
        _behaviour(
            "co-text",
            "posted the same normalized text (not reposts)",
            60.0,
            columns=("text",),
            strip_urls=False,
            min_length=1,
        ),
        _behaviour(
            "co-url",
            "shared the same normalized URL (not in reposts)",
            60.0,
            columns=("urls",),
            by_domain=False,
        ),
        _behaviour(
            "co-domain",
            "shared links on the same web site (co-url with by_domain)",
            60.0,
            columns=("urls",),
        ),
        _behaviour(
            "co-hashtags",
            "used the same set of two or more hashtags",
            60.0,
            columns=("hashtags",),
            sequence=False,
            min_size=2,
        ),
        _behaviour("co-reply", "replied to the same post", 60.0, columns=("reply_to_post_id",)),
        _behaviour(
            "co-mention",
            "mentioned the same set of accounts",
            60.0,
            columns=("mentions",),
            min_size=1,
        ),
        _behaviour(
            "co-similar-text",
            "posted near-duplicate text (MinHash LSH) or paraphrases (method=embedding)",
            60.0,
            columns=("text",),
            method="minhash",
            threshold=0.8,
            shingle_size=1,
            min_tokens=5,
            num_perm=0,
            strip_urls=True,
            random_state=1,
            cosine=0.8,
            neighbours=10,
        ),
        _behaviour(
            "fast-repost",
            "reposted the same post within `delay` s of its creation",
            10.0,
            columns=("platform", "ref_post_id"),
            delay=10.0,
            snowflake=True,
        ),
        _behaviour(
            "sync",
            "were active in the same time bucket",
            60.0,
            min_weight=5,
            resolution=60.0,
            min_posts=10,
            max_accounts=1000,
        ),
    )
}

#: The allowed values of each text option.
CHOICES: dict[str, tuple[str, ...]] = {"method": ("minhash", "embedding")}

#: Every behaviour's name, in the order the documentation presents them.
BEHAVIOURS: tuple[str, ...] = tuple(_REGISTRY)


def get_behaviour(name: str) -> Behaviour:
    """The behaviour called ``name`` (underscores accepted for dashes), or an InputError."""
    key = name.strip().lower().replace("_", "-")
    try:
        return _REGISTRY[key]
    except KeyError:
        raise InputError(
            f"unknown behaviour {name!r}; choose one of {', '.join(BEHAVIOURS)}"
        ) from None


def resolve_options(behaviour: Behaviour, options: Mapping[str, Any]) -> dict[str, Any]:
    """The behaviour's defaults updated with ``options``, each checked against its type."""
    unknown = sorted(set(options) - set(behaviour.options))
    if unknown:
        allowed = ", ".join(behaviour.options) or "none"
        raise InputError(
            f"behaviour {behaviour.name!r} has no option {', '.join(unknown)}; "
            f"its options are: {allowed}"
        )
    resolved: dict[str, Any] = dict(behaviour.options)
    for key, value in options.items():
        default = behaviour.options[key]
        if isinstance(default, str):
            choices = CHOICES.get(key, ())
            if not isinstance(value, str) or value.strip().lower() not in choices:
                raise InputError(
                    f"option {key}={value!r} of {behaviour.name!r} must be one of "
                    f"{', '.join(choices)}"
                )
            resolved[key] = value.strip().lower()
            continue
        if isinstance(default, bool):
            ok = isinstance(value, bool)
        elif isinstance(default, int):
            ok = isinstance(value, int) and not isinstance(value, bool) and value >= 0
        else:
            ok = isinstance(value, int | float) and not isinstance(value, bool) and value >= 0
            value = float(value) if ok else value
        if not ok:
            raise InputError(
                f"option {key}={value!r} of {behaviour.name!r} must be a "
                f"{type(default).__name__} >= 0 like its default {default!r}"
            )
        resolved[key] = value
    if behaviour.name == "co-similar-text":
        if not 0 < resolved["threshold"] <= 1:
            raise InputError(f"threshold {resolved['threshold']} must be in (0, 1]; e.g. 0.8")
        if not 0 < resolved["cosine"] <= 1:
            raise InputError(f"cosine {resolved['cosine']} must be in (0, 1]; e.g. 0.8")
        if resolved["neighbours"] < 1:
            raise InputError(f"neighbours {resolved['neighbours']} must be 1 or more; e.g. 10")
    return resolved


def actions(
    db_or_posts: Database | pa.Table,
    behaviour: str,
    *,
    window: float | None = None,
    **options: Any,
) -> pa.Table:
    """The actions a behaviour sees in the posts: one row per (account, item, time, post).

    ``db_or_posts`` is a store (its ``posts`` table is read) or an Arrow table with the
    store's posts columns (those the behaviour needs). Options are the behaviour's own
    (see ``get_behaviour(name).options``); the result has ``ACTION_SCHEMA`` and feeds
    ``co_action_edges``. Rows come in no particular order. ``window`` (seconds; default
    the behaviour's) matters only to co-similar-text, which compares two texts only when
    they were posted close in time (within it for the embedding method; in the same or
    neighbouring window-wide time cells for MinHash).
    """
    spec = get_behaviour(behaviour)
    opts = resolve_options(spec, options)
    if isinstance(db_or_posts, pa.Table):
        missing = [c for c in spec.columns if c not in db_or_posts.column_names]
        if missing:
            raise InputError(
                f"the posts table lacks column(s) {', '.join(missing)} that {spec.name!r} "
                f"needs; give a table with the store's posts columns"
            )
    elif not isinstance(db_or_posts, Database):
        raise InputError(
            f"actions() takes a Database or an Arrow posts table, not {type(db_or_posts).__name__}"
        )
    if spec.name == "co-similar-text":
        rows, codes, names = _similar_codes(
            db_or_posts, opts, spec.window if window is None else window
        )
        rows = _with_items(rows, codes, codes >= 0, names)
    else:
        rows = _query(db_or_posts, _sql.ACTION_SQL[spec.name](opts))
    return _as_actions(rows)


def shared_actions_of(
    db_or_posts: Database | pa.Table,
    behaviour: str,
    *,
    window: float | None = None,
    ordered: bool = True,
    **options: Any,
) -> tuple[pa.Table, int]:
    """The behaviour's actions on items two or more accounts acted on, and all its actions' count.

    The same rows as ``shared_actions(actions(...))``, which is what campaigns work on,
    with ``actions(...).num_rows``, at a fraction of the memory. For a store and a
    behaviour whose items come from SQL alone, the cut runs in DuckDB: the actions go to
    a temporary table (which DuckDB can spill) and only the shared ones come out, sorted
    by account, post and item (an order that does not hang on how DuckDB split the
    work), so the millions of texts posted once never reach Python; at 10M generated
    posts the same cut in Arrow took 9.5 s and 2 GB for co-text. ``ordered=False`` skips
    that sort for a caller that does not depend on the order (the edge join does not:
    at 10M posts the sort cost co-repost's edges 0.7 s of 3.9). For co-similar-text the
    clusters are counted as numbers and only the kept rows get their item.
    """
    spec = get_behaviour(behaviour)
    if spec.name == "co-similar-text":
        opts = resolve_options(spec, options)
        rows, codes, names = _similar_codes(
            db_or_posts, opts, spec.window if window is None else window
        )
        return _shared_similar(rows, codes, names)
    if not isinstance(db_or_posts, Database):
        acts = actions(db_or_posts, spec.name, window=window, **options)
        return shared_actions(acts), acts.num_rows
    sql = _sql.ACTION_SQL[spec.name](resolve_options(spec, options))
    cur = db_or_posts.cursor()
    try:
        cur.execute(f"CREATE TEMP TABLE _limelight_actions AS {sql}")
        counted = cur.execute("SELECT count(*) FROM _limelight_actions").fetchall()
        order = "ORDER BY account_id, post_id, item, at_us" if ordered else ""
        rows = cur.sql(
            f"""
            SELECT * FROM _limelight_actions WHERE item IN (
                SELECT item FROM _limelight_actions GROUP BY item
                HAVING min(account_id) <> max(account_id))
            {order}
            """
        ).to_arrow_table()
        cur.execute("DROP TABLE _limelight_actions")
    finally:
        cur.close()
    return _as_actions(rows), int(counted[0][0])


def start_shared_actions(
    db_or_posts: Database | pa.Table,
    behaviour: str,
    pool: Executor,
    *,
    window: float | None = None,
    max_rows: int | None = None,
    **options: Any,
) -> Future[tuple[pa.Table, int]]:
    """``shared_actions_of``, with co-similar-text's MinHash clustering left running on ``pool``.

    The clustering is seconds to minutes of numpy that neither reads the store nor waits
    on DuckDB, so ``find_campaigns`` reads and joins the other behaviours meanwhile. The
    store is read and the texts numbered here, on the caller's thread: the store's
    connection is only ever used by one thread, and the rows as read, texts and all, are
    let go before the clustering starts (held by the pool's task, they took 0.5 GB more at
    10M generated posts). With more than ``max_rows`` candidate posts the clustering runs
    here too (what runs beside it adds its memory to the clustering's). Every other
    behaviour, and the embedding method, runs here and comes back as a future already done.
    """
    spec = get_behaviour(behaviour)
    opts = resolve_options(spec, options)
    done: Future[tuple[pa.Table, int]] = Future()
    if spec.name == "co-similar-text" and opts["method"] != "embedding":
        slim, names, index = _numbered_texts(
            _query(db_or_posts, _sql.similar_text_candidates(opts))
        )
        w = spec.window if window is None else window
        if max_rows is None or slim.num_rows <= max_rows:
            return pool.submit(_clustered_shared, slim, names, index, opts, w)
        done.set_result(_clustered_shared(slim, names, index, opts, w))
        return done
    done.set_result(shared_actions_of(db_or_posts, spec.name, window=window, **options))
    return done


def _clustered_shared(
    slim: pa.Table,
    names: pa.Array,
    index: pa.ChunkedArray | pa.Array,
    opts: dict[str, Any],
    window: float,
) -> tuple[pa.Table, int]:
    """MinHash clusters of numbered texts, then the rows in shared clusters (a pool's task)."""
    return _shared_similar(slim, _minhash_codes(names, index, slim, opts, window), names)


def _shared_similar(rows: pa.Table, codes: np.ndarray, names: pa.Array) -> tuple[pa.Table, int]:
    """co-similar-text's actions on clusters two or more accounts posted in, and its count."""
    shared = shared_clusters(codes, rows.column("account_id"))
    return _as_actions(_with_items(rows, codes, shared, names)), int((codes >= 0).sum())


def _similar_codes(
    source: Database | pa.Table, opts: dict[str, Any], window: float
) -> tuple[pa.Table, np.ndarray, pa.Array]:
    """co-similar-text's candidate rows (account, time and post, without their texts), each
    row's cluster number (-1 for none) and the clusters' items by number."""
    rows = _query(source, _sql.similar_text_candidates(opts))
    if opts["method"] == "embedding":
        from limelight.detect.coordination._paraphrase import paraphrase_items

        items = paraphrase_items(
            rows.column("item"),
            rows.column("at_us"),
            cosine=opts["cosine"],
            window=float(window),
            k=max(int(opts["neighbours"]), 1),
            min_tokens=int(opts["min_tokens"]),
        )
        names, index = numbered(items)
        codes = pc.fill_null(index, -1).to_numpy(zero_copy_only=False)
        return rows.drop_columns(["item"]), codes.astype(np.int64), names
    slim, names, index = _numbered_texts(rows)
    del rows
    return slim, _minhash_codes(names, index, slim, opts, window), names


def _numbered_texts(rows: pa.Table) -> tuple[pa.Table, pa.Array, pa.ChunkedArray | pa.Array]:
    """The rows without their texts, the distinct texts, and each row's text number.

    The texts are needed only until they are numbered: the other columns are copied out
    so that DuckDB's batches, texts and all, can go once the caller lets go of ``rows``
    (the batches share their memory, so dropping a column alone frees nothing).
    """
    texts = rows.column("item")
    slim = rows.drop_columns(["item"]).combine_chunks()
    names, index = numbered(texts)
    return slim, names, index


def _minhash_codes(
    names: pa.Array,
    index: pa.ChunkedArray | pa.Array,
    rows: pa.Table,
    opts: dict[str, Any],
    window: float,
) -> np.ndarray:
    """Each row's near-duplicate cluster number (-1 for none), by MinHash LSH."""
    return near_duplicate_codes(
        names,
        index,
        threshold=opts["threshold"],
        shingle_size=max(int(opts["shingle_size"]), 1),
        min_tokens=int(opts["min_tokens"]),
        num_perm=max(int(opts["num_perm"]), 16) if int(opts["num_perm"]) else None,
        random_state=int(opts["random_state"]),
        at_us=rows.column("at_us"),
        window=float(window),
    )


def _with_items(rows: pa.Table, codes: np.ndarray, keep: np.ndarray, names: pa.Array) -> pa.Table:
    """The rows at ``keep`` with their cluster's item."""
    kept = rows.filter(pa.array(keep))
    return kept.append_column("item", names.take(pa.array(codes[keep])))


def _query(source: Database | pa.Table, sql: str) -> pa.Table:
    if isinstance(source, Database):
        return source.arrow(sql)
    return run_pure_sql(sql, {"posts": source})


def _as_actions(rows: pa.Table) -> pa.Table:
    """Give the SQL's (account_id, item, at_us, post_id) the action schema's types."""
    at = rows.column("at_us").cast(pa.int64()).cast(pa.timestamp("us", tz="UTC"))
    return pa.Table.from_arrays(
        [
            rows.column("account_id").cast(pa.string()),
            rows.column("item").cast(pa.string()),
            at,
            rows.column("post_id").cast(pa.string()),
        ],
        schema=ACTION_SCHEMA,
    )
