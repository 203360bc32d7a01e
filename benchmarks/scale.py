"""The Ray engine against the local engine on the same generated input.

Run ``python benchmarks/scale.py`` (default 1,000,000 posts; ``--posts 10000000`` for the
issue's size on a machine with the memory for it). For each behaviour (``--behaviours
co-repost,co-url``) the same actions (coordination benchmark's generator: heavy-tailed
item popularity over a week, a planted group) are joined into co-action edges (window 60 s,
min_weight 2) by

* local: ``co_action_edges`` in one process (DuckDB uses the machine's cores);
* ray-1, ray-2: ``RayEngine(num_cpus=K).join`` on a local Ray instance started with K CPUs
  (two shards per CPU, the default), which partitions the actions into Parquet, joins each
  shard and reduces the edges by pair.

Each configuration runs in its own process. Wall time excludes starting Ray and its
worker processes (a small join on the first 20,000 actions warms them up; a cold first job
takes about 10 s more on two cores). "peak MB"
is the largest sum, sampled every 0.2 s, of the resident memory of the process and all of
its descendants (the Ray head processes and workers included); "driver MB" is the
measuring process's own peak. Every Ray result is checked equal to the local one.

``--embed 20000`` measures the model path instead: sentence embeddings of that many
generated texts by ``embed_texts`` in this process and by the Ray actor pool
(``RayEngine.embed``), then the techniques head and the AI-text model given those vectors,
in process and on their actor pools (``RayTechniques``, ``RayAiText``), on the GPU when one
is present (one actor per GPU, ``device=cuda``), else on the CPU; it prints texts per
second per device.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pyarrow.parquet as pq

HERE = Path(__file__).resolve().parent
WORK = HERE / "_work"
WINDOW, MIN_WEIGHT = 60.0, 2


def _tree_rss_mb(root: int) -> float:
    """Resident memory of ``root`` and every process below it, in MB (from /proc)."""
    parents: dict[int, int] = {}
    rss: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
            fields = stat[stat.rindex(")") + 2 :].split()
            parents[int(entry)] = int(fields[1])
            rss[int(entry)] = int(fields[21]) * os.sysconf("SC_PAGE_SIZE")
        except (OSError, ValueError, IndexError):
            continue
    total, stack = 0, [root]
    children: dict[int, list[int]] = {}
    for pid, ppid in parents.items():
        children.setdefault(ppid, []).append(pid)
    while stack:
        pid = stack.pop()
        total += rss.get(pid, 0)
        stack.extend(children.get(pid, []))
    return total / 2**20


class PeakSampler:
    """Samples the process tree's memory in a thread; ``peak`` is the largest sum seen."""

    def __init__(self) -> None:
        self.peak = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, _tree_rss_mb(os.getpid()))
            self._stop.wait(0.2)

    def __enter__(self) -> PeakSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, _tree_rss_mb(os.getpid()))


def _input(behaviour: str, n: int) -> Path:
    return WORK / f"scale-{behaviour}-{n}.parquet"


def worker(engine: str, behaviour: str, n: int) -> dict[str, float | int | str]:
    """One measurement in this process: ``local`` or ``ray-K``."""
    from limelight.detect.coordination import co_action_edges

    actions = pq.read_table(_input(behaviour, n))
    if engine == "local":
        with PeakSampler() as mem:
            start = time.perf_counter()
            edges = co_action_edges(actions, WINDOW, MIN_WEIGHT)
            seconds = time.perf_counter() - start
        pq.write_table(edges, WORK / f"scale-local-{behaviour}-{n}.parquet")
        same = "-"
    else:
        from limelight.scale import RayEngine

        cpus = int(engine.split("-")[1])
        ray_engine = RayEngine(num_cpus=cpus)
        ray_engine.connect()
        # Warm up: start the worker processes (and their imports) before the clock runs.
        ray_engine.join(actions.slice(0, 20_000), WINDOW, MIN_WEIGHT)
        with PeakSampler() as mem:
            start = time.perf_counter()
            edges = ray_engine.join(actions, WINDOW, MIN_WEIGHT)
            seconds = time.perf_counter() - start
        local = pq.read_table(WORK / f"scale-local-{behaviour}-{n}.parquet")
        same = "yes" if edges.equals(local) else "NO"
    from resource import RUSAGE_SELF, getrusage

    return {
        "seconds": seconds,
        "edges": edges.num_rows,
        "peak_mb": mem.peak,
        "driver_mb": getrusage(RUSAGE_SELF).ru_maxrss / 1024,
        "same": same,
    }


def _generate(behaviour: str, n: int) -> None:
    sys.path.insert(0, str(HERE))
    from coordination import generate  # the coordination benchmark's generator

    pq.write_table(generate(n, behaviour), _input(behaviour, n))


def _texts(n: int) -> list[str]:
    """``n`` distinct tweet-like texts of 8 to 40 words."""
    import numpy as np

    rng = np.random.default_rng(5)
    words = [
        f"{a}{b}"
        for a in ("vote", "news", "the", "people", "state", "truth", "share")
        for b in ("", "s", "ing", "ed", "er")
    ]
    return [
        f"{i} " + " ".join(rng.choice(words, int(rng.integers(8, 41))).tolist()) for i in range(n)
    ]


def _pool_rate(call: Callable[[int], object], n: int, warm: int) -> tuple[float, float, float]:
    """(seconds for all ``n`` texts, texts/s past the start, start seconds) of a Ray pool.

    Every call builds its actor pool anew (Ray Data keeps no actors between datasets), so a
    call pays for starting the actors and loading their models. A first call on ``warm``
    texts is mostly that start; the rate past it is ``(n - warm) / (t_n - t_warm)``.
    """
    start = time.perf_counter()
    call(warm)
    t_warm = time.perf_counter() - start
    start = time.perf_counter()
    call(n)
    t_all = time.perf_counter() - start
    if t_all <= t_warm:  # too few texts to see past the start (noise)
        return t_all, float("nan"), float("nan")
    rate = (n - warm) / (t_all - t_warm)
    return t_all, rate, max(t_warm - warm / rate, 0.0)


def embed_benchmark(n: int, warm: int = 256) -> None:
    """Texts per second of the models in process and on Ray actor pools (one per GPU)."""
    from limelight.embed import embed_texts
    from limelight.scale import RayEngine

    try:
        import torch

        gpus = torch.cuda.device_count()
    except ImportError:
        gpus = 0
    device = "cuda" if gpus else "cpu"
    texts = _texts(n)
    embed_texts(texts[:256], device=device)  # load the model first
    start = time.perf_counter()
    local = embed_texts(texts, device=device)
    t_local = time.perf_counter() - start
    engine = RayEngine(gpus_per_actor=1.0 if gpus else 0.0)
    engine.connect()
    dist = None

    def embed_on_pool(k: int) -> None:
        nonlocal dist
        dist = engine.embed(texts[:k])

    t_ray, rate, started = _pool_rate(embed_on_pool, n, warm)
    diff = float(abs(local - dist).max()) if dist is not None else float("nan")
    units = max(gpus, 1)
    rows = [
        ("embeddings", "in process", 1, t_local, n / t_local, "-", "-"),
        ("embeddings", "Ray actor pool", units, t_ray, rate, f"{started:.1f}", f"{diff:.1e}"),
    ]
    # The classifiers, given the vectors: the techniques head (it embeds sentence fragments
    # to place spans) and the AI-text model (its fine-tuned encoder reads every text).
    from limelight.detect.content import AiTextModel, PersuasionModel
    from limelight.scale import RayAiText, RayTechniques

    os.environ["LIMELIGHT_EMBED_DEVICE"] = device
    techniques, ai_text = PersuasionModel(), AiTextModel()
    jobs: list[tuple[str, Callable[..., object], Callable[..., object]]] = [
        ("techniques", techniques.find, RayTechniques(engine, techniques).find),
        ("AI-text", ai_text.score, RayAiText(engine, ai_text).score),
    ]
    for what, here, there in jobs:
        here(texts[:256], local[:256])  # load the models first
        start = time.perf_counter()
        here(texts, local)
        t_model = time.perf_counter() - start

        def on_pool(k: int, there: Callable[..., object] = there) -> None:
            there(texts[:k], local[:k])

        t_pool, rate, started = _pool_rate(on_pool, n, warm)
        rows += [
            (what, "in process", 1, t_model, n / t_model, "-", "-"),
            (what, "Ray actor pool", units, t_pool, rate, f"{started:.1f}", "-"),
        ]
    print(f"\nmodels on {n:,} generated texts, device {device}")
    print(
        "| model | path | devices | wall s (one call) | texts/s past the start "
        "| per device | pool start s | max abs diff |"
    )
    print("|---|---|---:|---:|---:|---:|---:|---:|")
    for what, path, k, t, r, st, d in rows:
        shown = "- | -" if math.isnan(r) else f"{r:,.0f} | {r / k:,.0f}"
        print(f"| {what} | {path} | {k} | {t:.1f} | {shown} | {st} | {d} |")
    print(
        "texts/s past the start: in process, all texts over the wall time (model loaded); "
        f"on a pool, (n - {warm}) over the difference between a call on n texts and one on "
        f"{warm}, since every call starts its actors and loads their models anew"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=1_000_000, help="actions per behaviour")
    parser.add_argument("--behaviours", default="co-repost", help="comma-separated")
    parser.add_argument("--engines", default="local,ray-1,ray-2", help="local, ray-K")
    parser.add_argument("--worker", nargs=3, metavar=("ENGINE", "BEHAVIOUR", "N"))
    parser.add_argument("--embed", type=int, default=0, help="embedding benchmark: texts")
    args = parser.parse_args()
    if args.embed:
        embed_benchmark(args.embed)
        return
    if args.worker:
        engine, behaviour, n = args.worker
        print(json.dumps(worker(engine, behaviour, int(n))))
        return
    WORK.mkdir(exist_ok=True)
    rows = []
    for behaviour in args.behaviours.split(","):
        if not _input(behaviour, args.posts).exists():
            _generate(behaviour, args.posts)
        for engine in args.engines.split(","):
            out = subprocess.run(
                [sys.executable, __file__, "--worker", engine, behaviour, str(args.posts)],
                capture_output=True,
                text=True,
            )
            if out.returncode != 0:
                print(out.stderr[-2000:], file=sys.stderr)
                raise SystemExit(f"{engine} failed on {behaviour}")
            result = json.loads(out.stdout.strip().splitlines()[-1])
            rows.append((behaviour, engine, result))
            print(f"  done: {behaviour} {engine} {result['seconds']:.1f} s", file=sys.stderr)
    base = {b: r["seconds"] for b, e, r in rows if e == "local"}
    print(f"\nco-action edges, {args.posts:,} actions, window {WINDOW:g} s, min_weight 2")
    head = ("behaviour", "engine", "wall s", "x local", "actions/s", "peak MB", "driver MB")
    print("| " + " | ".join(head) + " | edges | equal |")
    print("|" + "---|" * (len(head) + 2))
    for behaviour, engine, r in rows:
        ratio = r["seconds"] / base[behaviour] if behaviour in base else float("nan")
        print(
            f"| {behaviour} | {engine} | {r['seconds']:.1f} | {ratio:.2f} | "
            f"{args.posts / r['seconds']:,.0f} | {r['peak_mb']:,.0f} | {r['driver_mb']:,.0f} | "
            f"{r['edges']:,} | {r['same']} |"
        )


if __name__ == "__main__":
    main()
