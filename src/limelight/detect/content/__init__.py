"""The content layer: what posts say and how, not only how accounts act.

- **Persuasion techniques** (``PersuasionModel``): the 20 SemEval-2021 Task 6 techniques
  (``TECHNIQUES``; SemEval-2020 Task 11 classes mapped in, see ``_labels``), a score per
  technique and the characters each rests on; ``fast=True`` picks the head over static
  token vectors distilled from MiniLM (``StaticEmbedder``, ``distill_static``), which
  needs no torch. Model card: docs/models/persuasion.md.
- **AI-written text** (``AiTextModel``, ``find_ai_phrases``): a learned score trained on
  TweepFake, self-revealing phrases and refusals in 13 languages as a rule with its
  evidence, and the share of each account's posts judged AI-written
  (``account_ai_shares``); optionally blended with MiniLM fine-tuned by a low-rank adapter
  (``TunedEncoder``, ``fine_tune``, ``train_ai_text_encoder``). Model card:
  docs/models/ai_text.md.
- **Narratives** (``find_narratives``): posts grouped by meaning, near-duplicates collapsed
  first, with top terms, representative posts, accounts and time span, and a title
  (``title_narratives``: written by the LLM when a client is given and its reply is
  grounded, else the key terms). docs/narratives.md.

``run_content`` runs all three over a store (``limelight content``); ``train_persuasion``
and ``train_ai_text`` rebuild the shipped heads (``limelight train content``). With an LLM
endpoint configured, ``LLMPersuasionLabeller`` gives techniques in the same shape as the
local head, and ``distill_persuasion`` trains a local head from its labels on a sample
(``limelight distill``). The heavy
dependencies (torch and sentence-transformers for embeddings, scikit-learn for hashing and
training) are imported on first use; install ``limelight[content]``.
"""

from __future__ import annotations

from limelight.detect.content._ai_rules import (
    AI_PHRASES,
    RULE_STRENGTH,
    PhraseMatch,
    find_ai_phrases,
)
from limelight.detect.content._ai_text import (
    AccountAiShare,
    AiTextModel,
    AiTextScore,
    account_ai_shares,
    default_ai_text_encoder_path,
    default_ai_text_path,
)
from limelight.detect.content._datasets import (
    LabelledTexts,
    Span,
    TweetSet,
    load_memes,
    load_ptc,
    load_tweepfake,
)
from limelight.detect.content._distill import distill_persuasion, labels_matrix
from limelight.detect.content._features import FeatureSpec, build_features
from limelight.detect.content._labels import (
    MEMES_TO_TECHNIQUE,
    PTC_TO_TECHNIQUES,
    TECHNIQUE_NAMES,
    TECHNIQUES,
)
from limelight.detect.content._linear import LinearHead
from limelight.detect.content._llm_labeller import (
    PERSUASION_TASK,
    LLMPersuasionLabeller,
    TechniqueAnswer,
    TechniqueId,
)
from limelight.detect.content._lora import AdapterSettings, TunedEncoder, fine_tune
from limelight.detect.content._narratives import (
    NARRATIVE_POSTS_SCHEMA,
    NARRATIVES_SCHEMA,
    STATIC_NARRATIVES,
    NarrativeSettings,
    find_narratives,
)
from limelight.detect.content._persuasion import (
    PersuasionModel,
    TechniqueHit,
    default_fast_persuasion_path,
    default_persuasion_path,
    fragments,
)
from limelight.detect.content._run import (
    CONTENT_TABLES,
    ContentResult,
    analyse_posts,
    run_content,
)
from limelight.detect.content._static import (
    StaticEmbedder,
    default_static_path,
    distill_static,
)
from limelight.detect.content._titles import (
    TITLE_TASK,
    NarrativeTitle,
    TitleAnswer,
    check_title,
    key_terms_title,
    title_narratives,
)
from limelight.detect.content._train import (
    FAST_PERSUASION_C,
    FAST_PERSUASION_SPEC,
    POLITICAL_ACCOUNTS,
    PersuasionSettings,
    firing_rate,
    macro_f1,
    micro_f1,
    ordinary_tweets,
    train_persuasion,
)
from limelight.detect.content._train_ai import (
    blend_ai_text_encoder,
    train_ai_text,
    train_ai_text_encoder,
)

__all__ = [
    "AI_PHRASES",
    "CONTENT_TABLES",
    "FAST_PERSUASION_C",
    "FAST_PERSUASION_SPEC",
    "MEMES_TO_TECHNIQUE",
    "NARRATIVES_SCHEMA",
    "NARRATIVE_POSTS_SCHEMA",
    "PERSUASION_TASK",
    "POLITICAL_ACCOUNTS",
    "PTC_TO_TECHNIQUES",
    "RULE_STRENGTH",
    "STATIC_NARRATIVES",
    "TECHNIQUES",
    "TECHNIQUE_NAMES",
    "TITLE_TASK",
    "AccountAiShare",
    "AdapterSettings",
    "AiTextModel",
    "AiTextScore",
    "ContentResult",
    "FeatureSpec",
    "LLMPersuasionLabeller",
    "LabelledTexts",
    "LinearHead",
    "NarrativeSettings",
    "NarrativeTitle",
    "PersuasionModel",
    "PersuasionSettings",
    "PhraseMatch",
    "Span",
    "StaticEmbedder",
    "TechniqueAnswer",
    "TechniqueHit",
    "TechniqueId",
    "TitleAnswer",
    "TunedEncoder",
    "TweetSet",
    "account_ai_shares",
    "analyse_posts",
    "blend_ai_text_encoder",
    "build_features",
    "check_title",
    "default_ai_text_encoder_path",
    "default_ai_text_path",
    "default_fast_persuasion_path",
    "default_persuasion_path",
    "default_static_path",
    "distill_persuasion",
    "distill_static",
    "find_ai_phrases",
    "find_narratives",
    "fine_tune",
    "firing_rate",
    "fragments",
    "key_terms_title",
    "labels_matrix",
    "load_memes",
    "load_ptc",
    "load_tweepfake",
    "macro_f1",
    "micro_f1",
    "ordinary_tweets",
    "run_content",
    "title_narratives",
    "train_ai_text",
    "train_ai_text_encoder",
    "train_persuasion",
]
