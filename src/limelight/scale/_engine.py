"""The Ray engine: where the work runs, how finely it is cut, and the detectors on it.

``RayEngine`` holds the settings (cluster address, shards, work folder, retries) and runs
the local detectors' own functions on Ray: the co-action join per shard (``join``, which
``edges`` and ``campaigns`` pass to the coordination code), account scoring and content
labels as Ray Data batch maps. Everything is read from the store on the driver and
written back by the driver, once, in one transaction per stage, after every task has
finished: a job that fails part way leaves the store as it was.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from types import ModuleType
from typing import Any

import pyarrow as pa

from limelight.errors import InputError

__all__ = ["ENGINES", "RayEngine", "engine_from_settings"]

#: The engines a command can run on; ``local`` is the default.
ENGINES = ("local", "ray")


@dataclass(frozen=True, slots=True)
class RayEngine:
    """Settings of a run on Ray.

    ``address``: the cluster to join (``auto``, ``ray://head:10001``, ``head:6379``); None
    starts a local instance with ``num_cpus`` CPUs (default: all). ``shards``: how many
    shards the actions are cut into (default: two per CPU in the cluster, so a slow shard
    does not hold up the rest). ``workdir``: where the Parquet partitions of a run are
    written and removed again (default: the temporary folder; on a multi-node cluster a
    folder or URI every node can read, e.g. ``s3://bucket/limelight``). ``max_retries``:
    how often Ray reruns a task whose worker died (0: fail at once). ``drill``: a fault
    drill, the path of a marker file; the first shard task that finds it deletes it and
    kills its own worker (see docs/scale.md). ``gpus_per_actor``: GPUs each embedding
    actor takes (0: the model runs on the actor's CPU); ``actors``: how many embedding
    actors (default: one per GPU that fits, else one per CPU).
    """

    address: str | None = None
    num_cpus: int | None = None
    shards: int | None = None
    workdir: str | None = None
    max_retries: int = 3
    drill: str | None = None
    gpus_per_actor: float = 0.0
    actors: int | None = None

    def __post_init__(self) -> None:
        if self.shards is not None and self.shards < 1:
            raise InputError(f"shards {self.shards} must be 1 or more; leave it out for 2 per CPU")
        if self.max_retries < 0:
            raise InputError(f"max_retries {self.max_retries} must be 0 or more")
        if self.gpus_per_actor < 0 or (self.actors is not None and self.actors < 1):
            raise InputError("gpus_per_actor must be 0 or more and actors 1 or more")

    def connect(self) -> ModuleType:
        """The ``ray`` module, joined to this engine's cluster."""
        from limelight.scale._ray import connect

        return connect(self.address, self.num_cpus)

    def shard_count(self, ray: ModuleType) -> int:
        """The number of shards: as set, else two per CPU of the cluster."""
        if self.shards is not None:
            return self.shards
        return max(2 * int(ray.cluster_resources().get("CPU", 1)), 1)

    def work_folder(self) -> str:
        """Where runs write their partitions."""
        return self.workdir or os.path.join(tempfile.gettempdir(), "limelight-scale")

    # -- ingest -------------------------------------------------------------------------

    def ingest(self, paths: Any, db: Any, **settings: Any) -> Any:
        """``ingest_paths`` with the parsing of CSV and JSONL files on Ray (an
        IngestSummary); the driver writes the store as local ingest does."""
        from limelight.scale._ingest import ray_ingest

        return ray_ingest(list(paths), db, self, **settings)

    # -- coordination -------------------------------------------------------------------

    def join(self, actions: pa.Table, window: float, min_weight: int) -> pa.Table:
        """``co_action_edges(actions, window, min_weight)`` on Ray, with the same result."""
        from limelight.scale._edges import distributed_edges

        return distributed_edges(actions, window, min_weight, self)

    def edges(
        self,
        db: Any,
        behaviour: str,
        window: float | None = None,
        min_weight: int | None = None,
        **options: Any,
    ) -> Any:
        """``limelight.detect.coordination.edges`` with the join on Ray (an EdgeResult)."""
        from limelight.detect.coordination import edges

        return edges(db, behaviour, window, min_weight, join=self.join, **options)

    def campaigns(self, db: Any, **settings: Any) -> Any:
        """``find_campaigns`` with every layer's join on Ray (a CampaignResult); with
        ``write`` (the default) the tables are replaced in one transaction at the end."""
        from limelight.detect.coordination import find_campaigns

        return find_campaigns(db, join=self.join, **settings)

    # -- accounts and content -----------------------------------------------------------

    def account_scores(self, db: Any, scorer: Any = None) -> Any:
        """``AccountScorer.score`` with the per-account model as a Ray Data batch map."""
        from limelight.scale._batch import account_scores

        return account_scores(db, scorer, self)

    def embed(self, texts: list[str]) -> Any:
        """``embed_texts(texts)`` by a pool of embedding actors (GPUs if asked for)."""
        from limelight.scale._gpu import ray_embed

        return ray_embed(texts, self)

    def content(self, db: Any, **settings: Any) -> Any:
        """``run_content`` (a ContentResult, tables written at the end) with the
        embeddings, the techniques head and the AI-text model run by pools of actors;
        ``settings`` are run_content's. An LLM labeller sends its requests as it does
        locally; ``fast`` runs locally (its models need no GPU and little time)."""
        from limelight.detect.content import AiTextModel, PersuasionModel, run_content
        from limelight.scale._gpu import RayAiText, RayTechniques

        if not settings.get("fast"):
            persuasion = settings.get("persuasion")
            if persuasion is None or isinstance(persuasion, PersuasionModel):
                settings["persuasion"] = RayTechniques(self, persuasion or PersuasionModel())
            ai_text = settings.get("ai_text")
            if ai_text is None or isinstance(ai_text, AiTextModel):
                settings["ai_text"] = RayAiText(self, ai_text or AiTextModel())
        return run_content(db, embed=self.embed, **settings)


def engine_from_settings(
    engine: str | None = None, address: str | None = None, **settings: Any
) -> RayEngine | None:
    """The engine a command asked for: ``--engine``/``--address``, else the environment
    (``LIMELIGHT_ENGINE``, ``LIMELIGHT_RAY_ADDRESS``); None for the local engine."""
    name = (engine or os.environ.get("LIMELIGHT_ENGINE") or "local").strip().lower()
    if name not in ENGINES:
        raise InputError(f"unknown engine {name!r}; choose one of {', '.join(ENGINES)}")
    address = address or os.environ.get("LIMELIGHT_RAY_ADDRESS") or None
    if name == "local":
        if address:
            raise InputError("--address needs --engine ray (or LIMELIGHT_ENGINE=ray)")
        return None
    return RayEngine(address=address, **settings)
