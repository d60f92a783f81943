"""The spelling tables' frozen posting lists (`_Postings`): the same ids as the dicts they replace, in far less memory."""

import random
import sys

import pytest

from modeling_lira.spelling_index import LiraSpellingIndex, _Postings, _SlipTable, one_slip


def _deep_size(lists):
    return sys.getsizeof(lists) + sum(sys.getsizeof(k) + sys.getsizeof(v) + sum(map(sys.getsizeof, v))
                                      for k, v in lists.items())


def test_postings_give_every_keys_ids_and_nothing_for_an_absent_key():
    rng = random.Random(0)
    lists = {}
    for i in range(5_000):
        for _ in range(rng.randint(1, 3)):
            key = (f"g{rng.randint(0, 1_500)}", rng.randint(1, 9))
            lists.setdefault(key, []).append(i)
    postings = _Postings(lists)
    assert len(postings) == len(lists)
    for key, ids in lists.items():
        assert list(postings.get(key)) == list(dict.fromkeys(ids))
    assert postings.get(("absent", 3)) == () and postings.get("x", None) is None
    flat = sys.getsizeof(postings.hashes) + sys.getsizeof(postings.offsets) + sys.getsizeof(postings.ids)
    assert flat * 5 < _deep_size(lists)


def test_keys_with_one_hash_share_a_run_holding_both():
    assert hash(-1) == hash(-2)  # CPython: -1 is reserved, so both hash to -2
    postings = _Postings({-1: [3, 5], -2: [5, 8], 7: [1]})
    assert sorted(postings.get(-1)) == sorted(postings.get(-2)) == [3, 5, 8] and list(postings.get(7)) == [1]


def test_an_index_freezes_its_tables_and_frozen_lookups_miss_no_form_one_slip_away():
    rng = random.Random(1)
    words = sorted({"".join(rng.choice("aeiklmnprstu") for _ in range(rng.randint(3, 12))) for _ in range(600)})
    index = LiraSpellingIndex("id", [{"text": w, "romanized": []} for w in words], threshold=0.7)
    table = index.vocabulary_table
    assert table.frozen and isinstance(table.grams, _Postings) and isinstance(table.slips, _Postings)
    with pytest.raises(RuntimeError, match="frozen"):
        table.add("baju", "baju")
    for word in rng.sample(words, 150):  # a slip of a known word: swap, letter left out, letter doubled
        i = rng.randrange(len(word) - 1)
        for typed in (word[:i] + word[i + 1] + word[i] + word[i + 2:], word[:i] + word[i + 1:],
                      word[:i] + word[i] + word[i:]):
            letters = list(typed)
            truth = {k for k, (form, _) in enumerate(table.forms) if one_slip(tuple(letters), tuple(form))}
            assert truth <= set(table.candidates(letters, letters)), typed
            assert table.may_hold(tuple(letters)) or not truth
    assert index.match(words[0])[1] == "exact"


def test_an_empty_table_holds_nothing_and_no_filter():
    table = _SlipTable()
    table.freeze()
    assert not table.may_hold(tuple("sepatu")) and table.candidates(list("sepatu"), list("sepatu")) == []
    assert len(table.near) == 0


def test_the_tables_hold_one_string_per_text_and_word_and_two_filter_bits_per_key():
    """Memory: a text already folded is the vocabulary's own string in every table (`fold` returns it), each known
    word is one string wherever it appears, and the slip filter holds 2 bits per key in at least
    `NEAR_BITS_PER_KEY` bits per key, without a false "no"."""
    from modeling_lira import spelling_index as tables

    entries = [{"text": t, "romanized": []} for t in ("nasi goreng", "goreng", "ayam goreng", "Teh Manis ", "manis")]
    index = LiraSpellingIndex("id", entries, 0.7)
    goreng, manis = entries[1]["text"], entries[4]["text"]
    assert tables.fold(goreng) is goreng and tables.fold("Teh Manis ") == "teh manis"
    assert next(t for t in index.exact if t == goreng) is goreng
    words = {w: w for w in index.words}
    assert words["goreng"] is goreng and words["manis"] is manis  # the one-word texts' strings, not copies
    for a, b in index.pairs:  # words of several-word texts are the same strings as `words` holds
        assert words[a] is a and words[b] is b
    assert ("teh", "manis") in index.pairs and "teh" in index.starts and "goreng" in index.ends
    table = index.vocabulary_table
    keys = {k for form, text in table.forms for spelling in {form, text}
            for k in tables.slip_keys(tables.letters(spelling))}
    set_bits = sum(bin(byte).count("1") for byte in table.near)
    assert table.near_bits >= tables.NEAR_BITS_PER_KEY * len(keys) and set_bits <= 2 * len(keys)
    for key in keys:
        assert all(table.near[bit >> 3] & (1 << (bit & 7)) for bit in tables._near_bits(hash(key), table.near_bits))
