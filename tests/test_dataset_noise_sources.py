"""Noise functions of `test_noisy`, and the npm source checks."""

import random

import pytest

from dataset_builder.noise import QueryNoiser, available_romanizers, code_mix, strip_diacritics, typo
from dataset_builder.sources import default_npm_dir, ensure_sources, install_command


def test_strip_diacritics():
    assert strip_diacritics("tìm kiếm phóng đại", "vi") == "tim kiem phong dai"
    assert strip_diacritics("ร่ม กาน้ำชา", "th") == "รม กานำชา"
    assert strip_diacritics("piñata", "fil") == "pinata"
    assert strip_diacritics("জুতা", "bn") == "জুতা"


def test_typo_and_code_mix_are_seeded():
    for text in ("รองเท้าวิ่ง", "giày chạy bộ", "জুতা", "x"):
        a, b = typo(text, random.Random(1)), typo(text, random.Random(1))
        assert a == b and a != text
    assert code_mix("ร่ม", "closed umbrella", random.Random(0)) == "ร่ม umbrella"
    assert code_mix("giày chạy", "running shoe", random.Random(0)).count("shoe") == 1


def test_noiser_changes_text_deterministically():
    samples = (("vi", "táo đỏ"), ("th", "แอปเปิ้ลแดง"), ("ur", "سیب"), ("bn", "আপেল"), ("fil", "mansanas"))
    for lang, text in samples:
        noiser = QueryNoiser(lang, seed=13)
        seen = set()
        for i in range(12):
            noisy, kind = noiser(f"{lang}-{i}", text, "red apple")
            assert noisy != text and kind in noiser.types and (noisy, kind) == noiser(f"{lang}-{i}", text, "red apple")
            seen.add(kind)
        assert len(seen) >= 2


def test_romanizers():
    found = available_romanizers()
    if "th" not in found:
        pytest.skip("pythainlp is not installed")
    noiser = QueryNoiser("th")
    assert noiser.apply("romanized", "ร่ม", "umbrella", random.Random(0)) == "rom"
    assert QueryNoiser("ur").apply("romanized", "سیب", "apple", random.Random(0)).isascii()


def test_missing_sources_name_the_install_command(tmp_path, monkeypatch):
    monkeypatch.setenv("LIRA_NPM_DIR", str(tmp_path))
    assert default_npm_dir() == tmp_path.resolve()
    with pytest.raises(FileNotFoundError) as err:
        ensure_sources()
    assert install_command(tmp_path) in str(err.value)
    assert "cldr-annotations-full@48.2.0" in install_command(tmp_path)
