"""What a call returns (``LLMResult``) and what a client has spent (``UsageTotals``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Generic

from limelight.llm._errors import LLMCallError
from limelight.llm._prompt import OutputT

__all__ = ["LLMResult", "UsageTotals"]


@dataclass(frozen=True, slots=True)
class LLMResult(Generic[OutputT]):
    """The answer for one text, or why there is none.

    ``output`` is the validated reply (``None`` when ``error`` says why not). ``cached``
    answers cost no request; ``attempts`` counts the HTTP requests this call made.
    ``injection_spans`` are the character spans of the original text that were cut
    before the model saw it (see ``limelight.llm.scrub``).
    """

    output: OutputT | None
    error: str | None
    key: str
    cached: bool
    attempts: int
    prompt_tokens: int
    completion_tokens: int
    latency_s: float
    injection_spans: tuple[tuple[int, int], ...] = ()

    @property
    def ok(self) -> bool:
        """Whether there is a validated answer."""
        return self.output is not None

    @property
    def injection_suspected(self) -> bool:
        """Whether the text tried to talk to the model (something was cut)."""
        return bool(self.injection_spans)

    def unwrap(self) -> OutputT:
        """The answer, or ``LLMCallError`` with the reason."""
        if self.output is None:
            raise LLMCallError(self.error or "the LLM call failed")
        return self.output


@dataclass(slots=True)
class UsageTotals:
    """What a client has spent since it was made (a snapshot; see ``LLMClient.usage``)."""

    calls: int = 0
    cache_hits: int = 0
    requests: int = 0
    failures: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    latency_s: float = 0.0

    @property
    def total_tokens(self) -> int:
        """Prompt plus completion tokens."""
        return self.prompt_tokens + self.completion_tokens
