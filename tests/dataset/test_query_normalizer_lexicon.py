"""LiraQueryNormalizer's lexicon: long misspelt words the shop lacks are corrected into real words of the language."""

import json

import pytest

from modeling_lira import LiraQueryNormalizer
from modeling_lira.query_normalizer import NORMALIZER_FILE
from dataset_builder.normalizer import build_vocabulary, lexicon_words

ID_TEXTS = ["kencan buta", "sepatu lari"]


@pytest.fixture(scope="module")
def vocabulary():
    return {"id": build_vocabulary(ID_TEXTS, "id", progress=False)}


def test_lexicon_words_are_long_frequent_words_the_vocabulary_lacks(vocabulary):
    words = lexicon_words(vocabulary["id"], "id")
    assert {"rumah", "kencang", "besar"} <= set(words) and words == sorted(set(words))
    assert "kencan" not in words and "sepatu" not in words  # the vocabulary spells them already
    assert "buku" not in words and "buku" in lexicon_words(vocabulary["id"], "id", min_letters=4)  # 4 letters
    assert not any(ch.isdigit() for w in words for ch in w) and lexicon_words(vocabulary["id"], "id", 7.5) == []
    assert lexicon_words(build_vocabulary(["รองเท้า"], "th", progress=False), "th") == []  # wordfreq has no Thai


def test_a_long_misspelt_word_the_shop_lacks_becomes_the_lexicon_word(vocabulary):
    plain = LiraQueryNormalizer(vocabulary)
    lexical = LiraQueryNormalizer(vocabulary, lexicon={"id": ["rumah", "kencang", "besar", "buku"]})
    assert plain.normalize("rumha", "id") == "rumha" and lexical.normalize("rumha", "id") == "rumah"  # a swap
    assert lexical.normalize("sepatu lari rumahh", "id") == "sepatu lari rumah"  # a letter typed twice
    assert lexical.explain("rumha", "id")["spans"] == [("rumha", "rumah", "fuzzy", 0.8)]
    assert lexical.normalize("bkuu", "id") == "bkuu"  # under 5 letters: a lexicon word is no correction
    short = LiraQueryNormalizer(vocabulary, lexicon={"id": ["buku"]}, lexicon_min_letters=4, min_fuzzy_letters=4)
    assert short.normalize("bkuu", "id") == "buku"


def test_slip_kinds_and_only_swaps_and_doubled_letters_are_lexicon_corrections(vocabulary):
    from modeling_lira.spelling_index import slip_kind

    cases = {"rumha": "swap", "ruah": "missing", "rumahh": "doubled", "rrumah": "doubled", "rumxah": "extra",
             "rumah": None, "rmha": None, "rumahku": None}
    assert {typed: slip_kind(list(typed), list("rumah")) for typed in cases} == cases
    lexical = LiraQueryNormalizer(vocabulary, lexicon={"id": ["serambi", "kencang"]})
    assert lexical.normalize("serabi", "id") == "serabi"  # a pancake, not "serambi" (a porch) less a letter
    assert lexical.normalize("serambis", "id") == "serambis"  # nor a letter more ("trunks" is no slip of "trunk")
    assert lexical.normalize("serambi, kencang", "id") == "serambi, kencang"  # nor a comma after a lexicon word
    assert lexical.normalize("serammbi", "id") == "serambi" and lexical.normalize("sreambi", "id") == "serambi"
    assert lexical.normalize("kencn", "id") == "kencan"  # the shop's own words: a missing letter is a slip


def test_the_shops_vocabulary_comes_before_the_lexicon(vocabulary):
    lexical = LiraQueryNormalizer(vocabulary, lexicon={"id": ["kencang"]})
    assert lexical.normalize("kencagn", "id") == "kencan"  # one slip from "kencan" (shop) and "kencang" (lexicon)
    other = {"id": build_vocabulary(["sepatu lari"], "id", progress=False)}
    assert LiraQueryNormalizer(other, lexicon={"id": ["kencang"]}).normalize("kencagn", "id") == "kencang"


def test_lexicon_words_are_real_and_count_as_known(vocabulary):
    lexical = LiraQueryNormalizer(vocabulary, lexicon={"id": ["kencang", "rumah", "besar"]}, min_fuzzy_letters=3)
    assert LiraQueryNormalizer(vocabulary).normalize("kencang", "id") == "kencan"  # a real word, "corrected"
    assert lexical.normalize("kencang", "id") == "kencang"  # a lexicon word is a real word: left alone
    assert lexical.normalize("kencang buta", "id") == "kencan buta"  # a known phrase one slip away: context decides
    typed = "rumah besar lrai"  # one word of three matches the shop; the other two are words of the language
    assert LiraQueryNormalizer(vocabulary, min_fuzzy_letters=3).normalize(typed, "id") == typed  # coverage 1/3
    assert lexical.normalize(typed, "id") == "rumah besar lari" and lexical.explain(typed, "id")["coverage"] == 1.0


def test_lexicon_survives_save_and_load_and_bad_values_are_named(tmp_path, vocabulary):
    lexical = LiraQueryNormalizer(vocabulary, lexicon={"id": ["rumah"]}, lexicon_min_letters=4)
    lexical.save_pretrained(str(tmp_path))
    loaded = LiraQueryNormalizer.from_pretrained(str(tmp_path))
    assert loaded.lexicon == {"id": ["rumah"]} and loaded.lexicon_min_letters == 4
    assert loaded.normalize("rumha", "id") == "rumah"
    data = json.loads((tmp_path / NORMALIZER_FILE).read_text(encoding="utf-8"))
    del data["lexicon"], data["lexicon_min_letters"]  # a file written before the lexicon was saved
    (tmp_path / NORMALIZER_FILE).write_text(json.dumps(data), encoding="utf-8")
    old = LiraQueryNormalizer.from_pretrained(str(tmp_path))
    assert old.lexicon == {} and old.lexicon_min_letters == 5 and old.normalize("rumha", "id") == "rumha"
    with pytest.raises(ValueError, match="lexicon must be"):
        LiraQueryNormalizer(vocabulary, lexicon={"id": "rumah"})
    with pytest.raises(ValueError, match="lexicon_min_letters=0"):
        LiraQueryNormalizer(vocabulary, lexicon_min_letters=0)


def test_saved_normalizer_carries_the_lexicon(tmp_path, tiny_products_dir):
    from dataset_builder.normalizer import save_query_normalizer

    summary = save_query_normalizer(str(tmp_path), tiny_products_dir, ["bn", "th"])
    loaded = LiraQueryNormalizer.from_pretrained(str(tmp_path))
    assert summary["lexicon"] == {"bn": len(loaded.lexicon["bn"])} and loaded.lexicon["bn"]  # Thai has none
    vocabulary = {e["text"] for e in loaded.vocabulary["bn"]}
    assert not vocabulary & set(loaded.lexicon["bn"])
    assert all(loaded.normalize(word, "bn") == word for word in loaded.lexicon["bn"][:50])  # real words stay
    save_query_normalizer(str(tmp_path), tiny_products_dir, ["bn"], lexicon=False)
    assert LiraQueryNormalizer.from_pretrained(str(tmp_path)).lexicon == {}
