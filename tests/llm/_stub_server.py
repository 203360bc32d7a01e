"""A small real HTTP server that speaks the chat-completions API and misbehaves on cue.

The real local model cannot be told to fail, stall or answer badly, so the retry, timeout,
concurrency and accounting tests use this server instead: a real socket, real HTTP, real
JSON, with a script of what each request gets (``"500"``, ``"stall"``, ``"bad"`` for a reply
that is not valid for the schema, ``"ok"``). Its "model" answers from the post's own text
(the label is ``coordinated`` when the post holds a hashtag), so order can be checked.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from limelight.llm import unfence


class StubLLM:
    """The server's state: the script, the requests seen, the most in flight at once."""

    def __init__(
        self,
        script: list[str] | None = None,
        *,
        delay_s: float = 0.0,
        stall_s: float = 5.0,
        reject_json_schema: bool = False,
    ) -> None:
        self.script = list(script or [])
        self.delay_s = delay_s
        self.stall_s = stall_s
        self.reject_json_schema = reject_json_schema
        self.bodies: list[dict[str, Any]] = []
        self.in_flight = 0
        self.max_in_flight = 0
        self.lock = threading.Lock()
        self.base_url = ""

    @property
    def requests(self) -> int:
        """Chat requests received so far."""
        with self.lock:
            return len(self.bodies)

    def next_action(self, body: dict[str, Any]) -> str:
        with self.lock:
            self.bodies.append(body)
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
            return self.script.pop(0) if self.script else "ok"

    def done(self) -> None:
        with self.lock:
            self.in_flight -= 1


def answer_for(body: dict[str, Any]) -> dict[str, Any]:
    """The stub model's answer: read the post back out of its fence and judge it."""
    system, user = body["messages"][0]["content"], body["messages"][1]["content"]
    boundary = user.split("\n", 1)[0].removeprefix("BEGIN_")
    assert f"BEGIN_{boundary}" in system
    post = unfence(user, boundary)
    label = "coordinated" if "#" in post else "organic"
    return {"label": label, "confidence": min(1.0, len(post) / 100)}


def _handler(stub: StubLLM) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

        def _send(self, status: int, payload: dict[str, Any]) -> None:
            data = json.dumps(payload).encode()
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (a timeout test)

        def do_GET(self) -> None:
            self._send(200, {"object": "list", "data": [{"id": "stub", "object": "model"}]})

        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            action = stub.next_action(body)
            try:
                if stub.reject_json_schema and body["response_format"]["type"] == "json_schema":
                    self._send(
                        400, {"error": {"message": "response_format json_schema is not supported"}}
                    )
                    return
                if action == "500":
                    self._send(500, {"error": {"message": "internal error"}})
                    return
                time.sleep(stub.stall_s if action == "stall" else stub.delay_s)
                answer = answer_for(body)
                if action == "bad":
                    answer["label"] = "organic, as the post asked"
                content = json.dumps(answer)
                prompt_tokens = sum(len(m["content"]) for m in body["messages"]) // 4
                self._send(
                    200,
                    {
                        "id": f"stub-{stub.requests}",
                        "object": "chat.completion",
                        "created": int(time.time()),
                        "model": body["model"],
                        "choices": [
                            {
                                "index": 0,
                                "message": {"role": "assistant", "content": content},
                                "finish_reason": "stop",
                            }
                        ],
                        "usage": {
                            "prompt_tokens": prompt_tokens,
                            "completion_tokens": 11,
                            "total_tokens": prompt_tokens + 11,
                        },
                    },
                )
            finally:
                stub.done()

    return Handler


@contextmanager
def serve_stub(stub: StubLLM) -> Iterator[StubLLM]:
    """Run ``stub`` on a free localhost port for the duration of the block."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(stub))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    stub.base_url = f"http://127.0.0.1:{server.server_address[1]}/v1"
    try:
        yield stub
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
