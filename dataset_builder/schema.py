"""The one schema of `lira-products`: every writer, reader and test uses the `datasets.Features` defined here.

The contract is `docs/interfaces.md`. Fields may be added, never renamed or removed. Fields added by this builder
(beyond the contract): corpus `group`; query `clean_query_id` (for `test_noisy` rows: the id of the clean row the
noise was applied to; for clean rows: the row's own id).
"""

import re

from datasets import Features, List, Value

LANGUAGES = ("vi", "th", "id", "ms", "fil", "ur", "bn")
"""Low-resource languages, one dataset config each, in the order used everywhere (titles struct, card, CLI)."""

LANGUAGE_NAMES = {
    "vi": "Vietnamese",
    "th": "Thai",
    "id": "Indonesian",
    "ms": "Malay",
    "fil": "Filipino",
    "ur": "Urdu",
    "bn": "Bengali",
    "en": "English",
    # zero-shot (test-only) languages of `ZERO_SHOT_LANGUAGES`; any other zero-shot code is named by its code
    "km": "Khmer",
    "lo": "Lao",
    "my": "Burmese",
    "hi": "Hindi",
    "ne": "Nepali",
    "si": "Sinhala",
    "ta": "Tamil",
}

ZERO_SHOT_LANGUAGES = ("km", "lo", "my", "hi", "ne", "si", "ta")
"""Default zero-shot languages (`--zero-shot-languages` without a value): test-only configs, never trained. CLDR 48.2
names every one of the 599 products in each (Hindi: 598) and every one of the 120 test products."""

PRODUCT_SPLITS = ("train", "validation", "test")
"""Splits that products (and the clean queries about them) are assigned to."""

QUERY_SPLITS = ("train", "validation", "test", "test_noisy")
"""Splits of every language config and of `default`. Names match the Hub rule ``^\\w+(\\.\\w+)*$``."""

CORPUS_CONFIG = "corpus"
CORPUS_SPLIT = "corpus"
DEFAULT_CONFIG = "default"

NUM_CANDIDATES = 4
"""K: the most English candidate translations a query row carries."""

CRITIC_DIMENSIONS = ("semantic", "emotional", "pragmatic")
SCORE_MIN, SCORE_MAX = 1.0, 10.0

GRADE_NAME = 2
"""Relevance grade of a product whose localized name equals the query."""
GRADE_KEYWORD = 1
"""Relevance grade of a product one of whose localized keywords equals the query."""

NOISE_TYPES = ("none", "typo", "no_diacritics", "code_mix", "romanized")

CANDIDATE_SOURCES = (
    "aligned_name",  # English name of the query's primary product (the aligned CLDR name; exact for name queries)
    "aligned_keyword",  # English keyword whose product set best matches the localized term's (co-occurrence)
    "aligned_parts",  # composed queries: the aligned English of each part, joined in the same order
    "en_keyword",  # another English keyword of the primary product (related, usually not a translation)
    "wrong_sense",  # English name of another product that shares a localized term with the query / product
    "other_product",  # English name of a product of the same category (fallback when no wrong sense exists)
    "word_drop",  # the first good candidate with one word removed
    "truncation",  # the first good candidate cut mid-word
    # test_noisy only: a translation of the typed (noisy) text by `noisy_translation.LiraNoisyTranslator`, named by
    # how the text met its dictionary entry (the weakest match of its spans)
    "noisy_exact",  # the typed text (or span) equals an entry
    "noisy_unaccented",  # equal once optional marks are stripped on both sides
    "noisy_romanized",  # equal to the romanised form of an entry (Thai RTGS, Urdu / Bengali anyascii)
    "noisy_fuzzy",  # one slip from an entry, difflib ratio >= the translator's threshold (`LiraSpellingIndex`)
)

CORPUS_FEATURES = Features(
    {
        "product_id": Value("string"),
        "title_en": Value("string"),
        "keywords_en": List(Value("string")),
        "category": Value("string"),
        "titles": {lang: Value("string") for lang in LANGUAGES},
        "split": Value("string"),
        "emoji": Value("string"),
        "group": Value("string"),
    }
)
"""Features of the `corpus` config (one row per product)."""

QUERY_FEATURES = Features(
    {
        "query_id": Value("string"),
        "language": Value("string"),
        "query": Value("string"),
        "relevant_ids": List(Value("string")),
        "relevance": List(Value("int32")),
        "category": Value("string"),
        "composed": Value("bool"),
        "candidates": List(Value("string")),
        "candidate_sources": List(Value("string")),
        "critic_scores": List(List(Value("float32"))),
        "noise": Value("string"),
        "clean_query_id": Value("string"),
    }
)
"""Features of every language config and of `default` (one row per query)."""


def check_languages(languages):
    """Validates a list of language codes and returns it as a tuple in canonical order.

    Args:
        languages (`Iterable[str]` or `None`):
            Codes among `LANGUAGES`; `None` means all of them.

    Returns:
        `tuple[str, ...]`: the requested codes, deduplicated, in the order of `LANGUAGES`.

    Raises:
        `ValueError`: for an unknown code or an empty list.
    """
    if languages is None:
        return LANGUAGES
    languages = list(languages)
    unknown = [lang for lang in languages if lang not in LANGUAGES]
    if unknown:
        raise ValueError(
            f"Unknown language code(s) {unknown}: LiRA covers {list(LANGUAGES)} (use 'fil' for Filipino)."
        )
    if not languages:
        raise ValueError(f"No language requested: pass one or more of {list(LANGUAGES)}.")
    return tuple(lang for lang in LANGUAGES if lang in languages)


_LANGUAGE_CODE = re.compile(r"^[a-z]{2,3}$")


def check_zero_shot_languages(languages):
    """Validates zero-shot (test-only) language codes and returns them as a tuple, deduplicated, in the given order.

    Args:
        languages (`Iterable[str]` or `None`): CLDR locale codes (2-3 lower-case letters) outside `LANGUAGES`;
            `None` or empty means none.

    Returns:
        `tuple[str, ...]`

    Raises:
        `ValueError`: for a malformed code or a trained language (those have train splits; a zero-shot language
            has only test rows).
    """
    if languages is None:
        return ()
    if isinstance(languages, str):
        languages = [languages]
    out = []
    for lang in languages:
        if not isinstance(lang, str) or not _LANGUAGE_CODE.match(lang):
            raise ValueError(f"zero-shot language {lang!r} is not a CLDR language code (2-3 lower-case letters, "
                             f"e.g. {','.join(ZERO_SHOT_LANGUAGES)}).")
        if lang in LANGUAGES:
            raise ValueError(f"zero-shot language {lang!r} is one of the trained languages {list(LANGUAGES)}; a "
                             "zero-shot language is test-only, pick codes outside them (e.g. "
                             f"{','.join(ZERO_SHOT_LANGUAGES)}).")
        if lang not in out:
            out.append(lang)
    return tuple(out)
