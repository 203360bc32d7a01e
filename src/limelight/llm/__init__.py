"""A language-model client for OpenAI-compatible endpoints that is safe with hostile posts.

Off by default. Configure with ``LIMELIGHT_LLM_BASE_URL`` / ``LIMELIGHT_LLM_MODEL`` /
``LIMELIGHT_LLM_API_KEY`` (see docs/llm.md), or offline with ``limelight llm serve-local``.

Typical use by a detector::

    from pydantic import BaseModel, Field
    from typing import Literal
    from limelight.llm import LLMClient, LLMSettings, Task

    class Verdict(BaseModel):
        label: Literal["organic", "coordinated", "unclear"]
        confidence: float = Field(ge=0, le=1)

    TASK = Task(name="campaign-verdict", version="1", output=Verdict,
                instructions="Say whether the post reads like part of a coordinated campaign.")

    settings = LLMSettings.from_env()
    if settings.enabled:
        with LLMClient(settings, store=db) as client:
            results = client.run_many(TASK, texts)   # input order, bounded concurrency
            labels = [r.output.label if r.ok else None for r in results]

Offline, ``limelight llm serve-local`` (``serve_local``) serves the bundled SmolLM2-135M;
``wait_for_server(base_url)`` waits until a server you started answers.

``Task`` holds the instructions and the Pydantic output model (labels as ``Literal``,
scores with ``Field(ge=, le=)``); the client fences each text, asks for the model's JSON
schema as structured output, validates and range-checks the reply, retries timeouts, 5xx
and invalid replies with exponential backoff, caches answers in ``llm_cache`` and logs every
call in ``llm_usage``.
"""

from __future__ import annotations

from limelight.llm._client import LLMClient
from limelight.llm._errors import LLMCallError, LLMNotConfiguredError
from limelight.llm._prompt import Fenced, Task, fence, json_schema_for, unfence
from limelight.llm._result import LLMResult, UsageTotals
from limelight.llm._scrub import Scrubbed, find_injections, scrub
from limelight.llm._serve import LOCAL_MODEL_ALIAS, bundled_model_path, serve_local, wait_for_server
from limelight.llm._settings import ENV_PREFIX, LLMSettings
from limelight.llm._store import CACHE_TABLE, USAGE_TABLE, usage_summary

__all__ = [
    "CACHE_TABLE",
    "ENV_PREFIX",
    "LOCAL_MODEL_ALIAS",
    "USAGE_TABLE",
    "Fenced",
    "LLMCallError",
    "LLMClient",
    "LLMNotConfiguredError",
    "LLMResult",
    "LLMSettings",
    "Scrubbed",
    "Task",
    "UsageTotals",
    "bundled_model_path",
    "fence",
    "find_injections",
    "json_schema_for",
    "scrub",
    "serve_local",
    "unfence",
    "usage_summary",
    "wait_for_server",
]
