"""Ingest throughput: limelight vs coordination-network-toolkit's preprocess, same files.

    python benchmarks/ingest.py [--posts 1000000] [--skip-cnt] [--cpu]

Generates (once, cached under benchmarks/_work/) a twarc2 API v2 JSONL file and a
coordination-network-toolkit CSV, each with ``--posts`` posts, then times, each in its own
process so peak memory is the process's own:

- ``limelight ingest`` of the twarc2 JSONL and of the CNT CSV into a fresh DuckDB file;
- ``compute_networks DB preprocess`` (coordination-network-toolkit, from PyPI) of the same
  CSV, and of the same JSONL with its ``twitter_json`` format.

Prints a table of posts per second (records read, and the file's own posts), peak memory,
CPU seconds of the one-process runs and the speed ratio against the toolkit (its seconds
over limelight's on the same file).
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import shutil
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson

from limelight.sources.cnt_csv import CntCsvReader

WORK = Path(__file__).resolve().parent / "_work"
EPOCH = datetime(2024, 3, 1, tzinfo=UTC)
WORDS = [
    "the",
    "vote",
    "election",
    "people",
    "news",
    "today",
    "breaking",
    "truth",
    "media",
    "government",
    "must",
    "share",
    "now",
    "protest",
    "city",
    "power",
    "water",
    "people",
    "freedom",
    "lies",
    "support",
    "watch",
    "video",
    "real",
    "report",
]


def _iso(t: float) -> str:
    return (EPOCH + timedelta(seconds=t)).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def make_twarc2(path: Path, n_posts: int, seed: int = 7) -> None:
    """Write twarc2 response pages (100 tweets each, with includes) holding n_posts tweets."""
    rng = random.Random(seed)
    n_users = max(1000, n_posts // 20)
    with open(path, "wb") as out:
        made = 0
        while made < n_posts:
            page = min(100, n_posts - made)
            data, users, refs = [], {}, []
            for _ in range(page):
                made += 1
                uid = str(int(rng.paretovariate(1.2) * 1000) % n_users + 1)
                t = made * 0.5 + rng.random()
                tid = str(10**17 + made)
                words = rng.choices(WORDS, k=12)
                tweet = {
                    "id": tid,
                    "author_id": uid,
                    "created_at": _iso(t),
                    "text": " ".join(words),
                    "lang": "en",
                    "conversation_id": tid,
                    "source": rng.choice(
                        ["Twitter for iPhone", "Twitter Web App", "Twitter for Android"]
                    ),
                    "edit_history_tweet_ids": [tid],
                    "public_metrics": {
                        "retweet_count": rng.randrange(50),
                        "reply_count": 0,
                        "like_count": rng.randrange(200),
                        "quote_count": 0,
                    },
                    "entities": {
                        "hashtags": [{"start": 0, "end": 5, "tag": rng.choice(WORDS).title()}],
                        "urls": [
                            {
                                "start": 10,
                                "end": 33,
                                "url": "https://t.co/abcdefghij",
                                "expanded_url": f"https://news.example.org/story/{rng.randrange(5000)}?utm_source=twitter",
                                "display_url": "news.example.org/story",
                            }
                        ],
                        "mentions": [{"start": 40, "end": 48, "username": f"user{uid}", "id": uid}],
                    },
                }
                if rng.random() < 0.4 and made > 200:
                    ref = str(10**17 + rng.randrange(1, made - 100))
                    tweet["referenced_tweets"] = [{"type": "retweeted", "id": ref}]
                    tweet["text"] = "RT @someone: " + tweet["text"]
                    refs.append(
                        {
                            "id": ref,
                            "author_id": "1",
                            "created_at": _iso(0),
                            "text": "original",
                            "edit_history_tweet_ids": [ref],
                        }
                    )
                data.append(tweet)
                users[uid] = {
                    "id": uid,
                    "username": f"user{uid}",
                    "name": f"User {uid}",
                    "created_at": "2015-01-01T00:00:00.000Z",
                    "description": "just a person",
                    "public_metrics": {
                        "followers_count": 10,
                        "following_count": 20,
                        "tweet_count": 300,
                        "listed_count": 0,
                    },
                    "verified": False,
                }
            page_obj = {
                "data": data,
                "includes": {"users": list(users.values()), "tweets": refs},
                "meta": {"result_count": len(data)},
                "__twarc": {
                    "url": "https://api.twitter.com/2/tweets/search/all",
                    "version": "2.14.0",
                    "retrieved_at": "2024-03-02T00:00:00+00:00",
                },
            }
            out.write(orjson.dumps(page_obj) + b"\n")


def make_cnt_csv(path: Path, n_posts: int, seed: int = 7) -> None:
    """Write a coordination-network-toolkit CSV with n_posts rows."""
    rng = random.Random(seed)
    n_users = max(1000, n_posts // 20)
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(CntCsvReader.required_columns)
        for i in range(1, n_posts + 1):
            uid = int(rng.paretovariate(1.2) * 1000) % n_users + 1
            repost = str(rng.randrange(1, i)) if i > 100 and rng.random() < 0.4 else ""
            reply = (
                str(rng.randrange(1, i)) if not repost and i > 100 and rng.random() < 0.1 else ""
            )
            urls = (
                f"https://news.example.org/story/{rng.randrange(5000)}"
                if rng.random() < 0.3
                else ""
            )
            w.writerow(
                [
                    i,
                    uid,
                    f"user{uid}",
                    repost,
                    reply,
                    " ".join(rng.choices(WORDS, k=12)),
                    1_700_000_000 + i // 2,
                    urls,
                ]
            )


def run_isolated(cmd: list[str], cwd: Path) -> tuple[float, float, float, str]:
    """Run a command under a fresh Python wrapper so its peak RSS is measured alone.

    Returns wall seconds, CPU seconds (the command and the worker processes it waited
    for), peak RSS in MB and stdout. On a shared, loaded machine the CPU seconds say more
    than the wall time about the work done.
    """
    wrapper = (
        "import resource,subprocess,sys,time,json;"
        "t=time.perf_counter();p=subprocess.run(sys.argv[1:],capture_output=True,text=True);"
        "w=time.perf_counter()-t;"
        "u=resource.getrusage(resource.RUSAGE_CHILDREN);"
        "print(json.dumps({'rc':p.returncode,'wall':w,'cpu':u.ru_utime+u.ru_stime,"
        "'rss':u.ru_maxrss,'out':p.stdout,'err':p.stderr[-3000:]}))"
    )
    proc = subprocess.run(
        [sys.executable, "-c", wrapper, *cmd], cwd=cwd, capture_output=True, text=True
    )
    res = orjson.loads(proc.stdout)
    if res["rc"] != 0:
        sys.stderr.write(res["err"])
        raise SystemExit(f"command failed ({res['rc']}): {' '.join(cmd)}")
    return res["wall"], res["cpu"], res["rss"] / 1024, res["out"]


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--posts", type=int, default=1_000_000, help="posts per generated file")
    ap.add_argument("--skip-cnt", action="store_true", help="do not run the toolkit")
    ap.add_argument(
        "--cpu",
        action="store_true",
        help="also ingest in one process (--workers 1), whose CPU seconds are all the work "
        "(worker processes' CPU is not counted: they are the fork server's children)",
    )
    args = ap.parse_args()
    WORK.mkdir(exist_ok=True)
    n = args.posts
    jsonl, csvf = WORK / f"twarc2_{n}.jsonl", WORK / f"cnt_{n}.csv"
    if not jsonl.exists():
        print(f"generating {jsonl.name} ...", flush=True)
        make_twarc2(jsonl, n)
    if not csvf.exists():
        print(f"generating {csvf.name} ...", flush=True)
        make_cnt_csv(csvf, n)
    # The commands of this Python's environment, whether or not it is activated.
    here = str(Path(sys.executable).parent)
    limelight = shutil.which("limelight", path=here) or shutil.which("limelight") or "limelight"
    cnt = shutil.which("compute_networks", path=here) or shutil.which("compute_networks")
    rows: list[tuple[str, str, int, float, float | None, float]] = []

    def bench_limelight(src: Path, label: str, workers: int | None = None) -> float:
        db = WORK / f"bench_{label}.duckdb"
        for p in (db, db.with_name(db.name + ".wal")):
            p.unlink(missing_ok=True)
        extra = [] if workers is None else ["--workers", str(workers)]
        wall, cpu, rss, out = run_isolated(
            [limelight, "ingest", str(src), "--db", str(db), "--json", *extra], WORK
        )
        summary = orjson.loads(out)
        posts = summary["read"]
        assert summary["read"] == summary["stored"] + summary["duplicates"] + summary["rejected"]
        tool = "limelight ingest" + ("" if workers is None else f" --workers {workers}")
        rows.append((label, tool, posts, wall, cpu if workers == 1 else None, rss))
        print(f"  {label}: {tool} {posts / wall:,.0f} posts/s", flush=True)
        return wall

    def bench_cnt(src: Path, fmt: str, label: str) -> float:
        db = WORK / f"bench_cnt_{label}.sqlite"
        # A journal left by an interrupted run makes SQLite fail on the new file.
        for suffix in ("", "-wal", "-shm", "-journal"):
            db.with_name(db.name + suffix).unlink(missing_ok=True)
        assert cnt is not None
        wall, cpu, rss, _ = run_isolated(
            [cnt, str(db), "preprocess", "--format", fmt, str(src)], WORK
        )
        rows.append((label, f"CNT preprocess ({fmt})", n, wall, cpu, rss))
        print(f"  {label}: CNT {n / wall:,.0f} posts/s, {cpu:.1f} CPU s", flush=True)
        return wall

    ratios = {}
    ll_csv = bench_limelight(csvf, "cnt-csv")
    ll_json = bench_limelight(jsonl, "twarc2-jsonl")
    if args.cpu:
        for src, label in ((csvf, "cnt-csv"), (jsonl, "twarc2-jsonl")):
            bench_limelight(src, label, workers=1)
    if cnt and not args.skip_cnt:
        # Seconds against seconds on the same file: the records each tool counts differ.
        ratios["cnt-csv"] = bench_cnt(csvf, "csv", "cnt-csv") / ll_csv
        ratios["twarc2-jsonl"] = bench_cnt(jsonl, "twitter_json", "twarc2-jsonl") / ll_json
    print()
    load = os.getloadavg()[0]
    print(f"ingest benchmark, {n:,} posts per input, {os.cpu_count()} cores, load {load:.1f}")
    print(
        f"{'input':<14} {'tool':<34} {'records':>10} {'seconds':>8} {'CPU s':>7} "
        f"{'posts/s':>10} {'file/s':>8} {'peak MB':>8} {'vs CNT':>7}"
    )
    for label, tool, posts, wall, cpu, rss in rows:
        ratio = f"{ratios[label]:.1f}x" if tool == "limelight ingest" and label in ratios else ""
        cpu_s = "" if cpu is None else f"{cpu:.1f}"
        print(
            f"{label:<14} {tool:<34} {posts:>10,} {wall:>8.1f} {cpu_s:>7} "
            f"{posts / wall:>10,.0f} {n / wall:>8,.0f} {rss:>8.0f} {ratio:>7}"
        )
    print(
        "\nrecords for limelight = posts read (a twarc2 file also yields the referenced tweets "
        "as posts of their own); posts/s = records / wall time, process start included; "
        "file/s = the file's own posts (its tweets, or its rows) / wall time; vs CNT = the "
        "toolkit's seconds / limelight's on the same file; "
        "CPU s = user + system seconds of a one-process command (the toolkit, or limelight "
        "with --workers 1 under --cpu); the load is a 1-minute average."
    )


if __name__ == "__main__":
    main()
