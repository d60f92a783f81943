"""`dataset_builder.anchor_text` / `anchor_writer`: parallel CLDR text and the OOD sets, built from the real CLDR
sources against a real lira-products build (`tiny_products_dir`: 60 CLDR products, all splits), and checked for
leaks."""

import glob
import hashlib
import os
import subprocess
import sys
import unicodedata
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from dataset_builder.anchor_text import build_anchor_tables, build_emoji_items, group_key, is_flag
from dataset_builder.anchor_writer import STATS_FILE, build_anchor_text
from dataset_builder.schema import LANGUAGES, QUERY_FEATURES
from dataset_builder.sources import default_npm_dir, load_annotations
from modeling_lira.query_normalizer import fold
from tests import REPO_ROOT

ROOT = REPO_ROOT
DATASET = None  # the real build the module checks against, set by `_dataset`
MODULES = str(default_npm_dir() / "node_modules")


@pytest.fixture(scope="module", autouse=True)
def _dataset(tiny_products_dir):
    global DATASET
    DATASET = Path(tiny_products_dir)
    yield
    DATASET = None


@pytest.fixture(scope="module")
def built(tmp_path_factory, _dataset):
    root = tmp_path_factory.mktemp("anchor")
    stats = build_anchor_text(str(DATASET), str(root / "par"), str(root / "ood"))
    return root, stats


def _rows(folder, config=None):
    pattern = "corpus/*.parquet" if config is None else f"data/{config}/*.parquet"
    return [r for f in sorted(glob.glob(str(Path(folder) / pattern))) for r in pq.read_table(f).to_pylist()]


def _products():
    return _rows(DATASET)


def _strip(emoji):
    return emoji.replace("\ufe0f", "")


def _product_texts():
    """Independent of the module: every product text (corpus + CLDR of product emoji) and every dataset query."""
    texts = set()
    emoji = {_strip(p["emoji"]) for p in _products()}
    for p in _products():
        texts.update([p["title_en"], *p["keywords_en"], *p["titles"].values()])
    for lang in ("en", *LANGUAGES):
        notes = load_annotations(MODULES, lang)
        for e in emoji:
            texts.update([*notes[e].get("tts", []), *notes[e].get("default", [])])
    for f in glob.glob(str(DATASET / "data" / "*" / "*.parquet")):
        texts.update(pq.read_table(f, columns=["query"]).column("query").to_pylist())
    return {fold(t) for t in texts if t}


def _texts(folder):
    """Every text of a built folder: queries, candidates, English titles and keywords, local titles."""
    out = [t for c in _rows(folder) for t in (c["title_en"], *c["keywords_en"], *c["titles"].values()) if t]
    for lang in LANGUAGES:
        out += [t for r in _rows(folder, lang) for t in (r["query"], *r["candidates"])]
    return out


def _by_name(names):
    english = load_annotations(MODULES, "en")
    found = {v["tts"][0]: e for e, v in english.items() if v.get("tts") and v["tts"][0] in names}
    assert set(found) == set(names), set(names) - set(found)
    return found


@pytest.mark.slow
def test_group_keys_join_variants_and_flags_are_found():
    e = _by_name(["cook", "woman cook", "man cook: medium skin tone", "woman cook: dark skin tone", "person running",
                  "woman running: medium-light skin tone", "man running", "flag: Thailand", "flag: England",
                  "chequered flag", "red heart", "woman", "man: beard"])  # fmt: skip
    cooks = {group_key(e[n]) for n in ("cook", "woman cook", "man cook: medium skin tone",
                                       "woman cook: dark skin tone")}
    runners = {group_key(e[n]) for n in ("person running", "woman running: medium-light skin tone", "man running")}
    assert len(cooks) == 1 and len(runners) == 1 and cooks != runners
    assert group_key(e["woman"]) != group_key(e["man: beard"])
    assert is_flag(e["flag: Thailand"]) and is_flag(e["flag: England"])
    assert not is_flag(e["chequered flag"]) and not is_flag(e["red heart"]) and not is_flag(e["cook"])


def test_ood_fraction_moves_groups_and_half_is_near_half():
    product_emoji = {_strip(p["emoji"]) for p in _products()}
    sides = {}
    for fraction in (0.2, 0.5, 0.8):
        items, counts = build_emoji_items(MODULES, ("th",), product_emoji, fraction)
        flags = len({i["key"] for i in items if i["flag"]})
        groups = counts["groups"]
        sides[fraction] = groups["parallel"] / (groups["parallel"] + groups["ood"] - flags)
        assert not any(i["flag"] and i["side"] == "parallel" for i in items)
    assert sides[0.2] > sides[0.5] > sides[0.8] and 0.4 < sides[0.5] < 0.6


@pytest.mark.slow
def test_parallel_emoji_are_outside_the_products(built):
    root, _ = built
    products = {_strip(p["emoji"]) for p in _products()}
    corpus = _rows(root / "par")
    assert len(corpus) > 1000 and len(products) == len(_products())
    assert not {_strip(c["emoji"]) for c in corpus} & products
    assert not {group_key(c["emoji"]) for c in corpus} & {group_key(e) for e in products}
    items, counts = build_emoji_items(MODULES, ("th",), products, 0.5)  # before the text rules, which drop more
    assert len(items) > 3000 and counts["in_product_groups"] >= len(products)
    assert not {i["emoji"] for i in items} & products
    assert not {i["key"] for i in items} & {group_key(e) for e in products}
    ids = {c["product_id"] for c in corpus}
    for lang in LANGUAGES:
        rows = _rows(root / "par", lang)
        assert len(rows) > 2000 and all(r["relevant_ids"][0] in ids and len(r["relevant_ids"]) == 1 for r in rows)


def test_no_parallel_text_equals_a_product_text_or_a_dataset_query(built):
    root, _ = built
    forbidden, texts = _product_texts(), _texts(root / "par")
    assert len(forbidden) > 2_000 and len(texts) > 30_000
    assert [t for t in texts if fold(t) in forbidden] == []
    assert [t for t in _texts(root / "ood-emoji") + _texts(root / "ood-locale") if fold(t) in forbidden] == []


def test_no_parallel_text_equals_an_ood_query_or_item(built):
    root, _ = built
    ood = {fold(t) for name in ("ood-emoji", "ood-locale") for t in _texts(root / name)}
    assert len(ood) > 10_000
    assert [t for t in _texts(root / "par") if fold(t) in ood] == []


def test_parallel_and_ood_emoji_groups_are_disjoint(built):
    root, stats = built
    par = {group_key(c["emoji"]) for c in _rows(root / "par")}
    ood_corpus = _rows(root / "ood-emoji")
    ood = {group_key(c["emoji"]) for c in ood_corpus}
    assert len(par) > 300 and len(ood) > 300 and not par & ood
    assert sum(is_flag(c["emoji"]) for c in ood_corpus) > 200
    assert not any(is_flag(c["emoji"]) for c in _rows(root / "par"))
    assert stats["parallel"]["emoji"]["in_product_groups"] >= len(_products())


def test_folders_load_with_the_project_readers(built):
    import datasets

    from lira_utils.dataset import load_corpus, load_queries
    from lira_utils.dataset import read_split

    root, stats = built
    rows = read_split(str(root / "par"), "th", "train")
    assert len(rows) == stats["parallel"]["rows"]["th"] and rows[0]["candidate_sources"] == ["parallel"]
    assert datasets.load_dataset(str(root / "par"), "th", split="train").features == QUERY_FEATURES
    for name, key in (("ood-emoji", "ood_emoji"), ("ood-locale", "ood_locale")):
        queries, corpus = load_queries(str(root / name), "th", "test"), load_corpus(str(root / name))
        assert len(queries) == stats[key]["rows"]["th"] > 500 and len(corpus) == stats[key]["corpus"]
        ids = {c["product_id"] for c in corpus}
        assert all(set(q["relevant_ids"]) <= ids and q["relevance"] == [1] * len(q["relevant_ids"]) for q in queries)
        assert len({unicodedata.normalize("NFC", q["query"]) for q in queries}) == len(queries)  # one row per name
        assert (root / name / STATS_FILE).is_file() and "Unicode-3.0" in (root / name / "README.md").read_text()


def _digest(folder):
    h = hashlib.sha256()
    for f in sorted(Path(folder).rglob("*")):
        if f.is_file() and f.name != ".lira-output.json":
            h.update(f.relative_to(folder).as_posix().encode() + f.read_bytes())
    return h.hexdigest()


@pytest.mark.slow
def test_cli_build_is_deterministic(built, tmp_path):
    root, _ = built
    env = {**os.environ, "PYTHONHASHSEED": "7", "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1"}
    done = subprocess.run([sys.executable, "-m", "dataset_builder", "anchor-text", "--dataset", str(DATASET),
                           "--parallel-out", str(tmp_path / "par"), "--ood-out", str(tmp_path / "ood")],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "th " in done.stdout and "parallel" in done.stdout
    for name in ("par", "ood-emoji", "ood-locale"):
        assert _digest(tmp_path / name) == _digest(root / name), name


@pytest.mark.parametrize("kwargs, needle", [
    ({"ood_fraction": 0.0}, "ood_fraction=0.0"), ({"ood_fraction": 1}, "ood_fraction=1"),
    ({"ood_fraction": float("nan")}, "nan"), ({"ood_fraction": "half"}, "'half'"),
    ({"languages": ["th", "xx"]}, "'xx'"), ({"languages": []}, "No language"),
    ({"dataset": "/nonexistent/lira-products"}, "/nonexistent/lira-products"),
])  # fmt: skip
def test_bad_values_raise(kwargs, needle):
    args = {"dataset": str(DATASET), "languages": None, "ood_fraction": 0.5, **kwargs}
    with pytest.raises(ValueError, match="build it|between 0 and 1|fil|language") as err:
        build_anchor_tables(**args)
    assert needle in str(err.value)


def test_outputs_must_not_be_the_dataset(tmp_path):
    with pytest.raises(ValueError, match="four different folders"):
        build_anchor_text(str(DATASET), str(DATASET), str(tmp_path / "ood"))
    from dataset_builder.__main__ import main

    assert main(["anchor-text", "--ood-fraction", "1.5", "--parallel-out", str(tmp_path / "p"),
                 "--ood-out", str(tmp_path / "o")]) == 1  # fmt: skip
    assert not (tmp_path / "p").exists()
