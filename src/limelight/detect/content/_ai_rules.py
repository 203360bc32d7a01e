"""Posts that say a language model wrote them: self-revealing phrases and refusals.

When an operator pipes a chat model's output straight into an account, the model sometimes
says what it is ("As an AI language model, I ...") or refuses the prompt ("I cannot fulfill
this request"), and the refusal gets posted. Such a phrase is the most direct evidence of
AI-written text there is, it holds for any generator, and it comes with the words that prove
it, so it is a rule, not a learned weight.

Two kinds, each with its own strength:

- ``self_reveal``: the text calls itself a language model or AI assistant, or mentions the
  model's knowledge cutoff or the chat interface ("Regenerate response"). Strength 0.97.
- ``refusal``: a chat model's stock refusal ("I cannot fulfill this request", "this
  content violates OpenAI's policy"). People refuse too, so only the model's fixed
  phrasings are listed. Strength 0.85.

The phrases cover English, Spanish, French, German, Portuguese, Italian, Dutch, Russian,
Turkish, Polish, Chinese, Japanese and Arabic. Matching is on NFKC-normalised, case-folded
text with typographic apostrophes made straight.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

__all__ = ["AI_PHRASES", "RULE_STRENGTH", "PhraseMatch", "find_ai_phrases"]

RULE_STRENGTH: dict[str, float] = {"self_reveal": 0.97, "refusal": 0.85}
"""Probability of AI authorship that a match of each kind stands for."""

# (kind, language, pattern); patterns are matched against the normalised text.
AI_PHRASES: tuple[tuple[str, str, str], ...] = (
    # English
    ("self_reveal", "en", r"\bas an? (?:ai|artificial intelligence)(?: language)? model\b"),
    ("self_reveal", "en", r"\bas an? (?:large )?language model\b"),
    ("self_reveal", "en", r"\bas an ai(?: assistant| chatbot| developed by \w+)?,"),
    ("self_reveal", "en", r"\bi(?:'m| am) (?:just |only )?an ai (?:language model|assistant)\b"),
    ("self_reveal", "en", r"\bi(?:'m| am) (?:just |only )?an ai(?: model)?\b,? (?:and|so|i)\b"),
    ("self_reveal", "en", r"\bmy knowledge cut-?off\b"),
    (
        "self_reveal",
        "en",
        r"\bas of my (?:last )?(?:knowledge|training) (?:update|cut-?off|data)\b",
    ),
    ("self_reveal", "en", r"\bregenerate response\b"),
    (
        "self_reveal",
        "en",
        r"\bi don't have (?:personal )?(?:opinions|feelings|beliefs|emotions) as an ai\b",
    ),
    (
        "refusal",
        "en",
        r"\bi (?:cannot|can't|am unable to|'m unable to) "
        r"(?:fulfill|fulfil|comply with|complete) (?:this|that|your) request\b",
    ),
    (
        "refusal",
        "en",
        r"\bi'm sorry,? but i (?:cannot|can't) (?:assist|help) with (?:that|this)(?: request)?\b",
    ),
    ("refusal", "en", r"\b(?:violates?|against) openai'?s? (?:content|use|usage) polic(?:y|ies)\b"),
    ("refusal", "en", r"\bi cannot generate (?:content|text|a response) that\b"),
    # Spanish
    ("self_reveal", "es", r"\bcomo (?:un )?modelo de (?:lenguaje|ia|inteligencia artificial)\b"),
    ("self_reveal", "es", r"\bsoy un modelo de lenguaje\b"),
    ("self_reveal", "es", r"\bcomo (?:una )?inteligencia artificial,"),
    ("refusal", "es", r"\bno puedo cumplir con (?:esa|esta|tu|su) (?:solicitud|petición)\b"),
    ("refusal", "es", r"\blo siento, pero no puedo (?:ayudar|ayudarte|cumplir|generar)\b"),
    # French
    (
        "self_reveal",
        "fr",
        r"\ben tant que (?:modèle de langage|modèle de langue|ia|intelligence artificielle)\b",
    ),
    ("self_reveal", "fr", r"\bje suis un modèle de langage\b"),
    (
        "refusal",
        "fr",
        r"\bje ne (?:peux|suis pas en mesure de) (?:pas )?"
        r"(?:répondre à|satisfaire) (?:cette|votre) demande\b",
    ),
    ("refusal", "fr", r"\bdésolé,? mais je ne peux pas (?:vous aider|répondre|générer)\b"),
    # German
    (
        "self_reveal",
        "de",
        r"\bals (?:ein )?(?:ki-sprachmodell|sprachmodell|ki-modell|ki-assistent)\b",
    ),
    ("self_reveal", "de", r"\bals künstliche intelligenz (?:kann|habe|bin) ich\b"),
    ("refusal", "de", r"\bich kann (?:dieser|deiner|ihrer) (?:anfrage|bitte) nicht nachkommen\b"),
    (
        "refusal",
        "de",
        r"\btut mir leid,? aber ich kann (?:dabei )?nicht (?:helfen|behilflich sein)\b",
    ),
    # Portuguese
    ("self_reveal", "pt", r"\bcomo (?:um )?modelo de (?:linguagem|ia|inteligência artificial)\b"),
    ("self_reveal", "pt", r"\bcomo uma (?:ia|inteligência artificial),"),
    (
        "refusal",
        "pt",
        r"\bnão posso (?:atender|cumprir) (?:a )?(?:essa|esta|sua|seu) (?:solicitação|pedido)\b",
    ),
    # Italian
    ("self_reveal", "it", r"\bcome (?:un )?modello (?:linguistico|di linguaggio|di ia)\b"),
    ("self_reveal", "it", r"\bin quanto (?:modello linguistico|intelligenza artificiale|ia)\b"),
    ("refusal", "it", r"\bnon posso (?:soddisfare|esaudire) (?:questa|la tua) richiesta\b"),
    # Dutch
    ("self_reveal", "nl", r"\bals (?:een )?(?:ai-taalmodel|taalmodel)\b"),
    # Russian
    ("self_reveal", "ru", r"\bкак (?:языковая модель|модель ии|искусственный интеллект,)"),
    ("self_reveal", "ru", r"\bя (?:всего лишь )?языковая модель\b"),
    ("refusal", "ru", r"\bя не могу выполнить (?:этот|ваш|твой) запрос\b"),
    # Turkish
    ("self_reveal", "tr", r"\bbir yapay zeka (?:dil modeli|asistanı) olarak\b"),
    # Polish
    ("self_reveal", "pl", r"\bjako model językowy\b"),
    # Chinese
    ("self_reveal", "zh", r"作为(?:一个|一名)?(?:人工智能|ai)(?:语言模型|助手|模型)?"),
    ("self_reveal", "zh", r"我是(?:一个)?(?:人工智能)?语言模型"),
    ("refusal", "zh", r"(?:抱歉|对不起)，?我(?:无法|不能)(?:满足|完成|提供)"),
    # Japanese
    ("self_reveal", "ja", r"(?:ai)?言語モデルとして"),
    ("self_reveal", "ja", r"私は(?:ai|人工知能)(?:言語モデル|アシスタント)です"),
    # Arabic
    ("self_reveal", "ar", r"(?:بصفتي|كوني) (?:نموذج(?: لغة| لغوي)|ذكاء اصطناعي)"),
    ("self_reveal", "ar", r"كنموذج (?:لغوي|لغة)"),
)

_COMPILED = tuple((kind, lang, re.compile(p)) for kind, lang, p in AI_PHRASES)
_APOSTROPHES = str.maketrans({"’": "'", "‘": "'", "ʼ": "'", "`": "'"})


@dataclass(frozen=True, slots=True)
class PhraseMatch:
    """One self-revealing phrase found in a text: its kind, language and the words matched."""

    kind: str
    lang: str
    phrase: str
    start: int
    end: int

    @property
    def strength(self) -> float:
        """The probability of AI authorship this kind of match stands for."""
        return RULE_STRENGTH[self.kind]


def _normalise(text: str) -> str:
    # NFKC then casefold can change the length (e.g. "ß" -> "ss"); offsets are into this form
    return unicodedata.normalize("NFKC", text).translate(_APOSTROPHES).casefold()


def find_ai_phrases(text: str) -> list[PhraseMatch]:
    """Every self-revealing or refusal phrase in ``text``, strongest kind first.

    ``phrase`` is the matched words as they appear in the normalised text; ``start`` and
    ``end`` index that normalised text (the same as the original for most texts).
    """
    folded = _normalise(text)
    found: list[PhraseMatch] = []
    for kind, lang, pattern in _COMPILED:
        for m in pattern.finditer(folded):
            found.append(PhraseMatch(kind, lang, m.group(0), m.start(), m.end()))
    found.sort(key=lambda m: (-m.strength, m.start))
    return found
