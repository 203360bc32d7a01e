"""The shipped content models' file format: one compressed npz, never pickled.

Every model file holds a ``header`` (JSON as bytes: format, version, report...) and plain
numeric arrays, so loading one runs no code from the file.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["save_npz"]


def save_npz(path: Path, header: dict[str, Any], arrays: dict[str, np.ndarray]) -> None:
    """Write ``header`` (sorted JSON) and ``arrays`` to ``path`` as one compressed npz."""
    payload = {
        "header": np.frombuffer(json.dumps(header, sort_keys=True).encode(), dtype=np.uint8),
        **arrays,
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as fh:
        np.savez_compressed(fh, **payload)  # type: ignore[arg-type]
