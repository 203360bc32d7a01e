"""The model work on Ray: embeddings and the content classifiers as pools of actors (on
GPUs where the cluster has them).

An actor loads its model once and works batch after batch: ``Embedder`` the
sentence-transformers model, ``TechniqueFinder`` a persuasion head (with MiniLM for the
sentence fragments it places spans on), ``AiTextScorer`` the AI-text model (with its
fine-tuned encoder). With ``gpus_per_actor`` > 0 Ray places each actor on a GPU and every
model pass in it runs with ``device="cuda"``; with 0 (the default, and the tests) on the
actor's CPU. ``RayTechniques`` and ``RayAiText`` stand in for the local models in
``analyse_posts``: same ``version``, same results, the work on the actors.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import asdict
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa

from limelight.scale._batch import map_table

if TYPE_CHECKING:
    from limelight.detect.content import AiTextModel, AiTextScore, PersuasionModel, TechniqueHit
    from limelight.scale._engine import RayEngine

__all__ = ["AiTextScorer", "Embedder", "RayAiText", "RayTechniques", "TechniqueFinder", "ray_embed"]

_SCORES = pa.schema(
    [
        ("model_score", pa.float64()),
        ("rule", pa.string()),
        ("phrase", pa.string()),
        ("ai_score", pa.float64()),
    ]
)
_HITS = pa.list_(
    pa.struct(
        [
            ("technique", pa.string()),
            ("score", pa.float64()),
            ("span_start", pa.int64()),
            ("span_end", pa.int64()),
        ]
    )
)

#: Texts per embedding batch: a GPU is kept busy, a CPU actor answers within seconds.
EMBED_BATCH = 1024


class _ModelActor:
    """What every model actor does first: on a CPU, as many torch threads as it was given
    CPUs; on a GPU, every model pass in the process goes to it."""

    def __init__(self, device: str) -> None:
        self.device = device
        if device != "cpu":
            os.environ["LIMELIGHT_EMBED_DEVICE"] = device
            return
        import ray

        resources = ray.get_runtime_context().get_assigned_resources()  # type: ignore[no-untyped-call]
        cpus = resources.get("CPU", 1)
        try:
            import torch

            torch.set_num_threads(max(int(cpus), 1))
        except ImportError:  # the model load says which extra to install
            pass


def _texts_vectors(batch: pa.Table) -> tuple[list[str], np.ndarray | None]:
    texts = [str(t) for t in batch.column("text").to_pylist()]
    if "vector" not in batch.column_names:
        return texts, None
    return texts, _unpack(batch.column("vector"), len(texts))


def _pack(vectors: np.ndarray) -> pa.FixedSizeListArray:
    """Vectors (rows x dims) as one Arrow column of fixed-size float32 lists."""
    flat = pa.array(np.ascontiguousarray(vectors, dtype=np.float32).reshape(-1), pa.float32())
    return pa.FixedSizeListArray.from_arrays(flat, vectors.shape[1])


def _unpack(column: pa.ChunkedArray, n: int) -> np.ndarray:
    """The rows x dims float32 array of a column made by ``_pack``."""
    flat = column.combine_chunks().flatten().to_numpy(zero_copy_only=False)
    return np.ascontiguousarray(flat.reshape(n, -1), dtype=np.float32)


class Embedder(_ModelActor):
    """A Ray actor's embedding model (``limelight.embed``), loaded once per actor."""

    def __call__(self, batch: pa.Table) -> pa.Table:
        from limelight.embed import embed_texts

        texts, _ = _texts_vectors(batch)
        vectors = embed_texts(texts, device=self.device)
        return pa.table({"vector": _pack(vectors)})


class TechniqueFinder(_ModelActor):
    """A Ray actor's persuasion head: ``PersuasionModel.find`` on each batch."""

    def __init__(self, device: str, model: PersuasionModel) -> None:
        super().__init__(device)
        self.model = model

    def __call__(self, batch: pa.Table) -> pa.Table:
        texts, vectors = _texts_vectors(batch)
        hits = self.model.find(texts, vectors)
        return pa.table({"hits": pa.array([[asdict(h) for h in f] for f in hits], _HITS)})


class AiTextScorer(_ModelActor):
    """A Ray actor's AI-text model: ``AiTextModel.score`` on each batch."""

    def __init__(self, device: str, model: AiTextModel) -> None:
        super().__init__(device)
        self.model = model

    def __call__(self, batch: pa.Table) -> pa.Table:
        texts, vectors = _texts_vectors(batch)
        scores = self.model.score(texts, vectors)
        return pa.Table.from_pylist([asdict(sc) for sc in scores], schema=_SCORES)


def _on_actors(
    texts: Sequence[str],
    vectors: np.ndarray | None,
    actor: type,
    engine: RayEngine,
    what: str,
    **model: Any,
) -> pa.Table:
    """``actor`` over the texts (and their vectors) by a pool of actors, in input order."""
    ray = engine.connect()
    gpus = engine.gpus_per_actor
    actors = engine.actors or (
        max(int(ray.cluster_resources().get("GPU", 0) / gpus), 1)
        if gpus
        else max(int(ray.cluster_resources().get("CPU", 1)), 1)
    )
    from ray.data import ActorPoolStrategy

    options: dict[str, Any] = {
        "fn_constructor_kwargs": {"device": "cuda" if gpus else "cpu", **model},
        "compute": ActorPoolStrategy(size=actors),
        "num_gpus": gpus,
    }
    if not gpus:
        options["num_cpus"] = 1
    columns: dict[str, pa.Array] = {"text": pa.array(list(texts), pa.string())}
    if vectors is not None:
        columns["vector"] = _pack(vectors)
    return map_table(pa.table(columns), actor, engine, what, batch_rows=EMBED_BATCH, **options)


class RayTechniques:
    """A persuasion head whose ``find`` runs on a pool of ``TechniqueFinder`` actors."""

    def __init__(self, engine: RayEngine, model: PersuasionModel) -> None:
        self.engine, self.model = engine, model

    @property
    def version(self) -> str:
        """The head's content hash, as the local model gives it."""
        return self.model.version

    def find(
        self, texts: list[str], embeddings: np.ndarray | None = None
    ) -> list[list[TechniqueHit]]:
        """``PersuasionModel.find``, batch by batch on the actors."""
        from limelight.detect.content import TechniqueHit

        if not texts:
            return []
        out = _on_actors(
            texts, embeddings, TechniqueFinder, self.engine, "techniques", model=self.model
        )
        return [[TechniqueHit(**h) for h in row] for row in out.column("hits").to_pylist()]


class RayAiText:
    """An AI-text model whose ``score`` runs on a pool of ``AiTextScorer`` actors."""

    def __init__(self, engine: RayEngine, model: AiTextModel) -> None:
        self.engine, self.model = engine, model

    @property
    def version(self) -> str:
        """The model's content hash(es), as the local model gives them."""
        return self.model.version

    @property
    def threshold(self) -> float:
        """The local model's threshold."""
        return self.model.threshold

    def score(
        self, texts: Sequence[str], embeddings: np.ndarray | None = None
    ) -> list[AiTextScore]:
        """``AiTextModel.score``, batch by batch on the actors."""
        from limelight.detect.content import AiTextScore

        if not len(texts):
            return []
        out = _on_actors(texts, embeddings, AiTextScorer, self.engine, "AI-text", model=self.model)
        return [AiTextScore(**row) for row in out.to_pylist()]


def ray_embed(texts: list[str], engine: RayEngine) -> np.ndarray:
    """``embed_texts(texts)`` computed by a pool of embedding actors, rows in input order."""
    from limelight.embed import DIMENSIONS

    if not texts:
        return np.zeros((0, DIMENSIONS), dtype=np.float32)
    out = _on_actors(texts, None, Embedder, engine, "embedding")
    return _unpack(out.column("vector"), len(texts))
