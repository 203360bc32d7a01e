"""LLM labelling from Ray tasks, through the same client, schema, cache and accounting.

``RayLLMClient`` is an ``LLMClient`` whose requests are sent by Ray tasks: the driver keeps
everything that touches the store or decides what a call is (scrubbing and fencing, the
cache lookup by content hash, retries with backoff, the answer cache and the usage log,
which it writes to the store as the local client does); each attempt (one HTTP request to
the OpenAI-compatible endpoint, vLLM on GPU nodes for instance, and the validation of its
reply against the task's schema) runs as a Ray task. So ``LLMPersuasionLabeller(client)``
and every other caller of ``run_many`` work unchanged, with up to ``concurrency`` requests
in flight across the cluster.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

from limelight.llm import LLMCallError, LLMClient, LLMSettings
from limelight.llm._client import _Attempt, _Retryable
from limelight.scale._ray import ray_failure

if TYPE_CHECKING:
    from limelight.llm import Task
    from limelight.scale._engine import RayEngine
    from limelight.store import Database

__all__ = ["RayLLMClient", "remote_attempt"]

# One client per worker process and endpoint, so HTTP connections are reused.
_WORKER_CLIENTS: dict[tuple[str, str], LLMClient] = {}
_WORKER_LOCK = threading.Lock()


def remote_attempt(
    settings: LLMSettings, task: Task[Any], model_input: str, retry: bool
) -> tuple[str, str, int, int, int, str]:
    """One request and its validation, on a Ray worker.

    Returns ``(outcome, payload, requests, prompt_tokens, completion_tokens, format)``:
    outcome ``ok`` (payload: the validated answer as JSON), ``retry`` or ``fail`` (payload:
    the reason).
    """
    key = (str(settings.base_url), settings.model)
    with _WORKER_LOCK:
        client = _WORKER_CLIENTS.get(key)
        if client is None:
            client = _WORKER_CLIENTS[key] = LLMClient(settings)
    tally = _Attempt()
    try:
        output = client._attempt(task, model_input, tally, retry=retry)
        outcome, payload = "ok", output.model_dump_json()
    except _Retryable as exc:
        outcome, payload = "retry", str(exc)
    except LLMCallError as exc:
        outcome, payload = "fail", exc.message
    fmt = client._response_format
    return outcome, payload, tally.requests, tally.prompt_tokens, tally.completion_tokens, fmt


class RayLLMClient(LLMClient):
    """An ``LLMClient`` (same settings, store, cache and usage tables) whose requests are
    sent from Ray tasks (see the module docstring)."""

    def __init__(
        self,
        settings: LLMSettings | None = None,
        *,
        store: Database | None = None,
        engine: RayEngine | None = None,
    ) -> None:
        super().__init__(settings, store=store)
        from limelight.scale._engine import RayEngine

        self.engine = engine or RayEngine()
        self._remote: Any = None

    def _attempt(self, task: Task[Any], model_input: str, tally: _Attempt, *, retry: bool) -> Any:
        ray = self.engine.connect()
        if self._remote is None:
            self._remote = ray.remote(num_cpus=0, max_retries=self.engine.max_retries)(
                remote_attempt
            )
        try:
            outcome, payload, requests, prompt, completion, fmt = ray.get(
                self._remote.remote(self.settings, task, model_input, retry)
            )
        except ray.exceptions.RayError as exc:
            raise ray_failure(exc, "an LLM request") from None
        tally.requests += requests
        tally.prompt_tokens += prompt
        tally.completion_tokens += completion
        with self._lock:
            self._response_format = fmt
        if outcome == "retry":
            raise _Retryable(payload)
        if outcome == "fail":
            raise LLMCallError(payload)
        return task.output.model_validate_json(payload)
