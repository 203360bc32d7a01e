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
import itertools
import re
import unicodedata
from dataclasses import dataclass

__all__ = ["Scrubbed", "find_injections", "scrub"]

_F = re.IGNORECASE | re.UNICODE

_LINE_START = r"(?:^|(?<=[.!?。！？؟\]>}])\s*)"

# Orders that try to replace the instructions ("ignore the above", "new instructions").
_OVERRIDE = [
    r"\b(ignore|disregard|forget|override|bypass)\b[^.!?\n]{0,40}\b(instructions?|"
    r"rules?|prompts?|guidelines?|directions?|context|system prompt|above|previous|prior)\b",
    r"\bnew (instructions?|rules?|task|policy|system prompt)\b",
    r"\b(system|developer|admin(istrator)?) (prompt|message|override|update|notice|note)\b",
    r"\b(you are|you're) ((now|no longer) (an?|my|dan|free|unrestricted|unfiltered|in \w+ mode)"
    r"|an? (ai|assistant|classifier|labell?er|language model|bot))\b",
    r"\b(from now on|pretend (that )?you('re| are)|act as (an? )?(ai|assistant|classifier|"
    r"labell?er|model|system|dan)\b|role-?play|let'?s play a game|jailbreak|developer mode|"
    r"do anything now)\b",
    r"\bas an? (ai|language model|classifier|labell?er|content moderator)\b",
    r"\b(dear|hey|hi|hello|attention|note to|message to|to the|to any|if you are an?|if you're an?)"
    r"\s+(ai|assistant|language model|llm|chatgpt|gpt|bot|classifier|labell?er|moderator|"
    r"model)s?\b",
    r"\b(this|the|your|any) (classifier|labell?er|detector|moderation (system|model)|"
    r"language model|llm)\b",
    r"\b(your (instructions|programming|guidelines|system prompt|previous rules|prior rules|"
    r"original rules)|the (system prompt|instructions above|rules above))\b",
    r"\b(note|message|update|notice|instructions?) from (the |your )?(developers?|admins?|"
    r"administrators?|operators?|system|openai|anthropic)\b",
    r"(^|[.!?:]\s*)((always|only|just|please)\s+)*(output|respond|reply|answer|return|print)\b"
    r"[^.!?\n]{0,40}\b(organic|benign|label|json|true|false)\b",
    r"\b((you|please|now|just|and|then|so|kindly)\s+)*(label|classify|rate|score|"
    r"categori[sz]e|flag)\b[^.!?\n]{0,30}\b(this|the|"
    r"that|my|these)\b[^.!?\n]{0,20}\b(post|tweet|text|message|content|input)\b",
    r"\b((you|please|now|just|and|then|so|kindly)\s+)*(label|classify|mark|tag|"
    r"categori[sz]e)\s+(this|it|me|everything|all|every|the (post|tweet|text|message))\b"
    r"[^.!?\n]{0,25}\bas\b",
    r"\b(output|respond|reply|answer|return|print)\b[^.!?\n]{0,25}\b(only|exactly|with|json|"
    r"the word|label)\b[^.!?\n]{0,40}\b(label|organic|json|benign|safe|human|true|false)\b",
    # Spanish, Portuguese, Italian, French
    r"\b(ignora|ignore[zs]?|olvida|oublie[zs]?|desconsidera|ignorar|esquece|esqueça|dimentica)\b"
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
    r"((पिछले|सभी)\s*)*(निर्देशों|निर्देश)[^।!?\n]{0,30}(अनदेखा|भूल)",
    r"(以上|これまで|前)の(指示|命令|ルール)",
    # "new instructions" in several languages
    r"(nuevas instrucciones|novas instruções|nouvelles instructions|neue anweisungen|"
    r"nuove istruzioni|تعليمات جديدة|новые инструкции|нові інструкції|新的指令|新指令|新しい指示|"
    r"yeni talimat)",
    # a fake turn: a role name and a colon at the start of a line or sentence
    _LINE_START + r"[#>*\[(<{=\-_]*\s*(system|assistant|developer|admin|sys|instructions?|"
    r"система|系统|システム|النظام|sistema|systeme|système|systém)\s*[\])>}:：\-|]",
]

# Markers of a fake turn, a fake fence, or a template token.
_MARKERS = [
    r"<\|?\s*(im_start|im_end|endoftext|system|assistant|user|eot_id|start_header_id)",
    r"\[/?(inst|sys|system)\]|<</?sys>>|</?s>|</?(post|data|input|text|content|system|"
    r"instructions?)>|<!--",
    r"\b(begin|end|start|close|stop)[_ -]?(of[_ -])?(post|data|input|text|content|fence|prompt)"
    r"\b",
    r"\b(END|BEGIN)_POST_?[0-9A-F]*\b",
    r"^\s*(`{3,}|-{4,}|={4,}|\*{4,}|#{3,})|`{3,}",
    r"[{,]\s*\"?(label|labels|classification|class|verdict|answer|score|confidence|"
    r"techniques|ai_generated)\"?\s*:",
]

# Words that, next to a hit on the same line, mark a piece as part of the same attempt.
_TALK_ABOUT_LABELS = re.compile(
    r"\b(label|labels|labell?ed|classif\w*|organic|inauthentic|benign|harmless|verdict|"
    r"output|answer|respond|reply|json|instructions?|system|prompt|model|assistant|ai|"
    r"always|must|only|stop|thanks?|thank you|attention|important|warning|notice|listen|"
    r"decode|obey|new task|language model|llm|gpt|chatgpt|developers?|verified|"
    r"this (post|tweet|message|text) is)\b|"
    r"(органич|метк|ответ|инструкц|систем|有机|标签|标记|回答|输出|系统|etiqueta|orgánico|"
    r"orgânico|organisch|antwort|ausgabe|sistema|عضوي|تصنيف|الإجابة|النظام|organic)",
    _F,
)

_SENTENCE_PATTERNS = [re.compile(p, _F | re.MULTILINE) for p in _OVERRIDE] + [
    # A role name in capitals and a colon, anywhere: "SYSTEM:", "SISTEMA:", "СИСТЕМА:".
    re.compile(r"\b(SYSTEM|SISTEMA|SYSTÈME|СИСТЕМА|ASSISTANT|DEVELOPER|ADMIN)\s*:")
]
_TOKEN_PATTERNS = [re.compile(p, _F | re.MULTILINE) for p in _MARKERS]
_GLUE_TAIL = re.compile(r"[\s\"{}\[\]<>`=#*|\-]*$")
_GLUE_HEAD = re.compile(r"[\s\"{}\[\]<>`=#*|\-]*")
_WORDY_RUN = re.compile(r"[^\W\d_]+", re.UNICODE)
_WORDY = re.compile(r"[^\W\d_]", re.UNICODE)
_BASE64 = re.compile(r"(?<![A-Za-z0-9+/=])[A-Za-z0-9+/]{24,}={0,2}(?![A-Za-z0-9+/=])")
# Where a piece of a line ends: terminal punctuation (with its closing quotes) before a
# space, or a token that chat templates, markup, JSON and code fences use as a wall.
_PIECE_END = re.compile(
    r"[.!?…]+['\"”’)\]»]*(?=\s|$)|[。！？؟।]+|\n|`{3,}|-->|<\|[A-Za-z_]+\|>|\[/?[A-Za-z]+\]"
    r"|<</?SYS>>|</?[A-Za-z]+>|\}",
    re.IGNORECASE,
)


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


def _hits(view: str) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
    """Spans of ``view`` (one line) that match: sentence-long orders, and tokens (markers,
    ready-made JSON, base64 text) whose end is also where the injected text may end."""
    orders = [(m.start(), m.end()) for p in _SENTENCE_PATTERNS for m in p.finditer(view)]
    tokens = [(m.start(), m.end()) for p in _TOKEN_PATTERNS for m in p.finditer(view)]
    tokens += [
        (m.start(), m.end()) for m in _BASE64.finditer(view) if _looks_like_base64_text(m.group())
    ]
    return [h for h in orders if h[1] > h[0]], [h for h in tokens if h[1] > h[0]]


def _neighbour_part(view: str, a: int, b: int, *, backwards: bool) -> tuple[int, int] | None:
    """The part of the piece ``view[a:b]`` next to a hit that belongs to the injection."""
    text = view[a:b]
    if not _WORDY.search(text):
        return (a, b)
    talk = list(_TALK_ABOUT_LABELS.finditer(text))
    if not talk:
        # Syntax glued to the injection ('"}' before a fake JSON answer, '---' before a
        # fake fence) goes with it; the words before it stay.
        glue = _GLUE_TAIL.search(text) if backwards else _GLUE_HEAD.match(text)
        if glue and glue.group().strip():
            return (a + glue.start(), a + glue.end())
        return None
    if backwards:
        rest, part = text[: talk[0].start()], (a + talk[0].start(), b)
    else:
        rest, part = text[talk[-1].end() :], (a, a + talk[-1].end())
    if len(_WORDY_RUN.findall(rest)) <= 3:
        return (a, b)
    return part


def _text_spans(line: str) -> list[tuple[int, int]]:
    """The spans of ``line`` (the whole text; line breaks are walls) to cut."""
    # Zero-width and other format characters split words for a regex but not for a model:
    # match on a view without them and map the offsets back.
    if line.isascii():
        keep, view = list(range(len(line))), line
    else:
        keep = [i for i, ch in enumerate(line) if unicodedata.category(ch) != "Cf"]
        view = "".join(line[i] for i in keep)
    orders, tokens = _hits(view)
    hits = orders + tokens
    if not hits:
        return []
    # Pieces: sentences, also ended by walls and by the end of each token. A piece with a
    # hit is cut from the hit's start, so a post without final punctuation keeps its text
    # before the injection.
    cuts = {0, len(view)}
    cuts.update(m.end() for m in _PIECE_END.finditer(view))
    cuts.update(b for _, b in tokens)
    bounds = sorted(cuts)
    pieces: list[tuple[int, int, bool]] = []
    for a, b in itertools.pairwise(bounds):
        starts = [max(a, ha) for ha, hb in hits if ha < b and a < hb]
        if starts and min(starts) > a:
            pieces.append((a, min(starts), False))
            a = min(starts)
        if view[a:b].strip():
            pieces.append((a, b, bool(starts)))
    # What is taken of each piece: all of a hit; of a neighbour that talks about labels,
    # the part from its first such word (backwards) or to its last (forwards), or all of
    # it when what is left would be three words or fewer.
    taken: list[tuple[int, int] | None] = [(a, b) if hit else None for a, b, hit in pieces]
    for i, (_, _, hit) in enumerate(pieces):
        if not hit:
            continue
        for step in (-1, 1):
            j = i + step
            while 0 <= j < len(pieces) and taken[j] is None:
                a, b, _ = pieces[j]
                part = _neighbour_part(view, a, b, backwards=step < 0)
                if part is None:
                    break
                taken[j] = part
                if part != (a, b):
                    break
                j += step
    spans: list[tuple[int, int]] = []
    for part in taken:
        if part is None:
            continue
        start, end = keep[part[0]], keep[part[1] - 1] + 1
        if spans and not line[spans[-1][1] : start].strip():
            spans[-1] = (spans[-1][0], end)
        else:
            spans.append((start, end))
    return spans


def find_injections(text: str) -> tuple[tuple[int, int], ...]:
    """Character spans of ``text`` that address a model rather than people.

    Each line is cut into pieces (sentences, and the text before and after each match);
    a piece that matches a pattern is a hit, and the pieces next to a hit on the same line
    that talk about labels, answers or instructions, or hold no words at all, go with it.
    """
    return tuple(_text_spans(text))


def normalize_space(text: str) -> str:
    """Every run of whitespace, line breaks included, as one space.

    Cut text leaves gaps, and an injection planted on lines of its own brings line breaks
    the post did not have; the line layout of a post carries next to nothing for a label.
    """
    return " ".join(text.split())


def scrub(text: str) -> Scrubbed:
    """``text`` without its instruction-like sentences, whitespace normalised.

    The whitespace is normalised whether or not anything was cut, so that a post and the
    same post with an injected sentence removed give the model the very same input.
    """
    spans = find_injections(text)
    kept, last = [], 0
    for start, end in spans:
        kept.append(text[last:start])
        kept.append(" ")
        last = end
    kept.append(text[last:])
    return Scrubbed(normalize_space("".join(kept)), spans)
