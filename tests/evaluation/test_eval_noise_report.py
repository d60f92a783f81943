"""Robustness per language and noise type: known-answer tables, the report, and the cross-run comparison CLI."""

import json

import numpy as np
import pytest

from evaluation.report import markdown_report
from evaluation.robustness import noise_by_language, noise_drop_table, noise_pairs
from evaluation.noise_compare import main as noise_compare


def _pq(ids, scores, clean_ids=None, noise=None):
    return {"query_id": ids, "clean_query_id": clean_ids or ids, "noise": noise or ["none"] * len(ids),
            "ndcg@10": scores, "recall@10": scores, "mrr@10": scores}


def _per_query(offset=0.0):
    """th: 4 queries (2 typo, 2 romanized); vi: 2 queries (typo). `offset` shifts every noisy score."""
    clean = {"th": _pq(["a", "b", "c", "d"], [1.0, 0.5, 1.0, 0.0]), "vi": _pq(["e", "f"], [0.8, 0.6])}
    noisy = {"th": _pq(["a~t", "b~t", "c~r", "d~r"], [0.5 + offset, 0.5 + offset, 0.0 + offset, 0.0 + offset],
                       ["a", "b", "c", "d"], ["typo", "typo", "romanized", "romanized"]),
             "vi": _pq(["e~t", "f~t"], [0.8 + offset, 0.2 + offset], ["e", "f"], ["typo", "typo"])}
    return {"test": {"sys": clean}, "test_noisy": {"sys": noisy}}


def test_noise_drop_table_known_answer():
    per_query = _per_query()
    pairs = noise_pairs(per_query["test"]["sys"], per_query["test_noisy"]["sys"])
    assert sorted(pairs) == ["th", "vi"] and sorted(pairs["th"]) == ["romanized", "typo"]
    rows = {(r["language"], r["noise"]): r for r in noise_drop_table(pairs, num_samples=500)}
    th_typo = rows[("th", "typo")]
    assert (th_typo["pairs"], th_typo["clean"], th_typo["noisy"]) == (2, 0.75, 0.5)
    assert th_typo["drop"]["delta"] == pytest.approx(0.25) and th_typo["kept"] == pytest.approx(0.5 / 0.75)
    assert th_typo["drop"]["low"] <= 0.25 <= th_typo["drop"]["high"]
    assert rows[("th", "romanized")]["drop"]["delta"] == pytest.approx(0.5)
    assert rows[("vi", "typo")]["drop"]["delta"] == pytest.approx(0.2)
    macro = rows[("macro", "typo")]  # mean over th and vi, not over queries
    assert macro["clean"] == pytest.approx((0.75 + 0.7) / 2) and macro["noisy"] == pytest.approx((0.5 + 0.5) / 2)
    assert macro["pairs"] == 4 and rows[("macro", "romanized")]["pairs"] == 2


def test_evaluation_report_prints_the_per_language_noise_table():
    per_query = _per_query()
    report = {"splits": {}, "robustness_by_language_noise": noise_by_language(per_query)}
    text = markdown_report(report)
    assert "Robustness per language and noise type" in text
    assert "| th | romanized | 2 | 0.500 | 0.000 | +0.500" in text
    assert noise_by_language({"test": per_query["test"]}) == {}


def test_noise_compare_averages_seeds_and_compares_drops(tmp_path, capsys):
    paths = []
    for i, offset in enumerate([0.0, 0.1]):
        pq = _per_query(offset)
        pq["test_noisy"]["robust"] = {lang: dict(v, **{"ndcg@10": list(np.array(pq["test"]["sys"][lang]["ndcg@10"])
                                                                         - 0.05)})
                                      for lang, v in pq["test_noisy"]["sys"].items()}
        pq["test"]["robust"] = pq["test"]["sys"]
        path = tmp_path / f"s{i}.json"
        path.write_text(json.dumps({"per_query": pq}))
        paths.append(str(path))
    out = tmp_path / "noise.json"
    report = noise_compare([f"run={','.join(paths)}", "--systems", "run:sys", "--pairs", "run:sys", "run:robust",
                            "--out", str(out)])
    rows = {(r["language"], r["noise"]): r for r in report["tables"]["run:sys"]}
    assert rows[("th", "typo")]["noisy"] == pytest.approx(0.55)  # seeds averaged per query: 0.5 and 0.6
    diff = {(d["language"], d["noise"]): d for d in report["pairs"]["run:sys vs run:robust"]}
    # robust loses 0.05 everywhere; sys loses 0.25 - 0.05 = 0.20 on th typo (mean of seeds): difference 0.15
    assert diff[("th", "typo")]["delta"] == pytest.approx(0.20 - 0.05)
    assert json.load(open(out))["tables"]["run:sys"][0]["language"] == "th"
    assert "drop of run:sys - drop of run:robust" in capsys.readouterr().out
    better = _per_query()
    better["test"]["sys"] = {lang: dict(v, **{"ndcg@10": [x + 0.1 for x in v["ndcg@10"]]})
                             for lang, v in better["test"]["sys"].items()}
    (tmp_path / "better.json").write_text(json.dumps({"per_query": better}))
    clean = noise_compare([f"a={paths[0]}", f"b={tmp_path / 'better.json'}", "--systems", "a:sys", "--clean-pairs",
                           "a:sys", "b:sys"])["clean"]["b:sys - a:sys"]
    assert clean["delta"] == pytest.approx(0.1) and clean["per_language"]["th"]["delta"] == pytest.approx(0.1)
    with pytest.raises(ValueError, match="label:system"):
        noise_compare([f"run={paths[0]}", "--systems", "sys"])
    (tmp_path / "clean_only.json").write_text(json.dumps({"per_query": {"test": better["test"]}}))
    with pytest.raises(ValueError, match="test_noisy"):  # a drop needs both splits
        noise_compare([f"run={tmp_path / 'clean_only.json'}", "--systems", "run:sys"])
    clean = noise_compare([f"a={paths[0]}", f"b={tmp_path / 'clean_only.json'}", "--systems", "a:sys",
                           "--clean-pairs", "a:sys", "b:sys"])["clean"]["b:sys - a:sys"]  # a clean delta does not
    assert clean["delta"] == pytest.approx(0.1)
    (tmp_path / "none.json").write_text(json.dumps({"per_query": {}}))
    with pytest.raises(ValueError, match="no per-query scores of the test split"):
        noise_compare([f"run={tmp_path / 'none.json'}", "--systems", "run:sys"])
