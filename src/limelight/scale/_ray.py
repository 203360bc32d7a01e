"""Ray, imported on first use, and the connection to a cluster (or a local instance).

Ray is an optional dependency (``pip install 'limelight[ray]'``): the core package and the
local engine never import it, and a missing install is one line that names the extra.
"""

from __future__ import annotations

from types import ModuleType
from typing import Any

from limelight.errors import InputError, LimelightError

__all__ = ["ScaleError", "connect", "import_ray", "ray_failure"]


class ScaleError(LimelightError):
    """A distributed job failed (a worker died, a task raised); the store is unchanged."""

    exit_code = 4


def import_ray() -> ModuleType:
    """The ``ray`` module, or an InputError that says which extra to install."""
    try:
        import ray
    except ImportError:
        raise InputError(
            "the Ray engine needs Ray; install it with: pip install 'limelight[ray]'"
        ) from None
    return ray


def connect(address: str | None = None, num_cpus: int | None = None) -> ModuleType:
    """Join the Ray cluster at ``address`` ("auto": the one this machine belongs to), or
    start a local instance with ``num_cpus`` CPUs; a session already joined is reused."""
    ray = import_ray()
    if ray.is_initialized():
        return ray
    kwargs: dict[str, Any] = {
        "include_dashboard": False,
        "logging_level": "WARNING",
        "log_to_driver": False,
    }
    if address:
        kwargs["address"] = address
    elif num_cpus is not None:
        kwargs["num_cpus"] = num_cpus
    try:
        ray.init(**kwargs)
    except (ConnectionError, RuntimeError, ValueError) as exc:
        where = f"the Ray cluster at {address}" if address else "a local Ray instance"
        raise ScaleError(
            f"could not connect to {where} ({str(exc).splitlines()[0] if str(exc) else exc}); "
            f"check `ray status` on the head node or leave out --address to run locally"
        ) from None
    return ray


def ray_failure(exc: BaseException, what: str) -> ScaleError:
    """One line for a Ray job that failed: which step, the cause, and what to do."""
    first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
    return ScaleError(
        f"{what} failed on the Ray cluster ({type(exc).__name__}: {first[:200]}); nothing "
        f"was written to the store, rerun the command to complete it"
    )
