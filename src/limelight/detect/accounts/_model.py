"""The shipped account model: a general bot model, specialists by kind, calibration.

``AccountModel`` holds

- ``general``: an additive model of "automated or fake" against "human", trained on
  every labelled set (this gives ``bot_score``);
- ``specialists``: one additive model per bot kind (spammer, fake follower, automated
  amplifier, self-declared bot), each trained on its kind against all humans, as
  Botometer v4's ensemble of specialised classifiers; they give the sub-scores and say
  which kind an account most resembles;
- a rule for self-declared bots: an account whose platform flag, handle, name or bio says
  it is a bot gets ``SELF_DECLARED_LOGIT`` added (it has told us what it is);
- ``calibration``: an isotonic map of the general log-odds, fitted on leave-one-dataset-out
  predictions (so it reflects data sets the model has not seen) with both classes
  weighted equally: ``bot_score`` is a probability at an even prior;
- the handle bigram table, and the training report that the model card quotes.

It is stored as one JSON file (no pickle), read with numpy only.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from limelight.detect.accounts._additive import AdditiveModel, FusedTables
from limelight.detect.accounts._features import FEATURE_NAMES
from limelight.detect.accounts._metrics import apply_isotonic
from limelight.detect.accounts._names import BigramModel
from limelight.errors import InputError

__all__ = [
    "MODEL_FORMAT",
    "SELF_DECLARED_LOGIT",
    "AccountModel",
    "Prediction",
    "default_model_path",
]

MODEL_FORMAT = "limelight-account-model/1"
SELF_DECLARED_LOGIT = 3.0
_DECLARES = FEATURE_NAMES.index("declares_bot")


def default_model_path() -> Path:
    """Where the shipped model lives inside the package."""
    return Path(str(resources.files("limelight").joinpath("models", "accounts", "model.json")))


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return np.asarray(1.0 / (1.0 + np.exp(-np.clip(z, -40.0, 40.0))), dtype=np.float64)


@dataclass(slots=True)
class Prediction:
    """Scores of many accounts and the terms behind them.

    ``contributions`` are the general model's log-odds terms (rows x ``feature_names``);
    with ``base`` and the self-declared rule they add up to ``logit``, which the
    monotone calibration turns into ``bot_score``.
    """

    bot_score: np.ndarray
    logit: np.ndarray
    sub_scores: dict[str, np.ndarray]
    contributions: np.ndarray
    feature_names: list[str]
    feature_columns: list[int]
    declared: np.ndarray
    base: float


@dataclass(slots=True)
class AccountModel:
    """General model + specialists + calibration + bigram table (see module docstring)."""

    general: AdditiveModel
    specialists: dict[str, AdditiveModel]
    calibration: tuple[list[float], list[float]]
    bigrams: BigramModel
    report: dict[str, Any] = field(default_factory=dict)
    version: str = ""
    _fused: FusedTables | None = field(default=None, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not self.version:
            self.version = self.fingerprint()

    def fused(self) -> FusedTables:
        """The general model and the specialists as one lookup table (built once)."""
        if self._fused is None:
            self._fused = FusedTables([self.general, *self.specialists.values()])
        return self._fused

    def fingerprint(self) -> str:
        """A short content hash naming this model in every score it produces."""
        body = self.to_json()
        body.pop("report", None)
        digest = hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()
        return f"accounts-{digest[:12]}"

    def predict(self, x: np.ndarray) -> Prediction:
        """Calibrated bot scores, sub-scores by kind, and the contributions behind them."""
        logits, contrib = self.fused().evaluate(x, detail=0)
        declared = x[:, _DECLARES] == 1.0
        base = self.general.intercept
        logit = logits[:, 0] + SELF_DECLARED_LOGIT * declared
        subs: dict[str, np.ndarray] = {}
        for i, kind in enumerate(self.specialists, start=1):
            z = logits[:, i]
            if kind == "self_declared":
                z = z + SELF_DECLARED_LOGIT * declared
            subs[kind] = _sigmoid(z)
        return Prediction(
            bot_score=apply_isotonic(logit, self.calibration),
            logit=logit,
            sub_scores=subs,
            contributions=contrib,
            feature_names=self.general.names,
            feature_columns=self.general.columns,
            declared=declared,
            base=base,
        )

    # -- persistence ---------------------------------------------------------------------

    def to_json(self) -> dict[str, Any]:
        """The model as plain JSON."""
        return {
            "format": MODEL_FORMAT,
            "feature_names": list(FEATURE_NAMES),
            "self_declared_logit": SELF_DECLARED_LOGIT,
            "calibration": {"logit": self.calibration[0], "probability": self.calibration[1]},
            "general": self.general.to_json(),
            "specialists": {k: m.to_json() for k, m in self.specialists.items()},
            "bigrams": [[float(v) for v in row] for row in self.bigrams.log_prob],
            "report": self.report,
        }

    def save(self, path: str | Path) -> None:
        """Write the model as compact JSON."""
        Path(path).write_text(json.dumps(self.to_json(), separators=(",", ":")) + "\n")

    @classmethod
    def load(cls, path: str | Path | None = None) -> AccountModel:
        """Read a model file (the shipped one by default)."""
        p = Path(path) if path is not None else default_model_path()
        try:
            data = json.loads(p.read_text())
        except FileNotFoundError:
            raise InputError(
                f"{p}: no account model here; run `limelight train accounts` to build one"
            ) from None
        except json.JSONDecodeError as exc:
            raise InputError(f"{p}: not a JSON account model ({exc}); train it again") from None
        if data.get("format") != MODEL_FORMAT:
            raise InputError(
                f"{p}: model format {data.get('format')!r}, expected {MODEL_FORMAT!r}; "
                f"retrain with `limelight train accounts`"
            )
        missing = set(data["feature_names"]) - set(FEATURE_NAMES)
        if missing:
            raise InputError(
                f"{p}: model uses features this limelight lacks ({', '.join(sorted(missing))}); "
                f"retrain with `limelight train accounts`"
            )
        cal = data["calibration"]
        return cls(
            general=AdditiveModel.from_json(data["general"], FEATURE_NAMES),
            specialists={
                k: AdditiveModel.from_json(v, FEATURE_NAMES) for k, v in data["specialists"].items()
            },
            calibration=([float(v) for v in cal["logit"]], [float(v) for v in cal["probability"]]),
            bigrams=BigramModel(np.asarray(data["bigrams"], dtype=np.float64)),
            report=data.get("report", {}),
        )
