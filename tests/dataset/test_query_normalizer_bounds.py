"""The query normalizer's cost is bounded for any input: exact candidate lookup without sorting the table, bounded
memos, a bounded window and query length, what the tokenizer keeps read first, and a schema check of its file."""

import json
import random

import pytest

import modeling_lira.spelling_index as tables
from modeling_lira import LiraProcessor, LiraQueryNormalizer
from modeling_lira.query_normalizer import NORMALIZER_FILE
from modeling_lira.spelling_index import _SlipTable, letters, slip_kind
from tests.fixtures_model import WORDS, make_word_tokenizer
from dataset_builder.normalizer import build_vocabulary

VI = ["tai nghe không dây", "giày chạy bộ", "ấm đun nước", "bàn phím cơ không dây", "dây sạc nhanh"]


def _one_slip_forms(table, typed):
    return {i for i, (form, _) in enumerate(table.forms) if slip_kind(typed, letters(form)) is not None}


@pytest.mark.slow
def test_candidates_hold_every_form_one_slip_away():
    """Brute force over the whole table: the 5 rarest 3-gram lists (and the short forms' one-slip keys) miss none
    of the forms one slip from a typed span, for spans of every length and every slip."""
    rng = random.Random(0)
    alphabet = "abcdeghiklmnorstuy "
    forms = sorted({"".join(rng.choice(alphabet) for _ in range(rng.randint(2, 20))).strip() for _ in range(1500)})
    forms = [f for f in forms if f]
    table = _SlipTable()
    for form in forms:
        table.add(form, form)
    checked = 0
    for form in rng.sample(forms, 300):
        spelt = letters(form)
        i = rng.randrange(len(spelt))
        for typed in (spelt[:i] + spelt[i + 1:], spelt[:i] + [rng.choice("abc")] + spelt[i:],
                      spelt[:i] + spelt[i + 1:i + 2] + spelt[i:i + 1] + spelt[i + 2:]):
            if not typed:
                continue
            want = _one_slip_forms(table, typed)
            assert want <= set(table.candidates(typed, typed)), ("".join(typed), form)
            checked += len(want)
    assert checked > 300


def test_the_slip_filter_never_says_no_to_a_form_one_slip_away():
    """`_SlipTable.may_hold` is a bit filter of every form's and text's one-slip keys: a span one slip from (or
    equal to) any of them is a "maybe"; most random spans are a "no" (it is what spares the 3-gram lookups)."""
    rng = random.Random(1)
    table = _SlipTable()
    forms = sorted({"".join(rng.choice("abcdeghik") for _ in range(rng.randint(2, 14))) for _ in range(800)})
    for form in forms:
        table.add(form, form.upper())
    for form in forms:
        spelt = letters(form)
        i = rng.randrange(len(spelt))
        for typed in (spelt, spelt[:i] + spelt[i + 1:], spelt[:i] + ["z"] + spelt[i:], letters(form.upper())):
            assert table.may_hold(tuple(typed)), ("".join(typed), form)
    strangers = ["".join(rng.choice("pqrstuvwxy") for _ in range(8)) for _ in range(500)]
    # the filter is sized to its keys (2 bits per key, at least NEAR_BITS_PER_KEY bits per key: at most 6 % of its
    # bits set): a key not in it reads two set bits with a chance under 0.4 %, a span of 9 keys under 3.3 % (16 of
    # 500 expected at most; about 10 measured)
    assert table.near_bits < tables.NEAR_BITS and sum(map(table.may_hold, map(tuple, strangers))) < 25


def _every_span_and_language(monkeypatch):
    """The normalizer with its span walk and language skipping turned off (the exhaustive search they shortcut)."""
    monkeypatch.setattr(tables.LiraSpellingIndex, "_viable_starts", lambda self, words, bare, known, start, j:
                        range(j - 1, start - 1, -1))
    monkeypatch.setattr(tables.LiraSpellingIndex, "credit_bound", lambda self, words: float("inf"))


def test_span_pruning_and_language_skipping_change_no_answer(monkeypatch):
    vocabulary = {"vi": build_vocabulary(VI, "vi", progress=False),
                  "id": build_vocabulary(["sepatu lari", "kabel data cepat", "tas ransel"], "id", progress=False)}
    rng = random.Random(2)
    pool = ["tai", "nghe", "khong", "day", "giay", "chay", "bo", "sepatu", "lari", "kabel", "data", "cepat", "tas",
            "ransel", "sepatus", "lrai", "kahbel", "nghê", "khôgn", "dâỳ", "xyz", "ban", "phim", "co"]
    texts = [" ".join(rng.choice(pool) for _ in range(rng.randint(1, 12))) for _ in range(300)]
    fast = LiraQueryNormalizer(vocabulary, known_word=lambda w: len(w) == 2)
    index = fast._index("vi")
    for text in texts:
        words = text.split()
        assert index.credit_bound(words) >= index.segment(words)[0]
    got = [fast.explain(t, lang) for t in texts for lang in ("vi", "id", None)]
    _every_span_and_language(monkeypatch)
    slow = LiraQueryNormalizer(vocabulary, known_word=lambda w: len(w) == 2)
    assert got == [slow.explain(t, lang) for t in texts for lang in ("vi", "id", None)]
    assert any(g["text"] != t for g, t in zip(got, [t for t in texts for _ in range(3)]))  # some were rewritten


def test_memos_are_bounded(monkeypatch):
    monkeypatch.setattr(tables, "MEMO_SIZE", 50)
    normalizer = LiraQueryNormalizer({"vi": build_vocabulary(VI, "vi", progress=False)},
                                     known_word=lambda w: len(w) == 2)
    letters_ = "taingheoky"  # the vocabulary's own letters: these spans are looked up, not skipped as foreign
    for n in range(400):
        word = "".join(letters_[int(d)] for d in str(n))
        normalizer.normalize(f"tai nghe {word}h khong day", "vi")
    index = normalizer._index("vi")
    assert len(index._memo) == 50 and len(index._real) <= 50
    assert normalizer.normalize("tai nghe khong day", "vi") == "tai nghe không dây"  # evicted entries recomputed


def test_work_per_query_is_bounded(monkeypatch):
    """A text of any length costs at most MAX_QUERY_WORDS x MAX_SPAN_WORDS span lookups per language; the words past
    MAX_QUERY_WORDS stay as typed, and a 60-word vocabulary entry neither widens the window nor gets indexed."""
    long_entry = " ".join(f"w{i}" for i in range(60))
    vocabulary = {"vi": build_vocabulary(VI, "vi", progress=False) + [{"text": long_entry, "romanized": []}]}
    normalizer = LiraQueryNormalizer(vocabulary)
    index = normalizer._index("vi")
    assert long_entry not in index.exact and index.max_words == 5  # "bàn phím cơ không dây"
    calls = []
    real_match = tables.LiraSpellingIndex._match
    monkeypatch.setattr(tables.LiraSpellingIndex, "_match", lambda self, *a: calls.append(a) or real_match(self, *a))
    text = " ".join(["tai nghe khong day"] * 2500)  # 10,000 words
    out = normalizer.normalize(text, "vi")
    assert len(calls) <= tables.MAX_QUERY_WORDS * tables.MAX_SPAN_WORDS
    words = out.split()
    assert len(words) == 10_000 and " ".join(words[:4]) == "tai nghe không dây"
    assert words[tables.MAX_QUERY_WORDS:] == text.split()[tables.MAX_QUERY_WORDS:]


def test_the_processor_normalizes_only_what_the_tokenizer_keeps():
    seen = []

    class Spy(LiraQueryNormalizer):
        def __call__(self, texts, languages=None):
            seen.extend(texts)
            return super().__call__(texts, languages)

    proc = LiraProcessor(tokenizer=make_word_tokenizer(WORDS), english_tokenizer=make_word_tokenizer(WORDS),
                         num_candidates=3, max_length=16, candidate_max_length=8)
    proc.query_normalizer = Spy({"vi": build_vocabulary(VI, "vi", progress=False)})
    text = "tai nghe khong day " * 2000
    enc = proc([text, "giay chay bo"], languages=["vi", "vi"])
    kept = seen[0].split()
    assert len(kept) == 12 and seen[1] == "giay chay bo"  # 16 tokens less [CLS], [SEP], "query", ":"
    assert enc["input_ids"].shape == (2, 16)
    full = proc(["tai nghe không dây " * 4], languages=["vi"], normalize=False)["input_ids"]
    assert enc["input_ids"][0].tolist() == full[0].tolist()  # the same tokens as normalizing everything would give


@pytest.mark.parametrize("content, message", [
    ("{not json", "not UTF-8 JSON"),
    ("[1, 2]", "JSON object with a 'vocabulary' key \\(found list\\)"),
    ('{"threshold": 0.7}', "found \\['threshold'\\]"),
    ('{"vocabulary": {"vi": [{"text": 5}]}}', "vocabulary\\['vi'\\]\\[0\\]=\\{'text': 5\\}"),
    ('{"vocabulary": {"vi": [{"text": "a", "romanized": "a"}]}}', "'romanized': \\[str"),
    ('{"vocabulary": {"vi": [{"text": "a"}]}, "threshold": NaN}', "threshold=nan must be a number in \\(0, 1\\]"),
])
def test_a_bad_normalizer_file_is_named(tmp_path, content, message):
    path = tmp_path / NORMALIZER_FILE
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ValueError, match=message) as err:
        LiraQueryNormalizer.from_pretrained(str(tmp_path))
    assert str(path) in str(err.value) and "python -m dataset_builder.normalizer" in str(err.value) or "NaN" in content
    path.write_bytes(b'{"vocabulary": "\xff"}')
    with pytest.raises(ValueError, match="not UTF-8 JSON"):
        LiraQueryNormalizer.from_pretrained(str(tmp_path))


def test_a_good_file_still_loads(tmp_path):
    (tmp_path / NORMALIZER_FILE).write_text(json.dumps({"vocabulary": {"vi": build_vocabulary(VI, "vi",
                                                                                               progress=False)}}))
    assert LiraQueryNormalizer.from_pretrained(str(tmp_path)).normalize("giay chay bo", "vi") == "giày chạy bộ"


def test_a_short_word_with_another_letter_in_stays_as_typed():
    """Clean words the shop lacks are often a shop word plus a letter (CLDR's "peseta" and the shop's "pesta",
    party): under EXTRA_MIN_LETTERS letters that slip is not corrected; a longer word, and the other slips, are."""
    normalizer = LiraQueryNormalizer({"id": build_vocabulary(["pesta", "perlengkapan", "sepatu"], "id",
                                                             progress=False)})
    assert tables.EXTRA_MIN_LETTERS == 7
    assert normalizer.normalize("peseta", "id") == "peseta"  # 6 letters, an "e" typed in
    assert normalizer.normalize("perlengkaipan", "id") == "perlengkapan"  # 13 letters, an "i" typed in
    assert normalizer.normalize("pessta", "id") == "pesta"  # a letter typed twice
    assert normalizer.normalize("sepatuu", "id") == "sepatu" and normalizer.normalize("sepaut", "id") == "sepatu"


def test_a_very_short_word_missing_its_first_or_last_letter_stays_as_typed():
    """Up to EDGE_MAX_LETTERS letters, a span that lacks the first or last letter of a shop word is kept ("lats", a
    currency, is not "flats"); a letter missing inside it, or at the edge of a longer word, is restored."""
    normalizer = LiraQueryNormalizer({"id": build_vocabulary(["flats", "pinto", "sepatu", "karton"], "id",
                                                             progress=False)}, min_fuzzy_letters=3)
    assert tables.EDGE_MAX_LETTERS == 4
    assert normalizer.normalize("lats", "id") == "lats" and normalizer.normalize("pint", "id") == "pint"
    assert normalizer.normalize("fats", "id") == "flats"  # inside
    assert normalizer.normalize("sepat", "id") == "sepatu" and normalizer.normalize("arton", "id") == "karton"


def test_urdu_typed_without_harakat_is_already_right():
    """Urdu is written without its optional marks: a span that matches a shop text once its harakat are removed is
    known (it counts for coverage) but is not given the marks back; Vietnamese without marks still is."""
    normalizer = LiraQueryNormalizer({"ur": build_vocabulary(["وسطیٰ ایشیا", "کتاب"], "ur", progress=False),
                                      "vi": build_vocabulary(VI, "vi", progress=False)})
    assert tables.MARKS_OPTIONAL == {"ur"}
    report = normalizer.explain("وسطی ایشیا", "ur")
    assert report["text"] == "وسطی ایشیا" and report["coverage"] == 1.0
    assert normalizer.normalize("giay chay bo", "vi") == "giày chạy bộ"
