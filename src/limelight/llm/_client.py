"""One client for every OpenAI-compatible endpoint: typed answers, retries, cache, accounting.

``LLMClient.complete(task, text)`` returns the reply parsed into the task's Pydantic model or
raises ``LLMCallError``; ``complete_many`` does a list with bounded concurrency, keeps the
input order and never loses a whole batch to one bad item. Every call goes through the same
path: scrub the text, look the answer up in the cache, fence the text in a fresh prompt, ask
with the schema as structured output, validate, check, retry what is worth retrying, store.
"""

from __future__ import annotations

import hashlib
import random
import re
import threading
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from limelight.llm._errors import LLMCallError
from limelight.llm._prompt import OutputT, Task
from limelight.llm._result import LLMResult, UsageTotals
from limelight.llm._scrub import normalize_space, scrub
from limelight.llm._settings import LLMSettings
from limelight.llm._store import CachedAnswer, LLMStore, UsageRow
from limelight.store import Database

if TYPE_CHECKING:
    # Imported where used: the SDK takes seconds to import, and every CLI command would
    # pay for it (the LLM is off by default).
    import openai

__all__ = ["LLMClient"]

_MAX_BACKOFF_S = 30.0
_FLUSH_EVERY = 256
# Forms of structured output, most precise first; a server that refuses one gets the next.
_FORMATS = ("json_schema", "json_object_schema", "json_object")
# What each endpoint was found to take, shared by the clients of this process, so that
# only the first client pays for the refused request.
_ENDPOINT_FORMATS: dict[tuple[str, str], str] = {}
_ENDPOINT_LOCK = threading.Lock()
_FENCE_MD = re.compile(r"^\s*```(?:json)?\s*(.*?)\s*```\s*$", re.S)


@dataclass(slots=True)
class _Attempt:
    """The running tally of one call across its attempts."""

    requests: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    errors: list[str] = field(default_factory=list)


class _Retryable(Exception):
    """An attempt failed in a way another attempt may fix."""


class LLMClient:
    """A client for one OpenAI-compatible endpoint, optionally caching in a store.

    >>> client = LLMClient(LLMSettings.from_env(), store=Database("limelight.duckdb"))
    >>> label = client.complete(task, post_text).label

    Without a configured base URL the constructor raises ``LLMNotConfiguredError``, so a
    caller that treats the LLM as optional checks ``LLMSettings.from_env().enabled`` first.
    Thread-safe: ``complete`` may be called from several threads.
    """

    def __init__(self, settings: LLMSettings | None = None, *, store: Database | None = None):
        self.settings = (settings or LLMSettings.from_env()).require_configured()
        self._store = LLMStore(store) if store is not None else None
        import openai

        self._openai = openai.OpenAI(
            base_url=self.settings.base_url,
            api_key=self.settings.api_key,
            timeout=self.settings.timeout_s,
            max_retries=0,
        )
        self._lock = threading.Lock()
        self._totals = UsageTotals()
        self._endpoint = (str(self.settings.base_url), self.settings.model)
        with _ENDPOINT_LOCK:
            self._response_format = _ENDPOINT_FORMATS.get(self._endpoint, _FORMATS[0])

    def __enter__(self) -> LLMClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Write what is buffered and close the HTTP connections."""
        if self._store is not None:
            self._store.flush()
        self._openai.close()

    @property
    def usage(self) -> UsageTotals:
        """Totals since this client was made: calls, cache hits, requests, tokens, latency."""
        with self._lock:
            t = self._totals
            return UsageTotals(
                t.calls,
                t.cache_hits,
                t.requests,
                t.failures,
                t.prompt_tokens,
                t.completion_tokens,
                t.latency_s,
            )

    # -- public calls --------------------------------------------------------------------

    def complete(self, task: Task[OutputT], text: str) -> OutputT:
        """The task's answer for one text; raises ``LLMCallError`` if there is none."""
        return self.run(task, text).unwrap()

    def run(self, task: Task[OutputT], text: str) -> LLMResult[OutputT]:
        """Like ``complete`` but returns the full result (cost, cache, cut spans)."""
        return self.run_many(task, [text])[0]

    def run_many(
        self, task: Task[OutputT], texts: Sequence[str], *, concurrency: int | None = None
    ) -> list[LLMResult[OutputT]]:
        """Results for many texts, in input order, at most ``concurrency`` requests at once.

        A text that fails after its retries gets a result with ``error`` set instead of
        stopping the batch. Identical inputs are asked once; cached ones not at all.
        """
        workers = concurrency or self.settings.concurrency
        if workers < 1:
            raise LLMCallError(f"concurrency {workers}: give 1 or more")
        prepared = [self._prepare(task, t) for t in texts]
        cached = self._store.lookup([p[0] for p in prepared]) if self._store else {}
        todo: dict[str, tuple[str, tuple[tuple[int, int], ...]]] = {}
        for key, model_input, spans in prepared:
            if key not in cached:
                todo.setdefault(key, (model_input, spans))
        fresh: dict[str, LLMResult[OutputT]] = {}
        if todo:
            with ThreadPoolExecutor(max_workers=min(workers, len(todo))) as pool:
                futures = {
                    key: pool.submit(self._call, task, key, model_input, spans)
                    for key, (model_input, spans) in todo.items()
                }
                for key, fut in futures.items():
                    fresh[key] = fut.result()
        results: list[LLMResult[OutputT]] = []
        for key, _, spans in prepared:
            if key in fresh:
                result = fresh.pop(key)
            elif key in cached:
                result = self._from_cache(task, key, cached[key], spans)
            else:  # a duplicate of a text answered above in this batch
                first = next(r for r in results if r.key == key)
                result = self._reuse(task, first, spans)
            results.append(result)
        if self._store is not None:
            self._store.flush()
        return results

    # -- one call ------------------------------------------------------------------------

    def _prepare(self, task: Task[Any], text: str) -> tuple[str, str, tuple[tuple[int, int], ...]]:
        if task.scrub:
            scrubbed = scrub(text)
            model_input, spans = scrubbed.text, scrubbed.spans
        else:
            model_input, spans = normalize_space(text), ()
        key = hashlib.sha256(
            "\0".join(
                [self.settings.model, task.name, task.version, task.prompt_hash, model_input]
            ).encode()
        ).hexdigest()
        return key, model_input, spans

    def _from_cache(
        self,
        task: Task[OutputT],
        key: str,
        answer: CachedAnswer,
        spans: tuple[tuple[int, int], ...],
    ) -> LLMResult[OutputT]:
        output = task.output.model_validate_json(answer.output)
        result = LLMResult(output, None, key, True, 0, 0, 0, 0.0, spans)
        self._account(task, result)
        return result

    def _reuse(
        self, task: Task[OutputT], first: LLMResult[OutputT], spans: tuple[tuple[int, int], ...]
    ) -> LLMResult[OutputT]:
        """A repeat, within one batch, of a text asked above: answered like a cache hit."""
        result = LLMResult(first.output, first.error, first.key, True, 0, 0, 0, 0.0, spans)
        self._account(task, result)
        return result

    def _call(
        self,
        task: Task[OutputT],
        key: str,
        model_input: str,
        spans: tuple[tuple[int, int], ...],
    ) -> LLMResult[OutputT]:
        started = time.perf_counter()
        tally = _Attempt()
        output: OutputT | None = None
        error: str | None = None
        for attempt in range(self.settings.max_retries + 1):
            if attempt:
                delay = min(_MAX_BACKOFF_S, self.settings.backoff_s * 2 ** (attempt - 1))
                time.sleep(delay * random.uniform(0.8, 1.2))
            try:
                output = self._attempt(task, model_input, tally, retry=attempt > 0)
                break
            except _Retryable as exc:
                tally.errors.append(str(exc))
            except LLMCallError as exc:
                tally.errors.append(exc.message)
                break
        if output is None:
            error = (
                f"{self.settings.base_url}: {tally.errors[-1]} "
                f"(after {tally.requests} request(s)); " + _advice(tally.errors[-1])
            )
        result = LLMResult(
            output,
            error,
            key,
            False,
            tally.requests,
            tally.prompt_tokens,
            tally.completion_tokens,
            time.perf_counter() - started,
            spans,
        )
        if output is not None and self._store is not None:
            self._store.add_answer(
                key,
                task.name,
                task.version,
                task.prompt_hash,
                self.settings.model,
                CachedAnswer(
                    output.model_dump_json(), tally.prompt_tokens, tally.completion_tokens
                ),
            )
        self._account(task, result)
        return result

    def _attempt(
        self, task: Task[OutputT], model_input: str, tally: _Attempt, *, retry: bool
    ) -> OutputT:
        """One request and the validation of its reply."""
        import openai

        fmt = self._response_format
        temperature = self.settings.temperature
        if retry and temperature < 0.5:
            # A greedy decoder repeats its mistake; a little randomness may not.
            temperature = 0.5
        kwargs: dict[str, Any] = {
            "model": self.settings.model,
            "messages": task.messages(model_input),
            "max_tokens": task.max_tokens or self.settings.max_tokens,
            "temperature": temperature,
            "response_format": self._format(task, fmt),
            "timeout": self.settings.timeout_s,
        }
        if self.settings.seed is not None:
            kwargs["seed"] = self.settings.seed
        tally.requests += 1
        try:
            response = self._openai.chat.completions.create(**kwargs)
        except openai.APITimeoutError:
            raise _Retryable(f"no reply within {self.settings.timeout_s:g} s") from None
        except openai.APIConnectionError as exc:
            raise _Retryable(f"cannot connect ({exc.__cause__ or exc})") from None
        except openai.APIStatusError as exc:
            refused = f"{exc} {exc.body}"
            if (
                fmt != "json_object"
                and "response_format" in refused
                and exc.status_code
                in (
                    400,
                    422,
                    500,  # llama-cpp-python's server answers a request it cannot parse with 500
                )
            ):
                # This server does not take this form of structured output: step down
                # (json_schema, then json_object with a schema as llama.cpp takes it, then
                # plain json_object) and rely on validation; the schema is in the system
                # message as well.
                with self._lock, _ENDPOINT_LOCK:
                    if self._response_format == fmt:
                        self._response_format = _FORMATS[_FORMATS.index(fmt) + 1]
                        _ENDPOINT_FORMATS[self._endpoint] = self._response_format
                return self._attempt(task, model_input, tally, retry=retry)
            if exc.status_code >= 500 or exc.status_code in (408, 409, 429):
                raise _Retryable(f"HTTP {exc.status_code} ({_short(exc)})") from None
            raise LLMCallError(f"HTTP {exc.status_code} ({_short(exc)})") from None
        if response.usage is not None:
            tally.prompt_tokens += response.usage.prompt_tokens or 0
            tally.completion_tokens += response.usage.completion_tokens or 0
        if not response.choices:
            raise _Retryable("the reply has no choices")
        choice = response.choices[0]
        content = choice.message.content or ""
        match = _FENCE_MD.match(content)
        if match:
            content = match.group(1)
        try:
            output = task.output.model_validate_json(content)
            if task.check is not None:
                task.check(output, model_input)
        except (ValidationError, ValueError) as exc:
            cut = " (cut at max_tokens)" if choice.finish_reason == "length" else ""
            raise _Retryable(f"invalid reply{cut}: {_first_line(exc)}") from None
        return output

    def _format(self, task: Task[Any], fmt: str) -> dict[str, Any]:
        if fmt == "json_schema":
            return {
                "type": "json_schema",
                "json_schema": {"name": _schema_name(task.name), "schema": task.schema},
            }
        if fmt == "json_object_schema":
            return {"type": "json_object", "schema": task.schema}
        return {"type": "json_object"}

    def _account(self, task: Task[Any], result: LLMResult[Any]) -> None:
        with self._lock:
            t = self._totals
            t.calls += 1
            t.cache_hits += result.cached
            t.requests += result.attempts
            t.failures += not result.ok
            t.prompt_tokens += result.prompt_tokens
            t.completion_tokens += result.completion_tokens
            t.latency_s += result.latency_s
            fmt = self._response_format
        if self._store is not None:
            self._store.add_usage(
                UsageRow(
                    task=task.name,
                    prompt_version=task.version,
                    model=self.settings.model,
                    key=result.key,
                    cached=result.cached,
                    ok=result.ok,
                    attempts=result.attempts,
                    prompt_tokens=result.prompt_tokens,
                    completion_tokens=result.completion_tokens,
                    latency_ms=result.latency_s * 1000.0,
                    response_format="cache" if result.cached else fmt,
                    injection_suspected=result.injection_suspected,
                    error=result.error,
                )
            )
            # A long batch writes as it goes, so an interrupted run keeps what it paid for.
            if self._store.pending() >= _FLUSH_EVERY:
                self._store.flush()


def _schema_name(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]", "_", name)[:64] or "answer"


def _first_line(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0][:200] if str(exc).strip() else type(exc).__name__


def _short(exc: openai.APIStatusError) -> str:
    body = exc.body
    if isinstance(body, dict):
        msg = body.get("message") or body.get("error") or body
        if isinstance(msg, dict):
            msg = msg.get("message", msg)
        return str(msg)[:200]
    return _first_line(exc)


def _advice(error: str) -> str:
    if error.startswith("cannot connect"):
        return "start the server (`limelight llm serve-local`) or fix LIMELIGHT_LLM_BASE_URL"
    if error.startswith("no reply within"):
        return "raise LIMELIGHT_LLM_TIMEOUT or lower LIMELIGHT_LLM_CONCURRENCY"
    if error.startswith("invalid reply"):
        return "the model did not follow the schema; use a more capable model or raise max_tokens"
    if "404" in error:
        return "set LIMELIGHT_LLM_MODEL to a model the server lists at /v1/models"
    if "401" in error or "403" in error:
        return "set LIMELIGHT_LLM_API_KEY to a valid key"
    return "check the server's log"
