"""LiraQueryNormalizer: rewrites a query as typed (romanized, unaccented, misspelt) into the script g was trained on.

multilingual-e5 reads Thai in Thai script: "rong thao" (RTGS for รองเท้า, "shoes") or Urdu typed in Latin letters
are nearly lost to it, and so is Vietnamese without tone marks. A shopper's query, though, is mostly made of words
the shop already knows: its catalogue's localized titles and the queries it has seen. The normalizer is the
spelling-correction step of a search engine for those words. Per language it holds a vocabulary (texts and their
words) with, for each, the unaccented form and the romanized forms (computed when the vocabulary is built, so no
romanizer is needed here), and rewrites a typed text span by span:

* a span equal to a vocabulary text (`exact`), a span that equals a vocabulary text once its marks are removed, in a
  text typed without any marks (`unaccented`; "tự do" is never turned into "tự đỏ"), or a span equal to a romanized form
  (`romanized`) becomes that text;
* a span of at least `min_fuzzy_letters` letters (5 unless chosen per language on validation) one slip away from a
  known text (`fuzzy`: two neighbouring letters swapped, one letter left out or typed twice, counted in letters with
  their marks) becomes that text; a span typed without marks is compared
  with the unaccented and romanized forms, one typed with marks with the texts themselves, so a real word with other
  marks ("suốt") is never "corrected" into a known one ("sọt"); a different letter is not treated as a slip (it
  turns too many real words into others), and a span whose words are all real words of the language is left alone:
  words of a word-frequency lexicon that lie one slip from a vocabulary word (`real_words`, saved with the
  vocabulary: a shopper who types "kencang", fast, means it, not the known "kencan", date), or words `known_word`
  accepts (e.g. one piece of the model's tokenizer, which `LiraProcessor` passes). Candidates come from shared
  character 3-grams, the closest by `difflib` ratio (at least `threshold`) wins;
* a dynamic programme picks the segmentation of maximal credit (an equality: the span's length x 1 / 0.98 / 0.96;
  a fuzzy match: 0.9 x (3M - typed length - form length), M matching characters); words nothing matches stay as
  typed, and a text whose matched words are under `min_coverage` of its words is left unchanged.

Candidates for a fuzzy match come from shared character 3-grams (the 20 closest by Dice) and, for known forms of
fewer than 8 letters, from shared one-slip keys (a swap in a short word shares no 3-gram with the word).

A clean query is returned as typed wherever its words are in the vocabulary. Only stdlib: the Hub loads this file
as remote code beside the weights (`query_normalizer.json`).
"""

import difflib
import json
import os
import unicodedata
from collections import Counter

NORMALIZER_FILE = "query_normalizer.json"
METHODS = ("exact", "unaccented", "romanized", "fuzzy")
WEIGHTS = {"exact": 1.0, "unaccented": 0.98, "romanized": 0.96, "fuzzy": 0.9}
MIN_FUZZY_LETTERS = 5
SLIP_INDEX_LETTERS = 8  # forms this short are also found through their one-slip keys (3-grams miss "جگنل" -> "جنگل")
_THAI_TONES = {chr(c) for c in range(0x0E48, 0x0E4C)}
_ARABIC_HARAKAT = {chr(c) for c in range(0x064B, 0x0660)} | {"\u0670"}


def fold(text):
    """NFC, lower-case, strip, and runs of whitespace folded to one space."""
    return " ".join(unicodedata.normalize("NFC", text).lower().split())


def strip_diacritics(text, language):
    """Removes the marks people leave out when they type without an input method: Vietnamese tone and vowel marks
    (and d-stroke -> d), Thai tone marks (U+0E48-U+0E4B), Urdu harakat, Latin accents (id, ms, fil); Bengali is
    returned unchanged (its vowel signs are not optional)."""
    if language == "th":
        return "".join(ch for ch in text if ch not in _THAI_TONES)
    if language == "ur":
        return "".join(ch for ch in text if ch not in _ARABIC_HARAKAT)
    if language == "bn":
        return text
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    return unicodedata.normalize("NFC", "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn"))


def letters(text):
    """`text` cut into letters with their marks (a stdlib stand-in for grapheme clusters: every combining or
    spacing mark joins the letter before it, e.g. Thai tone marks and Bengali vowel signs, and a letter after a
    virama joins the conjunct it ends, e.g. Bengali "ক্ষ")."""
    out = []
    for ch in text:
        if out and (unicodedata.category(ch) in ("Mn", "Mc", "Me") or unicodedata.combining(out[-1][-1]) == 9):
            out[-1] += ch
        else:
            out.append(ch)
    return out


def one_slip(typed, known):
    """Whether letter lists `typed` and `known` differ by one slip: a swap of two neighbours, one letter missing or
    one letter extra (a duplicated letter is an extra one)."""
    if typed == known or abs(len(typed) - len(known)) > 1:
        return False
    i = 0
    while i < min(len(typed), len(known)) and typed[i] == known[i]:
        i += 1
    if len(typed) == len(known):
        return typed[i + 2:] == known[i + 2:] and typed[i:i + 2] == known[i:i + 2][::-1]
    longer, shorter = (typed, known) if len(typed) > len(known) else (known, typed)
    return longer[i + 1:] == shorter[i:]


def slip_keys(letter_list):
    """`letter_list` joined, and joined without each one of its letters: two texts one slip apart share a key (a
    swap of neighbours i, i+1 leaves the same text without letter i in one and i+1 in the other)."""
    return {"".join(letter_list)} | {"".join(letter_list[:i] + letter_list[i + 1:]) for i in range(len(letter_list))}


def trigrams(text):
    """Character 3-grams of `text` padded with a space on each side (the blocking key of fuzzy lookups)."""
    padded = f" {text} "
    return {padded[i : i + 3] for i in range(len(padded) - 2)}


def one_piece_words(tokenizer):
    """A `known_word` test from a subword tokenizer: the word is one piece of its vocabulary (a lone word-start
    marker such as SentencePiece's "▁" aside). Typos fall apart into several pieces ("kencnag": ke + nc + nag)."""

    def known_word(word):
        pieces = [p for p in tokenizer.tokenize(" " + word) if p not in ("▁", "Ġ")]
        return len(pieces) == 1

    return known_word


class _LanguageIndex:
    """Lookup tables of one language: `entries` `[{"text": str, "romanized": [str, ...]}]`."""

    def __init__(self, language, entries, threshold, min_letters=MIN_FUZZY_LETTERS, real_words=()):
        self.language, self.threshold, self.min_letters = language, threshold, min_letters
        self.real_words = {fold(w) for w in real_words}
        self.exact, self.unaccented, self.romanized = {}, {}, {}
        self.forms, self.sizes, self.grams = [], [], {}  # fuzzy side: (form, text), its 3-gram count, 3-gram -> ids
        self.slips = {}  # one-slip key of a short form or text -> ids
        for entry in entries:
            text = fold(entry["text"])
            if not text:
                continue
            self.exact.setdefault(text, text)
            keys = [self.unaccent(text)] + [fold(r) for r in entry.get("romanized", ()) if fold(r)]
            self.unaccented.setdefault(keys[0], text)
            for key in keys[1:]:
                self.romanized.setdefault(key, text)
            for key in dict.fromkeys(keys):
                grams = trigrams(key)
                for gram in grams:
                    self.grams.setdefault(gram, []).append(len(self.forms))
                for spelling in {key, text}:
                    spelt = letters(spelling)
                    if len(spelt) < SLIP_INDEX_LETTERS:
                        for slip in slip_keys(spelt):
                            self.slips.setdefault(slip, []).append(len(self.forms))
                self.forms.append((key, text))
                self.sizes.append(len(grams))
        self.max_words = max((len(t.split()) for t in self.exact), default=1)
        self.known_word, self._memo = None, {}

    def unaccent(self, text):
        return strip_diacritics(text, self.language).lower()

    def is_real(self, word):
        """Whether a typed word is a real word (`real_words`, or `known_word`), which is never a slip."""
        return word in self.real_words or (self.known_word is not None and self.known_word(word))

    def _fuzzy(self, span, form):
        """`(text, ratio, credit)` of the closest known text one slip away from the typed `span`, or `None`.

        `form` is the span without optional marks; a span typed without marks (`form == span`) is compared with
        the unaccented and romanized forms, a span typed with marks with the known texts themselves.
        """
        typed_letters = letters(span)
        if len([c for c in typed_letters if not c.isspace()]) < self.min_letters:
            return None
        if all(self.is_real(w) for w in span.split()):
            return None  # real words the shop's vocabulary lacks ("alarm") are not slips of known ones ("alam")
        grams = trigrams(form)
        shared = Counter(i for g in grams for i in self.grams.get(g, ()))
        ranked = sorted(shared, key=lambda i: (-2 * shared[i] / (len(grams) + self.sizes[i]), i))  # best dice first
        short = set()  # forms of < 8 letters one slip away; a typed span may have one letter more
        if len(typed_letters) <= SLIP_INDEX_LETTERS:
            short = {i for slip in slip_keys(typed_letters) for i in self.slips.get(slip, ())}
        best = None
        for i in ranked[:20] + sorted(short - set(ranked[:20])):
            key, text = self.forms[i]
            other = key if form == span else text
            if not one_slip(typed_letters, letters(other)):
                continue
            matcher = difflib.SequenceMatcher(None, span, other, autojunk=False)
            ratio = matcher.ratio()
            if ratio >= self.threshold and (best is None or ratio > best[1]):
                same = sum(block.size for block in matcher.get_matching_blocks())
                best = (text, ratio, 3 * same - len(span) - len(other))
        return best

    def match(self, span, text_has_marks=False):
        """`(text, method, similarity, credit)` of one folded span, strongest method first, or `None`;
        `text_has_marks`: some word of the typed text carries marks, so no word is missing them."""
        key = (span, text_has_marks)
        if key not in self._memo:
            form, found = self.unaccent(span), None
            bare = "".join(ch for ch in span if not unicodedata.category(ch).startswith("P"))
            if span in self.exact or (bare != span and bare in self.exact):  # "گوبھی،": a known word and a comma
                found = (span, "exact", 1.0, len(span))
            elif form in self.unaccented and form == span and not text_has_marks:  # typed without any marks
                found = (self.unaccented[form], "unaccented", 1.0, len(span))
            elif span in self.romanized:
                found = (self.romanized[span], "romanized", 1.0, len(span))
            else:
                fuzzy = self._fuzzy(span, form)
                found = (fuzzy[0], "fuzzy", fuzzy[1], fuzzy[2]) if fuzzy and fuzzy[2] > 0 else None
            self._memo[key] = found
        return self._memo[key]

    def segment(self, words):
        """`(credit, [(start, end, text, method, similarity)])` of the best segmentation of `words`."""
        has_marks = any(self.unaccent(w) != w for w in words)
        best = [(0.0, 0, [])] + [None] * len(words)  # (credit, -spans, spans) of each prefix
        for j in range(1, len(words) + 1):
            best[j] = best[j - 1]  # word j-1 left as typed
            for i in range(max(0, j - self.max_words), j):
                found = self.match(" ".join(words[i:j]), has_marks)
                if found is not None:
                    base = best[i]
                    option = (round(base[0] + WEIGHTS[found[1]] * found[3], 9), base[1] - 1,
                              base[2] + [(i, j, *found[:3])])  # fmt: skip
                    if option[:2] > best[j][:2]:
                        best[j] = option
        return best[-1][0], best[-1][2]


class LiraQueryNormalizer:
    r"""
    Rewrites typed queries into the vocabulary's script and spelling (see the module docstring).

    Args:
        vocabulary (`dict[str, list[dict]]`): per language code, entries `{"text": str, "romanized": [str, ...]}`.
        threshold (`float`, *optional*, defaults to 0.7): least `difflib` ratio of a fuzzy match. The match must
            be one slip away anyway; 0.7 lets a swap inside a 4-letter word through (ratio 0.75: Urdu "گنید" for
            "گیند"), which 0.8, the default of files saved before, did not (on validation: 1-4 % more typo'd queries
            restored in ur, bn, vi, fil, no clean query more rewritten).
        min_coverage (`float`, *optional*, defaults to 0.5): least share of the typed words that must match for the
            text to be rewritten.
        known_word (`Callable[[str], bool]`, *optional*): whether a typed word is a real word of its language; such
            words are never fuzzy-corrected. `LiraProcessor` sets "the tokenizer keeps it as one piece".
        min_fuzzy_letters (`int` or `dict[str, int]`, *optional*, defaults to 5): least letters (marks joined to
            their letter, spaces not counted) of a span that may be fuzzy-corrected; one number, or one per language
            code (languages missing from the dict use 5). `python -m training.normalizer_letters` chooses it per
            language on validation queries with synthetic typos: short words (Bengali, Urdu) need a lower bound to
            be corrected at all, and a lower bound changes more clean queries.
        real_words (`dict[str, list[str]]`, *optional*): per language code, words known to be spelt right that
            lie one slip from a vocabulary word (`training.query_normalizer` takes them from the `wordfreq` lexicon);
            a span made only of real words is never fuzzy-corrected. Without them short clean words are "corrected"
            into known neighbours (in Urdu, one clean validation query in six at a bound of 3 letters).

    Raises:
        `ValueError`: for an empty or malformed vocabulary, a threshold / coverage outside (0, 1], or a
            `min_fuzzy_letters` that is not a positive integer (per language).
    """

    def __init__(self, vocabulary, threshold=0.7, min_coverage=0.5, known_word=None,
                 min_fuzzy_letters=MIN_FUZZY_LETTERS, real_words=None):
        if not isinstance(vocabulary, dict) or not vocabulary:
            raise ValueError("vocabulary must be a non-empty {language: [{'text': ..., 'romanized': [...]}]} dict; "
                             "build one with `python -m training.query_normalizer`.")
        for name, value in (("threshold", threshold), ("min_coverage", min_coverage)):
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value <= 1:
                raise ValueError(f"{name}={value!r} must be a number in (0, 1], e.g. {name}=0.8.")
        for language, entries in vocabulary.items():
            if not isinstance(entries, list) or not all(isinstance(e, dict) and "text" in e for e in entries):
                raise ValueError(f"vocabulary[{language!r}] must be a list of {{'text': ..., 'romanized': [...]}}.")
        per_language = min_fuzzy_letters if isinstance(min_fuzzy_letters, dict) else {None: min_fuzzy_letters}
        for language, value in per_language.items():
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                where = "" if language is None else f"[{language!r}]"
                raise ValueError(f"min_fuzzy_letters{where}={value!r} must be a positive integer, e.g. 5 (or "
                                 f"{{'bn': 3, 'vi': 5}} per language).")
        real_words = {} if real_words is None else real_words
        if not isinstance(real_words, dict) or not all(
            isinstance(words, list) and all(isinstance(w, str) for w in words) for words in real_words.values()
        ):
            raise ValueError("real_words must be a {language: [word, ...]} dict of strings (or None); build it with "
                             "`python -m training.query_normalizer`.")
        self.vocabulary, self.threshold, self.min_coverage = vocabulary, float(threshold), float(min_coverage)
        self.real_words = real_words
        self.min_fuzzy_letters = dict(min_fuzzy_letters) if isinstance(min_fuzzy_letters, dict) else min_fuzzy_letters
        self.known_word, self._indexes = known_word, {}

    @property
    def languages(self):
        return sorted(self.vocabulary)

    def min_letters(self, language):
        """The `min_fuzzy_letters` of `language`."""
        if isinstance(self.min_fuzzy_letters, dict):
            return self.min_fuzzy_letters.get(language, MIN_FUZZY_LETTERS)
        return self.min_fuzzy_letters

    def _index(self, language):
        if language not in self.vocabulary:
            raise ValueError(f"language {language!r} has no vocabulary; use one of {self.languages} or None.")
        if language not in self._indexes:
            self._indexes[language] = _LanguageIndex(language, self.vocabulary[language], self.threshold,
                                                     self.min_letters(language), self.real_words.get(language, ()))
        index = self._indexes[language]
        if index.known_word is not self.known_word:  # set or changed after the index was built
            index.known_word, index._memo = self.known_word, {}
        return index

    def explain(self, text, language=None):
        """How `text` is rewritten: `{"text", "language", "coverage", "spans": [(typed, text, method, ratio)]}`.

        Args:
            text (`str`): the query as typed.
            language (`str`, *optional*): its language; `None` tries every language and keeps the best credit.
        """
        if not isinstance(text, str):
            raise ValueError(f"text must be a string, got {type(text).__name__}.")
        words = fold(text).split()
        if not words:
            return {"text": text, "language": language, "coverage": 0.0, "spans": []}
        best = None
        for lang in [language] if language is not None else self.languages:
            credit, spans = self._index(lang).segment(words)
            if best is None or credit > best[0]:
                best = (credit, lang, spans)
        _, lang, spans = best
        coverage = sum(j - i for i, j, *_ in spans) / len(words)
        report = [(" ".join(words[i:j]), t, m, round(r, 4)) for i, j, t, m, r in spans]
        if not spans or coverage < self.min_coverage or all(m == "exact" for _, _, _, m, _ in spans):
            return {"text": text, "language": lang, "coverage": coverage, "spans": report}
        out, at = [], 0
        for i, j, matched, _, _ in spans:
            out += words[at:i] + [matched]
            at = j
        return {"text": " ".join(out + words[at:]), "language": lang, "coverage": coverage, "spans": report}

    def normalize(self, text, language=None):
        """The rewritten text (the typed text itself when nothing but exact words, or too little, matched)."""
        return self.explain(text, language)["text"]

    def __call__(self, texts, languages=None):
        """Rewrites a list of texts; `languages` gives one code (or `None`: every language is tried) per text."""
        if isinstance(texts, str):
            texts = [texts]
        languages = [None] * len(texts) if languages is None else list(languages)
        if len(languages) != len(texts):
            raise ValueError(f"got {len(languages)} languages for {len(texts)} texts; pass one code (or None) each.")
        # a language without vocabulary (e.g. "en") is left as typed; None tries every language
        return [t if lang is not None and lang not in self.vocabulary else self.normalize(t, lang)
                for t, lang in zip(texts, languages)]

    def to_dict(self):
        return {"threshold": self.threshold, "min_coverage": self.min_coverage,
                "min_fuzzy_letters": self.min_fuzzy_letters, "real_words": self.real_words,
                "vocabulary": self.vocabulary}

    def save_pretrained(self, save_directory):
        """Writes `query_normalizer.json` into `save_directory` (temp file, then rename)."""
        os.makedirs(save_directory, exist_ok=True)
        path = os.path.join(save_directory, NORMALIZER_FILE)
        with open(path + ".tmp", "w", encoding="utf-8") as f:
            json.dump(self.to_dict(), f, ensure_ascii=False)
        os.replace(path + ".tmp", path)
        return path

    @classmethod
    def from_pretrained(cls, path, **hub_kwargs):
        """Loads `query_normalizer.json` from a folder, a file path, or a Hub repo (`revision`, `cache_dir`, ...
        go to `transformers.utils.cached_file`); `None` when the model ships none."""
        if os.path.isfile(path):
            file = path
        elif os.path.isdir(path):
            file = os.path.join(path, NORMALIZER_FILE)
            if not os.path.isfile(file):
                return None
        else:
            from transformers.utils import cached_file

            file = cached_file(path, NORMALIZER_FILE, _raise_exceptions_for_missing_entries=False, **hub_kwargs)
            if file is None:
                return None
        with open(file, encoding="utf-8") as f:
            data = json.load(f)
        return cls(data["vocabulary"], data.get("threshold", 0.8), data.get("min_coverage", 0.5),
                   min_fuzzy_letters=data.get("min_fuzzy_letters", MIN_FUZZY_LETTERS),
                   real_words=data.get("real_words"))


__all__ = ["LiraQueryNormalizer", "strip_diacritics", "fold", "letters", "one_slip", "one_piece_words", "trigrams",
           "NORMALIZER_FILE"]
