"""The same detectors on a Ray cluster, with the same results (``--engine ray``).

Co-action edges are computed by cutting the actions into shards by their item (Parquet
partitions), running the local engine's DuckDB window join on each shard as a Ray task,
and summing the shards' directed weights per account pair; significance testing and
Leiden clustering then run on the reduced graph with the local code. Account scores, and
content embeddings and classifiers, run as Ray Data batch maps over the local models
(their actors take GPUs when asked: ``RayTechniques``, ``RayAiText``), and
``RayLLMClient`` sends LLM requests from Ray tasks. Ray itself is optional (``pip install
'limelight[ray]'``) and imported only when a job starts. docs/scale.md explains
deployment, partitioning, memory and sizing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from limelight.scale._engine import ENGINES, RayEngine, engine_from_settings
from limelight.scale._ray import ScaleError, connect, import_ray

if TYPE_CHECKING:
    from limelight.scale._gpu import RayAiText, RayTechniques
    from limelight.scale._llm import RayLLMClient

__all__ = [
    "ENGINES",
    "RayAiText",
    "RayEngine",
    "RayLLMClient",
    "RayTechniques",
    "ScaleError",
    "connect",
    "engine_from_settings",
    "import_ray",
]


def __getattr__(name: str) -> Any:
    """``RayLLMClient`` and the classifier stand-ins are imported on first use (they bring
    in the LLM client and the content models)."""
    if name == "RayLLMClient":
        from limelight.scale._llm import RayLLMClient

        return RayLLMClient
    if name in ("RayAiText", "RayTechniques"):
        from limelight.scale import _gpu

        return getattr(_gpu, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
