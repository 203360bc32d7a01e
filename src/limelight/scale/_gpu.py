"""The model work on Ray: embeddings as a pool of actors (on GPUs where the cluster has
them), and LLM labelling from Ray tasks through the same client, cache and accounting.

An embedding actor loads the sentence-transformers model once and embeds batch after batch;
with ``gpus_per_actor`` > 0 Ray places each actor on a GPU and the model runs with
``device="cuda"``, with 0 (the default, and the tests) it runs on the actor's CPU.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa

from limelight.scale._batch import map_table

if TYPE_CHECKING:
    from limelight.scale._engine import RayEngine

__all__ = ["Embedder", "ray_embed"]

#: Texts per embedding batch: a GPU is kept busy, a CPU actor answers within seconds.
EMBED_BATCH = 1024


class Embedder:
    """A Ray actor's embedding model (``limelight.embed``), loaded once per actor."""

    def __init__(self, device: str) -> None:
        self.device = device
        if device == "cpu":
            import ray

            resources = ray.get_runtime_context().get_assigned_resources()  # type: ignore[no-untyped-call]
            cpus = resources.get("CPU", 1)
            try:
                import torch

                torch.set_num_threads(max(int(cpus), 1))
            except ImportError:  # the model load below says which extra to install
                pass

    def __call__(self, batch: pa.Table) -> pa.Table:
        from limelight.embed import embed_texts

        texts = [str(t) for t in batch.column("text").to_pylist()]
        vectors = embed_texts(texts, device=self.device)
        flat = pa.array(vectors.reshape(-1), pa.float32())
        return pa.table({"vector": pa.FixedSizeListArray.from_arrays(flat, vectors.shape[1])})


def ray_embed(texts: list[str], engine: RayEngine) -> np.ndarray:
    """``embed_texts(texts)`` computed by a pool of embedding actors, rows in input order."""
    from limelight.embed import DIMENSIONS

    if not texts:
        return np.zeros((0, DIMENSIONS), dtype=np.float32)
    ray = engine.connect()
    gpus = engine.gpus_per_actor
    actors = engine.actors or (
        max(int(ray.cluster_resources().get("GPU", 0) / gpus), 1)
        if gpus
        else max(int(ray.cluster_resources().get("CPU", 1)), 1)
    )
    from ray.data import ActorPoolStrategy

    options: dict[str, Any] = {
        "fn_constructor_kwargs": {"device": "cuda" if gpus else "cpu"},
        "compute": ActorPoolStrategy(size=actors),
        "num_gpus": gpus,
    }
    if not gpus:
        options["num_cpus"] = 1
    out = map_table(
        pa.table({"text": pa.array(texts, pa.string())}),
        Embedder,
        engine,
        "embedding",
        batch_rows=EMBED_BATCH,
        **options,
    )
    vectors = out.column("vector").combine_chunks().flatten().to_numpy(zero_copy_only=False)
    return np.ascontiguousarray(vectors.reshape(len(texts), -1), dtype=np.float32)
