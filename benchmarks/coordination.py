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
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import resource
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from limelight.sources.cnt_csv import CntCsvReader

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
    table = generate(n, behaviour)
    pq.write_table(table, _path(behaviour, n))
    if n in _CNT_SIZES_SEEN:
        _cnt_csv(table, behaviour, n)
    return {"rows": table.num_rows}


def worker_limelight(behaviour: str, n: int) -> dict[str, float]:
    """Time limelight's edge join on one generated input (in its own process)."""
    from limelight.detect.coordination import co_action_edges

    actions = pq.read_table(_path(behaviour, n))
    start = time.perf_counter()
    edges = co_action_edges(actions, WINDOW, MIN_WEIGHT)
    seconds = time.perf_counter() - start
    pq.write_table(edges.select(["source", "target", "weight"]), WORK / f"ll-{behaviour}-{n}.pq")
    return {"seconds": seconds, "edges": edges.num_rows, "peak_mb": _own_peak_mb()}


def _cnt_csv(actions: pa.Table, behaviour: str, n: int) -> Path:
    """The generated actions as CNT's CSV (grouping a post's links into one row)."""
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


def worker_cnt(behaviour: str, n: int) -> dict[str, float]:
    """Time CNT's preprocess and compute on the same input (in its own process)."""
    csv_path = WORK / f"{behaviour}-{n}.csv"
    db = WORK / f"cnt-{behaviour}-{n}.db"
    db.unlink(missing_ok=True)
    start = time.perf_counter()
    _cnt(str(db), "preprocess", "--format", "csv", str(csv_path))
    prep = time.perf_counter() - start
    start = time.perf_counter()
    _cnt(
        str(db),
        "compute",
        NETWORK[behaviour],
        "--time_window",
        str(WINDOW),
        "--min_edge_weight",
        str(MIN_WEIGHT),
        "--n_cpus",
        "2",
    )
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


def main() -> None:
    """Run every measurement and print one table per behaviour."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000000,5000000")
    parser.add_argument("--cnt-sizes", default="250000,1000000")
    parser.add_argument("--behaviours", default="co-repost,co-url")
    parser.add_argument("--worker", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
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
