"""LiraQueryNormalizer: romanized, unaccented and misspelt queries rewritten into the vocabulary; clean ones kept."""

import json

import pytest

from dataset_builder.noise import _romanizer
from modeling_lira import LiraProcessor, LiraQueryNormalizer
from modeling_lira.query_normalizer import NORMALIZER_FILE
from tests.fixtures_model import WORDS, make_word_tokenizer
from dataset_builder.normalizer import build_query_normalizer, build_vocabulary, vocabulary_texts

VI = ["tai nghe không dây", "giày chạy bộ", "ấm đun nước"]
TH = ["รองเท้า", "หูฟัง", "กาน้ำชา"]
UR = ["کتاب", "جوتے"]


@pytest.fixture(scope="module")
def normalizer():
    vocabulary = {"vi": build_vocabulary(VI, "vi", progress=False), "th": build_vocabulary(TH, "th", progress=False),
                  "ur": build_vocabulary(UR, "ur", progress=False)}  # fmt: skip
    return LiraQueryNormalizer(vocabulary)


def test_vocabulary_holds_texts_their_words_and_romanized_forms():
    entries = build_vocabulary(VI + ["Tai nghe  không dây"], "vi", progress=False)
    texts = [e["text"] for e in entries]
    assert texts[0] == "tai nghe không dây" and "nghe" in texts and "dây" in texts  # twice: most frequent first
    assert len(texts) == len(set(texts))  # folded duplicates kept once
    assert all(e["romanized"] == [] for e in entries)  # Latin script: nothing to romanize
    (thai,) = [e for e in build_vocabulary(["รองเท้า"], "th", progress=False)]
    assert thai["romanized"] == [_romanizer("th")("รองเท้า").lower()] and thai["romanized"][0].isascii()
    thai_words = [e["text"] for e in build_vocabulary(["สมุนไพรสุขภาพ"], "th", progress=False)]
    assert thai_words == ["สมุนไพรสุขภาพ", "สมุนไพร", "สุขภาพ"]  # Thai has no spaces: the segmenter finds the words


@pytest.mark.parametrize("language, clean", [("th", "รองเท้า"), ("th", "กาน้ำชา"), ("ur", "کتاب")])
def test_romanized_queries_come_back_in_their_script(normalizer, language, clean):
    typed = _romanizer(language)(clean)
    assert typed.isascii() and typed != clean
    assert normalizer.normalize(typed, language) == clean
    assert normalizer.normalize(typed.upper()) == clean  # language unknown: every vocabulary is tried
    assert normalizer.explain(typed, language)["spans"][0][2] == "romanized"


def test_unaccented_misspelt_and_code_mixed_queries(normalizer):
    assert normalizer.normalize("tai nghe khong day", "vi") == "tai nghe không dây"
    assert normalizer.normalize("giay chay bo", "vi") == "giày chạy bộ"
    assert normalizer.normalize("tai ngeh không dây", "vi") == "tai nghe không dây"  # a swapped pair of letters
    assert normalizer.normalize("tai nghe khong dy", "vi") == "tai nghe không dây"  # a letter left out, no marks
    assert normalizer.normalize("tai nghe không dâyy", "vi") == "tai nghe không dây"
    assert normalizer.explain("tai ngeh không dây", "vi")["spans"][0][2] == "fuzzy"
    assert normalizer.normalize("cheap giay chay bo", "vi") == "cheap giày chạy bộ"  # the English word stays
    assert normalizer.normalize("กาน้ำชชา", "th") == "กาน้ำชา"  # a letter typed twice
    assert normalizer.normalize("หูฟังง", "th") == "หูฟังง"  # under 5 letters: too short to tell a slip from a word


def test_a_shared_unaccented_form_goes_to_the_most_frequent_word():
    texts = ["đáy biển", "dây cáp", "dây chuyền", "dây sạc"]
    vocabulary = {"vi": build_vocabulary(texts, "vi", progress=False)}
    assert LiraQueryNormalizer(vocabulary).normalize("day sac", "vi") == "dây sạc"
    assert LiraQueryNormalizer(vocabulary).normalize("day bien", "vi") == "đáy biển"  # the whole text wins


def test_clean_and_unknown_queries_are_returned_as_typed(normalizer):
    for text in ["Tai nghe không dây", "giày chạy bộ", "xyz qwerty", "tai xyz qwerty abc"]:
        assert normalizer.normalize(text, "vi") == text  # all-exact, or under min_coverage
    assert normalizer(["khong day", "rongthao"], ["en", None]) == ["khong day", "รองเท้า"]  # "en": no vocabulary
    assert normalizer.normalize("   ", "vi") == "   "
    assert normalizer.normalize("giày chạy bộ, tai nghe", "vi") == "giày chạy bộ, tai nghe"  # punctuation is no typo
    cows = LiraQueryNormalizer({"vi": build_vocabulary(["thịt bò"], "vi", progress=False)})
    assert cows.normalize("thit bo", "vi") == "thịt bò"  # typed without marks: restored
    assert cows.normalize("thịt bồ", "vi") == "thịt bồ"  # typed with other marks: another word, left alone
    suot = LiraQueryNormalizer({"vi": build_vocabulary(["mở trong sọt", "ấm đun nước"], "vi", progress=False)})
    assert suot.normalize("mở trong suốt", "vi") == "mở trong suốt"  # a real word is not a slip of another
    assert suot.normalize("ấm đun nưc", "vi") == "ấm đun nước"  # ... but a letter left out is


def test_bad_input_names_the_value_and_the_fix(normalizer):
    with pytest.raises(ValueError, match="threshold=0"):
        LiraQueryNormalizer({"vi": []}, threshold=0)
    with pytest.raises(ValueError, match="non-empty"):
        LiraQueryNormalizer({})
    with pytest.raises(ValueError, match="'de' has no vocabulary"):
        normalizer.normalize("abc", "de")
    with pytest.raises(ValueError, match="2 languages for 1 texts"):
        normalizer(["abc"], ["vi", "th"])


def test_save_load_and_the_processor_applies_it(tmp_path, normalizer):
    assert LiraQueryNormalizer.from_pretrained(str(tmp_path)) is None  # a model without one
    proc = LiraProcessor(tokenizer=make_word_tokenizer(WORDS), english_tokenizer=make_word_tokenizer(WORDS),
                         num_candidates=3, max_length=16, candidate_max_length=8)
    raw = proc(["tai nghe khong day"], languages=["vi"])["input_ids"]
    proc.query_normalizer = normalizer
    fixed = proc(["tai nghe khong day"], languages=["vi"])["input_ids"]
    assert fixed.tolist() == proc(["tai nghe không dây"], languages=["vi"], normalize=False)["input_ids"].tolist()
    assert fixed.tolist() != raw.tolist()
    assert proc(["tai nghe khong day"], languages=["vi"], normalize=False)["input_ids"].tolist() == raw.tolist()
    passage = proc(["tai nghe khong day"], languages=["en"], text_type="passage")["input_ids"]
    assert passage.tolist() != fixed.tolist()  # passages are never rewritten
    proc.save_pretrained(str(tmp_path))
    with open(tmp_path / NORMALIZER_FILE, encoding="utf-8") as f:
        assert json.load(f)["vocabulary"] == normalizer.vocabulary
    assert "query_normalizer" not in json.loads((tmp_path / "processor_config.json").read_text())
    again = LiraProcessor.from_pretrained(str(tmp_path))
    assert again.query_normalizer.normalize("tai nghe khong day", "vi") == "tai nghe không dây"
    again.query_normalizer = None
    with pytest.raises(ValueError, match="no query normalizer"):
        again(["abc"], normalize=True)


def test_vocabulary_never_reads_test_rows(tiny_products_dir):
    """Titles of the catalogue plus clean train/validation queries only; a test-only query text is absent."""
    from lira_utils.dataset import load_corpus, load_split

    for lang in ("th", "vi"):
        known = set(vocabulary_texts(tiny_products_dir, lang))
        train_val = train_val_texts(tiny_products_dir, lang)
        titles = {p["titles"][lang] for p in load_corpus(tiny_products_dir)}
        assert known <= train_val | titles
        test_only = {r["query"] for r in load_split(tiny_products_dir, lang, "test")} - train_val - titles
        noisy = {r["query"] for r in load_split(tiny_products_dir, lang, "test_noisy")} - train_val - titles
        assert test_only and noisy and not (known & (test_only | noisy))
    strict = set(vocabulary_texts(tiny_products_dir, "th", ("train", "validation")))
    test_titles = {p["titles"]["th"] for p in load_corpus(tiny_products_dir) if p["split"] == "test"}
    assert test_titles and not (strict & (test_titles - train_val_texts(tiny_products_dir, "th")))
    built = build_query_normalizer(tiny_products_dir, ["th"], progress=False)
    thai = set(vocabulary_texts(tiny_products_dir, "th"))
    assert built.languages == ["th"] and {e["text"] for e in built.vocabulary["th"]} >= {t.lower() for t in thai}
    with pytest.raises(ValueError, match="not product splits"):
        vocabulary_texts(tiny_products_dir, "th", ("test_noisy",))


def train_val_texts(dataset, lang):
    from lira_utils.dataset import load_split

    return {r["query"] for s in ("train", "validation") for r in load_split(dataset, lang, s)}


def test_letters_keep_marks_and_conjuncts_together():
    from modeling_lira.query_normalizer import letters, one_slip

    assert letters("กาน้ำชา") == ["ก", "า", "น้", "ำ", "ช", "า"]
    assert letters("লক্ষ্মী") == ["ল", "ক্ষ্ম", "ী"] or letters("লক্ষ্মী")[1].startswith("ক্ষ")
    assert one_slip(letters("লক্ষ্মীপুর"), letters("লক্ষ্মীপুরর")) and not one_slip(letters("abc"), letters("abc"))
    assert one_slip(list("headphnoes"), list("headphones")) and not one_slip(list("headphxnes"), list("headphones"))


def test_known_words_are_never_corrected():
    vocabulary = {"id": build_vocabulary(["kencan buta"], "id", progress=False)}
    assert LiraQueryNormalizer(vocabulary).normalize("kencang", "id") == "kencan"  # a real word, "corrected"
    guarded = LiraQueryNormalizer(vocabulary, known_word=lambda word: word == "kencang")
    assert guarded.normalize("kencang", "id") == "kencang"  # known to the language: left alone
    assert guarded.normalize("kencna", "id") == "kencan"  # a slip still is corrected


@pytest.mark.slow
def test_one_piece_words_and_the_processor_use_the_real_tokenizer(lira_small_dir, tmp_path):
    from modeling_lira.query_normalizer import one_piece_words

    proc = LiraProcessor.from_pretrained(lira_small_dir)
    known = one_piece_words(proc.tokenizer)
    assert known("alarm") and known("รองเท้า") and not known("kencnag")
    proc.query_normalizer = LiraQueryNormalizer({"id": build_vocabulary(["alam liar"], "id", progress=False)})
    proc.save_pretrained(str(tmp_path))
    again = LiraProcessor.from_pretrained(str(tmp_path))
    assert again.query_normalizer.normalize("alarm", "id") == "alarm"  # one piece of e5's vocabulary: a real word
    assert again.query_normalizer.normalize("alaam liar", "id") == "alam liar"


class _Echo:
    """A stand-in evaluation system that returns the texts it is asked to encode."""

    name, candidate_mode = "echo", "none"

    def query_key(self):
        return "echo-queries"

    def document_key(self):
        return "echo-documents"

    def encode_queries(self, texts, languages=None, candidates=None, critic_scores=None):
        return list(texts)

    def encode_documents(self, products):
        return list(products)


def test_evaluation_wrapper_rewrites_queries_and_keys_the_cache(tmp_path, normalizer):
    from evaluation.normalized import NormalizedQuerySystem, load_normalizer

    with pytest.raises(ValueError, match="has no query_normalizer.json"):
        load_normalizer(str(tmp_path))
    normalizer.save_pretrained(str(tmp_path))
    loaded, digest = load_normalizer(str(tmp_path))
    wrapped = NormalizedQuerySystem(_Echo(), loaded, digest)
    assert wrapped.encode_queries(["tai nghe khong day", "rongthao"], ["vi", "th"]) == ["tai nghe không dây", "รองเท้า"]
    assert wrapped.encode_documents(["wireless headphones"]) == ["wireless headphones"]  # documents untouched
    assert (wrapped.name, wrapped.document_key()) == ("echo", "echo-documents")
    assert wrapped.query_key() != _Echo().query_key()
    other = LiraQueryNormalizer({"vi": build_vocabulary(["giày"], "vi", progress=False)})
    other.save_pretrained(str(tmp_path / "other"))
    assert NormalizedQuerySystem(_Echo(), *load_normalizer(str(tmp_path / "other"))).query_key() != wrapped.query_key()


def test_min_fuzzy_letters_per_language():
    """A 3-letter slip ("کاب" for "کتاب") is corrected only where the language's bound allows 3-letter spans
    ("کتا", dog, is a real word less its last letter: never, see EDGE_MAX_LETTERS)."""
    vocabulary = {"ur": build_vocabulary(UR, "ur", progress=False), "vi": build_vocabulary(VI, "vi", progress=False)}
    assert LiraQueryNormalizer(vocabulary).normalize("کاب", "ur") == "کاب"  # default bound: 5 letters
    assert LiraQueryNormalizer(vocabulary, min_fuzzy_letters=3).normalize("کاب", "ur") == "کتاب"
    per_language = LiraQueryNormalizer(vocabulary, min_fuzzy_letters={"ur": 3})
    assert per_language.normalize("کاب", "ur") == "کتاب"
    assert (per_language.min_letters("ur"), per_language.min_letters("vi")) == (3, 5)  # missing languages: 5
    assert per_language.normalize("giày chạyy bộ", "vi") == "giày chạy bộ"
    for bad, match in ((0, r"min_fuzzy_letters=0"), ({"bn": "3"}, r"min_fuzzy_letters\['bn'\]='3'"),
                       (True, "min_fuzzy_letters=True")):
        with pytest.raises(ValueError, match=match):
            LiraQueryNormalizer(vocabulary, min_fuzzy_letters=bad)


def test_set_min_fuzzy_letters_keeps_the_tables_and_normalizes_as_a_new_normalizer():
    """The bound chooser tries several bounds on one set of spelling tables: after each change the language
    normalizes exactly what a normalizer built with that bound does, remembered spans included."""
    vocabulary = {"ur": build_vocabulary(UR, "ur", progress=False), "vi": build_vocabulary(VI, "vi", progress=False)}
    queries = ["کاب", "کتاب", "جوت", "giày chạyy bộ", "tai nghe khong day"]
    shared = LiraQueryNormalizer(vocabulary)
    tables = shared._index("ur")
    for n in (5, 3, 4, 3, 6):
        shared.set_min_fuzzy_letters("ur", n)
        fresh = LiraQueryNormalizer(vocabulary, min_fuzzy_letters={"ur": n})
        assert [shared.normalize(q, "ur") for q in queries] == [fresh.normalize(q, "ur") for q in queries], n
        assert shared._index("ur") is tables and shared.min_letters("ur") == n and shared.min_letters("vi") == 5
    assert shared.normalize("کاب", "ur") == "کاب"  # 6: the 3-letter slip is no longer corrected
    for language, bad, match in (("bn", 3, "'bn' has no vocabulary"), ("ur", 0, r"\['ur'\]=0"),
                                 ("ur", True, "=True")):
        with pytest.raises(ValueError, match=match):
            shared.set_min_fuzzy_letters(language, bad)


def test_min_fuzzy_letters_survive_save_and_load(tmp_path):
    vocabulary = {"ur": build_vocabulary(UR, "ur", progress=False)}
    LiraQueryNormalizer(vocabulary, min_fuzzy_letters={"ur": 3}).save_pretrained(str(tmp_path))
    loaded = LiraQueryNormalizer.from_pretrained(str(tmp_path))
    assert loaded.min_fuzzy_letters == {"ur": 3} and loaded.normalize("کاب", "ur") == "کتاب"
    data = json.loads((tmp_path / NORMALIZER_FILE).read_text(encoding="utf-8"))
    del data["min_fuzzy_letters"]  # a file written before the bound was saved
    (tmp_path / NORMALIZER_FILE).write_text(json.dumps(data), encoding="utf-8")
    assert LiraQueryNormalizer.from_pretrained(str(tmp_path)).min_letters("ur") == 5


def test_cli_parses_min_fuzzy_letters():
    from dataset_builder.normalizer import parse_min_fuzzy_letters

    assert parse_min_fuzzy_letters("4") == 4 and parse_min_fuzzy_letters("auto") == "auto"
    assert parse_min_fuzzy_letters("bn=3,ur=4") == {"bn": 3, "ur": 4}
    with pytest.raises(ValueError, match="'bn=three'"):
        parse_min_fuzzy_letters("bn=three")


def test_cli_writes_the_bounds_and_sends_auto_to_the_chooser(tmp_path, tiny_products_dir, capsys):
    from dataset_builder.normalizer import main

    main(["--model", str(tmp_path), "--dataset", tiny_products_dir, "--languages", "bn,ur",
          "--min-fuzzy-letters", "bn=3"])
    assert json.loads(capsys.readouterr().out)["min_fuzzy_letters"] == {"bn": 3}
    loaded = LiraQueryNormalizer.from_pretrained(str(tmp_path))
    assert (loaded.min_letters("bn"), loaded.min_letters("ur")) == (3, 5)
    with pytest.raises(ValueError, match="python -m dataset_builder.normalizer_letters"):
        main(["--model", str(tmp_path), "--dataset", tiny_products_dir, "--min-fuzzy-letters", "auto"])


def test_real_words_are_the_lexicons_slips_of_vocabulary_words():
    """`real_words` keeps the wordfreq words one slip from a one-word vocabulary entry, and only those."""
    from dataset_builder.normalizer import real_words

    entries = build_vocabulary(["kencan buta", "sepatu lari"], "id", progress=False)
    words = real_words(entries, "id")
    assert {"kencang", "buat", "but"} <= set(words)  # real words: a letter too many / two swapped / one missing
    assert "kencan" not in words and "rumah" not in words  # a vocabulary word no slip away from another; unrelated
    assert words == sorted(set(words)) and real_words(entries, "id", min_zipf=7.0) == []  # none that frequent
    assert real_words(build_vocabulary(TH, "th", progress=False), "th") == []  # wordfreq has no Thai list


def test_real_words_are_never_corrected_and_survive_save_and_load(tmp_path):
    vocabulary = {"id": build_vocabulary(["kencan buta"], "id", progress=False)}
    guarded = LiraQueryNormalizer(vocabulary, real_words={"id": ["kencang"]})
    assert LiraQueryNormalizer(vocabulary).normalize("kencang", "id") == "kencan"
    assert guarded.normalize("kencang", "id") == "kencang" and guarded.normalize("kencna", "id") == "kencan"
    assert guarded.normalize("kencang buta", "id") == "kencan buta"  # a known phrase one slip away: context decides
    guarded.save_pretrained(str(tmp_path))
    assert LiraQueryNormalizer.from_pretrained(str(tmp_path)).normalize("kencang", "id") == "kencang"
    data = json.loads((tmp_path / NORMALIZER_FILE).read_text(encoding="utf-8"))
    del data["real_words"]  # a file written before real words were saved
    (tmp_path / NORMALIZER_FILE).write_text(json.dumps(data), encoding="utf-8")
    assert LiraQueryNormalizer.from_pretrained(str(tmp_path)).normalize("kencang", "id") == "kencan"
    with pytest.raises(ValueError, match="real_words must be"):
        LiraQueryNormalizer(vocabulary, real_words={"id": "kencang"})


def test_saved_normalizer_carries_real_words(tmp_path, tiny_products_dir):
    from dataset_builder.normalizer import save_query_normalizer

    save_query_normalizer(str(tmp_path), tiny_products_dir, ["bn", "th"])
    loaded = LiraQueryNormalizer.from_pretrained(str(tmp_path))
    assert loaded.real_words.get("bn") and "th" not in loaded.real_words  # Bengali has a lexicon, Thai none
    vocabulary = {e["text"] for e in loaded.vocabulary["bn"]}
    assert all(loaded.normalize(word, "bn") == word for word in loaded.real_words["bn"][:50] if word not in vocabulary)


def test_a_swap_inside_a_short_word_is_found_without_shared_trigrams():
    """"جگنل" (two letters of "جنگل", jungle, swapped) shares no character 3-gram with it; the one-slip keys of short
    forms find it, and 0.7, the ratio of a swap in 4 letters (0.75), lets it through."""
    from modeling_lira.query_normalizer import slip_keys, trigrams

    vocabulary = {"ur": build_vocabulary(["جنگل سدا بہار", "چائے پیالہ"], "ur", progress=False)}
    assert not (trigrams("جگنل") & trigrams("جنگل")) and slip_keys(list("جگنل")) & slip_keys(list("جنگل"))
    normalizer = LiraQueryNormalizer(vocabulary, min_fuzzy_letters=4)
    assert normalizer.normalize("جگنل", "ur") == "جنگل" and normalizer.normalize("پیلاہ", "ur") == "پیالہ"
    assert LiraQueryNormalizer(vocabulary, min_fuzzy_letters=4, threshold=0.8).normalize("جگنل", "ur") == "جگنل"
