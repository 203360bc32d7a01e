"""LLM-written notes are used only when grounded in the evidence.

The real path runs: ``fuse`` builds an ``LLMClient`` that talks HTTP to a chat-completions
server. The server here is a small scripted one, because the offline model (SmolLM2-135M,
`limelight llm serve-local`) cannot be made to write a particular note, and the test needs
one grounded note and one that invents a number. It answers from the fenced evidence the
client actually sent.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from limelight.campaigns import EVIDENCE, SPOTLIGHT_CAMPAIGNS, fuse
from limelight.campaigns._llm_notes import accept_note, evidence_text
from limelight.llm import LLMSettings
from limelight.store import Database

pytestmark = pytest.mark.slow


def _note_from(evidence: str, invent: bool) -> str:
    """What the scripted model writes: grounded in the evidence, or with a made-up count."""
    campaign = re.search(r"campaign (cmp-[0-9a-f]{12})", evidence)
    post = re.search(r"co-action; .*?post (\S+);", evidence)
    assert campaign and post, evidence[:500]
    pid = post.group(1)
    if invent:
        return f"Some 977 accounts in {campaign.group(1)} were paid to repost, see post {pid}."
    return f"Accounts of {campaign.group(1)} reposted the same posts together, see post {pid}."


@contextmanager
def note_server(invent: bool) -> Iterator[str]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

        def _send(self, payload: dict[str, Any]) -> None:
            data = json.dumps(payload).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:
            self._send({"object": "list", "data": [{"id": "notes", "object": "model"}]})

        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            user = body["messages"][-1]["content"]
            content = json.dumps({"note": _note_from(user, invent)})
            self._send(
                {
                    "id": "n-1",
                    "object": "chat.completion",
                    "created": 0,
                    "model": body["model"],
                    "choices": [
                        {
                            "index": 0,
                            "message": {"role": "assistant", "content": content},
                            "finish_reason": "stop",
                        }
                    ],
                    "usage": {"prompt_tokens": 100, "completion_tokens": 20, "total_tokens": 120},
                }
            )

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def _campaign_rows(db: Database) -> tuple[str, list[dict[str, Any]]]:
    cid = db.query(f"SELECT campaign_id FROM {SPOTLIGHT_CAMPAIGNS} ORDER BY rank LIMIT 1")[0][0]
    rows = db.arrow(
        f"SELECT * FROM {EVIDENCE} WHERE subject_kind = 'campaign' AND subject_id = ?", [cid]
    ).to_pylist()
    return str(cid), rows


def test_a_grounded_llm_note_replaces_the_template(russian: Database) -> None:
    with note_server(invent=False) as url:
        settings = LLMSettings(base_url=url, model="notes-grounded", max_retries=0)
        result = fuse(russian, llm=settings, write=False)
    first = result.campaigns.to_pylist()[0]
    assert first["note_source"] == "llm:notes-grounded"
    assert first["note"].startswith(f"Accounts of {first['campaign_id']} reposted")
    assert result.params["llm_notes"] == {"accepted": result.campaigns.num_rows}


def test_an_llm_note_that_invents_a_number_is_dropped(russian: Database) -> None:
    with note_server(invent=True) as url:
        settings = LLMSettings(base_url=url, model="notes-inventive", max_retries=0)
        result = fuse(russian, llm=settings, write=False)
    for c in result.campaigns.to_pylist():
        assert c["note_source"] == "template" and "977" not in c["note"]
    assert result.params["llm_notes"] == {"ungrounded": result.campaigns.num_rows}


def test_accept_note_needs_grounding_and_a_cited_post(russian: Database) -> None:
    cid, rows = _campaign_rows(russian)
    post = next(r["post_id"] for r in rows if r["kind"] == "co-action")
    assert accept_note(f"Members of {cid} acted together (post {post}).", rows)
    assert not accept_note(f"Members of {cid} acted together.", rows)  # cites no post
    assert not accept_note(f"Members of {cid} acted 5000 times (post {post}).", rows)
    assert not accept_note(None, rows)
    text = evidence_text(cid, rows)
    assert text.splitlines()[0] == f"campaign {cid}" and f"post {post}" in text
