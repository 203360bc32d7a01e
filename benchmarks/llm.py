"""LLM client throughput against the local server, and the scrubber's speed on real posts.

Run ``python benchmarks/llm.py`` (``--calls 6 --data ../shared/data``). It starts
``limelight llm serve-local`` on a free loopback port in its own process, then sends the
same ``--calls`` posts three ways and prints calls per second for each:

- *raw SDK*: ``openai.OpenAI().chat.completions.create`` with the same messages and the same
  ``response_format`` the client settled on, validated with nothing (the peer: what a
  script without limelight's client would do);
- *LLMClient, cold*: scrub, fence, structured output, validation, retries, cache writes;
- *LLMClient, cached*: the same posts again, answered from ``llm_cache``.

The ratio printed is LLMClient cold over raw SDK in the same run: the client's overhead on
top of the model's own time. It also prints how many posts per second the injection
scrubber reads (IRA and TweepFake tweets from ``--data``). The numbers depend on the
machine's load; say so when you quote them.
"""

from __future__ import annotations

import argparse
import time

from _shared import (
    add_data_option,
    ira_texts,
    llm_call_rows,
    local_llm_server,
    print_rows,
    tweepfake_texts,
)

from limelight.llm import find_injections


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=6)
    add_data_option(parser)
    args = parser.parse_args()
    posts = ira_texts(args.data) + tweepfake_texts(args.data, "validation")
    sample = posts[1000 : 1000 + args.calls]

    started = time.perf_counter()
    flagged = sum(bool(find_injections(p)) for p in posts)
    rows = [("scrubber (posts)", len(posts), time.perf_counter() - started)]
    with local_llm_server() as base:
        rows += llm_call_rows(base, sample)

    print_rows(rows, width=26)
    ratio = rows[2][2] / rows[1][2]
    print(f"LLMClient cold / raw SDK time: {ratio:.2f}x (same posts, server and run)")
    print(f"scrubber flagged {flagged} of {len(posts)} real posts")


if __name__ == "__main__":
    main()
