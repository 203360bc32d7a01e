"""Was a post written by a language model? A learned score, a rule, and a verdict per account.

Two signals per post:

- the ``ai_text`` head: a logistic regression over hashed character 2-4-grams, word uni-
  and bigrams and style counts, trained on TweepFake (tweets by GPT-2, RNN, Markov-chain
  and other generators and by the humans they imitate). It learns the texture of
  generated text; it knows only the generators it was shown (the model card says how well
  it does on each).
- ``find_ai_phrases``: a post that calls itself a language model or posts a chat model's
  refusal. This holds for every generator, old and new, and carries its evidence.

When a fine-tuned encoder is shipped or given (``ai_text_encoder.npz``: a low-rank adapter
on MiniLM with its own head, see ``_lora``), ``model_score`` is a logistic blend of its
log-odds and the n-gram head's, with weights fitted on training tweets that neither saw.

``ai_score`` is the larger of the two. An account is a finding when at least ``min_posts``
of its posts were scored and at least ``min_share`` of them have ``ai_score >= threshold``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np

from limelight.detect.content._ai_rules import find_ai_phrases
from limelight.detect.content._features import build_features
from limelight.detect.content._linear import LinearHead, sigmoid
from limelight.detect.content._lora import TunedEncoder
from limelight.embed import embed_texts
from limelight.errors import InputError

__all__ = [
    "AccountAiShare",
    "AiTextModel",
    "AiTextScore",
    "account_ai_shares",
    "default_ai_text_encoder_path",
    "default_ai_text_path",
]


def default_ai_text_path() -> Path:
    """Where the shipped AI-text head lives inside the package."""
    return Path(str(resources.files("limelight").joinpath("models", "content", "ai_text.npz")))


def default_ai_text_encoder_path() -> Path:
    """Where a shipped fine-tuned AI-text encoder (adapter and blend) would live."""
    return default_ai_text_path().with_name("ai_text_encoder.npz")


@dataclass(frozen=True, slots=True)
class AiTextScore:
    """One post's AI-text signals: the model's probability, the rule's match, the verdict."""

    model_score: float
    rule: str | None
    phrase: str | None
    ai_score: float


class AiTextModel:
    """The shipped (or a given) AI-text head plus the self-revealing phrase rules.

    ``encoder`` (or ``encoder_path``) adds a fine-tuned encoder blended with the head; by
    default the shipped one is used when the package has one, unless ``use_encoder`` is
    False (the n-gram head alone is some ten times faster on a CPU).
    """

    def __init__(
        self,
        head: LinearHead | None = None,
        *,
        model_path: Path | None = None,
        encoder: TunedEncoder | None = None,
        encoder_path: Path | None = None,
        use_encoder: bool = True,
    ) -> None:
        self.head = head or LinearHead.load(model_path or default_ai_text_path())
        self.encoder: TunedEncoder | None = None
        if use_encoder:
            if encoder is not None:
                self.encoder = encoder
            elif encoder_path is not None:
                self.encoder = TunedEncoder.load(encoder_path)
            elif head is None and model_path is None and default_ai_text_encoder_path().is_file():
                self.encoder = TunedEncoder.load(default_ai_text_encoder_path())
        if self.encoder is not None:
            blend = self.encoder.report.get("blend", {})
            if blend.get("ngram_version") != self.head.version:
                raise InputError(
                    f"the AI-text encoder was blended with head {blend.get('ngram_version')}, "
                    f"not {self.head.version}; rebuild both with `limelight train content`"
                )

    @property
    def version(self) -> str:
        """The model's content hash(es), stored beside every result."""
        if self.encoder is not None:
            return f"{self.head.version}+{self.encoder.version}"
        return self.head.version

    @property
    def threshold(self) -> float:
        """The score at and above which a post is judged AI-written."""
        return float(self.head.thresholds[0])

    def model_scores(
        self, texts: Sequence[str], embeddings: np.ndarray | None = None
    ) -> np.ndarray:
        """The head's probability of AI authorship per text; 0 for a blank text.

        A text with nothing but white space carries no evidence of any writer, and the
        head, which learned that short tweets lean generated, would give it 0.99.
        """
        if self.head.spec.embedding and embeddings is None:
            embeddings = embed_texts(texts)
        if len(texts) == 0:
            return np.zeros(0)
        ngram_z = self.head.decision(build_features(list(texts), embeddings, self.head.spec))[:, 0]
        if self.encoder is None:
            z = ngram_z
        else:
            blend = self.encoder.report["blend"]
            encoder_z = self.encoder.logits(texts)[:, 0]
            z = blend["encoder"] * encoder_z + blend["ngram"] * ngram_z + blend["bias"]
        p: np.ndarray = sigmoid(z)
        p[[not t.strip() for t in texts]] = 0.0
        return p

    def score(
        self, texts: Sequence[str], embeddings: np.ndarray | None = None
    ) -> list[AiTextScore]:
        """Both signals and the combined ``ai_score`` for each text."""
        learned = self.model_scores(texts, embeddings)
        out: list[AiTextScore] = []
        for text, p in zip(texts, learned, strict=True):
            matches = find_ai_phrases(text)
            if matches:
                best = matches[0]
                out.append(
                    AiTextScore(float(p), best.kind, best.phrase, max(float(p), best.strength))
                )
            else:
                out.append(AiTextScore(float(p), None, None, float(p)))
        return out


@dataclass(frozen=True, slots=True)
class AccountAiShare:
    """How much of one account's scored output looks AI-written."""

    account_id: str
    posts: int
    ai_posts: int
    share: float
    mean_score: float
    rule_posts: int
    finding: bool


def account_ai_shares(
    account_ids: Sequence[str],
    ai_scores: Sequence[float],
    rules: Sequence[str | None],
    *,
    threshold: float = 0.5,
    min_posts: int = 5,
    min_share: float = 0.5,
) -> list[AccountAiShare]:
    """Aggregate post scores by account; a finding needs enough posts and a high share.

    A single self-revealing post is strong evidence on its own but says nothing of the
    rest of the account; the share over ``min_posts`` or more is what makes an account
    "mostly AI-written". ``rule_posts`` counts the posts with a phrase match, so a reader
    can see both.
    """
    by_account: dict[str, list[int]] = {}
    for i, account in enumerate(account_ids):
        by_account.setdefault(account, []).append(i)
    scores = np.asarray(ai_scores, dtype=np.float64)
    out: list[AccountAiShare] = []
    for account, rows in sorted(by_account.items()):
        s = scores[rows]
        ai_posts = int((s >= threshold).sum())
        share = ai_posts / len(rows)
        out.append(
            AccountAiShare(
                account_id=account,
                posts=len(rows),
                ai_posts=ai_posts,
                share=round(share, 4),
                mean_score=round(float(s.mean()), 4),
                rule_posts=sum(1 for i in rows if rules[i] is not None),
                finding=len(rows) >= min_posts and share >= min_share,
            )
        )
    return out
