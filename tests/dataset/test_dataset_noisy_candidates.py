"""`test_noisy` candidates are made from the noisy text: the dictionary translator reads only what was typed, the
critic scores against the noisy text, the clean splits do not move, and no test query enters the vocabulary."""

import filecmp
import json

import pandas as pd
import pytest

from dataset_builder import LANGUAGES, build_cldr_dataset
from dataset_builder.candidates import CandidateGenerator, EnglishAligner
from dataset_builder.noise import _romanizer, available_romanizers, strip_diacritics
from dataset_builder.noisy_translation import NOISY_SOURCES, LiraNoisyTranslator, TranslatorEntry
from dataset_builder.products import select_cldr_products
from dataset_builder.queries import real_queries
from dataset_builder.schema import CANDIDATE_SOURCES
from dataset_builder.sources import ensure_sources
from dataset_builder.writer import query_path

CLEAN_SPLITS = ("train", "validation", "test")


class _FakeCritic:
    """Deterministic critic that records every call (no encoder, so builds take seconds)."""

    name = "fake"
    description = "fake critic for tests"
    reads_reference = False

    def __init__(self):
        self.calls = []

    def score(self, queries, candidates, languages, references=None):
        self.calls.append((list(queries), [list(c) for c in candidates], list(languages)))
        return [[[1.0 + len(q) % 9, 1.0 + len(c) % 9, 5.0] for c in cands] for q, cands in zip(queries, candidates)]


def _rows(folder, language, split):
    return pd.read_parquet(f"{folder}/{query_path(language, split)}").to_dict("records")


@pytest.fixture(scope="module")
def thai_translator():
    """`(translator, products, generator)` for Thai over 80 CLDR products, every term in the vocabulary."""
    products = select_cldr_products(ensure_sources(None), LANGUAGES, 80)
    generator = CandidateGenerator(products, "th", 4, 13, EnglishAligner(products))
    return LiraNoisyTranslator.from_build(products, "th", generator, []), products, generator


@pytest.mark.slow
def test_clean_splits_are_byte_identical_and_noisy_rows_change(tiny_products_dir, tmp_path):
    """Same real build (e5 critic) as the session's, without noisy candidates: only `test_noisy` differs."""
    from tests.fixtures_data import TINY_PRODUCTS, TINY_QUERIES_PER_LANGUAGE

    off = build_cldr_dataset(tmp_path / "off", max_products=TINY_PRODUCTS, seed=13, progress=False,
                             max_queries_per_language=TINY_QUERIES_PER_LANGUAGE, noisy_candidates="none")  # fmt: skip
    clean = [query_path(lang, split) for lang in LANGUAGES for split in CLEAN_SPLITS]
    match, mismatch, errors = filecmp.cmpfiles(tiny_products_dir, off, clean + ["corpus/corpus-00000-of-00001.parquet"],
                                               shallow=False)  # fmt: skip
    assert len(match) == len(clean) + 1 and not mismatch and not errors
    for lang in LANGUAGES:
        translated, empty = _rows(tiny_products_dir, lang, "test_noisy"), _rows(off, lang, "test_noisy")
        assert [r["query"] for r in translated] == [r["query"] for r in empty]
        assert all(not len(r["candidates"]) and not len(r["critic_scores"]) for r in empty)
        assert sum(bool(len(r["candidates"])) for r in translated) > 0.5 * len(translated), lang
    card = open(f"{off}/README.md", encoding="utf-8").read()
    assert "noisy_candidates='none'" in card


def test_translator_sees_only_the_noisy_text_and_the_critic_scores_it(tmp_path, monkeypatch):
    calls, built = [], []
    translate, from_build = LiraNoisyTranslator.translate, LiraNoisyTranslator.from_build.__func__

    def spy_translate(self, *args, **kwargs):
        calls.append((self.language, args, kwargs))
        return translate(self, *args, **kwargs)

    def spy_from_build(cls, products, language, generator, known_queries, **kwargs):
        known_queries = list(known_queries)
        built.append((language, known_queries))
        return from_build(cls, products, language, generator, known_queries, **kwargs)

    monkeypatch.setattr(LiraNoisyTranslator, "translate", spy_translate)
    monkeypatch.setattr(LiraNoisyTranslator, "from_build", classmethod(spy_from_build))
    critic = _FakeCritic()
    out = build_cldr_dataset(tmp_path / "b", languages=["th", "vi"], max_products=40, max_queries_per_language=150,
                             critic=critic, progress=False)  # fmt: skip
    for lang in ("th", "vi"):
        test = _rows(out, lang, "test")
        noisy = {r["query_id"]: r for r in _rows(out, lang, "test_noisy")}
        clean_texts = {r["query"] for r in test}
        seen = [args for language, args, kwargs in calls if language == lang]
        assert not any(kwargs for language, _, kwargs in calls if language == lang)
        assert sorted(key for _, key in seen) == sorted(noisy)  # one call per noisy row, by its id
        for text, key in seen:  # the typed text and the row id, nothing else (no labels, no clean text)
            assert text == noisy[key]["query"] and text not in clean_texts
        known = dict(built)[lang]
        assert {split for _, split, *_ in known} <= {"train", "validation"}
        assert not {text for text, *_ in known} & clean_texts
    # the clean rows are scored first, every language, then the noisy rows with the noisy text as the source
    assert len(critic.calls) == 4
    for (queries, candidates, languages), lang in zip(critic.calls, ("vi", "th", "vi", "th")):
        assert set(languages) == {lang}
    for queries, candidates, languages in critic.calls[2:]:
        lang = languages[0]
        rows = [r for r in _rows(out, lang, "test_noisy") if len(r["candidates"])]
        assert sorted(queries) == sorted(r["query"] for r in rows)
        by_text = {r["query"]: list(r["candidates"]) for r in rows}
        assert all(by_text[q] == c for q, c in zip(queries, candidates))
    stats = json.loads((out / "lira_build.json").read_text(encoding="utf-8"))
    for lang in ("th", "vi"):
        rows = _rows(out, lang, "test_noisy")
        per = stats["noisy_candidates"][lang]
        assert sum(v["rows"] for v in per.values()) == len(rows)
        assert sum(v["with_candidates"] for v in per.values()) == sum(bool(len(r["candidates"])) for r in rows)
        for row in rows:
            assert set(row["candidate_sources"]) <= set(CANDIDATE_SOURCES)
            assert not len(row["candidates"]) or set(row["candidate_sources"]) & set(NOISY_SOURCES)
            assert not {"aligned_name", "aligned_keyword", "aligned_parts"} & set(row["candidate_sources"])


@pytest.mark.skipif("th" not in available_romanizers(), reason="pythainlp not installed")
def test_romanized_thai_query_gets_the_candidates_of_the_entry_it_matches(thai_translator):
    translator, products, generator = thai_translator
    terms = [q for q in real_queries(products, "th") if q.kind == "name"][:2]
    for query in terms:
        typed = _romanizer("th")(query.query)
        found = translator.translate(typed, "th-x~romanized")
        candidates, sources, _ = generator(query)
        assert found.method == "romanized" and found.spans[0][1] == query.query
        assert found.candidates == candidates[:4]
        assert [s for s in found.sources if s.startswith("noisy_")] and "aligned_name" not in found.sources
        assert products[[p.product_id for p in products].index(next(iter(query.relevant)))].title_en in candidates
    first, second = (translator.translate(_romanizer("th")(q.query), "k").candidates for q in terms)
    assert first != second  # a different typed text, different candidates
    assert translator.translate("qqqq zzzz", "k").candidates == []  # nothing matches: candidate mode not applicable


def test_each_noise_type_is_read_by_its_normalisation(thai_translator):
    translator, products, generator = thai_translator
    query = next(q for q in real_queries(products, "th") if len(q.query) >= 6 and " " not in q.query)
    exact = translator.translate(query.query, "k")
    assert exact.method == "exact" and exact.coverage == 1.0
    typo = translator.translate(query.query[0] + query.query, "k")  # a duplicated first letter
    assert typo.method == "fuzzy" and typo.candidates == exact.candidates and typo.spans[0][3] >= 0.8
    mixed = translator.translate(f"cheap {query.query}", "k")
    assert mixed.method == "exact" and mixed.candidates == exact.candidates and mixed.coverage == 0.5
    toned = next(q for q in real_queries(products, "th") if strip_diacritics(q.query, "th") != q.query
                 and strip_diacritics(q.query, "th") not in translator.exact)  # fmt: skip
    assert translator.translate(strip_diacritics(toned.query, "th"), "k").method == "unaccented"
    # a composed text is translated span by span, joined in order
    a, b = [q for q in real_queries(products, "th") if q.kind == "name" and " " not in q.query][:2]
    both = translator.translate(f"{a.query} {b.query}", "key")
    english = [translator.entries[translator.exact[t.query]].english for t in (a, b)]
    assert both.method == "exact" and " ".join(english) in both.candidates
    assert both.candidates == translator.translate(f"{a.query} {b.query}", "key").candidates  # seeded


def test_spans_are_matched_by_the_normalizers_spelling_index(thai_translator):
    """One span matcher: a typo one slip from a term is read back, two slips are not (the normalizer's rule), and the
    segmentation is the index's own, mapped to the translator's entries."""
    from modeling_lira.spelling_index import LiraSpellingIndex

    translator, products, _ = thai_translator
    assert isinstance(translator.index, LiraSpellingIndex)
    term = next(q.query for q in real_queries(products, "th") if len(q.query) >= 8 and " " not in q.query)
    one = term[:3] + term[4] + term[3] + term[5:]  # neighbours swapped
    two = one[:-3] + one[-2] + one[-3] + one[-1]  # and a second swap
    assert translator.translate(one, "k").spans == [(one, term, "fuzzy", translator.translate(one, "k").spans[0][3])]
    assert translator.translate(two, "k").method is None
    words = f"{term} {term}".split()
    assert [(i, j, translator.entries[e].text, m) for i, j, e, m, _ in translator.spans(words)] == [
        (i, j, text, m) for i, j, text, m, _ in translator.index.segment(words)[1]]


def test_a_word_typed_inside_a_term_is_skipped(thai_translator):
    """Code-mixing: an English word typed inside a two-word term leaves the term to match whole (not word by word,
    and not as nothing), with the coverage of the words typed."""
    _, products, _ = thai_translator
    generator = CandidateGenerator(products, "id", 4, 13, EnglishAligner(products))
    translator = LiraNoisyTranslator.from_build(products, "id", generator, [])
    terms = [q for q in real_queries(products, "id") if len(q.query.split()) == 2
             and not set(q.query.split()) & set(translator.exact)][:3]  # neither word a term of its own
    assert terms
    for query in terms:
        first, second = query.query.split()
        found = translator.translate(f"{first} cheap {second}", "k")
        assert found.spans == [(query.query, query.query, "exact", 1.0)] and found.coverage == 2 / 3
        assert found.candidates == translator.translate(query.query, "k").candidates


def test_no_test_query_enters_the_vocabulary_as_a_query(tiny_products_dir):
    """Composed test queries are nowhere in the vocabulary; a real test query only as the catalogue term it is."""
    from dataset_builder.splits import assign_query, check_fractions, split_products
    from dataset_builder.queries import build_queries
    from tests.fixtures_data import TINY_PRODUCTS, TINY_QUERIES_PER_LANGUAGE

    products = select_cldr_products(ensure_sources(None), LANGUAGES, TINY_PRODUCTS)
    product_split = split_products(products, 13, check_fractions(None))
    aligner = EnglishAligner(products)
    for lang in LANGUAGES:
        generator = CandidateGenerator(products, lang, 4, 13, aligner)
        known = []
        for query in build_queries(products, lang, TINY_QUERIES_PER_LANGUAGE, True, 13):
            split, _ = assign_query(query.relevant, product_split)
            if split in ("train", "validation"):
                known.append((query.query, split, query.kind, *generator(query)))
        translator = LiraNoisyTranslator.from_build(products, lang, generator, known)
        vocabulary = translator.vocabulary()
        test = _rows(tiny_products_dir, lang, "test")
        assert test and set(vocabulary.values()) <= {"term", "train", "validation"}
        for row in test:
            if row["composed"]:
                assert row["query"] not in vocabulary, (lang, row["query"])
            elif row["query"] in vocabulary:
                assert vocabulary[row["query"]] == "term", (lang, row["query"])
        strict = LiraNoisyTranslator.from_build(products, lang, generator, known,
                                                exclude_texts=[r["query"] for r in test])  # fmt: skip
        assert not {r["query"] for r in test} & set(strict.vocabulary())
        with pytest.raises(ValueError, match="only train and validation"):
            LiraNoisyTranslator.from_build(products, lang, generator, [(test[0]["query"], "test", "name", [], [], [])])


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"threshold": 0}, "threshold=0"),
        ({"threshold": 1.5}, "threshold=1.5"),
        ({"min_coverage": -1}, "min_coverage=-1"),
        ({"num_candidates": 0}, "num_candidates=0"),
        ({"language": "xx"}, "'xx'"),
    ],
)
def test_bad_settings_raise(kwargs, match):
    entry = TranslatorEntry("ร่ม", "term", ["umbrella"], ["aligned_name"], ["umbrella"], "umbrella")
    args = {"language": "th", "entries": [entry], **kwargs}
    with pytest.raises(ValueError, match=match):
        LiraNoisyTranslator(**args)


def test_bad_input_raises(thai_translator, tmp_path):
    translator, _, _ = thai_translator
    with pytest.raises(ValueError, match="non-empty string"):
        translator.translate("  ", "k")
    with pytest.raises(ValueError, match="noisy_candidates='copy'.*'translate'"):
        build_cldr_dataset(tmp_path / "x", languages=["th"], max_products=10, noisy_candidates="copy", progress=False)
    assert not (tmp_path / "x").exists()
