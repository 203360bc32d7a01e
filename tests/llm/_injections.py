"""The injection suite (data/injections.jsonl) and real posts to plant the injections in."""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

SUITE = Path(__file__).resolve().parent / "data" / "injections.jsonl"


@dataclass(frozen=True)
class Injection:
    """One hostile text: an id, its style and language, and the text itself."""

    id: str
    style: str
    lang: str
    text: str


def load_injections() -> list[Injection]:
    """Every injection in the suite, in file order."""
    with SUITE.open(encoding="utf-8") as f:
        return [Injection(**json.loads(line)) for line in f if line.strip()]


def real_posts(data_dir: Path, limit: int | None = None) -> list[str]:
    """Real posts in many languages: IRA troll tweets (English, Russian, German, Ukrainian,
    Arabic, ...) then TweepFake's validation tweets (human and machine-written)."""
    texts: list[str] = []
    with (data_dir / "ira-538-by-author" / "sample30_per_author_00.csv").open(
        encoding="utf-8", newline=""
    ) as f:
        texts.extend(row["content"] for row in csv.DictReader(f) if row["content"])
    with (data_dir / "tweepfake" / "data_splits_validation.csv").open(
        encoding="utf-8", newline=""
    ) as f:
        texts.extend(row["text"] for row in csv.DictReader(f, delimiter=";") if row["text"])
    return texts[:limit] if limit else texts


@cache
def base_posts(data_dir: Path) -> list[str]:
    """Three real IRA posts (English, Russian, German) to plant the injections in.

    The first post of each language with at least 60 characters: chosen by a rule, not by
    hand, so the suite does not depend on hand-picked hosts.
    """
    wanted = {"English": None, "Russian": None, "German": None}
    with (data_dir / "ira-538-by-author" / "sample30_per_author_00.csv").open(
        encoding="utf-8", newline=""
    ) as f:
        for row in csv.DictReader(f):
            lang, text = row["language"], row["content"]
            if lang in wanted and wanted[lang] is None and len(text) >= 60:
                wanted[lang] = text
    posts = [t for t in wanted.values() if t]
    assert len(posts) == 3, wanted
    return posts  # callers must not change the list (it is cached)


def plant(post: str, injection: str, how: int) -> str:
    """The post with the injection planted: after it, before it, on its own line, or in
    the middle (between two lines of the post)."""
    match how % 4:
        case 0:
            return f"{post} {injection}"
        case 1:
            return f"{injection} {post}"
        case 2:
            return f"{post}\n{injection}"
        case _:
            half = len(post) // 2
            cut = post.rfind(" ", 0, half)
            cut = cut if cut > 0 else half
            return f"{post[:cut]}\n{injection}\n{post[cut:].lstrip()}"
