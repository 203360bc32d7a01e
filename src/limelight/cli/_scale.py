"""The --engine and --address options that send a command's work to a Ray cluster.

The options are shared by ``coordination``, ``campaigns`` and ``accounts``; Ray is
imported only when ``--engine ray`` (or ``LIMELIGHT_ENGINE=ray``) asks for it.
"""

from __future__ import annotations

from typing import Annotated

import typer

from limelight.detect.coordination import co_action_edges
from limelight.detect.coordination._edges import EdgeJoin
from limelight.scale import RayEngine, engine_from_settings

__all__ = ["AddressOption", "EngineOption", "chosen_engine", "edge_join"]

EngineOption = Annotated[
    str | None,
    typer.Option(
        "--engine",
        help="Where the work runs: local (default) or ray (needs limelight[ray]); "
        "also LIMELIGHT_ENGINE.",
    ),
]
AddressOption = Annotated[
    str | None,
    typer.Option(
        "--address",
        help="The Ray cluster to join with --engine ray (auto, HOST:6379, ray://HOST:10001); "
        "also LIMELIGHT_RAY_ADDRESS; without it a local Ray instance starts.",
    ),
]


def chosen_engine(engine: str | None, address: str | None) -> RayEngine | None:
    """The Ray engine the options (or the environment) ask for; None for the local one."""
    return engine_from_settings(engine, address)


def edge_join(engine: str | None, address: str | None) -> EdgeJoin:
    """The co-action join to use: the local one, or the same join on Ray."""
    ray_engine = chosen_engine(engine, address)
    return co_action_edges if ray_engine is None else ray_engine.join
