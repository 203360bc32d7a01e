"""Two Ray nodes: the shards' tasks are scheduled across nodes and the edges still equal
the local engine's.

The nodes are real raylets (``ray.cluster_utils.Cluster``), each with its own CPU, object
store and worker processes, started on this one machine; what a second machine would add
is the network and a work folder both must reach, which here is a shared local folder.
The cluster runs in a subprocess, apart from the session's local Ray instance.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from limelight.detect.coordination import actions, co_action_edges
from limelight.store import Database

pytest.importorskip("ray")

_SCRIPT = """
import json, sys
import pyarrow.parquet as pq
import ray
from ray.cluster_utils import Cluster
from limelight.scale import RayEngine

acts = pq.read_table(sys.argv[1])
cluster = Cluster(initialize_head=True, head_node_args={"num_cpus": 1})
cluster.add_node(num_cpus=1)
try:
    engine = RayEngine(address=cluster.address, shards=6, workdir=sys.argv[2])
    rt = engine.connect()

    @rt.remote(num_cpus=1)
    def where() -> str:
        import time
        time.sleep(0.5)
        return rt.get_runtime_context().get_node_id()

    nodes = sorted({n["NodeID"] for n in rt.nodes() if n["Alive"]})
    used = sorted(set(rt.get([where.remote() for _ in range(6)])))
    pq.write_table(engine.join(acts, 60, 2), sys.argv[3])
    print(json.dumps({"nodes": nodes, "used": used}))
finally:
    ray.shutdown()
    cluster.shutdown()
"""


@pytest.mark.slow
def test_edges_on_a_two_node_cluster_equal_local(russian_store: Path, tmp_path: Path) -> None:
    with Database(russian_store) as db:
        acts = actions(db, "co-repost")
    pq.write_table(acts, tmp_path / "actions.parquet")
    work = tmp_path / "work"
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAY_")}
    out = subprocess.run(
        [
            sys.executable,
            "-c",
            _SCRIPT,
            str(tmp_path / "actions.parquet"),
            str(work),
            str(tmp_path / "edges.parquet"),
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )
    assert out.returncode == 0, out.stderr[-3000:]
    info = json.loads(out.stdout.strip().splitlines()[-1])
    assert len(info["nodes"]) == 2
    assert info["used"] == info["nodes"]  # tasks ran on both nodes
    local = co_action_edges(acts, 60, 2)
    dist = pq.read_table(tmp_path / "edges.parquet")
    assert local.num_rows > 10
    assert dist.to_pylist() == local.to_pylist()
    assert not any(work.iterdir())  # the run's partitions were removed
