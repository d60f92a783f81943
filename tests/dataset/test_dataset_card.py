"""The generated dataset card: valid YAML metadata, one default config, valid split names, counts from the data."""

import re

import yaml
from datasets import load_dataset
from datasets.utils.metadata import MetadataConfigs
from huggingface_hub import DatasetCard

from dataset_builder import LANGUAGES, QUERY_SPLITS


def _card(folder):
    return DatasetCard.load(f"{folder}/README.md")


def test_yaml_metadata(tiny_products_dir):
    text = open(f"{tiny_products_dir}/README.md", encoding="utf-8").read()
    header = yaml.safe_load(text.split("---")[1])
    assert set(LANGUAGES) <= set(header["language"])
    assert header["license"] == "other" and header["license_name"] and header["license_link"]
    assert {"text-retrieval"} <= set(header["task_categories"])
    assert header["pretty_name"] and header["size_categories"]
    configs = header["configs"]
    assert sum(bool(c.get("default")) for c in configs) == 1
    assert [c["config_name"] for c in configs] == ["default", *LANGUAGES, "corpus"]
    for config in configs:
        for entry in config["data_files"]:
            assert re.fullmatch(r"\w+(\.\w+)*", entry["split"]), entry
    assert MetadataConfigs.from_dataset_card_data(_card(tiny_products_dir).data).get_default_config_name() == "default"


def test_card_counts_match_data(tiny_products_dir, tiny_products_stats, tmp_path):
    card = _card(tiny_products_dir)
    infos = {info["config_name"]: info for info in card.data.dataset_info}
    for lang in LANGUAGES:
        dsd = load_dataset(tiny_products_dir, lang, cache_dir=str(tmp_path))  # private cache: never a stale copy
        declared = {s["name"]: s["num_examples"] for s in infos[lang]["splits"]}
        assert declared == {split: len(dsd[split]) for split in QUERY_SPLITS}
        q = tiny_products_stats["queries"][lang]
        cells = " | ".join(f"{q[s]['rows']:,} ({q[s]['rows'] - q[s]['composed']:,} real)" for s in QUERY_SPLITS)
        assert cells in card.text
    for needle in ("Unicode-3.0", "cldr-annotations-full", "48.2.0", "reads only the source query", "composed",
                   "test_noisy", "Known limits", "wrong_sense", "Leak meter", "It reads the aligned references: no",
                   "critic top = gold title", "Candidates of `test_noisy`", "noisy_romanized",
                   "Share of `test_noisy` rows with candidates"):  # fmt: skip
        assert needle in card.text, needle
    noisy = tiny_products_stats["noisy_candidates"]
    for lang in LANGUAGES:
        per = noisy[lang]
        rows, hits = sum(v["rows"] for v in per.values()), sum(v["with_candidates"] for v in per.values())
        assert rows == tiny_products_stats["queries"][lang]["test_noisy"]["rows"]
        assert f"| {lang} | " in card.text and f"| {hits / rows:.3f} ({rows:,}) |" in card.text
