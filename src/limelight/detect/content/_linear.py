"""A shipped linear head: logistic weights per label, a decision threshold per label.

Both content models (persuasion techniques, AI-written text) are logistic regressions over
``FeatureSpec`` rows. The file is one compressed ``.npz``: the weights as float16 (the
lexical blocks are wide and half precision changes no decision at these margins), the
intercepts and thresholds as float64, and a JSON header with the labels, the feature spec,
and the training report the model card quotes. No pickle is ever loaded.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from limelight.detect.content._features import FeatureSpec, build_features
from limelight.detect.content._npz import load_npz, save_npz
from limelight.errors import InputError

__all__ = ["HEAD_FORMAT", "LinearHead", "sigmoid"]

HEAD_FORMAT = "limelight-linear-head/1"


def sigmoid(z: np.ndarray) -> np.ndarray:
    """The logistic function, clipped so that exp never overflows."""
    return np.asarray(1.0 / (1.0 + np.exp(-np.clip(z, -40.0, 40.0))), dtype=np.float64)


@dataclass(slots=True)
class LinearHead:
    """Weights (labels x features), intercepts, thresholds and the spec of the features."""

    kind: str
    labels: list[str]
    spec: FeatureSpec
    coef: np.ndarray
    intercept: np.ndarray
    thresholds: np.ndarray
    report: dict[str, Any] = field(default_factory=dict)
    version: str = ""

    def __post_init__(self) -> None:
        if self.coef.shape != (len(self.labels), self.spec.width):
            raise InputError(
                f"{self.kind} head: weights are {self.coef.shape}, expected "
                f"({len(self.labels)}, {self.spec.width}); retrain with `limelight train content`"
            )
        if not self.version:
            digest = hashlib.sha256(np.ascontiguousarray(self.coef, dtype=np.float16).tobytes())
            digest.update(self.intercept.astype(np.float64).tobytes())
            digest.update(self.thresholds.astype(np.float64).tobytes())
            self.version = f"{self.kind}-{digest.hexdigest()[:12]}"

    def decision(self, features: Any) -> np.ndarray:
        """Log-odds per text and label from a feature matrix (rows x spec.width)."""
        z = np.asarray(features @ self.coef.T.astype(np.float32), dtype=np.float64)
        return np.asarray(z + self.intercept, dtype=np.float64)

    def predict_proba(self, texts: list[str], embeddings: np.ndarray | None) -> np.ndarray:
        """Probabilities (texts x labels)."""
        if not texts:
            return np.zeros((0, len(self.labels)))
        return sigmoid(self.decision(build_features(texts, embeddings, self.spec)))

    def save(self, path: Path) -> None:
        """Write the head as one compressed npz (weights float16, header JSON)."""
        header = {
            "format": HEAD_FORMAT,
            "kind": self.kind,
            "version": self.version,
            "labels": self.labels,
            "spec": self.spec.to_json(),
            "report": self.report,
        }
        arrays: dict[str, np.ndarray] = {
            "coef": self.coef.astype(np.float16),
            "intercept": self.intercept.astype(np.float64),
            "thresholds": self.thresholds.astype(np.float64),
        }
        save_npz(path, header, arrays)

    @classmethod
    def load(cls, path: Path) -> LinearHead:
        """Read a head written by ``save`` (never unpickles)."""
        header, data = load_npz(
            path,
            HEAD_FORMAT,
            "a limelight content model",
            "limelight train content",
            need=("coef", "intercept", "thresholds"),
        )
        coef = data["coef"].astype(np.float32)
        intercept, thresholds = data["intercept"], data["thresholds"]
        return cls(
            kind=header["kind"],
            labels=list(header["labels"]),
            spec=FeatureSpec(**header["spec"]),
            coef=coef,
            intercept=intercept,
            thresholds=thresholds,
            report=header.get("report", {}),
            version=header["version"],
        )
