"""AI-written text on real data: phrase rules, the TweepFake head per generator, accounts."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from limelight.detect.content import (
    AiTextModel,
    TweetSet,
    account_ai_shares,
    find_ai_phrases,
    load_memes,
)

# The wording chat models use when they reveal themselves or refuse, as posted by accounts
# that pipe model output straight to a platform.
REVEALING = {
    "en": "As an AI language model, I don't have personal opinions on the election.",
    "en-refusal": "I'm sorry, but I can't assist with that request.",
    "en-curly": "I’m sorry, but I cannot fulfill this request: it goes against OpenAI’s policy.",
    "es": "Como modelo de lenguaje, no tengo opiniones políticas, pero puedo ayudarte.",
    "fr": "En tant que modèle de langage, je ne peux pas exprimer d'opinion personnelle.",
    "de": "Als KI-Sprachmodell habe ich keine persönliche Meinung zu diesem Thema.",
    "pt": "Como um modelo de linguagem, não tenho opiniões pessoais.",
    "it": "Come modello linguistico, non posso esprimere opinioni personali.",
    "ru": "Как языковая модель, я не могу иметь личного мнения.",
    "zh": "作为一个人工智能语言模型，我没有个人观点。",
    "ja": "AI言語モデルとして、私は個人的な意見を持っていません。",
    "tr": "Bir yapay zeka dil modeli olarak kişisel görüşlerim yok.",
    "ar": "بصفتي نموذج لغة، ليس لدي آراء شخصية.",
}


@pytest.mark.parametrize("lang", sorted(REVEALING))
def test_self_revealing_phrases_fire_with_their_words_as_evidence(lang: str) -> None:
    text = REVEALING[lang]
    found = find_ai_phrases(text)
    assert found, text
    best = found[0]
    assert best.lang == lang.split("-")[0]
    assert best.strength >= 0.85 and len(best.phrase) >= 5


def test_rules_stay_silent_on_ordinary_posts(
    data_dir: Path, tweepfake_validation: TweetSet
) -> None:
    human = [t for t, g in zip(*_pairs(tweepfake_validation), strict=True) if g == "human"]
    memes = load_memes(data_dir, "train").texts
    ordinary = (
        human
        + memes
        + [
            "I cannot fulfill my promise to visit this weekend, sorry mum",
            "As an AI researcher, I think the model is overrated",
            "Lo siento, pero no puedo ir a la fiesta",
        ]
    )
    assert len(ordinary) > 1800
    fired = [t for t in ordinary if find_ai_phrases(t)]
    assert fired == []


def _pairs(tweets: TweetSet) -> tuple[list[str], list[str]]:
    return tweets.texts, tweets.generators


@pytest.mark.slow
def test_head_beats_chance_on_every_generator_family(
    ai_text_model: AiTextModel, tweepfake_validation: TweetSet
) -> None:
    truth = tweepfake_validation.is_ai.astype(bool)
    generators = np.array(tweepfake_validation.generators)
    ngram_only = AiTextModel(use_encoder=False)
    # the shipped model (n-gram head blended with the fine-tuned encoder when the package
    # has one) and the n-gram head alone, each against the figures its file records
    models = [(ai_text_model, 0.84, 0.70), (ngram_only, 0.78, 0.65)]
    for model, floor, family_floor in models:
        pred = model.model_scores(tweepfake_validation.texts) >= model.threshold
        accuracy = float((pred == truth).mean())
        assert accuracy >= floor, (model.version, accuracy)
        for family in ("human", "gpt2", "rnn", "others"):
            rows = generators == family
            assert rows.sum() > 300
            family_accuracy = float((pred[rows] == truth[rows]).mean())
            # chance is 0.5 on each family; GPT-2 is the hardest (model card)
            assert family_accuracy >= family_floor, (model.version, family, family_accuracy)
        recorded = (
            model.encoder.report["validation"]["blended"]["accuracy"]
            if model.encoder is not None
            else model.head.report["validation"]["accuracy"]
        )
        assert accuracy == pytest.approx(recorded, abs=1e-3)
    assert ai_text_model.encoder is not None, "the package ships the fine-tuned encoder"


@pytest.mark.slow
def test_accounts_of_bots_are_findings_and_human_accounts_are_not(
    ai_text_model: AiTextModel, tweepfake_validation: TweetSet
) -> None:
    scored = ai_text_model.score(tweepfake_validation.texts)
    shares = account_ai_shares(
        tweepfake_validation.accounts,
        [s.ai_score for s in scored],
        [s.rule for s in scored],
        threshold=ai_text_model.threshold,
        min_posts=20,
    )
    generator = dict(
        zip(tweepfake_validation.accounts, tweepfake_validation.generators, strict=False)
    )
    bots = [s for s in shares if generator[s.account_id] != "human" and s.posts >= 20]
    humans = [s for s in shares if generator[s.account_id] == "human" and s.posts >= 20]
    assert len(bots) >= 10 and len(humans) >= 10
    assert sum(s.finding for s in bots) / len(bots) >= 0.7
    assert sum(s.finding for s in humans) / len(humans) <= 0.2
    # too few posts is never a finding, whatever the share
    few = account_ai_shares(["a", "a"], [0.99, 0.99], [None, None], min_posts=5)
    assert few[0].share == 1.0 and not few[0].finding


def test_a_self_revealing_post_scores_high_even_when_the_head_does_not(
    ai_text_model: AiTextModel,
) -> None:
    text = REVEALING["en"]
    [score] = ai_text_model.score([text])
    assert score.rule == "self_reveal" and score.phrase == "as an ai language model"
    assert score.ai_score >= 0.97 >= score.model_score or score.ai_score == score.model_score


def test_a_blank_text_is_not_ai_written(ai_text_model: AiTextModel) -> None:
    # Short tweets lean generated in TweepFake; a text with no characters is no evidence.
    blank, short = ai_text_model.score(["", " \n\t"]), ai_text_model.score(["lol"])
    assert [s.ai_score for s in blank] == [0.0, 0.0] and all(s.rule is None for s in blank)
    assert short[0].model_score > 0.0
