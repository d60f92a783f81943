"""Noise for the `test_noisy` split: one noisy copy of every clean test query, for robustness measurement.

Noise types (the `noise` column), each applied only where it changes the text:

* `typo`: one edit on a random grapheme cluster (swap with the next, delete, or duplicate); Unicode grapheme
  clusters (`regex` `\\X`) keep Thai, Bengali and Urdu marks attached to their letter.
* `no_diacritics`: what people type without an input method: Vietnamese tone and vowel marks removed (and
  d-stroke to d), Thai tone marks (U+0E48-U+0E4B) removed, Urdu harakat removed, Latin accents removed (id, ms,
  fil). Not applied to Bengali, whose vowel signs are not optional.
* `code_mix`: one uninformative English shopping word, unit or filler word (`CODE_MIX_WORDS`: "buy", "cheap",
  "sale", "pcs", "please", ...) is inserted at a random word boundary of the query (before the first word, between
  two words, or after the last word); no word of the query is removed. Every word that is a token of any product's
  English title or keywords in the corpus is dropped from the list when the noiser is built (`forbidden_words`),
  so the inserted word never names a product.
* `romanized`: Thai by the Royal Thai General System (`pythainlp` `romanize(engine="royin")`, rule based);
  Urdu and Bengali by the `anyascii` transliteration table, which is letter-by-letter transliteration and not a
  standard romanisation (it drops unwritten short vowels, e.g. Urdu "syb" for "seb"). Skipped when the package is
  not installed.

Zero-shot (test-only) languages get `typo` and `code_mix` only: they have no `no_diacritics` rule
(`NO_DIACRITICS_LANGUAGES`) and no romaniser.

Guarantee: the noise never adds the answer. For every query the caller passes the tokens of the relevant products'
English titles (`forbidden_tokens`); a noisy variant whose added tokens (`added_tokens`: tokens of the noisy text
that are not tokens of the clean text, `critics.tokens`) intersect them is rejected and the next noise type is tried
(typo, romanisation and diacritic stripping can create an English word by chance). When every type is rejected or
leaves the text unchanged, the fallback is a `typo` that duplicates one grapheme cluster (the last one whose
duplication adds no forbidden token) or, when none does, repeats the query's last word, which adds no token at all.
"""

import functools
import random

import regex

from modeling_lira.query_normalizer import strip_diacritics  # one definition for the noise and the normalizer

from .critics import tokens
from lira_utils.defaults import SEED

NO_DIACRITICS_LANGUAGES = ("vi", "th", "id", "ms", "fil", "ur")
"""Languages with a `no_diacritics` rule (`strip_diacritics`). Bengali has none (its vowel signs are not optional);
neither has a zero-shot language (`strip_diacritics` returns both as typed: for Khmer, Lao, Burmese and the Indic
scripts the combining marks are vowel signs and viramas, not optional accents)."""

ROMANIZERS = {"th": "pythainlp (RTGS / royin)", "ur": "anyascii (transliteration)", "bn": "anyascii (transliteration)"}
CODE_MIX_WORDS = (
    "buy", "cheap", "sale", "price", "promo", "discount", "deal", "offer", "online", "shop", "store", "official",
    "original", "best", "new", "quality", "free", "shipping", "ready", "stock", "order", "pcs", "pack", "size", "ok",
    "please",
)  # fmt: skip


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


def _token_set(texts, name):
    """The set of `critics.tokens` of an iterable of English texts (words, titles or keywords)."""
    if isinstance(texts, str):
        raise ValueError(f"{name} must be an iterable of strings, got the single string {texts!r}; wrap it in a list, "
                         f"e.g. {name}=[{texts!r}].")  # fmt: skip
    out = set()
    for text in texts:
        if not isinstance(text, str):
            raise ValueError(f"{name} must hold strings, got {text!r} ({type(text).__name__}); pass English words or "
                             "titles as `str`.")  # fmt: skip
        out.update(tokens(text))
    return out


def added_tokens(clean, noisy):
    """Tokens (`critics.tokens`) of `noisy` that are not tokens of `clean`.

    Args:
        clean (`str`): the clean query.
        noisy (`str`): its noisy variant.

    Returns:
        `set[str]`: the tokens the noise added.
    """
    return set(tokens(noisy)) - set(tokens(clean))


def code_mix(text, rng, words=CODE_MIX_WORDS):
    """Inserts one word of `words` at a random word boundary of `text`.

    The word is drawn among those that are not already a token of `text` (among all of `words` when every one is);
    the boundary is drawn among the positions before the first word, between two words and after the last word, so
    a one-word query gets the word prepended or appended. No word of `text` is removed.

    Args:
        text (`str`): the clean query.
        rng (`random.Random`): the per-query RNG.
        words (`Sequence[str]`, *optional*, defaults to `CODE_MIX_WORDS`): the words to draw from.

    Returns:
        `str`: the code-mixed text, or `text` unchanged when `words` is empty.
    """
    if not words:
        return text
    present = set(tokens(text))
    word = rng.choice([w for w in words if w not in present] or list(words))
    parts = text.split()
    parts.insert(rng.randrange(len(parts) + 1), word)
    return " ".join(parts)


def _fallback(text, forbidden):
    """A safe `typo`: the last cluster duplication adding no forbidden token, else the last word repeated."""
    clusters = regex.findall(r"\X", text)
    for i in range(len(clusters) - 1, -1, -1):
        if clusters[i].isspace():
            continue
        noisy = "".join(clusters[: i + 1] + clusters[i:])
        if not added_tokens(text, noisy) & forbidden:
            return noisy
    return f"{text} {text.split()[-1]}"  # adds no token at all


class QueryNoiser:
    """Applies one noise type, chosen per query with a seeded RNG, to a clean query, never adding the answer.

    Args:
        language (`str`): language code.
        seed (`int`, *optional*, defaults to 13): seed of the per-query RNG.
        forbidden_words (`Iterable[str]`, *optional*, defaults to `()`): the corpus English vocabulary: the English
            titles and keywords of all products (or their tokens). Every word of `CODE_MIX_WORDS` that is one of
            their tokens is dropped from the words `code_mix` inserts; when none is left, `code_mix` is not used.

    Raises:
        `ValueError`: when `forbidden_words` is a single string or holds something else than strings.
    """

    def __init__(self, language, seed=SEED, forbidden_words=()):
        self.language = language
        self.seed = seed
        vocabulary = _token_set(forbidden_words, "forbidden_words")
        self.code_mix_words = tuple(w for w in CODE_MIX_WORDS if w not in vocabulary)
        self.types = ["typo"] + (["code_mix"] if self.code_mix_words else [])
        if language in NO_DIACRITICS_LANGUAGES:  # the seven as before (all but bn); a zero-shot language: none
            self.types.append("no_diacritics")
        if _romanizer(language) is not None:
            self.types.append("romanized")

    def apply(self, noise, text, rng):
        """The text after noise type `noise` (no safety check; see `__call__`).

        Args:
            noise (`str`): one of `self.types`, or `typo` (always available, the fallback).
            text (`str`): clean query text.
            rng (`random.Random`): the per-query RNG.

        Returns:
            `str`: the noisy text (possibly equal to `text`).

        Raises:
            `ValueError`: when `noise` is neither one of `self.types` nor `typo`.
        """
        if noise != "typo" and noise not in self.types:
            raise ValueError(f"Unknown noise type {noise!r} for language {self.language!r}; known: {self.types}.")
        if noise == "typo":
            return typo(text, rng)
        if noise == "no_diacritics":
            return strip_diacritics(text, self.language)
        if noise == "code_mix":
            return code_mix(text, rng, self.code_mix_words)
        return _romanizer(self.language)(text)

    def __call__(self, query_id, text, forbidden_tokens):
        """Noisy version of one query.

        Args:
            query_id (`str`): id of the clean query (seeds the RNG).
            text (`str`): clean query text.
            forbidden_tokens (`Iterable[str]`): the English titles of all the query's relevant products (or their
                tokens); a variant that adds one of their tokens is rejected.

        Returns:
            `tuple[str, str]`: the noisy text and the noise type: the first type, in a seeded random order followed
            by `typo`, that changes the text without adding a forbidden token; else a safe `typo` (one duplicated
            grapheme cluster, or the last word repeated), so the text always changes.

        Raises:
            `ValueError`: when `text` is empty or blank, or `forbidden_tokens` is a single string.
        """
        if not isinstance(text, str) or not text.strip():
            raise ValueError(f"Query {query_id!r} has the empty or non-string text {text!r}; noise needs a non-empty "
                             "query, drop empty queries before building `test_noisy`.")  # fmt: skip
        forbidden = _token_set(forbidden_tokens, "forbidden_tokens")
        rng = random.Random(f"noise-{self.seed}-{query_id}")
        order = list(self.types)
        rng.shuffle(order)
        for noise in order + ["typo"]:
            noisy = self.apply(noise, text, rng)
            if noisy and noisy != text and not added_tokens(text, noisy) & forbidden:
                return noisy, noise
        return _fallback(text, forbidden), "typo"
