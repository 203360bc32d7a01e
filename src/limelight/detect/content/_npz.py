"""The shipped content models' file format: one compressed npz, never pickled.

Every model file holds a ``header`` (JSON as bytes: format, version, report...) and plain
numeric arrays, so loading one runs no code from the file.
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

from limelight.errors import InputError

__all__ = ["load_npz", "save_npz"]


def save_npz(path: Path, header: dict[str, Any], arrays: dict[str, np.ndarray]) -> None:
    """Write ``header`` (sorted JSON) and ``arrays`` to ``path`` as one compressed npz."""
    payload = {
        "header": np.frombuffer(json.dumps(header, sort_keys=True).encode(), dtype=np.uint8),
        **arrays,
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as fh:
        np.savez_compressed(fh, **payload)  # type: ignore[arg-type]


def load_npz(
    path: Path, fmt: str, what: str, rebuild: str, need: tuple[str, ...] = ()
) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """The header and every array of a file written by ``save_npz`` in format ``fmt``.

    Anything else (missing, damaged, another format, without an array of ``need``) is an
    InputError naming ``what`` the file should be and the ``rebuild`` command that makes
    it again.
    """
    try:
        # Opened here: np.load leaves its own handle open when the file is no zip archive.
        with Path(path).open("rb") as fh, np.load(fh, allow_pickle=False) as data:
            header = json.loads(bytes(data["header"]).decode())
            arrays = {name: data[name] for name in data.files if name != "header"}
    except (OSError, KeyError, ValueError, EOFError, zipfile.BadZipFile) as exc:
        raise InputError(f"{path}: not {what} ({exc}); rebuild it with `{rebuild}`") from None
    if not isinstance(header, dict) or header.get("format") != fmt:
        found = header.get("format") if isinstance(header, dict) else None
        raise InputError(f"{path}: format {found!r} is not {fmt}; rebuild it with `{rebuild}`")
    missing = [name for name in need if name not in arrays]
    if missing:
        raise InputError(
            f"{path}: not {what} (no {', '.join(missing)}); rebuild it with `{rebuild}`"
        )
    return header, arrays
