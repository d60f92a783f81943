"""`LiraProcessor.normalize_queries`: the one path from a typed query to the text `__call__` tokenizes (character
cut, the words the tokenizer keeps, the query normalizer), and its refusals of bad input."""

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from modeling_lira import LiraProcessor, LiraQueryNormalizer
from modeling_lira.processing_lira import MAX_CHARS_PER_TOKEN
from tests.fixtures_model import WORDS, make_word_tokenizer

MAX_LENGTH = 16  # the processor's; 4 go to [CLS], "query", ":" and [SEP], so 12 words of a query are kept
CUT = MAX_CHARS_PER_TOKEN * MAX_LENGTH
# entries as `dataset_builder.normalizer` writes them: Vietnamese texts (unaccented forms found by folding) and Thai
# with its romanized form
VOCABULARY = {"vi": [{"text": "tai nghe không dây", "romanized": []}, {"text": "không dây", "romanized": []}],
              "th": [{"text": "หูฟัง", "romanized": ["hufang"]}]}
# (typed, language): real-looking queries; the first two are rewritten, the long ones cut
QUERIES = [
    ("tai nghe khong day", "vi"),  # Vietnamese typed without tone marks
    ("hufang", "th"),  # romanized Thai
    ("wireless headphones", None),  # English, language unknown: every vocabulary is tried, nothing matches
    ("sepatu lari", "id"),  # a language without vocabulary: left as typed
    ("tai nghe khong day " * 2000, "vi"),  # 38,000 characters: cut, then only the kept words are rewritten
    ("x" * 5000, None),  # one 5,000-character "word": only the character cut shortens it
]


def _processor(normalizer=True):
    proc = LiraProcessor(tokenizer=make_word_tokenizer(WORDS), english_tokenizer=make_word_tokenizer(WORDS),
                         num_candidates=3, max_length=MAX_LENGTH, candidate_max_length=8)
    if normalizer:
        proc.query_normalizer = LiraQueryNormalizer(VOCABULARY)
    return proc


@pytest.fixture
def proc():
    return _processor()


def _tokenized(proc, texts, max_length=MAX_LENGTH):
    """`texts` through the bare tokenizer, as `__call__` hands them to it (prefix, padding, truncation)."""
    return proc.tokenizer([proc.query_prefix + t for t in texts], padding=True, truncation=True,
                          max_length=max_length, return_tensors="pt")["input_ids"]


def test_the_normalized_text_is_what_call_tokenizes(proc):
    texts, languages = [q for q, _ in QUERIES], [lang for _, lang in QUERIES]
    out = proc.normalize_queries(texts, languages)
    assert out[:4] == ["tai nghe không dây", "หูฟัง", "wireless headphones", "sepatu lari"]
    assert out[4] == " ".join(["tai nghe không dây"] * 3)  # the 12 kept words, rewritten; the rest is never read
    assert out[5] == "x" * CUT  # the character cut `__call__` applies
    ids = proc(texts, languages)["input_ids"]
    assert torch.equal(ids, _tokenized(proc, out))
    assert torch.equal(ids, proc(out, languages, normalize=False)["input_ids"])  # reading it again changes nothing
    assert not torch.equal(ids, _tokenized(proc, texts))  # the raw text reads differently (the rewrite matters)
    for (typed, lang), text in zip(QUERIES, out):  # one at a time gives the same as in a batch
        assert proc.normalize_queries(typed, [lang]) == [text]


def test_normalize_and_max_length_mean_what_they_mean_in_call(proc):
    texts, languages = ["tai nghe khong day", "x" * 5000], ["vi", None]
    off = proc.normalize_queries(texts, languages, normalize=False)
    assert off == ["tai nghe khong day", "x" * CUT]  # cut only
    assert torch.equal(proc(texts, languages, normalize=False)["input_ids"], _tokenized(proc, off))
    assert proc.normalize_queries(texts, languages, normalize=True) == proc.normalize_queries(texts, languages)
    short = proc.normalize_queries(["tai nghe khong day tai nghe"], ["vi"], max_length=8)
    assert short == ["tai nghe không dây"]  # 8 tokens keep 4 words: the rewrite never sees the rest
    assert torch.equal(proc(["tai nghe khong day tai nghe"], ["vi"], max_length=8)["input_ids"],
                       _tokenized(proc, short, max_length=8))
    assert proc.normalize_queries(["x" * 5000], max_length=4, normalize=False) == ["x" * (MAX_CHARS_PER_TOKEN * 4)]
    assert proc.normalize_queries(["hufang"], ["th"], max_length=4) == [""]  # 4 tokens keep only the specials + prefix
    assert torch.equal(proc(["hufang"], ["th"], max_length=4)["input_ids"], _tokenized(proc, [""], max_length=4))
    plain = _processor(normalizer=False)
    assert plain.normalize_queries(texts, languages) == off  # no normalizer: the texts are only cut
    assert torch.equal(plain(texts, languages)["input_ids"], _tokenized(plain, off))
    with pytest.raises(ValueError, match="normalize=True but this processor has no query normalizer"):
        plain.normalize_queries(texts, languages, normalize=True)


def test_call_goes_through_normalize_queries(proc, monkeypatch):
    """One path: what `normalize_queries` returns is what `__call__` tokenizes, for queries only."""
    seen = []

    def spy(texts, languages=None, max_length=None, normalize=None):
        seen.append((list(texts), languages, max_length, normalize))
        return ["red apple"] * len(texts)

    monkeypatch.setattr(proc, "normalize_queries", spy)
    ids = proc(["tai nghe khong day", "book"], languages=["vi", None], max_length=8, normalize=True)["input_ids"]
    assert seen == [(["tai nghe khong day", "book"], ["vi", None], 8, True)]
    assert torch.equal(ids, _tokenized(proc, ["red apple"] * 2, max_length=8))
    proc(["book"], text_type="document")
    assert len(seen) == 1  # documents are never rewritten


@pytest.mark.parametrize("kwargs, match", [
    (dict(texts=3), r"texts must be a string or a non-empty list of strings, got int 3; e\.g\. texts=\["),
    (dict(texts=[]), r"texts must be a string or a non-empty list of strings, got list \[\]"),
    (dict(texts=b"hufang"), r"texts must be .*got bytes"),
    (dict(texts=["hufang", None]), r"texts\[1\] must be a string, got NoneType None"),
    (dict(texts=["hufang"], languages=["xx"]), r"languages\[0\]='xx' is not a known language; use one of \["),
    (dict(texts=["hufang"], languages="th"), r"languages must be a list .*got 'th'; e\.g\. languages=\['vi'\]"),
    (dict(texts=["hufang"], languages=["th", "vi"]), r"got 2 languages for 1 texts; pass one code \(or None\)"),
    (dict(texts=["hufang"], max_length=2), r"max_length=2 must be an integer in \[3, 131072\]"),
    (dict(texts=["hufang"], max_length=8.0), r"max_length=8\.0 must be an integer"),
    (dict(texts=["hufang"], normalize="no"), r"normalize='no' must be True, False or None"),
    (dict(texts=["hufang"], normalize=0), r"normalize=0 must be True, False or None"),
])
def test_bad_input_is_named_with_the_fix(proc, kwargs, match):
    with pytest.raises(ValueError, match=match):
        proc.normalize_queries(**kwargs)
    call = {("text" if k == "texts" else k): v for k, v in kwargs.items()}  # `__call__` refuses the same values
    named = match.replace("texts must", "text must").replace("texts\\[", "text\\[").replace("texts=", "text=")
    with pytest.raises(ValueError, match=named):
        proc(**call)


QUERY_TEXT = st.one_of(
    st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=40),
    st.lists(st.sampled_from([*WORDS, "khong", "day", "hufang", "", " ", "\u200b", "\u0301"]), max_size=30)
    .map(" ".join),
    st.builds(lambda piece, n: piece * n, st.sampled_from(["x", "tai nghe khong day ", "hufang "]),
              st.integers(100, 3000)),
)


@given(st.lists(st.tuples(QUERY_TEXT, st.sampled_from([None, "vi", "th", "en"])), min_size=1, max_size=4),
       st.sampled_from([None, 5, MAX_LENGTH]), st.sampled_from([None, False]))
def test_any_query_tokenizes_as_its_normalized_text(rows, max_length, normalize):
    texts, languages = [t for t, _ in rows], [lang for _, lang in rows]
    out = PROCESSOR.normalize_queries(texts, languages, max_length=max_length, normalize=normalize)
    assert len(out) == len(texts) and all(isinstance(t, str) for t in out)
    ids = PROCESSOR(texts, languages, max_length=max_length, normalize=normalize)["input_ids"]
    assert torch.equal(ids, _tokenized(PROCESSOR, out, max_length or MAX_LENGTH))


PROCESSOR = _processor()
