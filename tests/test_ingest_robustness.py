"""Ingest under stress: a million lines with garbage, a killed process, Ctrl-C, and
property tests that the counts add up and that ingest is idempotent."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import limelight._parallel as parallel
from limelight._parallel import cut_chunks
from limelight.ingest import ingest_paths
from limelight.store import Database

HEADER = "object_id,account_id,content_id,timestamp_share"
GARBAGE = [
    "\x00\x01\x02 binary junk",
    "only,three,fields",
    "a,b,c,d,e,f",
    '"unterminated, quote',
    "obj,acct,post-bad-time,yesterday at noon",
]


def _write_with_garbage(
    path: Path, n_lines: int, garbage_rate: float, seed: int
) -> tuple[int, int]:
    """A CooRTweet CSV with good rows and garbage lines; returns (good, garbage) counts."""
    rng = random.Random(seed)
    good = bad = 0
    with open(path, "w", encoding="utf-8", newline="") as f:
        f.write(HEADER + "\n")
        for i in range(n_lines):
            if rng.random() < garbage_rate:
                line = rng.choice(GARBAGE)
                if line.startswith('"'):
                    line = line + '"'  # keep the CSV parser's line count in step
                f.write(line + "\n")
                bad += 1
            else:
                f.write(
                    f"o{rng.randrange(5000)},a{rng.randrange(20000)},p{i},{1_600_000_000 + i}\n"
                )
                good += 1
    return good, bad


def test_a_million_lines_with_one_percent_garbage(tmp_path: Path) -> None:
    src = tmp_path / "big.csv"
    good, bad = _write_with_garbage(src, 1_000_000, 0.01, seed=1)
    with Database(tmp_path / "s.duckdb") as db:
        f = ingest_paths([src], db, fmt="coortweet").files[0]
        assert f.read == good + bad
        assert (f.stored, f.duplicates, f.rejected) == (good, 0, bad)
        assert db.count("posts") == good
        assert db.count("rejects") == bad
        # No garbage made it into the posts table.
        assert db.query(
            "SELECT count(*) FROM posts WHERE NOT regexp_matches(post_id, '^p[0-9]+$')"
        ) == [(0,)]


def _wait_until_a_batch_is_stored(
    db: Path, proc: subprocess.Popen[bytes] | subprocess.Popen[str]
) -> None:
    """Wait until the ingest has most likely committed its first batch, so that a signal
    lands mid-file whatever the machine's speed (a fixed sleep raced the ingest, which on
    a fast machine had finished the file before the signal came).

    A batch shows as the write-ahead log growing past what creating the tables writes (a
    few kB) and then holding still for a moment while the next batch is parsed.
    """
    wal = Path(f"{db}.wal")
    deadline = time.monotonic() + 120
    size, since = 0, time.monotonic()
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError("the ingest ended before its first batch was seen")
        now = wal.stat().st_size if wal.exists() else 0
        if now != size:
            size, since = now, time.monotonic()
        elif size > 64 * 1024 and time.monotonic() - since > 0.1:
            return
        time.sleep(0.005)
    raise AssertionError("no batch was committed within 120 s")


def _transaction_ends(src: Path, batch: int) -> set[int]:
    """Rows stored after each transaction of a chunked CSV ingest: whole chunks (as the
    ingest cuts them) are written together once they hold ``batch`` records."""
    ends, waiting, total = set(), 0, 0
    with open(src, "rb") as fh:
        fh.readline()  # the header
        for chunk, _ in cut_chunks(fh, csv=True, size=parallel.CHUNK_BYTES, first_line=2):
            rows = chunk.count(b"\n")
            waiting += rows
            total += rows
            if waiting >= batch:
                ends.add(total)
                waiting = 0
    return ends | {total}


def _ingest_cmd(src: Path, db: Path, batch: int) -> list[str]:
    return [
        sys.executable,
        "-m",
        "limelight",
        "ingest",
        str(src),
        "--db",
        str(db),
        "--batch-size",
        str(batch),
        "--format",
        "coortweet",
        "--workers",
        "1",
    ]


def test_killed_mid_file_leaves_whole_batches_and_a_rerun_completes(tmp_path: Path) -> None:
    src = tmp_path / "big.csv"
    good, _ = _write_with_garbage(src, 600_000, 0.0, seed=2)
    db = tmp_path / "s.duckdb"
    proc = subprocess.Popen(
        _ingest_cmd(src, db, 20_000), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    _wait_until_a_batch_is_stored(db, proc)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    with Database(db) as store:
        held = store.count("posts")
        # Every batch is one transaction: the store holds whole batches only, and the
        # kill came long before the last one.
        assert held in _transaction_ends(src, 20_000) | {0}, held
        assert held < good, "the kill came after the ingest had finished"
        rerun = ingest_paths([src], store, fmt="coortweet")
        f = rerun.files[0]
        assert (f.stored, f.duplicates) == (good - held, held)
        assert store.count("posts") == good


def test_ctrl_c_exits_130_with_a_message_and_no_traceback(tmp_path: Path) -> None:
    src = tmp_path / "big.csv"
    _write_with_garbage(src, 600_000, 0.0, seed=3)
    db = tmp_path / "s.duckdb"
    proc = subprocess.Popen(
        _ingest_cmd(src, db, 20_000), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    _wait_until_a_batch_is_stored(db, proc)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=120)
    # The signal came after the first batch, long before the last: it must stop the ingest.
    assert proc.returncode == 130, err[-3000:]
    assert "Traceback" not in err and "run the same command again" in err
    with Database(db) as store:
        held = store.count("posts")
        assert held in _transaction_ends(src, 20_000) | {0}, held
        assert held < 600_000, held


ROW = st.tuples(
    st.sampled_from([f"o{i}" for i in range(5)]),
    st.sampled_from([f"a{i}" for i in range(5)]),
    st.sampled_from([f"p{i}" for i in range(30)]),
    st.integers(1_500_000_000, 1_700_000_000),
)
LINE = st.one_of(ROW.map(lambda r: ",".join(map(str, r))), st.sampled_from(GARBAGE[1:3]))


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(files=st.lists(st.lists(LINE, max_size=40), min_size=1, max_size=3), batch=st.integers(1, 7))
def test_counts_add_up_and_ingest_is_idempotent(
    tmp_path_factory: object, files: list[list[str]], batch: int
) -> None:
    tmp = Path(tmp_path_factory.mktemp("prop"))  # type: ignore[attr-defined]
    paths = []
    for i, lines in enumerate(files):
        p = tmp / f"f{i}.csv"
        p.write_text("\n".join([HEADER, *lines]) + "\n", encoding="utf-8")
        paths.append(p)
    with Database(tmp / "s.duckdb") as db:
        first = ingest_paths(paths, db, fmt="coortweet", batch_size=batch)
        snapshot = db.query("SELECT * FROM posts ORDER BY post_id")
        second = ingest_paths(paths, db, fmt="coortweet", batch_size=batch, force=True)
        for s in (first, second):
            for f in s.files:
                assert f.read == f.stored + f.duplicates + f.rejected
        good_ids = {line.split(",")[2] for lines in files for line in lines if line.count(",") == 3}
        assert first.total("stored") == len(good_ids) == db.count("posts")
        assert second.total("stored") == 0
        assert db.query("SELECT * FROM posts ORDER BY post_id") == snapshot


def test_module_entry_point_exists() -> None:
    # `python -m limelight` is what the subprocess tests above run.
    out = subprocess.run(
        [sys.executable, "-m", "limelight", "--help"],
        capture_output=True,
        text=True,
        env={**os.environ, "COLUMNS": "120"},
    )
    assert out.returncode == 0 and "ingest" in out.stdout
