"""Word stems and one-pass phrase matching for checklist evaluation.

A phrase matches a text when the stems of all its words occur in the text contiguously and in
order («количество свободных мест» matches «о количестве свободных мест»). Texts and phrases go
through the same pipeline:

    lowercase, ё→е  →  words [0-9a-zа-я]+ (hyphens split words: «интернет-приёмная» = 2 words)
    →  stem: Russian Snowball (PyStemmer) for Cyrillic words, English Snowball for Latin words,
       digits kept as they are.

Russian Snowball strips endings that are part of some nominative nouns (устав→«уста» but
устава→«устав»; филиал→«филиа», филиалы→«филиал»; приём→«при», приёма→«прием»), so the
nominative and the other cases would not match. We therefore stem to a fixpoint (stem the stem
until it stops changing, never below 3 letters after the first step): every form then ends on
the same stem. It over-stems a little, which is harmless for multi-word phrases.

Speed: each distinct word is stemmed once (module cache); a text is turned into one string of
stems " s1 s2 s3 " and ALL phrases of a checklist are found in one pass by a single
Aho–Corasick automaton whose keys are " p1 p2 " (spaces make the match word-aligned).
Positions are mapped back to the original text only for texts that become evidence.
"""
from __future__ import annotations

import itertools
import re

import ahocorasick
import Stemmer

_RU = Stemmer.Stemmer("russian")
_EN = Stemmer.Stemmer("english")

# Applied to normalized (lowercased, ё→е) text. Soft hyphens and combining stress marks are
# kept inside words here and removed before stemming, so positions stay those of the text.
_WORD = re.compile(r"[0-9a-zа-я\u00ad\u0301]+")
_INVISIBLE_IN_WORD = str.maketrans("", "", "\u00ad\u0301")
# Latin letters that look like Cyrillic ones: a word mixing both scripts is usually Cyrillic
# typed with a stray Latin letter («Тaрифы»).
_LATIN_LOOKALIKES = str.maketrans("aeopcxykmthb", "аеорсхукмтнв")
_CYR = re.compile(r"[а-я]")
_LAT = re.compile(r"[a-z]")

_STEMS: dict[str, str] = {}
_STEM_CACHE_LIMIT = 400_000


def normalize(text: str) -> str:
    """Lowercase and ё→е, keeping every character at its position."""
    low = text.lower()
    if len(low) != len(text):          # rare characters whose lowercase is longer (İ)
        low = "".join(c.lower()[:1] or c for c in text)
    return low.replace("ё", "е")


def _stem_uncached(word: str) -> str:
    w = word.translate(_INVISIBLE_IN_WORD)
    if not w or w.isdigit():
        return w
    has_cyr = _CYR.search(w) is not None
    has_lat = _LAT.search(w) is not None
    if has_cyr and has_lat:
        w2 = w.translate(_LATIN_LOOKALIKES)
        if _LAT.search(w2) is None:
            w, has_lat = w2, False
    if has_cyr and not has_lat:
        s = _RU.stemWord(w)
        while True:                      # fixpoint, see the module docstring
            n = _RU.stemWord(s)
            if n == s or len(n) < 3:
                return s
            s = n
    if has_lat and not has_cyr:
        return _EN.stemWord(w)
    return w


def stem(word: str) -> str:
    """Stem of one normalized word (cached)."""
    s = _STEMS.get(word)
    if s is None:
        if len(_STEMS) >= _STEM_CACHE_LIMIT:
            _STEMS.clear()
        s = _STEMS[word] = _stem_uncached(word)
    return s


def stems_of(text: str) -> list[str]:
    """Stems of all words of a text, in order."""
    return [s for s in (stem(w) for w in _WORD.findall(normalize(text))) if s]


def snippet(text: str, start: int, end: int, width: int = 40) -> str:
    """The matched part of `text` with about `width` characters of context each side."""
    a = max(0, start - width)
    b = min(len(text), end + width)
    if a > 0:
        sp = text.find(" ", a, start)
        a = sp + 1 if sp != -1 else a
    if b < len(text):
        sp = text.rfind(" ", end, b)
        b = sp if sp != -1 else b
    out = " ".join(text[a:b].split())
    return ("…" if a > 0 else "") + out + ("…" if b < len(text) else "")


class TextScan:
    """The phrases found in one text: key id -> end offset of its first match in the stem string."""

    __slots__ = ("text", "_low", "_hay", "found", "_spans", "_words")

    def __init__(self, text: str, low: str, hay: str, found: dict[int, int]):
        self.text = text
        self._low = low
        self._hay = hay
        self.found = found
        self._spans: list[tuple[int, int]] = []      # character spans of the first words, found as needed
        self._words = None

    def word_range(self, key: int, nwords: int) -> tuple[int, int]:
        """Index of the first and last word of the first match of `key`."""
        last = self._hay.count(" ", 0, self.found[key]) - 1
        return last - nwords + 1, last

    def char_range(self, key: int, nwords: int) -> tuple[int, int]:
        first, last = self.word_range(key, nwords)
        spans = self._spans
        if len(spans) <= last:      # a long text's words are located only as far as a match needs
            if self._words is None:
                self._words = _WORD.finditer(self._low)
            spans.extend(m.span() for m in itertools.islice(self._words, last + 1 - len(spans)))
        return spans[first][0], spans[last][1]


EMPTY_SCAN = TextScan("", "", "", {})


class PhraseMatcher:
    """All phrases of a checklist in one Aho–Corasick automaton over stem sequences."""

    def __init__(self):
        self._ids: dict[str, int] = {}
        self.key_text: list[str] = []      # the first phrase that produced each key (for messages)
        self.key_words: list[int] = []     # number of words of each key
        self._auto: ahocorasick.Automaton | None = None

    def add(self, phrase: str) -> int | None:
        """Register a phrase; returns its key id (phrases with equal stems share one), or None
        when the phrase has no words."""
        stems = stems_of(phrase)
        if not stems:
            return None
        key = " " + " ".join(stems) + " "
        kid = self._ids.get(key)
        if kid is None:
            kid = self._ids[key] = len(self.key_text)
            self.key_text.append(phrase)
            self.key_words.append(len(stems))
            self._auto = None
        return kid

    def build(self) -> None:
        auto = ahocorasick.Automaton(ahocorasick.STORE_INTS)
        for key, kid in self._ids.items():
            auto.add_word(key, kid)
        if self._ids:
            auto.make_automaton()
        self._auto = auto

    def __len__(self) -> int:
        return len(self.key_text)

    def scan(self, text: str) -> TextScan:
        """Find every registered phrase in `text` in one pass (first occurrence of each)."""
        if not text or not self._ids:
            return EMPTY_SCAN
        if self._auto is None:
            self.build()
        low = normalize(text)
        words = _WORD.findall(low)
        if not words:
            return EMPTY_SCAN
        cache = _STEMS
        try:
            hay = " " + " ".join(map(cache.__getitem__, words)) + " "
        except KeyError:
            if len(cache) + len(words) >= _STEM_CACHE_LIMIT:
                cache.clear()
            for w in words:
                if w not in cache:
                    cache[w] = _stem_uncached(w)
            hay = " " + " ".join(map(cache.__getitem__, words)) + " "
        found: dict[int, int] = {}
        for end, kid in self._auto.iter(hay):
            if kid not in found:
                found[kid] = end
        if not found:
            return EMPTY_SCAN
        return TextScan(text, low, hay, found)

    def snippet(self, scan: TextScan, key: int, width: int = 40) -> str:
        start, end = scan.char_range(key, self.key_words[key])
        return snippet(scan.text, start, end, width)
