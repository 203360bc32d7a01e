"""The labelled text sets the content models learn from, read into one shape.

- **SemEval-2021 Task 6** (``semeval2021-t6-memes``): meme texts with the techniques each
  uses (task 1) and their character spans (task 2); train and dev splits. The dev split is
  never used to fit or tune anything: it is where the model card's figures come from.
- **SemEval-2020 Task 11** (``semeval2020-t11-ptc``): news articles, one sentence per line,
  with character spans of 14 technique classes. Each sentence becomes one example labelled
  with the classes of the spans it overlaps. Only the training split is public, so one
  article in five (by a hash of its id) is held out as ``heldout``.
- **TweepFake** (``tweepfake``): tweets by 17 humans and 23 bots with the bot's generator
  (``gpt2``, ``rnn``, ``others``: Markov chains, LSTM, RNN+Markov ...); train and validation.
"""

from __future__ import annotations

import csv
import json
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from limelight.detect.content._labels import (
    MEMES_TO_TECHNIQUE,
    PTC_TO_TECHNIQUES,
    PTC_UNANNOTATED,
    TECHNIQUES,
)
from limelight.errors import InputError

__all__ = [
    "LabelledTexts",
    "Span",
    "TweetSet",
    "load_memes",
    "load_ptc",
    "load_tweepfake",
]

MEMES = "semeval2021-t6-memes"
PTC = "semeval2020-t11-ptc"
TWEEPFAKE = "tweepfake"
_INDEX = {name: i for i, name in enumerate(TECHNIQUES)}


@dataclass(frozen=True, slots=True)
class Span:
    """A technique at characters [start, end) of one example's text."""

    technique: str
    start: int
    end: int


@dataclass(slots=True)
class LabelledTexts:
    """Texts with a 0/1 row per technique and a mask of which cells are known."""

    texts: list[str]
    labels: np.ndarray
    known: np.ndarray
    groups: list[str]
    spans: list[list[Span]]

    def __len__(self) -> int:
        return len(self.texts)

    @staticmethod
    def concat(parts: list[LabelledTexts]) -> LabelledTexts:
        """All parts' examples in order."""
        return LabelledTexts(
            texts=[t for p in parts for t in p.texts],
            labels=np.concatenate([p.labels for p in parts]),
            known=np.concatenate([p.known for p in parts]),
            groups=[g for p in parts for g in p.groups],
            spans=[s for p in parts for s in p.spans],
        )


@dataclass(slots=True)
class TweetSet:
    """Tweets with the account that posted each and the generator behind it."""

    texts: list[str]
    accounts: list[str]
    generators: list[str]

    @property
    def is_ai(self) -> np.ndarray:
        """1 where a bot (any generator) wrote the tweet."""
        return np.array([g != "human" for g in self.generators], dtype=np.int8)


def _folder(data_dir: Path, name: str) -> Path:
    folder = data_dir / name
    if not folder.is_dir():
        raise InputError(
            f"{folder}: data set missing; give the shared data folder with --data "
            f"(it must hold {name}/)"
        )
    return folder


def load_memes(data_dir: Path, split: str = "train") -> LabelledTexts:
    """SemEval-2021 Task 6 texts of one split (``train`` or ``dev``), labels and spans."""
    folder = _folder(data_dir, MEMES)
    stem = {"train": "training_set", "dev": "dev_set"}.get(split)
    if stem is None:
        raise InputError(f"{split}: unknown SemEval-2021 split; use train or dev")
    task1 = json.loads((folder / f"{stem}_task1.txt").read_text(encoding="utf-8"))
    task2 = {
        item["id"]: item
        for item in json.loads((folder / f"{stem}_task2.txt").read_text(encoding="utf-8"))
    }
    n = len(task1)
    labels = np.zeros((n, len(TECHNIQUES)), dtype=np.int8)
    spans: list[list[Span]] = []
    for i, item in enumerate(task1):
        for name in item["labels"]:
            labels[i, _INDEX[MEMES_TO_TECHNIQUE[name]]] = 1
        located = task2.get(item["id"], {"labels": []})["labels"]
        spans.append(
            [
                Span(MEMES_TO_TECHNIQUE[s["technique"]], int(s["start"]), int(s["end"]))
                for s in located
                if s["technique"] in MEMES_TO_TECHNIQUE
            ]
        )
    return LabelledTexts(
        texts=[item["text"] for item in task1],
        labels=labels,
        known=np.ones_like(labels, dtype=bool),
        groups=[f"meme:{item['id']}" for item in task1],
        spans=spans,
    )


def ptc_is_heldout(article_id: str) -> bool:
    """One article in five, fixed by a hash of its id, is kept out of training."""
    return zlib.crc32(article_id.encode()) % 5 == 0


def load_ptc(data_dir: Path, split: str = "train") -> LabelledTexts:
    """SemEval-2020 Task 11 sentences of ``train`` or ``heldout`` articles, labelled by span."""
    if split not in ("train", "heldout"):
        raise InputError(f"{split}: unknown PTC split; use train or heldout")
    folder = _folder(data_dir, PTC)
    by_article: dict[str, list[tuple[str, int, int]]] = {}
    with (folder / "train-task2-TC.labels").open(encoding="utf-8") as fh:
        for line in fh:
            parts = line.rstrip("\n").split("\t")
            if len(parts) == 4:
                by_article.setdefault(parts[0], []).append((parts[1], int(parts[2]), int(parts[3])))
    texts: list[str] = []
    rows: list[np.ndarray] = []
    masks: list[np.ndarray] = []
    groups: list[str] = []
    spans: list[list[Span]] = []
    for path in sorted((folder / "train-articles").glob("article*.txt")):
        article = path.stem.removeprefix("article")
        if ptc_is_heldout(article) != (split == "heldout"):
            continue
        with path.open(encoding="utf-8", newline="") as fh:
            body = fh.read()
        offset = 0
        for line in body.split("\n"):
            start, end = offset, offset + len(line)
            offset = end + 1
            if not line.strip():
                continue
            row = np.zeros(len(TECHNIQUES), dtype=np.int8)
            known = np.ones(len(TECHNIQUES), dtype=bool)
            known[[_INDEX[t] for t in PTC_UNANNOTATED]] = False
            inside: list[Span] = []
            for name, s, e in by_article.get(article, []):
                if s >= end or e <= start or name not in PTC_TO_TECHNIQUES:
                    continue
                targets = PTC_TO_TECHNIQUES[name]
                if len(targets) == 1:
                    row[_INDEX[targets[0]]] = 1
                    inside.append(Span(targets[0], max(s, start) - start, min(e, end) - start))
                else:
                    known[[_INDEX[t] for t in targets]] = False
            # a merged-class mask never hides a positive that a one-to-one class set
            known |= row.astype(bool)
            texts.append(line)
            rows.append(row)
            masks.append(known)
            groups.append(f"article:{article}")
            spans.append(inside)
    n = len(texts)
    return LabelledTexts(
        texts=texts,
        labels=np.array(rows, dtype=np.int8).reshape(n, len(TECHNIQUES)),
        known=np.array(masks, dtype=bool).reshape(n, len(TECHNIQUES)),
        groups=groups,
        spans=spans,
    )


def load_tweepfake(data_dir: Path, split: str = "train") -> TweetSet:
    """TweepFake tweets of ``train`` or ``validation`` with account and generator."""
    folder = _folder(data_dir, TWEEPFAKE)
    path = folder / f"data_splits_{split}.csv"
    if not path.is_file():
        raise InputError(f"{path}: no such TweepFake split; use train or validation")
    texts: list[str] = []
    accounts: list[str] = []
    generators: list[str] = []
    with path.open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh, delimiter=";"):
            texts.append(row["text"])
            accounts.append(row["screen_name"])
            generators.append(row["class_type"])
    return TweetSet(texts=texts, accounts=accounts, generators=generators)
