"""The shipped model file format: round trip, and clear errors for anything else."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from limelight.detect.content import StaticEmbedder
from limelight.detect.content._npz import load_npz, save_npz
from limelight.errors import InputError


def test_round_trip_and_every_refusal(tmp_path: Path) -> None:
    path = tmp_path / "m.npz"
    save_npz(path, {"format": "f1", "version": "v"}, {"w": np.arange(3.0)})
    header, arrays = load_npz(path, "f1", "a test model", "make it", need=("w",))
    assert header == {"format": "f1", "version": "v"}
    np.testing.assert_array_equal(arrays["w"], np.arange(3.0))
    with pytest.raises(InputError, match="format 'f1' is not f2; rebuild it with `make it`"):
        load_npz(path, "f2", "a test model", "make it")
    with pytest.raises(InputError, match=r"not a test model \(no b\)"):
        load_npz(path, "f1", "a test model", "make it", need=("w", "b"))
    broken = tmp_path / "broken.npz"
    broken.write_bytes(path.read_bytes()[:40])
    with pytest.raises(InputError, match="not a test model"):
        load_npz(broken, "f1", "a test model", "make it")
    with pytest.raises(InputError, match="not limelight static vectors"):
        StaticEmbedder.load(tmp_path / "missing.npz")
