"""Columnar reading of twarc2 response pages: Arrow parses the JSON, columns are mapped whole.

The row path decodes every page with orjson into Python dicts and builds a Post or an
Account object per tweet and user (``tweet_to_post``, ``user_to_account``), which caps a
process at about 15,000 records a second. Here Arrow's C++ JSON parser reads a block of
whole lines into typed columns, decoding only the fields the store keeps, and the page's
tweets and users are mapped to the store's tables with vectorized compute; only small
per-distinct-value work (URL normalization, hashtags, HTML entities, odd times) runs in
Python.

It must give exactly what the row path gives, so every line it cannot map plainly is read
by the row path, line by line, with the row path's reasons and line numbers:

- lines Arrow cannot parse against the schema (invalid JSON, a field of another type, a
  stream line whose ``data`` is one object, ...), found by splitting a failing block;
- lines holding ``null``, ``NaN`` or ``Infinity`` anywhere (JSON null and an absent key
  read the same in Arrow but not in the row path) or control bytes;
- pages that are not tweet pages (users, counts, errors, compliance), or whose tweets or
  users lack an id, give a mention without an id, a hashtag without a tag, an empty
  reference id, an unreadable time, or a retweet whose author must be read from its text.

One difference is left: a line nested more than 1,024 levels deep in fields the store does
not keep, which orjson refuses and Arrow reads. The records of all lines are then
deduplicated and merged as ``Batch`` does. The tests in
tests/test_columnar_json.py check that both paths leave the same store.
"""

from __future__ import annotations

import codecs
import io
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

import numpy as np
import numpy.typing as npt
import orjson
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.json as pj

from limelight._batch import dedupe_posts, merge_snapshots_table
from limelight.normalize import normalize_hashtag, normalize_url, tweet_text
from limelight.records import Account, Deletion, Post, Reject
from limelight.sources._base import JsonReader
from limelight.sources._columnar import ColumnarBlock, store_table
from limelight.sources._io import JsonUnit
from limelight.sources._read import records_of_value
from limelight.sources.twitter_v2 import api_time
from limelight.store import records_to_table
from limelight.store._schema import ARROW_SCHEMAS

__all__ = ["FLAT_SCHEMA", "PAGE_SCHEMA", "parse_twarc2_block"]

_S = pa.string()
_I = pa.int64()
_ENTITIES = pa.struct(
    [
        (
            "urls",
            pa.list_(
                pa.struct(
                    [
                        ("url", _S),
                        ("expanded_url", _S),
                        ("unwound_url", _S),
                        ("display_url", _S),
                        ("media_key", _S),
                    ]
                )
            ),
        ),
        ("hashtags", pa.list_(pa.struct([("tag", _S)]))),
        ("mentions", pa.list_(pa.struct([("id", _S)]))),
    ]
)
_TWEET = pa.struct(
    [
        ("id", _S),
        ("author_id", _S),
        ("author", pa.struct([("id", _S)])),
        ("created_at", _S),
        ("text", _S),
        ("lang", _S),
        ("conversation_id", _S),
        ("source", _S),
        ("in_reply_to_user_id", _S),
        ("edit_history_tweet_ids", pa.list_(_S)),
        (
            "public_metrics",
            pa.struct(
                [
                    ("retweet_count", _I),
                    ("reply_count", _I),
                    ("like_count", _I),
                    ("quote_count", _I),
                ]
            ),
        ),
        ("entities", _ENTITIES),
        ("note_tweet", pa.struct([("text", _S), ("entities", _ENTITIES)])),
        ("attachments", pa.struct([("media_keys", pa.list_(_S))])),
        ("referenced_tweets", pa.list_(pa.struct([("type", _S), ("id", _S)]))),
    ]
)
_USER = pa.struct(
    [
        ("id", _S),
        ("username", _S),
        ("name", _S),
        ("created_at", _S),
        ("description", _S),
        ("location", _S),
        ("url", _S),
        ("verified", pa.bool_()),
        ("profile_image_url", _S),
        (
            "public_metrics",
            pa.struct(
                [
                    ("followers_count", _I),
                    ("following_count", _I),
                    ("tweet_count", _I),
                    ("like_count", _I),
                    ("listed_count", _I),
                ]
            ),
        ),
        (
            "entities",
            pa.struct(
                [("url", pa.struct([("urls", pa.list_(pa.struct([("expanded_url", _S)])))]))]
            ),
        ),
    ]
)
#: The fields of a twarc2 page the store keeps; Arrow skips the others while parsing.
PAGE_SCHEMA = pa.schema(
    [
        ("data", pa.list_(_TWEET)),
        ("includes", pa.struct([("tweets", pa.list_(_TWEET)), ("users", pa.list_(_USER))])),
        ("__twarc", pa.struct([("retrieved_at", _S)])),
    ]
)


def _with(struct: pa.StructType, **changes: pa.DataType) -> pa.StructType:
    """A struct type with some fields' types replaced and others added."""
    fields = [pa.field(f.name, changes.pop(f.name, f.type)) for f in struct]
    return pa.struct(fields + [pa.field(k, v) for k, v in changes.items()])


_FLAT_ENTITIES = _with(_ENTITIES, mentions=pa.list_(_USER))
_FLAT_TWEET = _with(
    _TWEET,
    entities=_FLAT_ENTITIES,
    note_tweet=pa.struct([("text", _S), ("entities", _FLAT_ENTITIES)]),
    author=_USER,
    in_reply_to_user=_USER,
)
_FLAT_REF = _with(_FLAT_TWEET, type=_S)
#: The fields of a ``twarc2 flatten`` line the store keeps: the tweet, its referenced
#: tweets and the users expanded inline; ``data`` and the v1.1 keys only to tell such lines
#: apart (the row path reads them).
FLAT_SCHEMA = pa.schema(
    [
        *((f.name, f.type) for f in _with(_FLAT_TWEET, referenced_tweets=pa.list_(_FLAT_REF))),
        ("__twarc", pa.struct([("retrieved_at", _S)])),
        ("data", pa.list_(pa.struct([("id", _S)]))),
        ("id_str", _S),
        ("full_text", _S),
        ("user", pa.struct([("id_str", _S)])),
        ("retweeted_status", pa.struct([("id_str", _S)])),
    ]
)


# Lines holding these take the row path: null reads like an absent key in Arrow, and
# Arrow's parser takes NaN and Infinity where orjson refuses them.
_ROW_ONLY = (b"null", b"NaN", b"Infinity")
_MEDIA_HOSTS = ("pic.twitter.com/", "pic.x.com/")
_ISO_Z = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\.[0-9]{1,6})?Z$"
_TS = pa.timestamp("us", tz="UTC")
_MAX_RAW = 1 << 20


def parse_twarc2_block(
    reader: JsonReader,
    others: Sequence[JsonReader],
    data: bytes,
    *,
    first_line: int,
    source: str,
) -> ColumnarBlock | None:
    """Read a block of whole twarc2 JSONL lines column-wise; None: use the row path.

    ``first_line`` is the file line the block starts on; ``others`` are the readers the
    row path offers a line that ``reader`` does not match (none when the format was forced).
    """
    if reader.options.keep_raw or not data or data.startswith(codecs.BOM_UTF8):
        return None
    if not _row_path_reads_lines(data):
        return None
    lines = _Lines(data)
    fast: list[int] = []
    slow: list[int] = []
    tables: list[pa.Table] = []
    parsed: list[int] = []
    flat = reader.name == "twarc2-flat"
    schema = FLAT_SCHEMA if flat else PAGE_SCHEMA
    if lines.plain():
        _parse_lines(lines, list(range(len(lines))), schema, tables, parsed, slow)
    else:
        for i in range(len(lines)):
            s = lines[i].strip()
            if not s:
                continue  # blank lines hold no record on either path
            if s[:1] == b"{" and s[-1:] == b"}" and _plain_bytes(s):
                fast.append(i)
            else:
                slow.append(i)
        _parse_lines(lines, fast, schema, tables, parsed, slow)
    posts = [ARROW_SCHEMAS["posts"].empty_table()]
    accounts = [ARROW_SCHEMAS["accounts"].empty_table()]
    if parsed:
        pages = pa.concat_tables(tables) if len(tables) > 1 else tables[0]
        line_no = np.asarray(parsed, dtype=np.int64) + first_line
        mapper = _map_flat if flat else _map_pages
        mapped = mapper(pages, line_no, reader.platform, source)
        keep = ~mapped.slow_rows
        slow.extend(np.asarray(parsed, dtype=np.int64)[mapped.slow_rows].tolist())
        if keep.all():
            posts.append(mapped.posts)
            accounts.append(mapped.accounts)
        else:
            ok_lines = pa.array(line_no[keep], pa.int64())
            posts.append(_rows_of_lines(mapped.posts, ok_lines))
            accounts.append(_rows_of_lines(mapped.accounts, ok_lines))
    slow.sort()
    slow_posts: list[Post] = []
    slow_accounts: list[Account] = []
    deletions: dict[tuple[str, str], Deletion] = {}
    rejects: list[Reject] = []
    dups = 0
    for i in slow:
        for rec in _row_line(reader, others, lines[i], first_line + i, source):
            if isinstance(rec, Post):
                slow_posts.append(rec)
            elif isinstance(rec, Account):
                slow_accounts.append(rec)
            elif isinstance(rec, Deletion):
                key = (rec.platform, rec.post_id)
                if key in deletions:
                    dups += 1
                else:
                    deletions[key] = rec
            else:
                rejects.append(rec)
    if slow_posts:
        posts.append(records_to_table(slow_posts, "posts"))
    if slow_accounts:
        accounts.append(records_to_table(slow_accounts, "accounts"))
    all_posts = _in_line_order(pa.concat_tables(posts))
    all_accounts = _in_line_order(pa.concat_tables(accounts))
    kept_posts, post_dups = dedupe_posts(all_posts)
    read = all_posts.num_rows + len(deletions) + dups + len(rejects)
    return ColumnarBlock(
        posts=kept_posts,
        accounts=merge_snapshots_table(all_accounts),
        deletions=records_to_table(list(deletions.values()), "deletions"),
        rejects=records_to_table(rejects, "rejects"),
        read=read,
        account_snapshots=all_accounts.num_rows,
        duplicates=post_dups + dups,
    )


def _row_path_reads_lines(data: bytes) -> bool:
    """Whether the row path reads this block line by line (not as an array or one
    pretty-printed object, which it decides from the first lines)."""
    head = data[: 256 * 1024].lstrip()
    if head[:1] != b"{":
        return False
    probe = head.split(b"\n", 6)[:6]
    if len(probe) > 2:
        for line in probe[:-1]:
            try:
                orjson.loads(line)
            except orjson.JSONDecodeError:
                continue
            return True
        return False
    return True


class _Lines:
    """The lines of a block (without their line breaks), cut only when asked for."""

    __slots__ = ("breaks", "data", "ends", "starts")

    def __init__(self, data: bytes) -> None:
        self.data = data
        breaks = np.flatnonzero(np.frombuffer(data, dtype=np.uint8) == 10)
        self.breaks = len(breaks)
        starts = np.concatenate(([0], breaks + 1))
        ends = np.concatenate((breaks, [len(data)]))
        if starts[-1] == len(data):  # the block ends with a line break
            starts, ends = starts[:-1], ends[:-1]
        self.starts, self.ends = starts, ends

    def __len__(self) -> int:
        return len(self.starts)

    def __getitem__(self, i: int) -> bytes:
        return self.data[int(self.starts[i]) : int(self.ends[i])]

    def plain(self) -> bool:
        """Whether every line is one bare object ('{' first, '}' last) and the block holds
        nothing that only the row path reads right."""
        if not len(self) or not _plain_bytes(self.data, self.breaks):
            return False
        arr = np.frombuffer(self.data, dtype=np.uint8)
        if np.any(self.ends <= self.starts):
            return False
        return bool(np.all(arr[self.starts] == ord("{")) and np.all(arr[self.ends - 1] == ord("}")))

    def payload(self, idx: list[int]) -> bytes:
        if len(idx) == len(self) and (not idx or (idx[0] == 0 and idx[-1] == len(self) - 1)):
            return self.data
        return b"\n".join(self[i] for i in idx)


def _plain_bytes(s: bytes, breaks: int | None = None) -> bool:
    """No null, NaN or Infinity, no control bytes but line breaks, valid UTF-8.

    ``breaks``: the count of line breaks in ``s``, when the caller has it."""
    if _has_row_only_words(s):
        return False
    if breaks is None:
        breaks = s.count(b"\n")
    if np.count_nonzero(np.frombuffer(s, dtype=np.uint8) < 0x20) != breaks:
        return False
    if s.isascii():
        return True
    try:  # Arrow's parser lets invalid UTF-8 through into strings; orjson refuses it
        s.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _has_row_only_words(s: bytes) -> bool:
    """Whether ``s`` holds ``null``, ``NaN`` or ``Infinity`` anywhere (in strings too).

    Found from the positions of one byte of each word, checked against its neighbours:
    three times faster than three substring searches, which stop at every 'n' and 'l'."""
    a = np.frombuffer(s, dtype=np.uint8)
    if len(a) < 3:
        return False
    at = np.flatnonzero(a[1:-2] == ord("u")) + 1
    if len(at) and bool(
        np.any((a[at - 1] == ord("n")) & (a[at + 1] == ord("l")) & (a[at + 2] == ord("l")))
    ):
        return True
    at = np.flatnonzero(a[:-2] == ord("N"))
    if len(at) and bool(np.any((a[at + 1] == ord("a")) & (a[at + 2] == ord("N")))):
        return True
    rest = b"nfinity"
    at = np.flatnonzero(a[: -len(rest)] == ord("I"))
    if len(at):
        found = np.ones(len(at), dtype=bool)
        for k, byte in enumerate(rest, 1):
            found &= a[at + k] == byte
        return bool(found.any())
    return False


def _parse_lines(
    lines: _Lines,
    idx: list[int],
    schema: pa.Schema,
    tables: list[pa.Table],
    parsed: list[int],
    slow: list[int],
) -> None:
    """Parse the lines ``idx`` with Arrow; a failing group is halved until its bad lines
    stand alone, and those go to ``slow``."""
    if not idx:
        return
    payload = lines.payload(idx)
    try:
        table = pj.read_json(
            io.BytesIO(payload),
            read_options=pj.ReadOptions(use_threads=False, block_size=len(payload) + 64),
            parse_options=pj.ParseOptions(
                explicit_schema=schema, unexpected_field_behavior="ignore"
            ),
        )
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, UnicodeDecodeError):
        table = None
    if table is not None and table.num_rows == len(idx):
        tables.append(table)
        parsed.extend(idx)
        return
    if len(idx) == 1:
        slow.append(idx[0])
        return
    half = len(idx) // 2
    _parse_lines(lines, idx[:half], schema, tables, parsed, slow)
    _parse_lines(lines, idx[half:], schema, tables, parsed, slow)


def _row_line(
    reader: JsonReader, others: Sequence[JsonReader], line: bytes, lineno: int, source: str
) -> list[Post | Account | Deletion | Reject]:
    """One line read exactly as the row path (``read_json_units``) reads it."""
    if not line.strip():
        return []
    try:
        value = orjson.loads(line)
    except orjson.JSONDecodeError as exc:
        raw = line[:_MAX_RAW].decode("utf-8", "replace").rstrip("\r\n")
        return [Reject(source, lineno, f"invalid JSON: {exc}", raw, reader.name)]
    unit = JsonUnit(lineno, value, line)
    out: list[Post | Account | Deletion | Reject] = []
    for v in value if isinstance(value, list) else [value]:
        out.extend(records_of_value(reader, others, v, lineno, unit, source))
    return out


def _rows_of_lines(table: pa.Table, lines: pa.Array) -> pa.Table:
    if not table.num_rows:
        return table
    return table.filter(pc.is_in(table.column("source_line"), value_set=lines))


def _in_line_order(table: pa.Table) -> pa.Table:
    # Stable: the records of one line keep their order.
    if table.num_rows < 2:
        return table
    column = table.column("source_line")
    lines = np.asarray(column.to_numpy(), dtype=np.int64) if not column.null_count else None
    if lines is not None and bool(np.all(lines[1:] >= lines[:-1])):
        return table  # already in order: a block the column-wise path read whole
    order = pc.sort_indices(table, sort_keys=[("source_line", "ascending")])
    return table.take(order)


# -- mapping pages ---------------------------------------------------------------------------


class _Mapped:
    __slots__ = ("accounts", "posts", "slow_rows")

    def __init__(self, posts: pa.Table, accounts: pa.Table, slow_rows: npt.NDArray[np.bool_]):
        self.posts = posts
        self.accounts = accounts
        self.slow_rows = slow_rows


def _np(array: pa.Array | pa.ChunkedArray) -> npt.NDArray[Any]:
    return np.asarray(array.to_numpy(zero_copy_only=False))


def _bool(array: pa.Array | pa.ChunkedArray) -> npt.NDArray[np.bool_]:
    return np.asarray(pc.fill_null(array, False).to_numpy(zero_copy_only=False), dtype=bool)


def _truthy(array: pa.Array) -> npt.NDArray[np.bool_]:
    """Python truthiness of a string column: neither null nor empty."""
    return _bool(pc.greater(pc.utf8_length(array), 0))


def _field(struct: pa.Array, name: str) -> pa.Array:
    """A struct's child, null where the struct is null."""
    return pc.struct_field(struct, name)


def _flat(lists: pa.Array) -> tuple[pa.Array, npt.NDArray[np.int64]]:
    """A list column's values and, for each, the row it belongs to."""
    values = pc.list_flatten(lists)
    parents = np.asarray(pc.list_parent_indices(lists).to_numpy(), dtype=np.int64)
    return values, parents


def _lists(values: pa.Array, parents: npt.NDArray[np.int64], n: int) -> pa.Array:
    """A list column of n rows from values and their (non-decreasing) row indices."""
    counts = np.bincount(parents, minlength=n) if len(parents) else np.zeros(n, np.int64)
    offsets = np.concatenate(([0], np.cumsum(counts))).astype(np.int32)
    return pa.ListArray.from_arrays(pa.array(offsets, pa.int32()), values)


def _per_distinct(values: pa.Array, fn: Callable[[str], Any], type_: pa.DataType) -> pa.Array:
    """``fn`` applied once per distinct value (nulls stay null)."""
    if not len(values):
        return pa.array([], type_)
    distinct = pc.unique(values)
    mapped = pa.array([None if v is None else fn(v) for v in distinct.to_pylist()], type_)
    return mapped.take(pc.index_in(values, distinct))


def _times(values: pa.Array) -> tuple[pa.Array, npt.NDArray[np.bool_]]:
    """``api_time`` of every value, and the rows where it raises (left to the row path).

    Times in the API's own form are cast by Arrow; the others go through ``api_time`` once
    per distinct value.
    """
    n = len(values)
    bad = np.zeros(n, dtype=bool)
    if not n:
        return pa.array([], _TS), bad
    plain = _bool(pc.match_substring_regex(values, _ISO_Z))
    out: pa.Array | None = None
    if plain.all():
        try:
            out = values.cast(_TS)
        except pa.ArrowInvalid:
            out = None
    if out is not None:
        return out, bad
    errors: set[str] = set()

    def one(v: str) -> datetime | None:
        try:
            return api_time(v)
        except (ValueError, TypeError, OverflowError):
            errors.add(v)
            return None

    out = _per_distinct(values, one, _TS)
    if errors:
        bad = _bool(pc.is_in(values, value_set=pa.array(sorted(errors), _S)))
    return out, bad


def _map_pages(
    pages: pa.Table, line_no: npt.NDArray[np.int64], platform: str, source: str
) -> _Mapped:
    """Map parsed pages (one row per line) to posts and accounts tables; mark the rows
    (lines) the row path must read instead."""
    rows = pages.num_rows
    slow = np.zeros(rows, dtype=bool)
    data = pages.column("data").combine_chunks()
    includes = pages.column("includes").combine_chunks()
    twarc = pages.column("__twarc").combine_chunks()

    # A tweets page: data is a non-empty list whose first item has text, author_id or
    # edit_history_tweet_ids; anything else (users, counts, lists pages) is the row path's.
    lengths = _np(pc.fill_null(pc.list_value_length(data), 0))
    slow |= lengths == 0
    firsts = pc.list_element(pc.if_else(pa.array(lengths > 0), data, pa.nulls(rows, data.type)), 0)
    tweet_page = (
        _bool(pc.is_valid(_field(firsts, "text")))
        | _bool(pc.is_valid(_field(firsts, "author_id")))
        | _bool(pc.is_valid(_field(firsts, "edit_history_tweet_ids")))
    )
    slow |= ~tweet_page

    seen_raw = _field(twarc, "retrieved_at")
    seen_at, seen_bad = _times(seen_raw)
    slow |= seen_bad

    d_tweets, d_row = _flat(data)
    i_tweets, i_row = _flat(_field(includes, "tweets"))
    users, u_row = _flat(_field(includes, "users"))
    for tweets, parent in ((d_tweets, d_row), (i_tweets, i_row), (users, u_row)):
        missing = ~_bool(pc.is_valid(_field(tweets, "id")))
        slow[parent[missing]] = True

    # Referenced tweets from includes are posts of their own, unless also in data.
    d_ids = _field(d_tweets, "id").to_pylist()
    i_ids = _field(i_tweets, "id").to_pylist()
    own = set(zip(d_row.tolist(), d_ids, strict=True))
    i_rows = i_row.tolist()
    i_keep = np.fromiter(
        ((r, t) not in own for r, t in zip(i_rows, i_ids, strict=True)),
        dtype=bool,
        count=len(i_ids),
    )
    # The author of each tweet id on a page: includes first, then data (data wins).
    authors: dict[tuple[int, str], str | None] = {}
    for r, t, a in zip(i_rows, i_ids, _field(i_tweets, "author_id").to_pylist(), strict=True):
        authors[(r, t)] = a
    for r, t, a in zip(
        d_row.tolist(), d_ids, _field(d_tweets, "author_id").to_pylist(), strict=True
    ):
        authors[(r, t)] = a

    tweets = pa.concat_arrays([d_tweets, i_tweets.filter(pa.array(i_keep))])
    t_row = np.concatenate([d_row, i_row[i_keep]])
    # File order: per page its data tweets, then its referenced tweets.
    order = np.argsort(t_row, kind="stable")
    tweets = tweets.take(pa.array(order, pa.int64()))
    t_row = t_row[order]
    posts, t_slow = _map_tweets(tweets, t_row, authors, platform)
    slow[t_row[t_slow]] = True
    n = len(tweets)
    posts["source_file"] = pa.repeat(pa.scalar(source, _S), n)
    posts["source_line"] = pa.array(line_no[t_row], pa.int64())

    accounts, a_slow = _map_users(users, seen_at.take(pa.array(u_row, pa.int64())), platform)
    slow[u_row[a_slow]] = True
    accounts["source_file"] = pa.repeat(pa.scalar(source, _S), len(users))
    accounts["source_line"] = pa.array(line_no[u_row], pa.int64())
    return _Mapped(
        store_table("posts", posts, n), store_table("accounts", accounts, len(users)), slow
    )


def _map_flat(
    lines: pa.Table, line_no: npt.NDArray[np.int64], platform: str, source: str
) -> _Mapped:
    """Map parsed ``twarc2 flatten`` lines (one tweet each) to posts and accounts tables,
    as ``Twarc2FlatReader.parse``; mark the lines the row path must read instead."""
    rows = lines.num_rows
    slow = np.zeros(rows, dtype=bool)
    main = pa.StructArray.from_arrays(
        [c.combine_chunks() for c in lines.columns], names=lines.column_names
    )

    # A flattened tweet (user lines, pages, v1.1 tweets and the rest are the row path's).
    def valid(name: str) -> npt.NDArray[np.bool_]:
        return _bool(pc.is_valid(_field(main, name)))

    slow |= ~valid("text") | ~valid("id")
    slow |= ~(
        valid("author_id") | valid("edit_history_tweet_ids") | valid("author") | valid("__twarc")
    )
    for name in ("data", "id_str", "full_text", "user", "retweeted_status"):
        slow |= valid(name)
    seen_at, seen_bad = _times(_field(_field(main, "__twarc"), "retrieved_at"))
    slow |= seen_bad

    # Referenced tweets with text are posts of their own, after the tweet.
    refs, r_row = _flat(_field(main, "referenced_tweets"))
    full = _bool(pc.is_valid(_field(refs, "text")))
    refs, r_row = refs.filter(pa.array(full)), r_row[full]
    slow[r_row[~_bool(pc.is_valid(_field(refs, "id")))]] = True
    authors: dict[tuple[int, str], str | None] = {}
    for r, t, a in zip(
        r_row.tolist(),
        _field(refs, "id").to_pylist(),
        _field(refs, "author_id").to_pylist(),
        strict=True,
    ):
        authors[(r, t)] = a
    m_row = np.arange(rows, dtype=np.int64)
    main_cols, main_slow = _map_tweets(main, m_row, authors, platform)
    ref_cols, ref_slow = _map_tweets(refs, r_row, authors, platform)
    slow[main_slow] = True
    slow[r_row[ref_slow]] = True
    posts = pa.concat_tables(
        [
            store_table("posts", main_cols, rows),
            store_table("posts", ref_cols, len(refs)),
        ]
    )
    t_row = np.concatenate([m_row, r_row])
    order = np.argsort(t_row, kind="stable")
    posts = posts.take(pa.array(order, pa.int64()))
    t_row = t_row[order]
    n = posts.num_rows
    posts = posts.set_column(
        posts.schema.get_field_index("source_file"),
        "source_file",
        pa.repeat(pa.scalar(source, _S), n),
    ).set_column(
        posts.schema.get_field_index("source_line"),
        "source_line",
        pa.array(line_no[t_row], pa.int64()),
    )

    # Users expanded inline, first seen first: per tweet (the tweet, then each referenced
    # one) its author, its reply target, then the mentions given as whole user objects.
    users: list[pa.Array] = []
    keys: list[npt.NDArray[np.int64]] = []
    tweet_sets = ((main, m_row, np.zeros(rows, np.int64)), (refs, r_row, np.arange(len(refs)) + 1))
    for tweets, t_rows, t_seq in tweet_sets:
        for sub, name in enumerate(("author", "in_reply_to_user")):
            user = _field(tweets, name)
            has = _bool(pc.is_valid(_field(user, "id")))
            users.append(user.filter(pa.array(has)))
            keys.append(np.stack([t_rows[has], t_seq[has], np.full(has.sum(), sub)], axis=1))
        mentions, parent = _flat(_field(_field(tweets, "entities"), "mentions"))
        has = _bool(pc.is_valid(_field(mentions, "id"))) & _bool(
            pc.is_valid(_field(mentions, "name"))
        )
        users.append(mentions.filter(pa.array(has)))
        keys.append(
            np.stack([t_rows[parent[has]], t_seq[parent[has]], 2 + np.flatnonzero(has)], axis=1)
        )
    user_array = pa.concat_arrays([u.cast(_USER) for u in users])
    key = np.concatenate(keys)
    order = np.lexsort((key[:, 2], key[:, 1], key[:, 0]))
    user_array = user_array.take(pa.array(order, pa.int64()))
    u_row = key[order, 0]
    # First of each id on a line wins (setdefault).
    seen: set[tuple[int, str]] = set()
    first = np.zeros(len(u_row), dtype=bool)
    for j, k in enumerate(zip(u_row.tolist(), _field(user_array, "id").to_pylist(), strict=True)):
        if k not in seen:
            seen.add(k)
            first[j] = True
    user_array = user_array.filter(pa.array(first))
    u_row = u_row[first]
    accounts, a_slow = _map_users(user_array, seen_at.take(pa.array(u_row, pa.int64())), platform)
    slow[u_row[a_slow]] = True
    accounts["source_file"] = pa.repeat(pa.scalar(source, _S), len(user_array))
    accounts["source_line"] = pa.array(line_no[u_row], pa.int64())
    return _Mapped(posts, store_table("accounts", accounts, len(user_array)), slow)


def _map_tweets(
    tweets: pa.Array,
    rows: npt.NDArray[np.int64],
    authors: dict[tuple[int, str], str | None],
    platform: str,
) -> tuple[dict[str, pa.Array], npt.NDArray[np.bool_]]:
    """The posts columns of flattened tweets (as ``tweet_to_post``), and the tweets whose
    page the row path must read."""
    n = len(tweets)
    slow = np.zeros(n, dtype=bool)
    ids = _field(tweets, "id")
    text = _field(tweets, "text")

    # References: the last of each type wins, as in tweet_to_post's loop.
    refs, ref_parent = _flat(_field(tweets, "referenced_tweets"))
    ref_type = _field(refs, "type")
    ref_id = _field(refs, "id")
    slow[ref_parent[_bool(pc.equal(ref_id, ""))]] = True
    found: dict[str, pa.Array] = {}
    for typ in ("retweeted", "quoted", "replied_to"):
        hit = _bool(pc.equal(ref_type, typ))
        last = np.full(n, -1, dtype=np.int64)
        np.maximum.at(last, ref_parent[hit], np.flatnonzero(hit))
        idx = pa.array(np.where(last >= 0, last, 0), pa.int64(), mask=last < 0)
        found[typ] = ref_id.take(idx) if len(ref_id) else pa.nulls(n, _S)
    retweeted, quoted, replied = found["retweeted"], found["quoted"], found["replied_to"]
    is_rt, is_qt, is_rp = (_bool(pc.is_valid(a)) for a in (retweeted, quoted, replied))
    kind = np.where(is_rt, "repost", np.where(is_qt, "quote", np.where(is_rp, "reply", "original")))
    ref_post = pc.if_else(pa.array(is_rt), retweeted, quoted)

    row_list = rows.tolist()
    ref_list = ref_post.to_pylist()
    ref_account = [
        authors.get((r, p)) if p else None for r, p in zip(row_list, ref_list, strict=True)
    ]
    # A retweet whose author the page does not give: the row path reads it from the text.
    missing = np.fromiter((not a for a in ref_account), dtype=bool, count=n)
    rt_text = _bool(pc.starts_with(text, "RT @"))
    slow |= is_rt & missing & rt_text
    # Otherwise that lookup finds nothing: an empty author id becomes None.
    for j in np.flatnonzero(is_rt & missing).tolist():
        ref_account[j] = None
    in_reply = _field(tweets, "in_reply_to_user_id")
    in_reply_ok = _truthy(in_reply)
    reply_list = replied.to_pylist()
    reply_account = pc.if_else(
        pa.array(in_reply_ok),
        in_reply,
        pa.array(
            [authors.get((r, p)) if p else None for r, p in zip(row_list, reply_list, strict=True)],
            _S,
        ),
    )
    reply_account = pc.if_else(pa.array(is_rp), reply_account, pa.scalar(None, _S))

    # A long tweet's note_tweet text and entities replace the truncated ones.
    note = _field(tweets, "note_tweet")
    note_text = _field(note, "text")
    body = pc.if_else(pa.array(_truthy(note_text)), note_text, text)
    amp = _bool(pc.match_substring(body, "&"))
    if amp.any():
        body = _replace_where(body, amp, tweet_text)
    note_entities = _field(note, "entities")
    note_has = _bool(pc.is_valid(note_entities))
    note_named = np.zeros(n, dtype=bool)
    for name in ("urls", "hashtags", "mentions"):
        note_named |= _bool(pc.is_valid(_field(note_entities, name)))
    # {} and {"other": ...} both read as a struct of nulls here, but only one is falsy.
    slow |= note_has & ~note_named
    entities = pc.if_else(
        pa.array(note_has & note_named), note_entities, _field(tweets, "entities")
    )

    urls, url_slow = _entity_urls(_field(entities, "urls"), ids, n)
    slow |= url_slow
    tags, tag_parent = _flat(_field(entities, "hashtags"))
    tag = _field(tags, "tag")
    slow[tag_parent[~_bool(pc.is_valid(tag))]] = True
    hashtags = _lists(_per_distinct(tag, normalize_hashtag, _S), tag_parent, n)
    mentions, m_parent = _flat(_field(entities, "mentions"))
    mention_id = _field(mentions, "id")
    slow[m_parent[~_truthy(mention_id)]] = True
    mention_lists = _lists(mention_id, m_parent, n)
    keys, k_parent = _flat(_field(_field(tweets, "attachments"), "media_keys"))
    media = _lists(keys, k_parent, n)

    created, created_bad = _times(_field(tweets, "created_at"))
    slow |= created_bad
    author_id = _field(tweets, "author_id")
    account_id = pc.if_else(
        pa.array(_truthy(author_id)), author_id, _field(_field(tweets, "author"), "id")
    )
    metrics = _field(tweets, "public_metrics")
    columns = {
        "platform": pa.repeat(pa.scalar(platform, _S), n),
        "post_id": ids,
        "account_id": account_id,
        "created_at": created,
        "text": body,
        "lang": _field(tweets, "lang"),
        "kind": pa.array(kind, _S),
        "ref_post_id": ref_post,
        "ref_account_id": pa.array(ref_account, _S),
        "reply_to_post_id": replied,
        "reply_to_account_id": reply_account,
        "conversation_id": _field(tweets, "conversation_id"),
        "client": _field(tweets, "source"),
        "urls": urls,
        "hashtags": hashtags,
        "mentions": mention_lists,
        "media": media,
        "like_count": _field(metrics, "like_count"),
        "repost_count": _field(metrics, "retweet_count"),
        "reply_count": _field(metrics, "reply_count"),
        "quote_count": _field(metrics, "quote_count"),
    }
    return columns, slow


def _replace_where(
    values: pa.Array, where: npt.NDArray[np.bool_], fn: Callable[[str], Any]
) -> pa.Array:
    """``values`` with ``fn`` applied (once per distinct value) where ``where`` is set."""
    picked = values.filter(pa.array(where))
    changed = _per_distinct(picked, fn, _S)
    idx = np.cumsum(where) - 1
    spread = changed.take(pa.array(np.where(where, idx, 0), pa.int64()))
    return pc.if_else(pa.array(where), spread, values)


def _entity_urls(lists: pa.Array, ids: pa.Array, n: int) -> tuple[pa.Array, npt.NDArray[np.bool_]]:
    """``entity_urls`` of every tweet: shared links, unwound or expanded, normalized,
    without links to the tweet itself or its media."""
    slow = np.zeros(n, dtype=bool)
    items, parent = _flat(lists)
    if not len(items):
        return _lists(pa.array([], _S), parent, n), slow
    keep = ~_bool(pc.is_valid(_field(items, "media_key")))
    keep &= ~_bool(pc.starts_with(_field(items, "display_url"), _MEDIA_HOSTS[0]))
    keep &= ~_bool(pc.starts_with(_field(items, "display_url"), _MEDIA_HOSTS[1]))
    link = _field(items, "unwound_url")
    for name in ("expanded_url", "url"):
        other = _field(items, name)
        link = pc.if_else(pa.array(_truthy(link)), link, other)
    keep &= _truthy(link)
    link = link.filter(pa.array(keep))
    parent = parent[keep]
    normalized, failed = _normalized_urls(link)
    if failed:
        bad = _bool(pc.is_in(link, value_set=pa.array(sorted(failed), _S)))
        slow[parent[bad]] = True
    # A link to the tweet's own status page or to its media is Twitter's, not the author's.
    suspect = (
        _bool(pc.match_substring(normalized, "/status/"))
        | _bool(pc.starts_with(normalized, _MEDIA_HOSTS[0]))
        | _bool(pc.starts_with(normalized, _MEDIA_HOSTS[1]))
    )
    drop = np.zeros(len(normalized), dtype=bool)
    if suspect.any():
        where = np.flatnonzero(suspect)
        links = normalized.take(pa.array(where, pa.int64())).to_pylist()
        tids = ids.take(pa.array(parent[where], pa.int64())).to_pylist()
        for j, u, t in zip(where.tolist(), links, tids, strict=True):
            if u is not None and (u.startswith(_MEDIA_HOSTS) or f"/status/{t}" in u):
                drop[j] = True
    return _lists(normalized.filter(pa.array(~drop)), parent[~drop], n), slow


def _normalized_urls(links: pa.Array) -> tuple[pa.Array, set[str]]:
    """Each distinct link normalized once, and the links ``normalize_url`` refused.

    A refused link sends its record to the row path, which rejects it with the reason.
    """
    failed: set[str] = set()

    def norm(u: str) -> str | None:
        try:
            return normalize_url(u)
        except Exception:
            failed.add(u)
            return None

    return _per_distinct(links, norm, _S), failed


def _map_users(
    users: pa.Array, seen_at: pa.Array, platform: str
) -> tuple[dict[str, pa.Array], npt.NDArray[np.bool_]]:
    """The accounts columns of flattened users (as ``user_to_account``)."""
    n = len(users)
    slow = np.zeros(n, dtype=bool)

    def or_none(name: str) -> pa.Array:
        v = _field(users, name)
        return pc.if_else(pa.array(_truthy(v)), v, pa.scalar(None, _S))

    url = or_none("url")
    links = _field(_field(_field(users, "entities"), "url"), "urls")
    has_links = _bool(pc.greater(pc.fill_null(pc.list_value_length(links), 0), 0))
    first = pc.list_element(pc.if_else(pa.array(has_links), links, pa.nulls(n, links.type)), 0)
    expanded = _field(first, "expanded_url")
    url = pc.if_else(pa.array(has_links & _truthy(expanded)), expanded, url)
    url, failed = _normalized_urls(url)
    if failed:
        slow |= _bool(pc.is_in(_field(users, "url"), value_set=pa.array(sorted(failed), _S)))
    image = _field(users, "profile_image_url")
    default_image = pc.if_else(
        pa.array(_truthy(image)),
        pc.match_substring(image, "default_profile_images"),
        pa.scalar(None, pa.bool_()),
    )
    created, bad = _times(_field(users, "created_at"))
    slow |= bad
    metrics = _field(users, "public_metrics")
    columns = {
        "platform": pa.repeat(pa.scalar(platform, _S), n),
        "account_id": _field(users, "id"),
        "handle": or_none("username"),
        "display_name": or_none("name"),
        "created_at": created,
        "description": or_none("description"),
        "followers": _field(metrics, "followers_count"),
        "following": _field(metrics, "following_count"),
        "posts_count": _field(metrics, "tweet_count"),
        "likes_count": _field(metrics, "like_count"),
        "listed_count": _field(metrics, "listed_count"),
        "verified": _field(users, "verified"),
        "default_image": default_image,
        "location": or_none("location"),
        "url": url,
        "seen_at": seen_at,
    }
    return columns, slow
