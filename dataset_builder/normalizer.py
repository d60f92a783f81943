"""Builds the query normalizer's vocabulary from what a shop has at training time, and saves it beside a model.

    python -m dataset_builder.normalizer --model artifacts/lira-small-trained --dataset artifacts/lira-products

Per language the vocabulary holds the catalogue's localized titles (`corpus.titles`) and the clean texts of the
`train` and `validation` queries, plus every word of those texts (Thai: segmented by `pythainlp`); never a `test`
or `test_noisy` row (tested).
`--product-splits train validation` also leaves out the titles of the test products (a strict study: how much of
the gain comes from knowing the names of the products asked for). Each entry gets its romanized forms from the
romanizers of `dataset_builder.noise` (Thai RTGS, Urdu / Bengali `anyascii`), so the saved model needs none.

Beside the vocabulary it saves the language's *real words* that a fuzzy correction could mistake for slips: the
words of the `wordfreq` lexicon (Zipf frequency >= 3, i.e. at least once per million words; every language here but
Thai) that lie one slip from a vocabulary word. The normalizer never "corrects" them. And the language's *lexicon*:
the lexicon words of at least 5 letters the vocabulary lacks, which the normalizer may correct a long misspelt word
into when no vocabulary word is one slip away (the file grows by about 1.3 MB for the six languages).
"""

import argparse
import json
import math
import os
import unicodedata
from collections import Counter

from tqdm.auto import tqdm

from modeling_lira.query_normalizer import LEXICON_MIN_LETTERS, LiraQueryNormalizer
from lira_utils.defaults import LANGUAGES

DEFAULT_PRODUCT_SPLITS = ("train", "validation", "test")
QUERY_SPLITS = ("train", "validation")
LEXICON_MIN_ZIPF = 3.0


def vocabulary_texts(dataset, language, product_splits=DEFAULT_PRODUCT_SPLITS, query_splits=QUERY_SPLITS):
    """The texts the normalizer may know for one language, in a stable order (titles first, then queries).

    Args:
        dataset (`str`): dataset folder or Hub id.
        language (`str`): language config.
        product_splits (`tuple[str]`, *optional*): product splits whose localized titles enter.
        query_splits (`tuple[str]`, *optional*, defaults to `("train", "validation")`): splits whose clean queries
            enter (`("train",)` when validation queries must stay unseen, as in `dataset_builder.normalizer_letters`).
    """
    from lira_utils.dataset import load_corpus, load_split

    bad = [s for s in product_splits if s not in DEFAULT_PRODUCT_SPLITS]
    if bad:
        raise ValueError(f"product_splits {bad} are not product splits; use some of {list(DEFAULT_PRODUCT_SPLITS)}.")
    if not set(query_splits) <= set(QUERY_SPLITS):
        raise ValueError(f"query_splits {list(query_splits)} may only hold {list(QUERY_SPLITS)}: test queries never "
                         "enter the vocabulary.")
    texts = [p["titles"][language] for p in load_corpus(dataset) if p["split"] in product_splits
             and p["titles"].get(language)]  # fmt: skip
    for split in query_splits:
        texts += [r["query"] for r in load_split(dataset, language, split) if r["noise"] == "none"]
    return texts


def _thai_words(text):
    """Thai words of `text` (`pythainlp` newmm, dictionary based): Thai is written without spaces between words, so
    "สมุนไพรสุขภาพ" gives "สมุนไพร" and "สุขภาพ", each of which a shopper may type alone."""
    from pythainlp.tokenize import word_tokenize

    return [w for w in word_tokenize(text, engine="newmm") if w.strip() and len(w) > 1]


def _strip_punctuation(word):
    """`word` without the punctuation around it (Unicode category P*), e.g. the Arabic comma after an Urdu word."""
    start, end = 0, len(word)
    while start < end and unicodedata.category(word[start]).startswith("P"):
        start += 1
    while end > start and unicodedata.category(word[end - 1]).startswith("P"):
        end -= 1
    return word[start:end]


def build_vocabulary(texts, language, progress=True):
    """Entries `{"text", "romanized"}` for `texts` and each of their words (Thai words come from a word segmenter),
    most frequent first: where several share an unaccented or romanized form ("day": dây, đáy, dày), the normalizer
    picks the first, i.e. the word the shop's texts use most.

    Args:
        texts (`list[str]`): vocabulary texts of one language.
        language (`str`): its code (picks the romanizer; none for Latin-script languages).
    """
    from dataset_builder.noise import ROMANIZERS, _romanizer
    from modeling_lira.query_normalizer import fold

    romanize = _romanizer(language)
    if language in ROMANIZERS and romanize is None:
        raise ValueError(f"no romanizer installed for {language!r}; `pip install pythainlp anyascii` (setup.cfg).")
    split = _thai_words if language == "th" else str.split
    counts = Counter()  # how often each text or word occurs: the most frequent wins a shared unaccented/romanized form
    for text in tqdm(texts, desc=f"vocabulary {language}", disable=not progress):
        folded = fold(text)
        words = [_strip_punctuation(w) for w in split(folded)]  # "شو،" (a word and a comma) -> "شو"
        counts.update(item for item in [folded] + [w for w in words if w != folded] if item)
    ordered = sorted(counts, key=lambda item: -counts[item])  # stable: first occurrence on ties
    return [{"text": item, "romanized": [fold(romanize(item))] if romanize else []} for item in ordered]


def real_words(entries, language, min_zipf=LEXICON_MIN_ZIPF):
    """The lexicon words of `language` that lie one slip from a one-word vocabulary entry (its text or unaccented
    form), sorted: the words a fuzzy correction could mistake for slips, which `LiraQueryNormalizer` leaves alone.

    Args:
        entries (`list[dict]`): the language's vocabulary (`build_vocabulary`).
        language (`str`): its code; `[]` for a language `wordfreq` has no list for (Thai).
        min_zipf (`float`, *optional*, defaults to 3.0): least Zipf frequency of a lexicon word.
    """
    from modeling_lira.query_normalizer import fold, letters, one_slip, slip_keys, strip_diacritics

    by_key = {}  # one-slip key -> letter lists of the one-word vocabulary forms that have it (the normalizer's index)
    for entry in entries:
        text = fold(entry["text"])
        if " " not in text:
            for form in {text, strip_diacritics(text, language).lower()}:
                spelt = letters(form)
                for key in slip_keys(spelt):
                    by_key.setdefault(key, []).append(spelt)
    out = set()
    for word in _frequent_words(language, min_zipf):
        typed = letters(word)
        if any(one_slip(typed, form) for key in slip_keys(typed) for form in by_key.get(key, ())):
            out.add(word)
    return sorted(out)


def lexicon_words(entries, language, min_zipf=LEXICON_MIN_ZIPF, min_letters=LEXICON_MIN_LETTERS):
    """The lexicon words of `language` (Zipf frequency >= `min_zipf`, at least `min_letters` letters, no digits)
    that no vocabulary entry spells, sorted: what `LiraQueryNormalizer` may correct a long misspelt word into.

    Args:
        entries (`list[dict]`): the language's vocabulary (`build_vocabulary`).
        language (`str`): its code; `[]` for a language `wordfreq` has no list for (Thai).
        min_zipf (`float`, *optional*, defaults to 3.0): least Zipf frequency.
        min_letters (`int`, *optional*, defaults to 5): least letters (marks joined to their letter).
    """
    from modeling_lira.query_normalizer import fold, letters

    known = {fold(entry["text"]) for entry in entries}
    return sorted({w for w in _frequent_words(language, min_zipf) if w not in known and " " not in w
                   and not any(ch.isdigit() for ch in w) and len(letters(w)) >= min_letters})


def _frequent_words(language, min_zipf):
    """The folded words of `language`'s `wordfreq` list ("best") with Zipf frequency >= `min_zipf`; none for a
    language without a list (Thai)."""
    import wordfreq

    from modeling_lira.query_normalizer import fold

    if language not in wordfreq.available_languages(wordlist="best"):
        return []
    words = wordfreq.get_frequency_dict(language, wordlist="best").items()  # Zipf = log10(frequency per billion)
    return [w for w in (fold(word) for word, freq in words if math.log10(freq) + 9 >= min_zipf) if w]


def build_lexicons(vocabulary, min_zipf=LEXICON_MIN_ZIPF, min_letters=LEXICON_MIN_LETTERS, lexicon=True):
    """`(real_words, lexicon)`, each `{language: [word, ...]}` for the languages that have any, from a vocabulary
    `{language: entries}`; `min_zipf=None` gives neither, `lexicon=False` no lexicon (it is not computed)."""
    if min_zipf is None:
        return {}, {}
    real = {lang: real_words(entries, lang, min_zipf) for lang, entries in vocabulary.items()}
    words = {lang: lexicon_words(entries, lang, min_zipf, min_letters) for lang, entries in vocabulary.items()
             if lexicon}  # fmt: skip
    return {k: v for k, v in real.items() if v}, {k: v for k, v in words.items() if v}


def build_query_normalizer(dataset, languages, product_splits=DEFAULT_PRODUCT_SPLITS, progress=True,
                           min_zipf=LEXICON_MIN_ZIPF, lexicon=True, **kwargs):
    """A `LiraQueryNormalizer` over `languages` (kwargs: `threshold`, `min_coverage`, `min_fuzzy_letters`,
    `lexicon_min_letters`); `min_zipf=None` leaves the real words and the lexicon out, `lexicon=False` the lexicon."""
    vocabulary = {lang: build_vocabulary(vocabulary_texts(dataset, lang, product_splits), lang, progress)
                  for lang in languages}  # fmt: skip
    real, words = build_lexicons(vocabulary, min_zipf, kwargs.get("lexicon_min_letters", LEXICON_MIN_LETTERS), lexicon)
    return LiraQueryNormalizer(vocabulary, real_words=real, lexicon=words, **kwargs)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--model", required=True, help="model folder to write query_normalizer.json into")
    p.add_argument("--dataset", default="artifacts/lira-products")
    p.add_argument("--languages", default=LANGUAGES)
    p.add_argument("--product-splits", nargs="+", default=list(DEFAULT_PRODUCT_SPLITS))
    p.add_argument("--threshold", type=float, default=0.7)
    p.add_argument("--min-coverage", type=float, default=0.5)
    p.add_argument("--min-fuzzy-letters", default="5",
                   help="least letters of a fuzzy-corrected span: one number, or per language ('bn=3,ur=5', others "
                        "5); `python -m dataset_builder.normalizer_letters --model DIR` chooses them on validation instead")
    p.add_argument("--no-lexicon", action="store_true", help="leave out the lexicon of words the shop lacks")
    args = p.parse_args(argv)
    if not os.path.isdir(args.model):
        raise ValueError(f"--model {args.model!r} is not a folder; pass a saved model folder (or any output folder).")
    letters = parse_min_fuzzy_letters(args.min_fuzzy_letters)
    if letters == "auto":
        raise ValueError("--min-fuzzy-letters auto: run `python -m dataset_builder.normalizer_letters --model DIR`, which "
                         "chooses the bounds on validation and writes the normalizer.")
    path = save_query_normalizer(args.model, args.dataset, args.languages.split(","), tuple(args.product_splits),
                                 threshold=args.threshold, min_coverage=args.min_coverage, min_fuzzy_letters=letters,
                                 lexicon=not args.no_lexicon)
    print(json.dumps(path))


def save_query_normalizer(model_dir, dataset, languages, product_splits=DEFAULT_PRODUCT_SPLITS, **kwargs):
    """Builds the normalizer (`build_query_normalizer`) and writes it into `model_dir`; returns a summary dict."""
    normalizer = build_query_normalizer(dataset, languages, product_splits, **kwargs)
    path = normalizer.save_pretrained(model_dir)
    sizes = {lang: len(entries) for lang, entries in normalizer.vocabulary.items()}
    return {"file": path, "entries": sizes, "bytes": os.path.getsize(path),
            "min_fuzzy_letters": normalizer.min_fuzzy_letters,
            "lexicon": {lang: len(words) for lang, words in normalizer.lexicon.items()}}


def parse_min_fuzzy_letters(value):
    """`--min-fuzzy-letters`: `"auto"`, one integer (`"5"`), or per language (`"bn=3,ur=4"`) -> dict."""
    if value == "auto":
        return value
    try:
        if "=" not in value:
            return int(value)
        return {lang.strip(): int(n) for lang, n in (part.split("=") for part in value.split(","))}
    except ValueError:
        raise ValueError(f"--min-fuzzy-letters {value!r} must be 'auto', a number (5) or 'bn=3,ur=4'.") from None


if __name__ == "__main__":
    main()
