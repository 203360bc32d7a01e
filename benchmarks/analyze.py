"""`limelight analyze` end to end: seconds per million posts, the rerun, and the peer's chain.

Run ``python benchmarks/analyze.py`` (``--sizes 200000,1000000``). For each size it writes
generated posts in coordination-network-toolkit's CSV (``generate_posts_csv`` of
benchmarks/coordination.py: heavy-tailed activity over a week, reposts, replies, links,
stock phrases, and a planted group of 50 accounts acting within 30 s, one world at every
size), then times, each
command in its own process with process start included:

* ``limelight analyze FILE --format cnt-csv --no-content``: ingest, coordination campaigns
  (co-repost, co-url, co-text, significance, Leiden), account scores, fusion,
  amplification and the HTML report; then the same command again (everything reused).
  The content detectors are off: they embed every text with MiniLM and the generated texts
  are word salad (benchmarks/content.py measures them);
* the peer's closest chain, coordination-network-toolkit's ``preprocess`` and ``compute``
  of co_retweet, co_tweet and co_link (edges only: no significance test, no clustering,
  no scores, no report), when the size is at most ``--cnt-max``.

The ratio is the peer's time over limelight's for the whole chain: above 1 limelight is
faster although it does more. Peak MB is the command's peak resident memory.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from coordination import generate_posts_csv

WORK = Path(__file__).resolve().parent / "_work"


def _timed(cmd: list[str]) -> tuple[float, float]:
    """Wall seconds and peak resident MB of one command run in a fresh wrapper process."""
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


def posts_csv(path: Path, n: int) -> dict[str, int]:
    """``n`` generated posts: the generator of benchmarks/coordination.py, at any size.

    It writes a million rows at a time, so one world of ``n`` posts (not copies of a
    smaller one) is generated at every size.
    """
    return generate_posts_csv(path, n)


def _bin(name: str) -> str:
    return str(Path(sys.executable).with_name(name))


def _stages(store: Path) -> dict[str, str]:
    import duckdb

    conn = duckdb.connect(str(store), read_only=True)
    try:
        rows = conn.execute("SELECT stage, message FROM spotlight_runs").fetchall()
    finally:
        conn.close()
    return {str(s): str(m) for s, m in rows}


def run(n: int, cnt_max: int) -> None:
    """Time both chains on ``n`` generated posts and print the rows."""
    WORK.mkdir(exist_ok=True)
    csv_path = WORK / f"analyze-{n}.csv"
    store = WORK / f"analyze-{n}.duckdb"
    for p in (store, store.with_name(store.name + ".wal")):
        p.unlink(missing_ok=True)
    info = posts_csv(csv_path, n)
    cmd = [
        _bin("limelight"),
        "analyze",
        str(csv_path),
        "--db",
        str(store),
        "--format",
        "cnt-csv",
        "--out",
        str(WORK / f"analyze-{n}"),
        "--no-content",
    ]
    first, first_mb = _timed(cmd)
    again, _ = _timed(cmd)
    stages = _stages(store)
    cnt = cnt_mb = None
    if n <= cnt_max:
        db = WORK / f"analyze-cnt-{n}.db"
        db.unlink(missing_ok=True)
        w, cnt_mb = _timed(
            [_bin("compute_networks"), str(db), "preprocess", "--format", "csv", str(csv_path)]
        )
        cnt = w
        for network in ("co_retweet", "co_tweet", "co_link"):
            w, m = _timed(
                [
                    _bin("compute_networks"),
                    str(db),
                    "compute",
                    network,
                    "--time_window",
                    "60",
                    "--min_edge_weight",
                    "2",
                    "--n_cpus",
                    "2",
                ]
            )
            cnt += w
            cnt_mb = max(cnt_mb, m)
    per_million = first / n * 1_000_000
    peer = f"{cnt:8.1f} {cnt_mb:8.0f} {cnt / first:6.1f}x" if cnt and cnt_mb else "  not run"
    print(
        f"{n:>10,} {info['accounts']:>9,} {first:9.1f} {per_million:10.1f} {first_mb:8.0f} "
        f"{again:8.1f} {peer}"
    )
    found = stages.get("coordination", "").removeprefix("reused: ")
    print(f"{'':>10} found {found}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="200000,1000000")
    parser.add_argument("--cnt-max", type=int, default=1_000_000)
    args = parser.parse_args()
    print("limelight analyze (first run, rerun) vs coordination-network-toolkit preprocess +")
    print("compute co_retweet, co_tweet, co_link; wall seconds with process start, peak MB")
    print(
        f"{'posts':>10} {'accounts':>9} {'analyze s':>9} {'s per 1M':>10} {'peak MB':>8} "
        f"{'rerun s':>8} {'CNT s':>8} {'peak MB':>8} {'ratio':>7}"
    )
    for n in (int(s) for s in args.sizes.split(",")):
        run(n, args.cnt_max)


if __name__ == "__main__":
    main()
