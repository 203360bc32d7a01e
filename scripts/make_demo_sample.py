"""Cut the demo sample bundled with limelight out of CooRTweet's russian_coord_tweets.csv.

Usage::

    python scripts/make_demo_sample.py PATH/TO/russian_coord_tweets.csv \
        [--out src/limelight/demo/russian_coord_sample.csv.gz]

The sample must show real coordination and enough ordinary activity around it to test
against chance, in a few thousand rows. The cut is deterministic (no random generator;
the same input always gives the same bytes) and keeps whole objects, so that every kept
object's popularity and timing are as in the full data:

1. Co-retweet pairs: two accounts that retweeted the same object within ``WINDOWS_S[w]``
   seconds of each other, for at least ``MIN_OBJECTS[w]`` distinct objects, for each
   window ``w`` (60 s and 300 s). Every object such a pair co-retweeted within the window
   is kept, unless it has more than ``MAX_OBJECT_ROWS`` retweets (the few very popular
   objects would crowd out everything else and are the least telling).
2. Background: the other objects, taken whole in the order of sha256(object_id) while
   the total stays at or under ``TARGET_ROWS``.

Rows are written verbatim (the original header and lines), in the file's own order, to a
gzip file with no name and time stamp inside.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import hashlib
from collections import Counter, defaultdict
from pathlib import Path

HEADER = "object_id,account_id,content_id,timestamp_share"
WINDOWS_S = (60.0, 300.0)
MIN_OBJECTS = {60.0: 2, 300.0: 4}
MAX_OBJECT_ROWS = 200
TARGET_ROWS = 5_500
DEFAULT_OUT = Path(__file__).resolve().parents[1] / "src/limelight/demo/russian_coord_sample.csv.gz"

Share = tuple[float, str]  # (timestamp, account_id)


def read_lines(path: Path) -> tuple[str, list[str], list[list[str]]]:
    """The header, the raw data lines and their parsed fields (one record per line)."""
    text = path.read_text(encoding="utf-8")
    header, *lines = text.splitlines()
    if header.strip() != HEADER:
        raise SystemExit(f"{path}: expected the header {HEADER!r}, found {header!r}")
    lines = [line for line in lines if line.strip()]
    fields = list(csv.reader(lines))
    bad = next((i for i, f in enumerate(fields) if len(f) != 4), None)
    if bad is not None:
        raise SystemExit(f"{path}: line {bad + 2} is not one 4-field record")
    return header, lines, fields


def co_share_objects(
    shares: dict[str, list[Share]], window: float
) -> dict[tuple[str, str], set[str]]:
    """For each account pair, the objects both shared within ``window`` seconds of each other."""
    pair_objects: dict[tuple[str, str], set[str]] = defaultdict(set)
    for obj, rows in shares.items():
        ordered = sorted(rows)
        start = 0
        for i, (t, account) in enumerate(ordered):
            while t - ordered[start][0] > window:
                start += 1
            for _, other in ordered[start:i]:
                if other != account:
                    pair = (other, account) if other < account else (account, other)
                    pair_objects[pair].add(obj)
    return pair_objects


def choose_objects(fields: list[list[str]]) -> tuple[set[str], set[str]]:
    """The coordinated objects and the background objects to keep."""
    shares: dict[str, list[Share]] = defaultdict(list)
    for obj, account, _content, ts in fields:
        shares[obj].append((float(ts), account))
    size = Counter({obj: len(rows) for obj, rows in shares.items()})
    coordinated: set[str] = set()
    for window in WINDOWS_S:
        for objects in co_share_objects(shares, window).values():
            if len(objects) >= MIN_OBJECTS[window]:
                coordinated.update(o for o in objects if size[o] <= MAX_OBJECT_ROWS)
    total = sum(size[o] for o in coordinated)
    background: set[str] = set()
    rest = sorted(
        (o for o in shares if o not in coordinated),
        key=lambda o: hashlib.sha256(o.encode()).hexdigest(),
    )
    for obj in rest:
        if total + size[obj] <= TARGET_ROWS:
            background.add(obj)
            total += size[obj]
    return coordinated, background


def main() -> None:
    """Read the full file, choose the rows and write the gzip sample."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("source", type=Path, help="CooRTweet's russian_coord_tweets.csv")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="where to write the sample")
    args = parser.parse_args()
    header, lines, fields = read_lines(args.source)
    coordinated, background = choose_objects(fields)
    keep = coordinated | background
    kept = [line for line, f in zip(lines, fields, strict=True) if f[0] in keep]
    payload = ("\n".join([header, *kept]) + "\n").encode("utf-8")
    with (
        args.out.open("wb") as raw,
        gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0, compresslevel=9) as gz,
    ):
        gz.write(payload)
    print(
        f"{args.out}: {len(kept)} rows ({len(coordinated)} coordinated and "
        f"{len(background)} background objects), {args.out.stat().st_size:,} bytes"
    )


if __name__ == "__main__":
    main()
