"""Where the LLM lives and how hard to lean on it, read from the environment.

The LLM is off by default: nothing in limelight needs it, and a post must never leave the
machine unless someone pointed limelight at an endpoint on purpose. ``LLMSettings.from_env``
reads ``LIMELIGHT_LLM_*`` variables; ``require_configured`` turns "off" into one line that
says how to switch it on.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, replace

from limelight.llm._errors import LLMNotConfiguredError

__all__ = ["ENV_PREFIX", "LLMSettings"]

ENV_PREFIX = "LIMELIGHT_LLM_"

_HOW_TO = (
    "set LIMELIGHT_LLM_BASE_URL (e.g. http://127.0.0.1:8080/v1 after `limelight llm "
    "serve-local`) and LIMELIGHT_LLM_MODEL, and LIMELIGHT_LLM_API_KEY for a hosted endpoint"
)


@dataclass(frozen=True, slots=True)
class LLMSettings:
    """One OpenAI-compatible endpoint and the limits of each call.

    ``base_url`` is the endpoint's ``/v1`` root (vLLM, llama.cpp server, Ollama, a hosted
    API); ``None`` means the LLM is off. ``model`` is the name the server knows the model
    by; it is also part of every cache key, so two models never share answers.
    """

    base_url: str | None = None
    model: str = "local"
    api_key: str = "not-needed"
    timeout_s: float = 60.0
    max_retries: int = 3
    backoff_s: float = 0.5
    concurrency: int = 4
    max_tokens: int = 512
    temperature: float = 0.0
    seed: int | None = 0

    def __post_init__(self) -> None:
        if self.timeout_s <= 0:
            raise LLMNotConfiguredError(f"LLM timeout {self.timeout_s}: give a positive number")
        if self.max_retries < 0:
            raise LLMNotConfiguredError(f"LLM retries {self.max_retries}: give 0 or more")
        if self.concurrency < 1:
            raise LLMNotConfiguredError(f"LLM concurrency {self.concurrency}: give 1 or more")
        if self.max_tokens < 1:
            raise LLMNotConfiguredError(f"LLM max_tokens {self.max_tokens}: give 1 or more")
        if self.backoff_s < 0:
            raise LLMNotConfiguredError(f"LLM backoff {self.backoff_s}: give 0 or more")

    @property
    def enabled(self) -> bool:
        """Whether an endpoint is configured at all."""
        return bool(self.base_url)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> LLMSettings:
        """Settings from ``LIMELIGHT_LLM_*`` variables; unset ones keep their defaults.

        BASE_URL, MODEL, API_KEY (also OPENAI_API_KEY), TIMEOUT (seconds), RETRIES,
        CONCURRENCY, MAX_TOKENS.
        """
        env = os.environ if environ is None else environ

        def get(name: str) -> str | None:
            value = env.get(ENV_PREFIX + name)
            return value.strip() if value and value.strip() else None

        def number(name: str, default: float, kind: type[int] | type[float]) -> float:
            raw = get(name)
            if raw is None:
                return default
            try:
                return kind(raw)
            except ValueError:
                raise LLMNotConfiguredError(
                    f"{ENV_PREFIX}{name}={raw!r} is not a number; give e.g. {default}"
                ) from None

        base = cls()
        return cls(
            base_url=get("BASE_URL"),
            model=get("MODEL") or base.model,
            api_key=get("API_KEY") or env.get("OPENAI_API_KEY") or base.api_key,
            timeout_s=float(number("TIMEOUT", base.timeout_s, float)),
            max_retries=int(number("RETRIES", base.max_retries, int)),
            concurrency=int(number("CONCURRENCY", base.concurrency, int)),
            max_tokens=int(number("MAX_TOKENS", base.max_tokens, int)),
        )

    def require_configured(self) -> LLMSettings:
        """Return self if an endpoint is set; otherwise fail with how to set one."""
        if not self.enabled:
            raise LLMNotConfiguredError(f"the LLM is off: {_HOW_TO}")
        return self

    def with_(self, **changes: object) -> LLMSettings:
        """A copy with some settings changed (settings objects are never mutated)."""
        return replace(self, **changes)  # type: ignore[arg-type]
