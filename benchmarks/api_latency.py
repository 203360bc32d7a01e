"""API latency under load: p50 and p99 per endpoint with many concurrent local clients.

Run ``python benchmarks/api_latency.py`` (``--clients 100 --requests 20 --data FILE``).
It makes a store with ``limelight analyze`` (the bundled CooRTweet sample by default, or
``--data``), starts ``limelight serve`` on a free loopback port in its own process, and
lets ``--clients`` asynchronous clients, each on its own connection, send ``--requests``
requests each, all at once, cycling through a mix of what the dashboard and an integration
ask for: the campaign list with a threshold, a campaign, its network and timeline, members'
posts, accounts above a bot score, search, and the dashboard's campaign page. It does
this twice, with the server's response cache off (``--cache 0``: every request queries
DuckDB) and on (the default: a path is queried once until the next write), and prints one
row per endpoint (requests, p50, p99, max, in ms) for each, and the throughput.

There is no peer tool serving the same store, so the ratio printed is cache on over cache
off in the same run.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

WORK = Path(__file__).resolve().parent / "_work" / "api"


def _bin(name: str) -> str:
    return str(Path(sys.executable).with_name(name))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _store(data: Path | None) -> Path:
    from limelight.demo import sample_path

    WORK.mkdir(parents=True, exist_ok=True)
    db = WORK / "api.duckdb"
    source = data or sample_path()
    subprocess.run(
        [_bin("limelight"), "analyze", str(source), "--db", str(db), "--out", str(WORK / "rep")],
        check=True,
        capture_output=True,
    )
    return db


def _mix(base: str) -> list[tuple[str, str]]:
    """(label, path) pairs every client cycles through."""
    with httpx.Client(base_url=base, timeout=60) as c:
        page = c.get("/api/campaigns", params={"limit": 1}).json()
        cid = page["items"][0]["campaign_id"] if page["items"] else "none"
        lo = page.get("score_min") or 0
    return [
        ("GET /api/campaigns?min_score", f"/api/campaigns?min_score={lo}&limit=50"),
        ("GET /api/campaigns/{id}", f"/api/campaigns/{cid}"),
        ("GET /api/campaigns/{id}/network", f"/api/campaigns/{cid}/network"),
        ("GET /api/campaigns/{id}/timeline", f"/api/campaigns/{cid}/timeline"),
        ("GET /api/posts?campaign_id", f"/api/posts?campaign_id={cid}&limit=50"),
        ("GET /api/accounts?min_bot_score", "/api/accounts?min_bot_score=0.5&limit=50"),
        ("GET /api/search?q", "/api/search?q=a&limit=20"),
        ("GET /campaigns/{id} (dashboard)", f"/campaigns/{cid}"),
    ]


async def _client(
    base: str, mix: list[tuple[str, str]], n: int, start: int, out: list[tuple[str, float]]
) -> None:
    limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
    async with httpx.AsyncClient(base_url=base, timeout=120, limits=limits) as c:
        for i in range(n):
            label, path = mix[(start + i) % len(mix)]
            t = time.perf_counter()
            r = await c.get(path)
            out.append((label, time.perf_counter() - t))
            if r.status_code != 200:
                raise SystemExit(f"{path}: HTTP {r.status_code} {r.text[:200]}")


async def _load(base: str, clients: int, requests: int) -> tuple[list[tuple[str, float]], float]:
    mix = _mix(base)
    out: list[tuple[str, float]] = []
    t = time.perf_counter()
    await asyncio.gather(*(_client(base, mix, requests, k, out) for k in range(clients)))
    return out, time.perf_counter() - t


def _pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, round(q * (len(values) - 1)))] * 1000


def _run(
    db: Path, cache: int, clients: int, requests: int
) -> tuple[list[tuple[str, float]], float]:
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [_bin("limelight"), "serve", "--db", str(db), "--port", str(port), "--cache", str(cache)],
        stderr=subprocess.DEVNULL,
        env={**os.environ},
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.get(base + "/api/stats", timeout=2)
                break
            except httpx.TransportError:
                if time.monotonic() > deadline:
                    raise SystemExit("limelight serve did not start in 60 s") from None
                time.sleep(0.2)
        return asyncio.run(_load(base, clients, requests))
    finally:
        server.terminate()
        server.wait(timeout=30)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--clients", type=int, default=100)
    ap.add_argument("--requests", type=int, default=20, help="requests per client")
    ap.add_argument("--data", type=Path, default=None, help="posts to analyze (default: sample)")
    args = ap.parse_args()
    db = _store(args.data)
    print(
        f"| endpoint ({args.clients} clients at once) | cache | requests | p50 ms | p99 ms | max ms |"
    )
    print("|---|---|---:|---:|---:|---:|")
    rates = {}
    for cache in (0, 1024):
        results, wall = _run(db, cache, args.clients, args.requests)
        by: dict[str, list[float]] = {}
        for label, seconds in results:
            by.setdefault(label, []).append(seconds)
        state = "on" if cache else "off"
        for label, values in [*by.items(), ("all", [s for _, s in results])]:
            print(
                f"| {label} | {state} | {len(values)} | {_pct(values, 0.5):.0f} "
                f"| {_pct(values, 0.99):.0f} | {max(values) * 1000:.0f} |"
            )
        rates[state] = len(results) / wall
    print()
    for state, rate in rates.items():
        print(f"cache {state}: {rate:.0f} requests/s")
    print(f"cache on / cache off: {rates['on'] / rates['off']:.1f}x the throughput")


if __name__ == "__main__":
    main()
