"""Noise for the `test_noisy` split: one noisy copy of every clean test query, for robustness measurement.

Noise types (the `noise` column), each applied only where it changes the text:

* `typo`: one edit on a random grapheme cluster (swap with the next, delete, or duplicate); Unicode grapheme
  clusters (`regex` `\\X`) keep Thai, Bengali and Urdu marks attached to their letter.
* `no_diacritics`: what people type without an input method: Vietnamese tone and vowel marks removed (and
  d-stroke to d), Thai tone marks (U+0E48-U+0E4B) removed, Urdu harakat removed, Latin accents removed (id, ms,
  fil). Not applied to Bengali, whose vowel signs are not optional.
* `code_mix`: an English word from the relevant product's English name (its last word, the head noun in
  English noun phrases) replaces a random word of a multi-word query, or is appended to a one-word query.
* `romanized`: Thai by the Royal Thai General System (`pythainlp` `romanize(engine="royin")`, rule based);
  Urdu and Bengali by the `anyascii` transliteration table, which is letter-by-letter transliteration and not a
  standard romanisation (it drops unwritten short vowels, e.g. Urdu "syb" for "seb"). Skipped when the package is
  not installed.
"""

import functools
import random
import unicodedata

import regex

from .critics import tokens

ROMANIZERS = {"th": "pythainlp (RTGS / royin)", "ur": "anyascii (transliteration)", "bn": "anyascii (transliteration)"}
_THAI_TONES = {chr(c) for c in range(0x0E48, 0x0E4C)}
_ARABIC_HARAKAT = {chr(c) for c in range(0x064B, 0x0660)} | {"\u0670"}
_ENGLISH_STOP = frozenset("a an the of and or with in on at to for by from".split())


@functools.lru_cache(maxsize=None)
def _romanizer(language):
    """A `str -> str` romaniser for `language`, or `None` when none is installed."""
    try:
        if language == "th":
            from pythainlp.transliterate import romanize

            return lambda text: " ".join(romanize(word, engine="royin") for word in text.split())
        if language in ("ur", "bn"):
            from anyascii import anyascii

            return lambda text: anyascii(text).lower()
    except ImportError:
        return None
    return None


def available_romanizers():
    """`{language: description}` of the romanisers importable in this environment."""
    return {lang: desc for lang, desc in ROMANIZERS.items() if _romanizer(lang) is not None}


def strip_diacritics(text, language):
    """Removes optional marks as described in the module docstring (returns `text` unchanged for Bengali)."""
    if language == "th":
        return "".join(ch for ch in text if ch not in _THAI_TONES)
    if language == "ur":
        return "".join(ch for ch in text if ch not in _ARABIC_HARAKAT)
    if language == "bn":
        return text
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    return unicodedata.normalize("NFC", "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn"))


def typo(text, rng):
    """One random edit (swap, delete or duplicate) on a non-space grapheme cluster."""
    clusters = regex.findall(r"\X", text)
    positions = [i for i, c in enumerate(clusters) if not c.isspace()]
    if not positions:
        return text
    i = rng.choice(positions)
    ops = ["duplicate"] + (["delete"] if len(positions) > 2 else [])
    if i + 1 < len(clusters) and not clusters[i + 1].isspace():
        ops.append("swap")
    op = rng.choice(ops)
    if op == "swap":
        clusters[i], clusters[i + 1] = clusters[i + 1], clusters[i]
    elif op == "delete":
        del clusters[i]
    else:
        clusters.insert(i, clusters[i])
    return "".join(clusters)


def code_mix(text, english_title, rng):
    """Replaces a random word by (or appends) the head word of the English title."""
    words = [w for w in tokens(english_title) if w not in _ENGLISH_STOP and not w.isdigit()] or tokens(english_title)
    if not words:
        return text
    head = words[-1]
    parts = text.split()
    if len(parts) < 2:
        return f"{text} {head}"
    parts[rng.randrange(len(parts))] = head
    return " ".join(parts)


class QueryNoiser:
    """Applies one noise type, chosen per query with a seeded RNG, to a clean query.

    Args:
        language (`str`): language code.
        seed (`int`, *optional*, defaults to 13): seed of the per-query RNG.
    """

    def __init__(self, language, seed=13):
        self.language = language
        self.seed = seed
        self.types = ["typo", "code_mix"]
        if language != "bn":
            self.types.append("no_diacritics")
        if _romanizer(language) is not None:
            self.types.append("romanized")

    def apply(self, noise, text, english_title, rng):
        """The text after noise type `noise`."""
        if noise == "typo":
            return typo(text, rng)
        if noise == "no_diacritics":
            return strip_diacritics(text, self.language)
        if noise == "code_mix":
            return code_mix(text, english_title, rng)
        if noise == "romanized":
            return _romanizer(self.language)(text)
        raise ValueError(f"Unknown noise type {noise!r}; known: {self.types}.")

    def __call__(self, query_id, text, english_title):
        """Noisy version of one query.

        Args:
            query_id (`str`): id of the clean query (seeds the RNG).
            text (`str`): clean query text.
            english_title (`str`): English name of the query's primary product (for `code_mix`).

        Returns:
            `tuple[str, str]`: the noisy text and the noise type (the first type, in a seeded random order,
            that changes the text; `typo` always does for non-empty text).
        """
        rng = random.Random(f"noise-{self.seed}-{query_id}")
        order = list(self.types)
        rng.shuffle(order)
        for noise in order + ["typo"]:
            noisy = self.apply(noise, text, english_title, rng)
            if noisy and noisy != text:
                return noisy, noise
        return text + text[-1:], "typo"
