"""Co-action edges: limelight's bucketed DuckDB join against coordination-network-toolkit.

Run ``python benchmarks/coordination.py`` (about five minutes on two cores). For co-repost
and co-url it generates actions (a heavy-tailed item popularity: most items shared once, a
few thousands of times, each item's shares decaying over hours from its birth, spread over a
week, plus a planted group of accounts acting within seconds), then times

* limelight: ``co_action_edges(actions, window=60, min_weight=2)`` on 1M and 5M actions;
* coordination-network-toolkit (CNT): ``compute_networks DB compute co_retweet|co_link
  --time_window 60 --min_edge_weight 2 --n_cpus 2`` on the same rows written as its CSV, at
  the sizes it finishes in a few minutes. Its ``preprocess`` step is timed apart and left
  out of the ratio. For the large sizes its time is extrapolated from the two largest
  measured sizes by a power law, and the table says so.

At each size both ran, the two edge lists are also compared (limelight's weight is the
smaller of CNT's two directed weights; see docs/coordination.md), so the speed-up is for the
same answer. Each measurement runs in its own process; "peak MB" is that process's peak
resident memory (for CNT the largest of its worker processes).

Options: ``--sizes 1000000,5000000`` (limelight only), ``--cnt-sizes 250000,1000000`` (both
tools), ``--behaviours co-repost,co-url``.

``--end-to-end 1000000,10000000`` measures the whole pipeline instead (see ``end_to_end``):
posts in CNT's CSV, ``limelight ingest`` + ``limelight coordination`` for co-repost,
co-text, co-url and co-reply + ``limelight campaigns``, against CNT's ``preprocess`` +
``compute co_retweet|co_tweet|co_link|co_reply`` on the same file, each step a separate
command whose wall time and peak memory are measured; then co-similar-text (MinHash) on the
same store at every size against CNT's ``compute co_similar_tweet`` (same threshold, window
and minimum text size; up to ``--cnt-similar-max`` posts, as its pairwise comparison grows
with the square of the posts per window), printed as a second ratio with co-similar on
both sides, and the embedding method on a sample (``--embed-sample``). The
load average is printed with the figures: on a shared machine it says how much to trust
them.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import os
import resource
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pyarrow as pa

WORK = Path(__file__).resolve().parent / "_work"
WINDOW, MIN_WEIGHT = 60, 2
NETWORK = {"co-repost": "co_retweet", "co-url": "co_link"}
_CNT_SIZES_SEEN: set[int] = set()


def generate(n: int, behaviour: str, seed: int = 1) -> pa.Table:
    """``n`` actions (account_id, item, at, post_id) with a planted coordinated group."""
    rng = np.random.default_rng(seed)
    n_accounts = max(n // 20, 100)
    counts = np.minimum(rng.zipf(1.8, n), 5000)
    ends = np.cumsum(counts)
    n_items = int(np.searchsorted(ends, n)) + 1
    counts = counts[:n_items]
    counts[-1] -= ends[n_items - 1] - n
    item = np.repeat(np.arange(n_items), counts)
    birth = rng.uniform(0, 7 * 86_400, n_items)
    seconds = np.floor(birth[item] + rng.exponential(6 * 3600, n))
    account = rng.integers(0, n_accounts, n)
    # The planted group: 50 accounts share 1% of the actions within 10 s of each other.
    planted = rng.random(n) < 0.01
    account[planted] = rng.integers(0, 50, int(planted.sum()))
    seconds[planted] = np.floor(birth[item[planted]] + rng.uniform(0, 10, int(planted.sum())))
    post = np.arange(n)
    if behaviour == "co-url":
        # A fifth of the posts carry a second link: the same post id on two rows.
        second = rng.random(n) < 0.2
        post = np.where(second & (post > 0), post - 1, post)
        account = np.where(second & (post > 0), np.roll(account, 1), account)
        seconds = np.where(second & (post > 0), np.roll(seconds, 1), seconds)
        items = np.char.add("https://site.example/", item.astype(str))
    else:
        items = np.char.add("t", item.astype(str))
    return pa.table(
        {
            "account_id": pa.array(np.char.add("u", account.astype(str))),
            "item": pa.array(items),
            "at": pa.array((1_700_000_000 + seconds).astype("int64") * 1_000_000).cast(
                pa.timestamp("us", tz="UTC")
            ),
            "post_id": pa.array(np.char.add("m", post.astype(str))),
        }
    )


def _path(behaviour: str, n: int) -> Path:
    return WORK / f"{behaviour}-{n}.parquet"


def _own_peak_mb() -> float:
    """This process's peak resident memory since it started (VmHWM, reset by exec)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _children_peak_mb() -> float:
    """The largest peak of the finished child processes (CNT and its workers)."""
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def worker_generate(behaviour: str, n: int) -> dict[str, float]:
    """Write one generated input (in its own process, so measuring processes stay small)."""
    import pyarrow.parquet as pq

    table = generate(n, behaviour)
    pq.write_table(table, _path(behaviour, n))
    if n in _CNT_SIZES_SEEN:
        _cnt_csv(table, behaviour, n)
    return {"rows": table.num_rows}


def worker_limelight(behaviour: str, n: int) -> dict[str, float]:
    """Time limelight's edge join on one generated input (in its own process)."""
    import pyarrow.parquet as pq

    from limelight.detect.coordination import co_action_edges

    actions = pq.read_table(_path(behaviour, n))
    start = time.perf_counter()
    edges = co_action_edges(actions, WINDOW, MIN_WEIGHT)
    seconds = time.perf_counter() - start
    pq.write_table(edges.select(["source", "target", "weight"]), WORK / f"ll-{behaviour}-{n}.pq")
    return {"seconds": seconds, "edges": edges.num_rows, "peak_mb": _own_peak_mb()}


def _cnt_csv(actions: pa.Table, behaviour: str, n: int) -> Path:
    """The generated actions as CNT's CSV (grouping a post's links into one row)."""
    from limelight.sources.cnt_csv import CntCsvReader

    out = WORK / f"{behaviour}-{n}.csv"
    rows: dict[str, list[str]] = {}
    table = actions.to_pydict()
    for account, item, when, post in zip(*table.values(), strict=True):
        stamp = str(int(when.timestamp()))
        if behaviour == "co-repost":
            rows[post] = [post, account, account, item, "", "", stamp, ""]
        elif post in rows:
            rows[post][7] += " " + item
        else:
            rows[post] = [post, account, account, "", "", "", stamp, item]
    with out.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(CntCsvReader.required_columns)
        writer.writerows(rows.values())
    return out


def _cnt(*args: str) -> None:
    script = Path(sys.executable).with_name("compute_networks")
    subprocess.run([str(script), *args], check=True, capture_output=True, timeout=1800)


def _compute_args(db: Path, network: str, *extra: str) -> list[str]:
    """CNT's ``compute`` arguments with this benchmark's window, weight and two CPUs."""
    return [
        str(db),
        "compute",
        network,
        "--time_window",
        str(WINDOW),
        "--min_edge_weight",
        str(MIN_WEIGHT),
        "--n_cpus",
        "2",
        *extra,
    ]


def worker_cnt(behaviour: str, n: int) -> dict[str, float]:
    """Time CNT's preprocess and compute on the same input (in its own process)."""
    import pyarrow.parquet as pq

    csv_path = WORK / f"{behaviour}-{n}.csv"
    db = WORK / f"cnt-{behaviour}-{n}.db"
    db.unlink(missing_ok=True)
    start = time.perf_counter()
    _cnt(str(db), "preprocess", "--format", "csv", str(csv_path))
    prep = time.perf_counter() - start
    start = time.perf_counter()
    _cnt(*_compute_args(db, NETWORK[behaviour]))
    seconds = time.perf_counter() - start
    with sqlite3.connect(db) as conn:
        directed = {
            (a, b): w
            for a, b, w in conn.execute(
                f"SELECT user_1, user_2, weight FROM {NETWORK[behaviour]}_network"
            )
        }
    pairs = {
        (a, b): min(w, directed[(b, a)])
        for (a, b), w in directed.items()
        if a < b and (b, a) in directed
    }
    mine = pq.read_table(WORK / f"ll-{behaviour}-{n}.pq").to_pydict()
    ours = dict(zip(zip(mine["source"], mine["target"], strict=True), mine["weight"], strict=True))
    for leftover in (db, db.with_name(db.name + "-wal"), db.with_name(db.name + "-shm")):
        leftover.unlink(missing_ok=True)
    csv_path.unlink()
    return {
        "seconds": seconds,
        "preprocess": prep,
        "edges": len(pairs),
        "same": float(ours == pairs),
        "peak_mb": _children_peak_mb(),
    }


def _run_worker(tool: str, behaviour: str, n: int, cnt_sizes: str = "") -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, __file__, "--worker", tool, behaviour, str(n), "--cnt-sizes", cnt_sizes],
        check=True,
        capture_output=True,
        text=True,
    )
    result: dict[str, float] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def _extrapolate(points: list[tuple[int, float]], n: int) -> float:
    (n1, t1), (n2, t2) = points[-2:]
    exponent = math.log(t2 / t1) / math.log(n2 / n1)
    return float(t2 * (n / n2) ** exponent)


# --- end to end: posts CSV -> store -> behaviours -> campaigns, against CNT ------------------

#: limelight behaviour -> CNT network on the same CSV.
E2E_NETWORKS = {
    "co-repost": "co_retweet",
    "co-text": "co_tweet",
    "co-url": "co_link",
    "co-reply": "co_reply",
}
_VOCABULARY = """the a to of and in is it for on that this with you we they be are not have at all
just what so about more can will from our one how when who new if like no time get out up do
than but know why see good day think here only still back many would year even need really
never make look again every after well right going people world news watch read video thread
tell way love life work home game team city week school family story thing money help real
best free food night show music vote truth media country"""
_WORDS = np.array(_VOCABULARY.split())


def generate_posts_csv(path: Path, n: int, seed: int = 3) -> dict[str, int]:
    """Write ``n`` posts in CNT's CSV: organic activity plus a planted coordinated group.

    Heavy-tailed account activity (Pareto) over a week; 40% reposts of earlier originals
    chosen by a Zipf popularity, 10% replies, the rest originals of 8 to 20 words (8% of
    them stock phrases many accounts post, 30% with a link to one of 200,000 stories,
    Zipf). A group of 50 accounts makes 0.5% of the posts in pushes: the same repost, text
    or link within 30 s of each other.
    """
    import pyarrow.csv as pacsv

    rng = np.random.default_rng(seed)
    n_accounts = max(n // 20, 1000)
    chunk = 1_000_000  # written a million rows at a time, so memory stays flat
    planted = 0
    with pacsv.CSVWriter(path, _POSTS_SCHEMA) as writer:
        for first in range(0, n, chunk):
            size = min(chunk, n - first)
            span = (first / n * 7 * 86_400, (first + size) / n * 7 * 86_400)
            table, k = _posts_chunk(rng, first, size, n_accounts, span)
            writer.write_table(table)
            planted += k
    return {"posts": n, "accounts": n_accounts + 50, "planted_posts": planted}


_POSTS_SCHEMA = pa.schema(
    [
        ("message_id", pa.int64()),
        ("user_id", pa.int64()),
        ("username", pa.string()),
        ("repost_id", pa.string()),
        ("reply_id", pa.string()),
        ("message", pa.string()),
        ("timestamp", pa.int64()),
        ("urls", pa.string()),
    ]
)


def _posts_chunk(
    rng: np.random.Generator, first: int, n: int, n_accounts: int, span: tuple[float, float]
) -> tuple[pa.Table, int]:
    """Posts ``first + 1`` to ``first + n`` (see ``generate_posts_csv``) and the planted count."""
    import pyarrow.compute as pc

    user = (rng.pareto(1.2, n) * n_accounts / 50).astype(np.int64) % n_accounts
    t = np.sort(rng.uniform(span[0], span[1], n)).astype(np.int64)
    kind = rng.choice(3, n, p=[0.5, 0.4, 0.1])  # 0 original, 1 repost, 2 reply
    kind[:100] = 0
    originals = np.flatnonzero(kind == 0)
    # Reposts and replies pick an earlier original, popular ones (a Zipf rank) more often.
    back = np.minimum(rng.zipf(1.4, n) - 1, 10**9)
    pos = np.searchsorted(originals, np.arange(n)) - 1 - back
    target = originals[np.clip(pos, 0, None)]
    ids = np.arange(first + 1, first + n + 1)
    repost = np.where(kind == 1, ids[target], 0)
    reply = np.where(kind == 2, ids[target], 0)
    n_words = rng.integers(8, 21, n)
    offsets = np.concatenate([[0], np.cumsum(n_words)])
    words = pa.array(_WORDS).take(pa.array(rng.integers(0, _WORDS.size, int(offsets[-1]))))
    text = pc.binary_join(pa.ListArray.from_arrays(pa.array(offsets, pa.int32()), words), " ")
    stock = (rng.random(n) < 0.08) & (kind == 0)
    number = pa.array((rng.zipf(1.5, n) % 500).astype(str))
    text = pc.if_else(
        pa.array(stock), pc.binary_join_element_wise("stock phrase", number, " "), text
    )
    has_url = (rng.random(n) < 0.3) & (kind == 0)
    story = (rng.zipf(1.3, n) % 200_000).astype(str)
    url = np.where(has_url, np.char.add("https://news.example.org/story/", story), "")
    # The planted group: pushes of six posts by 50 accounts, the same action within 30 s.
    group = np.flatnonzero(rng.random(n) < 0.005)
    lead = group[(np.arange(group.size) // 6) * 6]
    copy = np.arange(n)
    copy[group] = lead
    user[group] = n_accounts + rng.integers(0, 50, group.size)
    t[group] = t[lead] + rng.integers(0, 30, group.size)
    repost, reply, url = repost[copy], reply[copy], url[copy]
    text = text.take(pa.array(copy))
    table = pa.table(
        {
            "message_id": pa.array(ids),
            "user_id": pa.array(user),
            "username": pc.binary_join_element_wise("user", pa.array(user.astype(str)), ""),
            "repost_id": pa.array(np.where(repost > 0, repost.astype(str), "")),
            "reply_id": pa.array(np.where(reply > 0, reply.astype(str), "")),
            "message": pc.if_else(pa.array(repost > 0), "", text),
            "timestamp": pa.array(1_700_000_000 + t),
            "urls": pa.array(url),
        },
        schema=_POSTS_SCHEMA,
    )
    return table, int(group.size)


def _timed(cmd: list[str]) -> tuple[float, float]:
    """Run one command in a fresh wrapper process; its wall seconds and peak resident MB."""
    wrapper = (
        "import resource,subprocess,sys,time,json;"
        "t=time.perf_counter();p=subprocess.run(sys.argv[1:],capture_output=True,text=True);"
        "w=time.perf_counter()-t;"
        "print(json.dumps({'rc':p.returncode,'wall':w,"
        "'rss':resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss,'err':p.stderr[-2000:]}))"
    )
    proc = subprocess.run(
        [sys.executable, "-c", wrapper, *cmd], capture_output=True, text=True, check=True
    )
    res = json.loads(proc.stdout.strip().splitlines()[-1])
    if res["rc"] != 0:
        sys.stderr.write(res["err"])
        raise SystemExit(f"command failed ({res['rc']}): {' '.join(cmd)}")
    return float(res["wall"]), res["rss"] / 1024


def _limelight(*args: str) -> list[str]:
    """A limelight step through its public Python API, in its own process (see ``_step``)."""
    return [sys.executable, __file__, "--step", *args]


def worker_step(step: str, store: str, arg: str) -> None:
    """One limelight step, as ``limelight ingest|coordination|campaigns`` runs it.

    The library functions the commands call, without the command line's start-up (which
    imports every command's module); the store is a real DuckDB file throughout. This
    module imports at its top only what every step needs (the parquet reader and the CSV
    source were 0.07 s of each step's start).
    """
    from limelight.store import Database

    with Database(store) as db:
        if step == "ingest":
            from limelight.ingest import ingest_paths

            summary = ingest_paths([arg], db, fmt="cnt-csv")
            assert all(f.status == "ok" for f in summary.files), summary
        elif step == "coordination":
            from limelight.detect.coordination import edges, save_edges

            save_edges(db, edges(db, arg, window=WINDOW, min_weight=MIN_WEIGHT))
        else:
            from limelight.detect.coordination import find_campaigns

            find_campaigns(db)


def _cnt_cmd(*args: str) -> list[str]:
    return [str(Path(sys.executable).with_name("compute_networks")), *args]


def worker_embedding(csv_path: str, k: int) -> dict[str, float]:
    """co-similar-text with the embedding method on the first ``k`` original posts."""
    import pyarrow.csv as pacsv
    import torch

    from limelight.detect.coordination import edges

    torch.set_num_threads(2)
    rows = pacsv.read_csv(
        csv_path,
        convert_options=pacsv.ConvertOptions(
            column_types={"repost_id": pa.string(), "reply_id": pa.string(), "urls": pa.string()}
        ),
    )
    rows = rows.filter(pa.compute.equal(rows.column("repost_id"), "")).slice(0, k)
    from limelight.store import ARROW_SCHEMAS

    schema = ARROW_SCHEMAS["posts"]
    n = rows.num_rows
    posts = pa.table(
        {
            "account_id": rows.column("user_id").cast(pa.string()),
            "post_id": rows.column("message_id").cast(pa.string()),
            "created_at": pa.compute.multiply(rows.column("timestamp"), 1_000_000).cast(
                pa.timestamp("us", tz="UTC")
            ),
            "kind": pa.array(["original"] * n),
            "text": rows.column("message"),
        }
    )
    assert set(posts.column_names) <= set(schema.names)
    texts = len(pa.compute.unique(posts.column("text")))
    from limelight.embed import embed_texts

    start = time.perf_counter()
    embed_texts(["the model loads once, before the clock starts"])
    load = time.perf_counter() - start
    start = time.perf_counter()
    result = edges(posts, "co-similar-text", method="embedding")
    seconds = time.perf_counter() - start
    return {
        "load": load,
        "posts": n,
        "texts": texts,
        "seconds": seconds,
        "edges": result.table.num_rows,
        "peak_mb": _own_peak_mb(),
    }


def _print_step(name: str, w: float, m: float, cw: float | None, cm: float | None) -> None:
    theirs = (
        f"{cw:9.1f} {cm:8.0f}" if cw is not None and cm is not None else f"{'not run':>9} {'':>8}"
    )
    print(f"{name:<34} {w:11.1f} {m:8.0f} {theirs}", flush=True)


def _load() -> str:
    """The machine's load averages, printed with the figures (a shared machine is noisy)."""
    return ", ".join(f"{x:.1f}" for x in os.getloadavg())


def end_to_end(
    sizes: list[int], cnt_max: int, embed_sample: int, cnt_similar_max: int = 1_000_000
) -> None:
    """Time both tools step by step on generated posts and print the table."""
    print("end to end, window 60 s, min weight 2; CNT with --n_cpus 2; seconds and peak MB")
    print(f"{os.cpu_count()} CPUs; load average (1, 5, 15 min) at the start: {_load()}")
    for n in sizes:
        csv_path = WORK / f"posts-{n}.csv"
        store = WORK / f"e2e-{n}.duckdb"
        store.unlink(missing_ok=True)
        info = generate_posts_csv(csv_path, n)
        print(
            f"\n{n:,} posts ({info['accounts']:,} accounts, {info['planted_posts']:,} planted posts)"
        )
        print(f"{'step':<34} {'limelight s':>11} {'peak MB':>8} {'CNT s':>9} {'peak MB':>8}")
        steps: list[tuple[str, float, float, float | None, float | None]] = []
        run_cnt = n <= cnt_max
        cnt_db = WORK / f"e2e-cnt-{n}.db"
        cnt_db.unlink(missing_ok=True)
        w, m = _timed(_limelight("ingest", str(store), str(csv_path)))
        cw = cm = None
        if run_cnt:
            cw, cm = _timed(_cnt_cmd(str(cnt_db), "preprocess", "--format", "csv", str(csv_path)))
        steps.append(("ingest / preprocess", w, m, cw, cm))
        _print_step(*steps[-1])
        for behaviour, network in E2E_NETWORKS.items():
            w, m = _timed(_limelight("coordination", str(store), behaviour))
            cw = cm = None
            if run_cnt:
                cw, cm = _timed(_cnt_cmd(*_compute_args(cnt_db, network)))
            steps.append((f"{behaviour} / {network}", w, m, cw, cm))
            _print_step(*steps[-1])
        ours = sum(s[1] for s in steps)
        peak = max(s[2] for s in steps)
        w, m = _timed(_limelight("campaigns", str(store), ""))
        campaigns_s = w
        print(f"{'campaigns (no CNT equivalent)':<34} {w:11.1f} {m:8.0f}")
        print(
            f"{'limelight end to end':<34} {ours + w:11.1f} {max(peak, m):8.0f}  (ingest + 4 behaviours + campaigns)"
        )
        if run_cnt:
            theirs_total = sum(s[3] or 0.0 for s in steps)
            print(
                f"{'CNT end to end':<34} {'':>11} {'':>8} {theirs_total:9.1f} {max(s[4] or 0 for s in steps):8.0f}"
            )
            print(
                f"ratio CNT / limelight: {theirs_total / ours:.1f}x without campaigns, "
                f"{theirs_total / (ours + w):.1f}x with campaigns"
            )
        else:
            print(f"CNT not run at {n:,} posts (--cnt-max {cnt_max:,})")
        # co-similar-text against CNT's co_similar_tweet: the same behaviour (word-set
        # Jaccard >= 0.8 within the window, texts of five words or more), not the same
        # edges (CNT counts similar post pairs; limelight clusters the texts, then joins
        # on the cluster). CNT compares every pair of posts within the window in Python,
        # so its time grows with the square of the posts per window: --cnt-similar-max.
        w, m = _timed(_limelight("coordination", str(store), "co-similar-text"))
        cw = cm = None
        if run_cnt and n <= cnt_similar_max:
            similar = ("--similarity_threshold", "0.8", "--min_document_size_similarity", "5")
            cw, cm = _timed(_cnt_cmd(*_compute_args(cnt_db, "co_similar_tweet", *similar)))
        _print_step("co-similar-text / co_similar_tweet", w, m, cw, cm)
        if cw is not None:
            theirs_total = sum(s[3] or 0.0 for s in steps)
            five, five_cnt = ours + w, theirs_total + cw
            print(
                f"with co-similar on both sides: limelight {five:.1f} s, CNT {five_cnt:.1f} s: "
                f"{five_cnt / five:.1f}x without campaigns, "
                f"{five_cnt / (five + campaigns_s):.1f}x with campaigns"
            )
        print(f"load average (1, 5, 15 min) after this size: {_load()}", flush=True)
        for leftover in (
            cnt_db,
            cnt_db.with_name(cnt_db.name + "-wal"),
            cnt_db.with_name(cnt_db.name + "-shm"),
        ):
            leftover.unlink(missing_ok=True)
        if embed_sample and n == sizes[0]:
            out = subprocess.run(
                [sys.executable, __file__, "--embed-worker", str(csv_path), str(embed_sample)],
                check=True,
                capture_output=True,
                text=True,
            )
            e = json.loads(out.stdout.strip().splitlines()[-1])
            print(
                f"co-similar-text (embedding) on {int(e['posts']):,} posts ({int(e['texts']):,} texts): "
                f"{e['seconds']:.1f} s, {e['texts'] / e['seconds']:.0f} texts/s (model load {e['load']:.0f} s "
                f"apart), peak {e['peak_mb']:.0f} MB, "
                f"{int(e['edges'])} edges"
            )
        store.unlink(missing_ok=True)
        csv_path.unlink()


def paraphrase_threshold(data: Path, n_organic: int = 6000, n_pairs: int = 250) -> None:
    """Measure what cosine thresholds do on real tweets (docs/coordination.md).

    Chance: the share of TweepFake human tweets with a neighbour from another account at
    or above each threshold. Near-duplicates: the share of IRA tweet pairs by different
    authors with word Jaccard 0.5 to 0.8 (what MinHash at 0.8 misses) at or above it.
    """
    import random
    import re

    import torch
    from datasketch import MinHash, MinHashLSH

    from limelight.embed import embed_texts

    torch.set_num_threads(2)
    word = re.compile(r"\w+")

    def norm(text: str) -> str:
        text = re.sub(r"@\S+", "", re.sub(r"https?://\S+", "", text.lower()))
        return " ".join(text.split())

    organic: dict[str, str] = {}
    for path in sorted((data / "tweepfake").glob("data_splits_*.csv")):
        with path.open(newline="", encoding="utf-8") as handle:
            for row in csv.DictReader(handle, delimiter=";"):
                text = norm(row["text"])
                if row["account.type"] == "human" and len(word.findall(text)) >= 5:
                    organic.setdefault(text, row["screen_name"])
    items = list(organic.items())
    random.Random(0).shuffle(items)
    items = items[:n_organic]
    vectors = embed_texts([t for t, _ in items])
    sims = vectors @ vectors.T
    owner = np.array([a for _, a in items])
    sims[owner[:, None] == owner[None, :]] = -1
    nearest = sims.max(axis=1)
    thresholds = (0.8, 0.85, 0.9, 0.95)
    print(f"TweepFake human tweets: {len(items):,} texts")
    for th in thresholds:
        print(f"  share with a cross-account neighbour >= {th}: {np.mean(nearest >= th):.2%}")
    ira: dict[str, str] = {}
    for path in sorted((data / "ira-538-by-author").glob("sample30_per_author_*.csv")):
        with path.open(newline="", encoding="utf-8") as handle:
            for row in csv.DictReader(handle):
                text = norm(row["content"])
                english = row["language"] == "English" and row["retweet"] == "0"
                if english and len(word.findall(text)) >= 5:
                    ira.setdefault(text, row["author_id"])
    texts, authors = list(ira), list(ira.values())
    sets = [frozenset(word.findall(t)) for t in texts]
    hashes = MinHash.bulk([[w.encode() for w in s] for s in sets], num_perm=64, seed=1)
    lsh = MinHashLSH(threshold=0.4, num_perm=64)
    for i, h in enumerate(hashes):
        lsh.insert(i, h)
    pairs = []
    for i, h in enumerate(hashes):
        for j in lsh.query(h):
            if j > i and authors[i] != authors[j]:
                jac = len(sets[i] & sets[j]) / len(sets[i] | sets[j])
                if 0.5 <= jac < 0.8:
                    pairs.append((i, j))
    found = len(pairs)
    random.Random(1).shuffle(pairs)
    pairs = pairs[:n_pairs]
    index = sorted({i for p in pairs for i in p})
    at = {k: n for n, k in enumerate(index)}
    emb = embed_texts([texts[i] for i in index])
    cos = np.array([float(emb[at[i]] @ emb[at[j]]) for i, j in pairs])
    print(
        f"IRA cross-author pairs with Jaccard 0.5-0.8: {found:,}, {len(pairs)} measured, "
        f"median cosine {np.median(cos):.2f}"
    )
    for th in thresholds:
        print(f"  share >= {th}: {np.mean(cos >= th):.0%}")


def main() -> None:
    """Run every measurement and print one table per behaviour."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000000,5000000")
    parser.add_argument("--cnt-sizes", default="250000,1000000")
    parser.add_argument("--behaviours", default="co-repost,co-url")
    parser.add_argument("--end-to-end", default="", help="posts per run, e.g. 1000000,10000000")
    parser.add_argument(
        "--cnt-max",
        type=int,
        default=1_000_000,
        help="end to end: run CNT only up to this many posts",
    )
    parser.add_argument(
        "--cnt-similar-max",
        type=int,
        default=1_000_000,
        help="end to end: run CNT's co_similar_tweet only up to this many posts (0: never)",
    )
    parser.add_argument(
        "--embed-sample",
        type=int,
        default=50_000,
        help="end to end: posts for the embedding method (0: skip)",
    )
    parser.add_argument("--worker", nargs=3, help=argparse.SUPPRESS)
    parser.add_argument("--embed-worker", nargs=2, help=argparse.SUPPRESS)
    parser.add_argument("--step", nargs=3, help=argparse.SUPPRESS)
    parser.add_argument(
        "--paraphrase-threshold",
        metavar="DATA_DIR",
        help="measure cosine thresholds on the real data sets in DATA_DIR",
    )
    args = parser.parse_args()
    if args.paraphrase_threshold:
        paraphrase_threshold(Path(args.paraphrase_threshold))
        return
    if args.step:
        worker_step(*args.step)
        return
    if args.embed_worker:
        print(json.dumps(worker_embedding(args.embed_worker[0], int(args.embed_worker[1]))))
        return
    if args.end_to_end:
        WORK.mkdir(exist_ok=True)
        end_to_end(
            [int(s) for s in args.end_to_end.split(",")],
            args.cnt_max,
            args.embed_sample,
            args.cnt_similar_max,
        )
        return
    if args.worker:
        tool, behaviour, n = args.worker
        _CNT_SIZES_SEEN.update(int(s) for s in args.cnt_sizes.split(",") if s)
        fn = {"generate": worker_generate, "limelight": worker_limelight, "cnt": worker_cnt}
        print(json.dumps(fn[tool](behaviour, int(n))))
        return
    WORK.mkdir(exist_ok=True)
    sizes = [int(s) for s in args.sizes.split(",")]
    cnt_sizes = [int(s) for s in args.cnt_sizes.split(",") if s]
    print(f"window {WINDOW} s, min weight {MIN_WEIGHT}; CNT with --n_cpus 2; times in seconds")
    for behaviour in args.behaviours.split(","):
        print(f"\n{behaviour} (CNT: {NETWORK[behaviour]})")
        print(
            f"{'actions':>10} {'limelight':>10} {'peak MB':>8} {'CNT':>10} {'peak MB':>8} "
            f"{'CNT prep':>9} {'ratio':>7} {'edges':>8}  same"
        )
        measured: list[tuple[int, float]] = []
        for n in sorted(set(sizes) | set(cnt_sizes)):
            _run_worker("generate", behaviour, n, args.cnt_sizes)
            ours = _run_worker("limelight", behaviour, n)
            if n in cnt_sizes:
                theirs = _run_worker("cnt", behaviour, n)
                measured.append((n, theirs["seconds"]))
                cnt_text = f"{theirs['seconds']:10.1f} {theirs['peak_mb']:8.0f} "
                cnt_text += f"{theirs['preprocess']:9.1f}"
                ratio, same = theirs["seconds"] / ours["seconds"], str(theirs["same"] == 1.0)
            else:
                est = _extrapolate(measured, n) if len(measured) >= 2 else float("nan")
                cnt_text = f"{'~' + format(est, '.0f'):>10} {'':>8} {'':>9}"
                ratio, same = est / ours["seconds"], "(CNT extrapolated, not run)"
            print(
                f"{n:>10,} {ours['seconds']:10.2f} {ours['peak_mb']:8.0f} {cnt_text} "
                f"{ratio:6.0f}x {int(ours['edges']):>8,}  {same}"
            )
            _path(behaviour, n).unlink()
            (WORK / f"ll-{behaviour}-{n}.pq").unlink()


if __name__ == "__main__":
    main()
