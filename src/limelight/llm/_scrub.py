"""Find and remove the sentences of a post that talk to the model instead of to people.

A fence stops a post from escaping its place in the prompt, but not from persuading the
model that reads it; a model as small as the offline one follows almost anything. So before
the model sees a post, sentences that address an AI or a labeller (override orders in
several languages, fake system and role markers, fake fence lines, ready-made JSON answers,
long base64 blobs) are cut out, and the neighbouring sentences on the same line that speak
about labels or classification go with them. The model then judges exactly what the post
says to people; the cut spans are reported so that a reader, or a detector, can treat an
attempt to steer a classifier as evidence in its own right.

This is a heuristic list, not a proof: docs/llm.md says what it catches and what it cannot.
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass

__all__ = ["Scrubbed", "find_injections", "scrub"]

_F = re.IGNORECASE | re.UNICODE

# Orders that try to replace the instructions ("ignore the above", "new instructions").
_OVERRIDE = [
    r"\b(ignore|disregard|forget|override|bypass|skip|drop)\b[^.!?\n]{0,40}\b(instructions?|"
    r"rules?|prompts?|guidelines?|directions?|orders?|context|system|above|previous|prior)\b",
    r"\bnew (instructions?|rules?|task|policy|system prompt)\b",
    r"\b(system|developer|admin(istrator)?) (prompt|message|override|update|notice|note)\b",
    r"\b(you are|you're) (now|no longer|an? (ai|assistant|classifier|labell?er|model|bot))\b",
    r"\b(from now on|pretend (to be|you are)|act as|role-?play|let'?s play a game|jailbreak|"
    r"developer mode|do anything now)\b",
    r"\bas an? (ai|language model|classifier|labell?er|content moderator)\b",
    r"\b(label|classify|mark|tag|rate|score|categori[sz]e|flag)\b[^.!?\n]{0,30}\b(this|the|"
    r"that|my|these)\b[^.!?\n]{0,20}\b(post|tweet|text|message|content|input)\b",
    r"\b(label|classify|mark|tag|categori[sz]e)\b[^.!?\n]{0,25}\bas\b",
    r"\b(output|respond|reply|answer|return|print)\b[^.!?\n]{0,25}\b(only|exactly|with|json|"
    r"the word|label)\b[^.!?\n]{0,40}\b(label|organic|json|benign|safe|human|true|false)\b",
    # Spanish, Portuguese, Italian, French
    r"\b(ignora|ignore[zs]?|olvida|oublie[zs]?|desconsidera|ignorar|esquece|dimentica)\b"
    r"[^.!?\n]{0,40}\b(instrucciones|instruções|istruzioni|instructions|consignes|reglas|"
    r"regras|regole|règles|indicaciones|anteriores|precedenti|précédentes)\b",
    r"\b(etiqueta|clasifica|marca|etichetta|classifica|étiquette|classe|rotula)\b[^.!?\n]{0,30}"
    r"\b(como|come|comme)\b",
    r"\b(eres|sei|tu es|você é) (ahora|adesso|maintenant|agora)\b",
    # German, Dutch
    r"\b(ignoriere|ignorier|vergiss|missachte|negeer|vergeet)\b[^.!?\n]{0,40}\b(anweisungen|"
    r"regeln|vorgaben|instructies|regels|vorherigen|bisherigen|obigen)\b",
    r"\b(markiere|klassifiziere|kennzeichne|bewerte|label|markeer)\b[^.!?\n]{0,30}\b(als)\b",
    r"\b(du bist jetzt|ab sofort bist du|neue anweisung)",
    # Russian, Ukrainian
    r"(игнорир|забудь|не обращай|проигнорир|отбрось|ігноруй|забудь)[^.!?\n]{0,40}"
    r"(инструкц|указани|правил|промпт|інструкц|предыдущ|прежн)",
    r"(пометь|отметь|классифицир|помечай|маркируй|оцени|познач)[^.!?\n]{0,30}(как|як)\b",
    r"(ты теперь|теперь ты|новые инструкции|системное сообщение)",
    # Chinese, Japanese, Korean
    r"(忽略|无视|忽视|忘记|忘掉|不要理会|無視|忘れ)[^。！？\n]{0,20}(指令|指示|规则|規則|提示|说明|命令|ルール|以上|之前|上面)",
    r"(标记为|標記為|分类为|分類為|标注为|归类为|判定为|ラベル付け|分類して|として分類)",
    r"(你现在是|你現在是|系统提示|系統提示|系统消息|新的指令|扮演)",
    r"(무시|이전 지시)",
    # Arabic, Persian, Turkish, Hindi
    r"(تجاهل|انس|أهمل|تجاهلي)[^.!?؟\n]{0,40}(التعليمات|الأوامر|القواعد|السابقة)",
    r"(صنف|صنّف|ضع علامة|اعتبر)[^.!?؟\n]{0,30}(على أنه|كـ|بأنه|على أنها)",
    r"(دستورالعمل|دستورات)[^.!?\n]{0,30}(نادیده|فراموش)",
    r"\b(talimatları|önceki talimatları)\b[^.!?\n]{0,30}\b(unut|yok say|görmezden)",
    r"(निर्देशों|निर्देश)[^।!?\n]{0,30}(अनदेखा|भूल)",
]

# Markers of a fake turn, a fake fence, or a template token.
_MARKERS = [
    r"^\s*[#>*\[(<{=\-_]*\s*(system|assistant|developer|admin|user|sys|instruction|"
    r"instructions|системa?|система|系统|システム|النظام|sistema|systeme|système)\s*[\])>}:：\-|]",
    r"<\|?\s*(im_start|im_end|endoftext|system|assistant|user|eot_id|start_header_id)",
    r"\[/?(inst|sys)\]|<</?sys>>|</?s>|</?(post|data|input|text|content|system|instructions?)>",
    r"\b(begin|end|start|close|stop)[_ -]?(of[_ -])?(post|data|input|text|content|fence|prompt)"
    r"\b",
    r"\b(END|BEGIN)_POST_?[0-9A-F]*\b",
    r"^\s*(`{3,}|-{4,}|={4,}|\*{4,}|#{3,})",
    r"[{,]\s*\"?(label|labels|classification|class|verdict|answer|score|confidence|"
    r"techniques|ai_generated)\"?\s*:",
]

# Words that, next to a hit on the same line, mark a sentence as part of the same attempt.
_TALK_ABOUT_LABELS = re.compile(
    r"\b(label|labels|labell?ed|classif\w*|organic|inauthentic|benign|harmless|verdict|"
    r"output|answer|respond|reply|json|instructions?|system|prompt|model|assistant|ai|"
    r"always|must|only)\b|"
    r"(органич|метк|ответ|инструкц|有机|标签|标记|回答|输出|etiqueta|orgánico|orgânico|"
    r"organisch|antwort|ausgabe|عضوي|تصنيف)",
    _F,
)

_PATTERNS = [re.compile(p, _F | re.MULTILINE) for p in _OVERRIDE + _MARKERS]
_BASE64 = re.compile(r"(?<![A-Za-z0-9+/=])[A-Za-z0-9+/]{24,}={0,2}(?![A-Za-z0-9+/=])")
_SENTENCE = re.compile(r"[^.!?。！？؟\n]*(?:[.!?。！？؟]+|\n|$)")


@dataclass(frozen=True, slots=True)
class Scrubbed:
    """A post with its instruction-like sentences removed, and where they were."""

    text: str
    spans: tuple[tuple[int, int], ...]

    @property
    def suspected(self) -> bool:
        """Whether anything was removed (the post tried to talk to a model)."""
        return bool(self.spans)


def _looks_like_base64_text(token: str) -> bool:
    if not re.search(r"[0-9+/]", token) or not re.search(r"[a-z]", token):
        return False
    try:
        raw = base64.b64decode(token + "=" * (-len(token) % 4), validate=True)
    except (binascii.Error, ValueError):
        return False
    try:
        decoded = raw.decode("utf-8")
    except UnicodeDecodeError:
        return False
    printable = sum(ch.isprintable() for ch in decoded)
    return len(decoded) >= 12 and printable / len(decoded) > 0.95 and " " in decoded


def _flagged(sentence: str) -> bool:
    if any(p.search(sentence) for p in _PATTERNS):
        return True
    return any(_looks_like_base64_text(m.group()) for m in _BASE64.finditer(sentence))


def find_injections(text: str) -> tuple[tuple[int, int], ...]:
    """Character spans of ``text`` that address a model rather than people.

    Each line is cut into sentences; a sentence that matches a pattern is a hit, and the
    sentences next to a hit on the same line that talk about labels, answers or
    instructions are taken with it.
    """
    spans: list[tuple[int, int]] = []
    offset = 0
    for line in text.splitlines(keepends=True):
        sentences = [
            (offset + m.start(), offset + m.end(), m.group())
            for m in _SENTENCE.finditer(line)
            if m.group().strip()
        ]
        hits = [_flagged(s) for _, _, s in sentences]
        taken = list(hits)
        for i, hit in enumerate(hits):
            if not hit:
                continue
            for step in (-1, 1):
                j = i + step
                while 0 <= j < len(sentences) and not taken[j]:
                    if not _TALK_ABOUT_LABELS.search(sentences[j][2]):
                        break
                    taken[j] = True
                    j += step
        for (start, end, _), take in zip(sentences, taken, strict=True):
            if not take:
                continue
            if spans and spans[-1][1] >= start:
                spans[-1] = (spans[-1][0], end)
            else:
                spans.append((start, end))
        offset += len(line)
    return tuple(spans)


def normalize_space(text: str) -> str:
    """Collapse runs of spaces, trim lines and drop empty ones (cut text leaves gaps)."""
    lines = (" ".join(line.split()) for line in text.splitlines())
    return "\n".join(line for line in lines if line)


def scrub(text: str) -> Scrubbed:
    """``text`` without its instruction-like sentences, whitespace normalised.

    The whitespace is normalised whether or not anything was cut, so that a post and the
    same post with an injected sentence removed give the model the very same input.
    """
    spans = find_injections(text)
    kept, last = [], 0
    for start, end in spans:
        kept.append(text[last:start])
        kept.append(" " if "\n" not in text[start:end] else "\n")
        last = end
    kept.append(text[last:])
    return Scrubbed(normalize_space("".join(kept)), spans)
