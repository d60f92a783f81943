"""Noise functions of `test_noisy`, and the npm source checks."""

import random

import pytest

import dataset_builder.noise as noise_module
from dataset_builder.critics import tokens
from dataset_builder.noise import CODE_MIX_WORDS, QueryNoiser, added_tokens, available_romanizers, code_mix
from dataset_builder.noise import strip_diacritics, typo
from dataset_builder.sources import default_npm_dir, ensure_sources, install_command


def test_strip_diacritics():
    assert strip_diacritics("tìm kiếm phóng đại", "vi") == "tim kiem phong dai"
    assert strip_diacritics("ร่ม กาน้ำชา", "th") == "รม กานำชา"
    assert strip_diacritics("piñata", "fil") == "pinata"
    assert strip_diacritics("জুতা", "bn") == "জুতা"
    for text, language in (("हिन्दी", "hi"), ("ស្បែកជើង", "km"), ("ဖိနပ်", "my")):  # vowel signs, not accents
        assert strip_diacritics(text, language) == text


def test_typo_and_code_mix_are_seeded():
    for text in ("รองเท้าวิ่ง", "giày chạy bộ", "জুতা", "x"):
        a, b = typo(text, random.Random(1)), typo(text, random.Random(1))
        assert a == b and a != text
        assert code_mix(text, random.Random(1)) == code_mix(text, random.Random(1))


def test_code_mix_inserts_one_uninformative_word():
    for text in ("ร่ม", "giày chạy bộ", "payong"):
        for seed in range(20):
            noisy = code_mix(text, random.Random(seed))
            parts = noisy.split()
            assert len(parts) == len(text.split()) + 1
            (added,) = [i for i in range(len(parts)) if parts[:i] + parts[i + 1 :] == text.split()][:1]
            assert parts[added] in CODE_MIX_WORDS
    # a one-word query gets the word before or after it, never in place of it
    assert {code_mix("ร่ม", random.Random(s), ["buy"]) for s in range(20)} == {"buy ร่ม", "ร่ม buy"}
    assert code_mix("ร่ม", random.Random(0), ()) == "ร่ม"
    # a word already in the query is not drawn while another one is left
    assert {code_mix("buy ร่ม", random.Random(s), ["buy", "cheap"]).count("cheap") for s in range(10)} == {1}


def test_noiser_drops_corpus_words_from_code_mix():
    noiser = QueryNoiser("vi", forbidden_words=["cheap umbrella", "Price tag", "buy"])
    assert {"cheap", "price", "buy"}.isdisjoint(noiser.code_mix_words)
    assert set(noiser.code_mix_words) == set(CODE_MIX_WORDS) - {"cheap", "price", "buy"}
    for i in range(30):
        noisy, kind = noiser(f"q{i}", "cái ô", ["umbrella"])
        if kind == "code_mix":
            assert added_tokens("cái ô", noisy) <= set(noiser.code_mix_words)
    everything = QueryNoiser("vi", forbidden_words=list(CODE_MIX_WORDS))
    assert "code_mix" not in everything.types and everything.code_mix_words == ()
    assert QueryNoiser("vi").code_mix_words == CODE_MIX_WORDS


def test_noiser_rejects_variants_that_add_a_forbidden_token(monkeypatch):
    # a romaniser whose output is the English answer falls through to the next type
    monkeypatch.setattr(noise_module, "_romanizer", lambda language: (lambda text: "umbrella closed"))
    noiser = QueryNoiser("th")
    noiser.types = ["romanized"]
    assert noiser("q", "ร่มปิด", ["rain"]) == ("umbrella closed", "romanized")
    noisy, kind = noiser("q", "ร่มปิด", ["closed umbrella"])
    assert kind == "typo" and not added_tokens("ร่มปิด", noisy) & {"closed", "umbrella"}
    # a typo that creates the answer is rejected too, and the fallback is safe
    monkeypatch.setattr(noise_module, "typo", lambda text, rng: text + "s")
    noiser = QueryNoiser("fil", forbidden_words=["shoe"])
    noiser.types = ["typo"]
    assert noiser("q", "shoe", ["hiking boot"]) == ("shoes", "typo")
    noisy, kind = noiser("q", "shoe", ["running shoes"])
    assert (noisy, kind) == ("shoee", "typo") and not added_tokens("shoe", noisy) & set(tokens("running shoes"))
    # when every cluster duplication adds a forbidden token, the last word is repeated (no token added)
    assert noiser("q", "ab", ["abs abb aab"]) == ("ab ab", "typo")


def test_noiser_checks_its_arguments():
    with pytest.raises(ValueError, match="single string"):
        QueryNoiser("vi", forbidden_words="umbrella")
    with pytest.raises(ValueError, match="must hold strings"):
        QueryNoiser("vi", forbidden_words=[1])
    noiser = QueryNoiser("vi")
    with pytest.raises(ValueError, match="single string"):
        noiser("q", "cái ô", "umbrella")
    with pytest.raises(ValueError, match="empty"):
        noiser("q", " ", ["umbrella"])
    with pytest.raises(ValueError, match="Unknown noise type 'romanized'"):
        noiser.apply("romanized", "cái ô", random.Random(0))


def test_noiser_changes_text_deterministically():
    samples = (("vi", "táo đỏ"), ("th", "แอปเปิ้ลแดง"), ("ur", "سیب"), ("bn", "আপেল"), ("fil", "mansanas"))
    for lang, text in samples:
        noiser = QueryNoiser(lang, seed=13)
        seen = set()
        for i in range(12):
            noisy, kind = noiser(f"{lang}-{i}", text, ["red apple"])
            assert noisy != text and kind in noiser.types and (noisy, kind) == noiser(f"{lang}-{i}", text, ["red apple"])
            assert not added_tokens(text, noisy) & {"red", "apple"}
            seen.add(kind)
        assert len(seen) >= 2


def test_romanizers():
    found = available_romanizers()
    if "th" not in found:
        pytest.skip("pythainlp is not installed")
    noiser = QueryNoiser("th")
    assert noiser.apply("romanized", "ร่ม", random.Random(0)) == "rom"
    assert QueryNoiser("ur").apply("romanized", "سیب", random.Random(0)).isascii()


def test_missing_sources_name_the_install_command(tmp_path, monkeypatch):
    monkeypatch.setenv("LIRA_NPM_DIR", str(tmp_path))
    assert default_npm_dir() == tmp_path.resolve()
    with pytest.raises(FileNotFoundError) as err:
        ensure_sources()
    assert install_command(tmp_path) in str(err.value)
    assert "cldr-annotations-full@48.2.0" in install_command(tmp_path)
