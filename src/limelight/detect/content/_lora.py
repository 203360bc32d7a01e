"""A sentence encoder fine-tuned for one task by a small low-rank adapter, shipped as weights.

The bundled all-MiniLM-L6-v2 is a general sentence encoder; a task such as "was this tweet
written by a generator?" needs it to notice other things (repetition, broken syntax, the
texture of sampled text). Fine-tuning every weight would mean shipping a second 90 MB
model, so each chosen linear layer ``W`` learns only a low-rank change ``B @ A`` (rank
``r``, scaled by ``alpha / r``; LoRA, Hu et al. 2021) while ``W`` stays frozen. The file
holds just ``A``, ``B``, a linear head on the mean-pooled output and a JSON header (a few
hundred KB, float16, never pickled); at load the changes are added into a fresh copy of the
base model's weights, so scoring costs exactly one forward pass of the base model.

torch and transformers are imported on first use (the ``content`` extra).
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from limelight.detect.content._npz import load_npz, save_npz
from limelight.errors import InputError

__all__ = [
    "ADAPTER_FORMAT",
    "AdapterSettings",
    "TunedEncoder",
    "fine_tune",
]

ADAPTER_FORMAT = "limelight-lora-head/1"
_INSTALL_HINT = "install the content extra: pip install 'limelight[content]'"


@dataclass(frozen=True, slots=True)
class AdapterSettings:
    """Shape and training choices of one adapter (defaults are the shipped AI-text model's)."""

    rank: int = 8
    alpha: float = 16.0
    targets: tuple[str, ...] = (
        "attention.self.query",
        "attention.self.key",
        "attention.self.value",
        "attention.output.dense",
        "intermediate.dense",
        "output.dense",
    )
    max_tokens: int = 96
    epochs: float = 1.0
    batch_size: int = 32
    learning_rate: float = 1e-3
    head_learning_rate: float = 3e-3
    seed: int = 0
    threads: int = 2

    def to_json(self) -> dict[str, Any]:
        """Plain settings for the model file."""
        out = asdict(self)
        out["targets"] = list(self.targets)
        return out


def _torch() -> Any:
    try:
        import torch
    except ImportError as exc:
        raise InputError(f"torch is missing: {_INSTALL_HINT}") from exc
    return torch


def _load_base() -> tuple[Any, Any, str]:
    """The bundled MiniLM as a plain transformers model and its tokenizer."""
    from limelight.embed import model_path

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    try:
        from transformers import AutoModel, AutoTokenizer
    except ImportError as exc:
        raise InputError(f"transformers is missing: {_INSTALL_HINT}") from exc
    path = model_path()
    tokenizer = AutoTokenizer.from_pretrained(str(path))
    model = AutoModel.from_pretrained(str(path))
    model.eval()
    return tokenizer, model, path.name


def _target_layers(model: Any, targets: Sequence[str]) -> dict[str, Any]:
    """The linear layers to adapt, by their dotted names inside the model."""
    found: dict[str, Any] = {}
    for name, module in model.named_modules():
        is_linear = type(module).__name__ == "Linear"
        if is_linear and ".layer." in name and any(name.endswith("." + t) for t in targets):
            found[name] = module
    if not found:
        raise InputError("no layer of the base encoder matches the adapter's targets")
    return found


def _mean_pool(hidden: Any, mask: Any) -> Any:
    weights = mask.unsqueeze(-1).to(hidden.dtype)
    return (hidden * weights).sum(1) / weights.sum(1).clamp(min=1.0)


@dataclass(slots=True)
class TunedEncoder:
    """Adapter matrices per layer, a linear head over the pooled output, and a report."""

    kind: str
    labels: list[str]
    settings: AdapterSettings
    base: str
    adapters: dict[str, tuple[np.ndarray, np.ndarray]]
    head_w: np.ndarray
    head_b: np.ndarray
    report: dict[str, Any] = field(default_factory=dict)
    version: str = ""
    _runtime: Any = None

    def __post_init__(self) -> None:
        if self.head_w.shape[0] != len(self.labels):
            raise InputError(f"{self.kind} encoder head does not match its labels; retrain it")
        if not self.version:
            digest = hashlib.sha256(self.base.encode())
            for name in sorted(self.adapters):
                a, b = self.adapters[name]
                digest.update(name.encode())
                digest.update(np.ascontiguousarray(a, dtype=np.float16).tobytes())
                digest.update(np.ascontiguousarray(b, dtype=np.float16).tobytes())
            digest.update(np.ascontiguousarray(self.head_w, dtype=np.float32).tobytes())
            digest.update(np.ascontiguousarray(self.head_b, dtype=np.float32).tobytes())
            digest.update(json.dumps(self.report.get("blend"), sort_keys=True).encode())
            self.version = f"{self.kind}-{digest.hexdigest()[:12]}"

    def _model(self, device: str) -> tuple[Any, Any]:
        """The base model with every adapter merged into its weights (built once per device)."""
        if self._runtime is None or self._runtime[2] != device:
            torch = _torch()
            tokenizer, model, name = _load_base()
            if name != self.base:
                raise InputError(
                    f"{self.kind} adapter was trained on {self.base}, not {name}: unset "
                    "LIMELIGHT_EMBED_MODEL or retrain with `limelight train content`"
                )
            layers = _target_layers(model, self.settings.targets)
            if sorted(layers) != sorted(self.adapters):
                raise InputError(f"{self.kind} adapter does not fit the base model; retrain it")
            scale = self.settings.alpha / self.settings.rank
            with torch.no_grad():
                for name, layer in layers.items():
                    a, b = self.adapters[name]
                    delta = torch.from_numpy(b.astype(np.float32) @ a.astype(np.float32))
                    layer.weight.add_(delta * scale)
            self._runtime = (tokenizer, model.to(device), device)
        return self._runtime[0], self._runtime[1]

    def logits(
        self, texts: Sequence[str], *, batch_size: int = 128, device: str | None = None
    ) -> np.ndarray:
        """Log-odds per text and label (texts x labels); ``device`` defaults to the CPU."""
        if len(texts) == 0:
            return np.zeros((0, len(self.labels)))
        torch = _torch()
        chosen = device or os.environ.get("LIMELIGHT_EMBED_DEVICE") or "cpu"
        tokenizer, model = self._model(chosen)
        pooled = _encode(
            torch, tokenizer, model, list(texts), self.settings.max_tokens, batch_size, chosen
        )
        z = pooled @ self.head_w.T.astype(np.float32) + self.head_b.astype(np.float32)
        return np.asarray(z, dtype=np.float64)

    def save(self, path: Path) -> None:
        """One compressed npz: float16 adapters, float32 head, JSON header."""
        header = {
            "format": ADAPTER_FORMAT,
            "kind": self.kind,
            "version": self.version,
            "labels": self.labels,
            "base": self.base,
            "settings": self.settings.to_json(),
            "layers": sorted(self.adapters),
            "report": self.report,
        }
        arrays: dict[str, np.ndarray] = {
            "head_w": self.head_w.astype(np.float32),
            "head_b": self.head_b.astype(np.float32),
        }
        for i, name in enumerate(sorted(self.adapters)):
            a, b = self.adapters[name]
            arrays[f"a{i}"] = a.astype(np.float16)
            arrays[f"b{i}"] = b.astype(np.float16)
        save_npz(path, header, arrays)

    @classmethod
    def load(cls, path: Path) -> TunedEncoder:
        """Read an adapter file written by ``save`` (never unpickles)."""
        header, data = load_npz(
            path,
            ADAPTER_FORMAT,
            "a limelight adapter file",
            "limelight train content",
            need=("head_w", "head_b"),
        )
        try:
            adapters = {
                name: (data[f"a{i}"].astype(np.float32), data[f"b{i}"].astype(np.float32))
                for i, name in enumerate(header["layers"])
            }
        except KeyError as exc:
            raise InputError(
                f"{path}: not a limelight adapter file (no array {exc}); "
                "rebuild it with `limelight train content`"
            ) from None
        head_w, head_b = data["head_w"], data["head_b"]
        settings = dict(header["settings"])
        settings["targets"] = tuple(settings["targets"])
        return cls(
            kind=header["kind"],
            labels=list(header["labels"]),
            settings=AdapterSettings(**settings),
            base=header["base"],
            adapters=adapters,
            head_w=head_w,
            head_b=head_b,
            report=header.get("report", {}),
            version=header["version"],
        )


def _encode(
    torch: Any,
    tokenizer: Any,
    model: Any,
    texts: list[str],
    max_tokens: int,
    batch_size: int,
    device: str,
) -> np.ndarray:
    """Mean-pooled last hidden states, batched by length so that little padding is computed."""
    order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
    out = np.zeros((len(texts), model.config.hidden_size), dtype=np.float32)
    with torch.inference_mode():
        for start in range(0, len(order), batch_size):
            rows = order[start : start + batch_size]
            batch = tokenizer(
                [texts[i] for i in rows],
                padding=True,
                truncation=True,
                max_length=max_tokens,
                return_tensors="pt",
            ).to(device)
            hidden = model(**batch).last_hidden_state
            out[rows] = _mean_pool(hidden, batch["attention_mask"]).float().cpu().numpy()
    return out


def fine_tune(
    texts: Sequence[str],
    targets: np.ndarray,
    *,
    kind: str,
    labels: list[str],
    settings: AdapterSettings | None = None,
    device: str = "cpu",
    progress: Callable[[str], None] | None = None,
) -> TunedEncoder:
    """Train adapters and a linear head on ``texts`` with 0/1 ``targets`` (texts x labels).

    Binary cross-entropy per label, AdamW, a linear warm-up and decay of the learning rate,
    a fixed seed and thread count: the same data and settings give the same weights on the
    same CPU. The base weights never change. ``device="cuda"`` trains on a GPU (the same
    figures up to floating-point order).
    """
    s = settings or AdapterSettings()
    torch = _torch()
    torch.manual_seed(s.seed)
    torch.set_num_threads(s.threads)
    tokenizer, model, base = _load_base()
    for p in model.parameters():
        p.requires_grad_(False)
    model.to(device)
    layers = _target_layers(model, s.targets)
    scale = s.alpha / s.rank
    a_params: dict[str, Any] = {}
    b_params: dict[str, Any] = {}
    hooks = []
    for name, layer in layers.items():
        generator = torch.Generator().manual_seed(s.seed + len(a_params))
        start = torch.randn(s.rank, layer.in_features, generator=generator)
        a = torch.nn.Parameter((start / np.sqrt(layer.in_features)).to(device))
        b = torch.nn.Parameter(torch.zeros(layer.out_features, s.rank, device=device))
        a_params[name], b_params[name] = a, b

        def hook(module: Any, inputs: Any, output: Any, a: Any = a, b: Any = b) -> Any:
            return output + (inputs[0] @ a.T @ b.T) * scale

        hooks.append(layer.register_forward_hook(hook))
    head = torch.nn.Linear(model.config.hidden_size, len(labels)).to(device)
    torch.nn.init.zeros_(head.weight)
    torch.nn.init.zeros_(head.bias)
    optimiser = torch.optim.AdamW(
        [
            {"params": [*a_params.values(), *b_params.values()], "lr": s.learning_rate},
            {"params": list(head.parameters()), "lr": s.head_learning_rate},
        ],
        weight_decay=0.01,
    )
    y = torch.from_numpy(np.asarray(targets, dtype=np.float32).reshape(len(texts), len(labels)))
    rng = np.random.default_rng(s.seed)
    steps_per_epoch = int(np.ceil(len(texts) / s.batch_size))
    total = max(1, round(steps_per_epoch * s.epochs))
    warmup = max(1, total // 20)
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimiser,
        lambda step: min((step + 1) / warmup, max(0.0, (total - step) / max(1, total - warmup))),
    )
    model.train()
    started = time.perf_counter()
    step = 0
    losses: list[float] = []
    while step < total:
        order = rng.permutation(len(texts))
        for start in range(0, len(order), s.batch_size):
            if step >= total:
                break
            rows = order[start : start + s.batch_size]
            batch = tokenizer(
                [texts[i] for i in rows],
                padding=True,
                truncation=True,
                max_length=s.max_tokens,
                return_tensors="pt",
            ).to(device)
            pooled = _mean_pool(model(**batch).last_hidden_state, batch["attention_mask"])
            loss = torch.nn.functional.binary_cross_entropy_with_logits(
                head(pooled), y[rows].to(device)
            )
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            schedule.step()
            losses.append(float(loss.detach()))
            step += 1
            if progress and step % 50 == 0:
                progress(
                    f"{kind} adapter: step {step}/{total}, loss {np.mean(losses[-50:]):.3f}, "
                    f"{time.perf_counter() - started:.0f}s"
                )
    for h in hooks:
        h.remove()
    model.eval()
    seconds = time.perf_counter() - started
    return TunedEncoder(
        kind=kind,
        labels=labels,
        settings=s,
        base=base,
        adapters={
            name: (
                a_params[name].detach().cpu().numpy().astype(np.float16),
                b_params[name].detach().cpu().numpy().astype(np.float16),
            )
            for name in layers
        },
        head_w=head.weight.detach().cpu().numpy().astype(np.float32),
        head_b=head.bias.detach().cpu().numpy().astype(np.float32),
        report={
            "train_texts": len(texts),
            "steps": total,
            "train_seconds": round(seconds, 1),
            "device": device,
            "final_loss": round(float(np.mean(losses[-50:])), 4),
        },
    )
