"""Fuzz: generated text thrown at the query normalizer, and generated files at its loader. Anything but a correct
result or a named `ValueError` fails."""

import json
import os
import tempfile

from hypothesis import given
from hypothesis import strategies as st

from modeling_lira import LiraQueryNormalizer
from modeling_lira.query_normalizer import NORMALIZER_FILE
from modeling_lira.spelling_index import fold
from dataset_builder.normalizer import build_vocabulary

NORMALIZER = LiraQueryNormalizer({
    "vi": build_vocabulary(["tai nghe không dây", "giày chạy bộ", "dây sạc"], "vi", progress=False),
    "th": build_vocabulary(["รองเท้า", "หูฟัง"], "th", progress=False),
    "ur": build_vocabulary(["کتاب", "جوتے"], "ur", progress=False),
    "bn": build_vocabulary(["জুতা", "বই"], "bn", progress=False),
}, known_word=lambda word: len(word) == 3)

TEXT = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=300) | st.lists(
    st.sampled_from(["tai", "nghe", "khong", "day", "giay", "chay", "bo", "rong", "thao", "รองเท้", "کتاب", "জুতা",
                     "ngeh", "dâyy", "\u0301", "\u200b", "\x00", "  ", "!", "a" * 50]), max_size=80).map(" ".join)
LANGUAGE = st.sampled_from([None, "vi", "th", "ur", "bn"])


@given(TEXT, LANGUAGE)
def test_explain_gives_a_rewrite_of_the_typed_words(text, language):
    report = NORMALIZER.explain(text, language)
    out = report["text"]
    assert isinstance(out, str) and 0.0 <= report["coverage"] <= 1.0
    if out != text:  # a rewrite keeps the number of words of every unmatched stretch; spans map to known texts
        known = {fold(e["text"]) for entries in NORMALIZER.vocabulary.values() for e in entries}
        assert all(target in known for _, target, _, _ in report["spans"])
    assert NORMALIZER.explain(text, language) == report  # the memo gives what computing gives


@given(st.lists(TEXT, min_size=1, max_size=5), st.data())
def test_call_takes_one_language_per_text(texts, data):
    languages = data.draw(st.lists(LANGUAGE | st.sampled_from(["en", "xx"]), min_size=len(texts),
                                   max_size=len(texts)))
    out = NORMALIZER(texts, languages)
    assert len(out) == len(texts) and all(isinstance(t, str) for t in out)


JSON_VALUE = st.recursive(st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
                          lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner,
                                                                                      max_size=4), max_leaves=20)
ENTRY = st.fixed_dictionaries({"text": st.text(max_size=30) | JSON_VALUE},
                              optional={"romanized": st.lists(st.text(max_size=10), max_size=3) | JSON_VALUE})
FILE = st.fixed_dictionaries(
    {"vocabulary": st.dictionaries(st.sampled_from(["vi", "th", "x"]), st.lists(ENTRY, max_size=5), max_size=3)
     | JSON_VALUE},
    optional={"threshold": JSON_VALUE | st.floats(0, 1), "min_coverage": JSON_VALUE,
              "min_fuzzy_letters": JSON_VALUE | st.integers(-2, 9), "real_words": JSON_VALUE,
              "lexicon": JSON_VALUE | st.dictionaries(st.sampled_from(["vi", "th"]), st.lists(st.text(max_size=9))),
              "lexicon_min_letters": JSON_VALUE})


@given(FILE | JSON_VALUE, TEXT)
def test_loading_any_file_gives_a_normalizer_or_names_the_file(content, text):
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, NORMALIZER_FILE)
        with open(path, "w", encoding="utf-8") as f:
            json.dump(content, f)
        try:
            normalizer = LiraQueryNormalizer.from_pretrained(folder)
        except ValueError as err:
            assert path in str(err)
            return
        for language in [None, *normalizer.languages]:
            assert isinstance(normalizer.normalize(text, language), str)


@given(st.binary(max_size=200))
def test_loading_any_bytes_gives_a_normalizer_or_names_the_file(content):
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, NORMALIZER_FILE)
        with open(path, "wb") as f:
            f.write(content)
        try:
            LiraQueryNormalizer.from_pretrained(folder)
        except ValueError as err:
            assert path in str(err)
