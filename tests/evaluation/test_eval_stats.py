"""Paired bootstrap intervals and seed averaging (`evaluation.stats`), and the tables that print them."""

import numpy as np
import pytest

from evaluation.stats import macro_paired_bootstrap, mean_over_seeds, paired_bootstrap


def _shifted(n=300, shift=0.1, seed=1):
    rng = np.random.default_rng(seed)
    a = rng.uniform(0.0, 0.8, n)  # (n,)
    b = np.clip(a + shift + rng.normal(0.0, 0.05, n), 0.0, 1.0)  # (n,)
    return a.tolist(), b.tolist()


def test_interval_contains_the_true_shift_and_excludes_zero():
    a, b = _shifted(shift=0.1)
    out = paired_bootstrap(a, b)
    assert out["low"] < out["delta"] < out["high"]
    assert out["low"] <= 0.1 <= out["high"]
    assert out["low"] > 0.0
    assert out["delta"] == pytest.approx(np.mean(np.asarray(b) - np.asarray(a)))


def test_no_shift_interval_covers_zero():
    rng = np.random.default_rng(3)
    a = rng.uniform(0, 1, 200)
    b = a + rng.normal(0, 0.1, 200)
    out = paired_bootstrap(a, b)
    assert out["low"] < 0.0 < out["high"]


def test_identical_inputs_give_zero_delta_and_zero_width():
    a = [0.1, 0.5, 0.9, 0.0]
    assert paired_bootstrap(a, a) == {"delta": 0.0, "low": 0.0, "high": 0.0}


def test_deterministic_for_a_fixed_seed():
    a, b = _shifted(n=50, shift=0.02)
    assert paired_bootstrap(a, b, seed=7) == paired_bootstrap(a, b, seed=7)
    assert paired_bootstrap(a, b, seed=7) != paired_bootstrap(a, b, seed=8)
    per_a, per_b = {"vi": a, "th": a[:20]}, {"vi": b, "th": b[:20]}
    assert macro_paired_bootstrap(per_a, per_b, seed=7) == macro_paired_bootstrap(per_a, per_b, seed=7)


def test_wider_confidence_gives_a_wider_interval():
    a, b = _shifted(n=80, shift=0.05)
    narrow, wide = paired_bootstrap(a, b, confidence=0.5), paired_bootstrap(a, b, confidence=0.99)
    assert wide["low"] < narrow["low"] < narrow["high"] < wide["high"]


def test_macro_is_the_unweighted_mean_of_per_language_deltas():
    a_vi, b_vi = _shifted(n=200, shift=0.2, seed=1)
    a_th, b_th = _shifted(n=20, shift=0.0, seed=2)
    out = macro_paired_bootstrap({"vi": a_vi, "th": a_th}, {"vi": b_vi, "th": b_th})
    d_vi = np.mean(np.subtract(b_vi, a_vi))
    d_th = np.mean(np.subtract(b_th, a_th))
    assert out["delta"] == pytest.approx((d_vi + d_th) / 2)  # not weighted by the 200 vs 20 queries
    assert out["per_language"]["vi"]["delta"] == pytest.approx(d_vi)
    assert out["per_language"]["th"]["delta"] == pytest.approx(d_th)
    assert out["low"] < out["delta"] < out["high"]
    for lang in ("vi", "th"):
        single = out["per_language"][lang]
        assert single["low"] <= single["delta"] <= single["high"]


def test_mismatched_or_empty_inputs_raise():
    with pytest.raises(ValueError, match="3 scores .* and 2"):
        paired_bootstrap([0.1, 0.2, 0.3], [0.1, 0.2])
    with pytest.raises(ValueError, match="0 queries"):
        paired_bootstrap([], [])
    with pytest.raises(ValueError, match="language 'th'"):
        macro_paired_bootstrap({"vi": [0.1], "th": [0.1, 0.2]}, {"vi": [0.2], "th": [0.3]})
    with pytest.raises(ValueError, match="same languages"):
        macro_paired_bootstrap({"vi": [0.1]}, {"th": [0.1]})
    with pytest.raises(ValueError, match="confidence"):
        paired_bootstrap([0.1], [0.2], confidence=95)


def test_mean_over_seeds_averages_per_query_and_checks_ids():
    runs = [{"query_id": ["q1", "q2"], "noise": ["none", "typo"], "ndcg@10": [0.0, 1.0], "recall@10": [0.0, 1.0]},
            {"query_id": ["q1", "q2"], "noise": ["none", "typo"], "ndcg@10": [1.0, 0.5], "recall@10": [1.0, 1.0]}]
    out = mean_over_seeds(runs)
    assert out == {"query_id": ["q1", "q2"], "noise": ["none", "typo"], "ndcg@10": [0.5, 0.75],
                   "recall@10": [0.5, 1.0]}
    assert mean_over_seeds(runs, metrics=["ndcg@10"]) == {"query_id": ["q1", "q2"], "noise": ["none", "typo"],
                                                          "ndcg@10": [0.5, 0.75]}
    with pytest.raises(ValueError, match="query 1 is 'q3' instead of 'q2'"):
        mean_over_seeds([runs[0], dict(runs[1], query_id=["q1", "q3"])])
    with pytest.raises(ValueError, match="1 queries instead of 2"):
        mean_over_seeds([runs[0], dict(runs[1], query_id=["q1"], **{"ndcg@10": [1.0], "recall@10": [1.0]})])
    with pytest.raises(ValueError, match="no runs"):
        mean_over_seeds([])


def _results(shift, noise=0.0, per_query=True):
    """A hand-made results.json: backbone vs lira_lrl on vi (40 queries) and th (30 queries)."""
    rng = np.random.default_rng(0)
    splits, pq = {"test": {"backbone": {}, "lira_lrl": {}}}, {"test": {"backbone": {}, "lira_lrl": {}}}
    for lang, n in (("vi", 40), ("th", 30)):
        before = rng.uniform(0.2, 0.6, n)
        after = before + shift + noise * rng.normal(size=n)
        ids = [f"{lang}-{i}" for i in range(n)]
        for name, scores in (("backbone", before), ("lira_lrl", after)):
            splits["test"][name][lang] = {"ndcg@10": float(scores.mean()), "recall@10": float(scores.mean())}
            pq["test"][name][lang] = {"query_id": ids, "clean_query_id": ids, "noise": ["none"] * n,
                                      "ndcg@10": scores.tolist(), "recall@10": scores.tolist(),
                                      "mrr@10": scores.tolist()}
    out = {"split": "test", "results": splits["test"], "splits": splits}
    if per_query:
        out["per_query"] = pq
    return out


def test_comparison_table_shows_intervals_and_falls_back_without_per_query():
    from evaluation.compare import comparison_table

    lines = comparison_table(_results(0.1, noise=0.1)).splitlines()
    assert lines[0].startswith("| language | ndcg@10 backbone -> lira_lrl (delta [95% CI])")
    assert "mean of" not in lines[0]
    assert [line.split(" | ")[0] for line in lines[2:]] == ["| th", "| vi", "| macro avg"]
    macro = lines[-1].split(" | ")[1]
    delta = float(macro.split("(")[1].split(" [")[0])
    low, high = (float(x) for x in macro.split("[")[1].rstrip("])").split(", "))
    assert 0.0 < low < 0.1 < high and low < delta < high  # printed, covers the true shift, excludes 0
    old = comparison_table(_results(0.1, per_query=False)).splitlines()
    assert old[-1].split(" | ")[1].endswith("(+0.100 [-])")


def test_comparison_table_averages_two_runs():
    from evaluation.compare import comparison_table_runs, parse_pairs

    one, two = _results(0.1), _results(0.3)
    lines = comparison_table_runs([one, two]).splitlines()
    assert "mean of 2 runs" in lines[0]
    assert lines[-1].split(" | ")[1].endswith("(+0.200 [+0.200, +0.200])")  # mean of +0.1 and +0.3
    with pytest.raises(ValueError, match="need one of the pairs"):
        comparison_table_runs([one], pairs=[("translate_test", "lira_noisy")])
    assert parse_pairs(["backbone:lira_lrl"]) == [("backbone", "lira_lrl")]
    with pytest.raises(ValueError, match="BEFORE:AFTER"):
        parse_pairs(["backbone-lira_lrl"])
    bad = _results(0.1)
    bad["per_query"]["test"]["lira_lrl"]["vi"]["query_id"] = ["other"] * 40
    with pytest.raises(ValueError, match="other queries"):
        comparison_table_runs([one, bad])


def test_compare_command_reads_several_files(tmp_path, capsys):
    import json

    from evaluation.compare import main

    paths = []
    for i, shift in enumerate((0.1, 0.3)):
        paths.append(tmp_path / f"run{i}.json")
        paths[-1].write_text(json.dumps(_results(shift)))
    main([str(p) for p in paths] + ["--pairs", "backbone:lira_lrl", "--num-samples", "200"])
    out = capsys.readouterr().out
    assert "mean of 2 runs" in out and "recall@10 backbone -> lira_lrl" in out


def _variant(shift, seed=5, n=(30, 20)):
    rng = np.random.default_rng(seed)
    res = {c: 0.0 for c in ("lrl_ndcg@10", "lrl_recall@10", "noisy_ndcg@10", "noisy_recall@10")}
    for mode in ("lrl", "noisy"):
        per_query = {}
        for lang, count in zip(("vi", "th"), n):
            scores = np.clip(rng.uniform(0.3, 0.7, count) + shift, 0, 1)
            per_query[lang] = {"query_id": [f"{lang}{i}" for i in range(count)], "ndcg@10": scores.tolist()}
        res[f"{mode}_per_query"] = per_query
        res[f"{mode}_ndcg@10"] = float(np.mean([np.mean(pq["ndcg@10"]) for pq in per_query.values()]))
    return res


def test_ablation_markdown_has_a_delta_column_against_full():
    from studies.ablations import delta_vs_full, markdown, mean_over_seed_runs

    results = {"full": _variant(0.0, seed=5), "no_actor": _variant(-0.2, seed=6)}
    lines = markdown(results).splitlines()
    assert "lrl nDCG@10 vs full (delta [95% CI])" in lines[0] and "noisy nDCG@10 vs full" in lines[0]
    assert lines[2].endswith("| (reference) | (reference) |")
    delta = delta_vs_full(results, "no_actor", "lrl")
    assert delta["delta"] == pytest.approx(results["no_actor"]["lrl_ndcg@10"] - results["full"]["lrl_ndcg@10"])
    assert delta["high"] < 0.0
    assert f"{delta['delta']:+.3f} [{delta['low']:+.3f}, {delta['high']:+.3f}]" in lines[3]
    # without `full` there is no delta column; old files without per-query scores get no interval
    assert "vs full" not in markdown({"no_actor": results["no_actor"]})
    bare = {k: {c: v for c, v in r.items() if not c.endswith("per_query")} for k, r in results.items()}
    assert markdown(bare).splitlines()[3].count(" [-]") == 2
    # seeds: numbers and per-query scores are averaged, the header says how many
    empty = {"lrl_per_language_ndcg@10": {}, "noisy_per_language_ndcg@10": {}}
    runs = {13: {**_variant(0.0, seed=1), **empty}, 14: {**_variant(0.2, seed=2), **empty}}
    avg = mean_over_seed_runs(runs)
    assert avg["seeds"] == [13, 14] and set(avg["per_seed"]) == {"13", "14"}
    assert avg["lrl_ndcg@10"] == pytest.approx((runs[13]["lrl_ndcg@10"] + runs[14]["lrl_ndcg@10"]) / 2)
    assert avg["lrl_per_query"]["vi"]["ndcg@10"][0] == pytest.approx(
        (runs[13]["lrl_per_query"]["vi"]["ndcg@10"][0] + runs[14]["lrl_per_query"]["vi"]["ndcg@10"][0]) / 2)
    assert "mean of 2 seeds" in markdown({"full": avg, "no_actor": dict(results["no_actor"], seeds=[13])})


def test_evaluation_report_keeps_per_query_scores_for_the_comparison(eval_dataset_dir, lookup_system_factory,
                                                                       tmp_path):
    import json

    from evaluation.evaluator import run_evaluation
    from evaluation.report import write_report
    from tests.fixtures_eval import EVAL_PRODUCTS
    from evaluation.compare import comparison_table

    ids = [p[0] for p in EVAL_PRODUCTS]
    perfect = lookup_system_factory({p[3]: p[0] for p in EVAL_PRODUCTS}, ids, name="lira_lrl")
    empty = lookup_system_factory({}, ids, name="backbone")
    report = run_evaluation([empty, perfect], eval_dataset_dir, ["vi"], out_dir=str(tmp_path), progress=False)
    pq = report["per_query"]["test"]["lira_lrl"]["vi"]
    assert set(pq) == {"query_id", "clean_query_id", "noise", "ndcg@10", "recall@10", "mrr@10"}
    assert len(pq["ndcg@10"]) == report["num_queries"]["test"]["vi"]
    paths = write_report(report, str(tmp_path / "out"), metrics=("ndcg@10",))
    assert "per_query" in json.load(open(paths["json"])) and "query_id" not in open(paths["markdown"]).read()
    table = comparison_table(json.load(open(paths["json"])), pairs=[("backbone", "lira_lrl")])
    assert "[-]" not in table and "macro avg" in table
    # the leak meter rides along: in the mini dataset the critic's top candidate is always the true title
    assert report["leak_meter"]["vi"]["top_gold_title"] == 1.0 and report["leak_meter"]["vi"]["first_aligned"] == 0.0
    assert "## Leak meter (`test`)" in open(paths["markdown"]).read()


def test_systems_table_gives_each_mean_an_interval():
    from evaluation.compare import systems_table

    results = _results(0.1)
    lines = systems_table([results]).splitlines()
    assert lines[0] == "| system | th | vi | macro |"
    row = next(line for line in lines if line.startswith("| lira_lrl |"))
    macro = row.split(" | ")[-1]
    mean = float(macro.split("**")[1])
    low, high = (float(x) for x in macro.split("[")[1].rstrip("] |").split(", "))
    expected = np.mean([results["results"]["lira_lrl"][lang]["ndcg@10"] for lang in ("vi", "th")])
    assert mean == pytest.approx(expected, abs=1e-3) and low < mean < high and high - low < 0.2
    assert "[-]" in systems_table([_results(0.1, per_query=False)])
