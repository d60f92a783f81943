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
* a one-word span of at least `lexicon_min_letters` letters (5) that no vocabulary text is one slip from may be
  corrected, the same way, into a word of the language's lexicon (`lexicon`: the word-frequency lexicon's words the
  shop's texts lack, saved with the vocabulary; a shopper types many words no title holds), but only for a swap or
  a letter typed twice: a rare word the lexicon lacks is often a lexicon word less or plus a letter ("serabi", a
  pancake, and "serambi", a porch; "trunks" and "trunk");
* a dynamic programme picks the segmentation of maximal credit (an equality: the span's length x 1 / 0.98 / 0.96;
  a fuzzy match: 0.9 x (3M - typed length - form length), M matching characters); words nothing matches stay as
  typed, and a text whose matched or lexicon words are under `min_coverage` of its words is left unchanged.

Candidates for a fuzzy match come from shared character 3-grams (the 20 closest by Dice) and, for known forms of
fewer than 8 letters, from shared one-slip keys (a swap in a short word shares no 3-gram with the word).

A clean query is returned as typed wherever its words are in the vocabulary or the lexicon. The tables live in
`spelling_index.py`. Only stdlib: the Hub loads these files as remote code beside the weights
(`query_normalizer.json`).
"""

import functools
import json
import os

from .spelling_index import (
    LEXICON_MIN_LETTERS,
    MAX_QUERY_WORDS,
    MEMO_SIZE,
    MIN_FUZZY_LETTERS,
    LiraSpellingIndex,
    fold,
    letters,
    one_slip,
    slip_keys,
    strip_diacritics,
    trigrams,
)

NORMALIZER_FILE = "query_normalizer.json"
METHODS = ("exact", "unaccented", "romanized", "fuzzy")


def _short(value, limit=80):
    """`repr(value)`, cut to `limit` characters (an error message quotes a stranger's value, not all of it)."""
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + "..."


def one_piece_words(tokenizer):
    """A `known_word` test from a subword tokenizer: the word is one piece of its vocabulary (a lone word-start
    marker such as SentencePiece's "▁" aside). Typos fall apart into several pieces ("kencnag": ke + nc + nag).
    Remembered (bounded, `MEMO_SIZE` words): every language's tables ask about the same typed words."""

    @functools.lru_cache(maxsize=MEMO_SIZE)
    def known_word(word):
        pieces = [p for p in tokenizer.tokenize(" " + word) if p not in ("▁", "Ġ")]
        return len(pieces) == 1

    return known_word


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
            code (languages missing from the dict use 5). `python -m dataset_builder.normalizer_letters` chooses it per
            language on validation queries with synthetic typos: short words (Bengali, Urdu) need a lower bound to
            be corrected at all, and a lower bound changes more clean queries.
        real_words (`dict[str, list[str]]`, *optional*): per language code, words known to be spelt right that
            lie one slip from a vocabulary word (`dataset_builder.normalizer` takes them from the `wordfreq` lexicon);
            a span made only of real words is never fuzzy-corrected. Without them short clean words are "corrected"
            into known neighbours (in Urdu, one clean validation query in six at a bound of 3 letters).
        lexicon (`dict[str, list[str]]`, *optional*): per language code, real words the vocabulary lacks
            (`dataset_builder.normalizer` takes the `wordfreq` words of at least `lexicon_min_letters` letters): real
            words, known words for `min_coverage`, and corrections (a swap or a letter typed twice, never a missing or other extra one) of
            a one-word span no vocabulary text is one slip from. Of the Urdu typos on test, about a quarter change a
            word no title or training query holds.
        lexicon_min_letters (`int`, *optional*, defaults to 5): least letters of a span corrected into a lexicon
            word (shorter words have too many real neighbours: a bound of 4 cost clean Urdu validation queries 0.004
            nDCG@10).

    Raises:
        `ValueError`: for an empty or malformed vocabulary, a threshold / coverage outside (0, 1], or a
            `min_fuzzy_letters` / `lexicon_min_letters` that is not a positive integer (per language), or
            `real_words` / `lexicon` that are not `{language: [word, ...]}`.
    """

    def __init__(self, vocabulary, threshold=0.7, min_coverage=0.5, known_word=None,
                 min_fuzzy_letters=MIN_FUZZY_LETTERS, real_words=None, lexicon=None,
                 lexicon_min_letters=LEXICON_MIN_LETTERS):
        if not isinstance(vocabulary, dict) or not vocabulary:
            raise ValueError("vocabulary must be a non-empty {language: [{'text': ..., 'romanized': [...]}]} dict; "
                             "build one with `python -m dataset_builder.normalizer`.")
        for name, value in (("threshold", threshold), ("min_coverage", min_coverage)):
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value <= 1:
                raise ValueError(f"{name}={value!r} must be a number in (0, 1], e.g. {name}=0.8.")
        for language, entries in vocabulary.items():
            if not isinstance(language, str) or not isinstance(entries, list):
                raise ValueError(f"vocabulary[{language!r}] must be a list of {{'text': ..., 'romanized': [...]}} "
                                 "under a language code.")
            for n, entry in enumerate(entries):
                romanized = entry.get("romanized", []) if isinstance(entry, dict) else None
                if not isinstance(entry, dict) or not isinstance(entry.get("text"), str) or not isinstance(
                        romanized, list) or not all(isinstance(r, str) for r in romanized):
                    raise ValueError(f"vocabulary[{language!r}][{n}]={_short(entry)} must be {{'text': str, "
                                     "'romanized': [str, ...]}; rebuild the file with `python -m "
                                     "dataset_builder.normalizer`.")
        per_language = min_fuzzy_letters if isinstance(min_fuzzy_letters, dict) else {None: min_fuzzy_letters}
        for language, value in [*per_language.items(), ("lexicon_min_letters", lexicon_min_letters)]:
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                name = language if language == "lexicon_min_letters" else "min_fuzzy_letters" + (
                    "" if language is None else f"[{language!r}]")
                raise ValueError(f"{name}={value!r} must be a positive integer, e.g. 5 (min_fuzzy_letters may be "
                                 f"{{'bn': 3, 'vi': 5}} per language).")
        real_words = {} if real_words is None else real_words
        lexicon = {} if lexicon is None else lexicon
        for name, value in (("real_words", real_words), ("lexicon", lexicon)):
            if not isinstance(value, dict) or not all(
                isinstance(words, list) and all(isinstance(w, str) for w in words) for words in value.values()
            ):
                raise ValueError(f"{name} must be a {{language: [word, ...]}} dict of strings (or None); build it "
                                 "with `python -m dataset_builder.normalizer`.")
        self.vocabulary, self.threshold, self.min_coverage = vocabulary, float(threshold), float(min_coverage)
        self.real_words, self.lexicon, self.lexicon_min_letters = real_words, lexicon, lexicon_min_letters
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

    def set_min_fuzzy_letters(self, language, value):
        """Sets the `min_fuzzy_letters` of `language` and keeps its built tables (the bound only gates lookups), so
        trying several bounds builds the tables once; what the language normalizes is then exactly what a new
        normalizer with that bound normalizes.

        Args:
            language (`str`): a language of the vocabulary.
            value (`int`): least letters of a fuzzy-corrected span.

        Raises:
            `ValueError`: an unknown language or a bound that is not a positive integer.
        """
        if language not in self.vocabulary:
            raise ValueError(f"language {language!r} has no vocabulary; use one of {self.languages}.")
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"min_fuzzy_letters[{language!r}]={value!r} must be a positive integer, e.g. 5.")
        if not isinstance(self.min_fuzzy_letters, dict):
            self.min_fuzzy_letters = {lang: self.min_fuzzy_letters for lang in self.vocabulary}
        self.min_fuzzy_letters[language] = value
        index = self._indexes.get(language)
        if index is not None and index.min_letters != value:
            index.min_letters = value
            index.clear_memos()  # spans remembered under the old bound

    def _index(self, language):
        if language not in self.vocabulary:
            raise ValueError(f"language {language!r} has no vocabulary; use one of {self.languages} or None.")
        if language not in self._indexes:
            self._indexes[language] = LiraSpellingIndex(
                language, self.vocabulary[language], self.threshold, self.min_letters(language),
                self.real_words.get(language, ()), self.lexicon.get(language, ()), self.lexicon_min_letters)
        index = self._indexes[language]
        if index.known_word is not self.known_word:  # set or changed after the index was built
            index.known_word = self.known_word
            index.clear_memos()
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
        words, tail = words[:MAX_QUERY_WORDS], words[MAX_QUERY_WORDS:]  # the rest stays as typed (bounded cost)
        _, lang, spans = self._best_segmentation(words, language)
        matched = {k for i, j, *_ in spans for k in range(i, j)}
        listed = self._index(lang).is_listed
        coverage = sum(k in matched or listed(w) for k, w in enumerate(words)) / len(words)  # known words' share
        report = [(" ".join(words[i:j]), t, m, round(r, 4)) for i, j, t, m, r in spans]
        if not spans or coverage < self.min_coverage or all(m == "exact" for _, _, _, m, _ in spans):
            return {"text": text, "language": lang, "coverage": coverage, "spans": report}
        out, at = [], 0
        for i, j, matched, _, _ in spans:
            out += words[at:i] + [matched]
            at = j
        return {"text": " ".join(out + words[at:] + tail), "language": lang, "coverage": coverage, "spans": report}

    def _best_segmentation(self, words, language):
        """`(credit, language, spans)` of the best segmentation of `words` in `language`, or (`None`) in every
        language: the highest credit, ties to the first language in `languages`. A language whose bound on credit
        (`LiraSpellingIndex.credit_bound`) is below the best found is not segmented: the same answer, less work."""
        if language is not None:
            credit, spans = self._index(language).segment(words)
            return credit, language, spans
        order = list(enumerate(self.languages))
        bounds = {lang: self._index(lang).credit_bound(words) for _, lang in order}
        best = None  # (credit, -position, language, spans)
        for pos, lang in sorted(order, key=lambda o: -bounds[o[1]]):  # the likeliest winner first
            if best is not None and (bounds[lang], -pos) < best[:2]:
                continue
            credit, spans = self._index(lang).segment(words)
            if best is None or (credit, -pos) > best[:2]:
                best = (credit, -pos, lang, spans)
        return best[0], best[2], best[3]

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
                "lexicon_min_letters": self.lexicon_min_letters, "lexicon": self.lexicon,
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
        fix = "rebuild it with `python -m dataset_builder.normalizer --model DIR`"
        try:
            with open(file, encoding="utf-8") as f:
                data = json.load(f)
        except (UnicodeDecodeError, json.JSONDecodeError) as err:
            raise ValueError(f"{file} is not a valid {NORMALIZER_FILE} (not UTF-8 JSON: {err}); {fix}.") from None
        if not isinstance(data, dict) or "vocabulary" not in data:
            found = sorted(data)[:5] if isinstance(data, dict) else type(data).__name__
            raise ValueError(f"{file} must hold a JSON object with a 'vocabulary' key (found {found}); {fix}.")
        try:
            return cls(data["vocabulary"], data.get("threshold", 0.8), data.get("min_coverage", 0.5),
                       min_fuzzy_letters=data.get("min_fuzzy_letters", MIN_FUZZY_LETTERS),
                       real_words=data.get("real_words"), lexicon=data.get("lexicon"),
                       lexicon_min_letters=data.get("lexicon_min_letters", LEXICON_MIN_LETTERS))
        except ValueError as err:
            raise ValueError(f"{file}: {err}") from None


__all__ = ["LiraQueryNormalizer", "strip_diacritics", "fold", "letters", "one_slip", "slip_keys", "one_piece_words",
           "trigrams", "NORMALIZER_FILE"]
