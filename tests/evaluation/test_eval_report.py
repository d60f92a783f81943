"""Report writers: the Markdown table says what the numbers say, and the PNG bars have the right heights."""

import json
import os

import numpy as np

from evaluation.report import bar_chart, markdown_report, markdown_table, write_report

TAB_BLUE = (31, 119, 180)  # tab10 colour 0 -> first system
TAB_ORANGE = (255, 127, 14)  # tab10 colour 1 -> second system


def _report():
    def m(v):
        return {"ndcg@10": v, "recall@10": v / 2, "mrr@10": v / 4}

    clean = {"sysA": {"vi": m(0.8), "th": m(0.4)}, "sysB": {"vi": m(0.2), "th": m(0.6)}}
    noisy = {"sysA": {"vi": m(0.4), "th": m(0.4)}, "sysB": {"vi": m(0.2), "th": m(0.3)}}
    drop = {s: {l: {k: clean[s][l][k] - noisy[s][l][k] for k in clean[s][l]} for l in clean[s]} for s in clean}
    return {"split": "test", "results": clean, "splits": {"test": clean, "test_noisy": noisy}, "robustness": drop,
            "num_queries": {"test": {"vi": 10, "th": 12}, "test_noisy": {"vi": 10, "th": 12}}, "corpus_size": 6}


def test_markdown_table_rows_are_languages_columns_are_systems():
    table = markdown_table(_report()["results"]).splitlines()
    assert table[0] == "| language | sysA | sysB |"
    assert table[2] == "| vi | 0.800 / 0.400 / 0.200 | 0.200 / 0.100 / 0.050 |"
    assert table[3] == "| th | 0.400 / 0.200 / 0.100 | 0.600 / 0.300 / 0.150 |"
    assert table[4] == "| **macro avg** | **0.600 / 0.300 / 0.150** | **0.400 / 0.200 / 0.100** |"
    md = markdown_report(_report())
    assert "noise-amplified test (`test_noisy`; queries per language: vi 10, th 12)" in md
    assert "| vi | +0.400 / +0.200 / +0.100 | +0.000 / +0.000 / +0.000 |" in md  # robustness drop
    report = _report()
    report["robustness_by_noise"] = {"sysA": {"typo": {"clean": 0.5, "noisy": 0.25, "drop": 0.25, "pairs": 9}},
                                     "sysB": {"typo": {"clean": 0.5, "noisy": 0.75, "drop": -0.25, "pairs": 9}}}
    assert "| typo (9) | 0.500 → 0.250 (-0.250) | 0.500 → 0.750 (+0.250) |" in markdown_report(report)


def _bar_heights(img, rgb):
    """Heights (pixels) of the bars of one colour, left to right: runs of columns containing that colour."""
    match = np.all(np.abs(img[:, :, :3] * 255 - np.array(rgb)) < 3, axis=2)
    counts = match.sum(axis=0)
    heights, run = [], []
    for c in counts:
        if c > 0:
            run.append(c)
        elif run:
            heights.append(int(np.median(run)))
            run = []
    return [h for h in heights if h > 15]  # drop the legend swatch


def test_png_bars_show_the_values(tmp_path):
    import matplotlib.image as mpimg

    report = _report()
    report["splits"] = {"test": report["splits"]["test"]}
    path = str(tmp_path / "ndcg.png")
    bar_chart(path, report, "ndcg@10")
    img = mpimg.imread(path)
    assert img.shape[0] > 300 and img.shape[1] > 1000
    blue, orange = _bar_heights(img, TAB_BLUE), _bar_heights(img, TAB_ORANGE)
    # groups vi, th, avg: sysA 0.8 0.4 0.6, sysB 0.2 0.6 0.4 (same axis 0..1, so heights are proportional)
    assert len(blue) == 3 and len(orange) == 3
    unit = blue[0] / 0.8
    assert np.allclose(np.array(blue) / unit, [0.8, 0.4, 0.6], atol=0.02)
    assert np.allclose(np.array(orange) / unit, [0.2, 0.6, 0.4], atol=0.02)


def test_write_report_writes_json_markdown_and_one_png_per_metric(tmp_path):
    paths = write_report(_report(), str(tmp_path / "out"))
    assert sorted(os.path.basename(p) for p in paths.values()) == [
        "mrr_at_10.png", "ndcg_at_10.png", "recall_at_10.png", "results.json", "results.md"]
    data = json.load(open(paths["json"], encoding="utf-8"))
    assert data["results"]["sysA"]["vi"]["ndcg@10"] == 0.8  # the shape model_card/eval_results.py reads
    assert not [f for f in os.listdir(tmp_path / "out") if f.startswith(".tmp")]  # atomic writes leave nothing
    import matplotlib.image as mpimg

    img = mpimg.imread(paths["ndcg@10"])  # two panels (clean, noisy): twice as tall as one
    assert img.shape[0] > 600
    assert len(_bar_heights(img, TAB_BLUE)) >= 3
