"""`test_noisy` never adds the answer: no token added by the noise is a token of a relevant product's English title.

Checked on the real CLDR build of the session (`tiny_products_dir`) and, without the critic, on the queries of the
full CLDR corpus.
"""

import json

import pandas as pd
import pytest

from dataset_builder import LANGUAGES
from dataset_builder.card import CHANGELOG, DATASET_VERSION
from dataset_builder.critics import tokens
from dataset_builder.noise import CODE_MIX_WORDS, QueryNoiser, added_tokens, available_romanizers
from dataset_builder.writer import CORPUS_PATH, query_path


def _split(folder, language, split):
    return pd.read_parquet(f"{folder}/{query_path(language, split)}")


@pytest.fixture(scope="module")
def noisy_rows(tiny_products_dir):
    """`(language, clean row, noisy row, {product_id: title_en})` of every `test_noisy` row of the tiny build."""
    corpus = pd.read_parquet(f"{tiny_products_dir}/{CORPUS_PATH}")
    titles = dict(zip(corpus["product_id"], corpus["title_en"]))
    out = []
    for language in LANGUAGES:
        clean = {r["query_id"]: r for r in _split(tiny_products_dir, language, "test").to_dict("records")}
        noisy = _split(tiny_products_dir, language, "test_noisy").to_dict("records")
        assert len(noisy) == len(clean) > 0, language
        out += [(language, clean[r["clean_query_id"]], r, titles) for r in noisy]
    return out


def test_noise_adds_no_token_of_a_relevant_english_title(noisy_rows):
    for language, clean, noisy, titles in noisy_rows:
        answer = {t for i in clean["relevant_ids"] for t in tokens(titles[i])}
        added = added_tokens(clean["query"], noisy["query"])
        assert not added & answer, (language, clean["query"], noisy["query"], noisy["noise"])
        assert noisy["query"] != clean["query"] and list(noisy["relevant_ids"]) == list(clean["relevant_ids"])


def test_every_noise_type_appears(noisy_rows):
    expected = {"typo", "no_diacritics", "code_mix"} | ({"romanized"} if available_romanizers() else set())
    assert {noisy["noise"] for _, _, noisy, _ in noisy_rows} == expected
    for language in LANGUAGES:
        assert len({noisy["noise"] for lang, _, noisy, _ in noisy_rows if lang == language}) >= 2, language


def test_code_mix_inserts_one_word_of_the_list(noisy_rows):
    rows = [(clean, noisy) for _, clean, noisy, _ in noisy_rows if noisy["noise"] == "code_mix"]
    assert rows
    for clean, noisy in rows:
        words, parts = clean["query"].split(), noisy["query"].split()
        inserted = [parts[i] for i in range(len(parts)) if parts[:i] + parts[i + 1 :] == words]
        assert inserted and inserted[0] in CODE_MIX_WORDS, (clean["query"], noisy["query"])
        assert added_tokens(clean["query"], noisy["query"]) <= set(CODE_MIX_WORDS)


@pytest.mark.slow
def test_full_cldr_corpus_guarantee():
    """Every query of the full CLDR corpus: the noise adds no token of a relevant title; code_mix names no product."""
    from dataset_builder.products import select_cldr_products
    from dataset_builder.queries import build_queries
    from dataset_builder.sources import ensure_sources

    products = select_cldr_products(ensure_sources(None), LANGUAGES)
    titles = {p.product_id: p.title_en for p in products}
    vocabulary = {t for p in products for text in (p.title_en, *p.keywords_en) for t in tokens(text)}
    for language in LANGUAGES:
        noiser = QueryNoiser(language, 13, forbidden_words=[t for p in products for t in (p.title_en, *p.keywords_en)])
        assert noiser.code_mix_words and not set(noiser.code_mix_words) & vocabulary
        for query in build_queries(products, language, 10000, True, 13):
            text, noise = noiser(query.query_id, query.query, [titles[i] for i in query.relevant])
            added = added_tokens(query.query, text)
            assert text != query.query and noise in noiser.types, (language, query.query)
            assert not added & {t for i in query.relevant for t in tokens(titles[i])}, (language, query.query, text)
            if noise == "code_mix":
                assert len(added) <= 1 and added <= set(noiser.code_mix_words), (language, query.query, text)


def test_card_and_stats_carry_the_version(tiny_products_dir):
    assert DATASET_VERSION == CHANGELOG[0][0] == "2.3.0"
    assert [v for v, _ in CHANGELOG] == ["2.3.0", "2.2.1", "2.2.0", "2.1.0", "2.0.0", "1.0.0"]
    with open(f"{tiny_products_dir}/lira_build.json", encoding="utf-8") as f:
        assert json.load(f)["version"] == DATASET_VERSION
    card = open(f"{tiny_products_dir}/README.md", encoding="utf-8").read()
    assert f"Version {DATASET_VERSION}" in card and "## Changelog" in card
    assert card.index("* 2.3.0: ") < card.index("* 2.2.1: ") < card.index("* 2.2.0: ") < card.index("* 2.1.0: ") < card.index("* 2.0.0: ") < card.index("* 1.0.0: ")
    assert "head word" not in card.split("## Noisy test variant")[1].split("## Splits")[0]
