"""push_scripts/push_dataset.py: schema validation, the re-rendered card, --dry-run and the one-commit upload."""

import logging
import os
import shutil

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from huggingface_hub import DatasetCard

from push_scripts.dataset_check import check_card_configs, validate_dataset_folder
from push_scripts.push_dataset import main, push_dataset
from tests.fixtures_push import TEST_TOKEN


def _shards(dataset_dir):
    return sorted(os.path.relpath(os.path.join(r, n), dataset_dir).replace(os.sep, "/")
                  for r, _, names in os.walk(dataset_dir) for n in names if n.endswith(".parquet"))


@pytest.fixture
def broken(push_dataset_dir, tmp_path):
    copy = tmp_path / "data"
    shutil.copytree(push_dataset_dir, copy)
    return str(copy)


def test_validate_accepts_the_built_folder(push_dataset_dir):
    shards, stats = validate_dataset_folder(push_dataset_dir)
    assert shards == _shards(push_dataset_dir) and "corpus/corpus-00000-of-00001.parquet" in shards
    assert set(stats["languages"]) <= {"vi", "th", "id", "ms", "fil", "ur", "bn"}


def _first_query_shard(folder):
    return next(s for s in _shards(folder) if s.startswith("data/") and "/test-" in s)


def test_validate_rejects_a_shard_with_a_changed_schema(broken):
    rel = _first_query_shard(broken)
    path = os.path.join(broken, rel)
    table = pq.read_table(path).drop_columns(["noise"])
    pq.write_table(table, path)
    expected = rf"{rel} does not match dataset_builder/schema.py: missing columns \['noise'\]"
    with pytest.raises(ValueError, match=expected):
        validate_dataset_folder(broken)


def test_validate_rejects_rows_of_another_language(broken):
    rel = _first_query_shard(broken)
    path = os.path.join(broken, rel)
    table = pq.read_table(path)
    other = "ms" if rel.split("/")[1] != "ms" else "vi"
    column = pa.array([other] * table.num_rows, type=pa.string())
    table = table.set_column(table.schema.get_field_index("language"), "language", column)
    pq.write_table(table, path)
    with pytest.raises(ValueError, match="only '.*' belongs there"):
        validate_dataset_folder(broken)


def test_validate_rejects_stray_parquet_and_missing_build_marker(broken):
    shutil.copy(os.path.join(broken, "corpus", "corpus-00000-of-00001.parquet"), os.path.join(broken, "extra.parquet"))
    with pytest.raises(ValueError, match="extra.parquet is not a shard path"):
        validate_dataset_folder(broken)
    os.remove(os.path.join(broken, "lira_build.json"))
    with pytest.raises(ValueError, match="not a LiRA dataset build"):
        validate_dataset_folder(broken)


def test_card_configs_must_reach_every_shard(push_dataset_dir):
    card = DatasetCard.load(os.path.join(push_dataset_dir, "README.md"))
    shards = _shards(push_dataset_dir)
    check_card_configs(card, shards)
    with pytest.raises(ValueError, match="in no config"):
        check_card_configs(card, shards + ["data/vi/extra-00000-of-00001.parquet"])


def test_dry_run_prints_the_plan_and_sends_nothing(push_dataset_dir, mock_hub, capsys, caplog):
    caplog.set_level(logging.DEBUG)
    assert main(["--dataset-dir", push_dataset_dir, "--repo-id", "org/lira-products", "--dry-run"]) == 0
    out = capsys.readouterr()
    # the one request: the repo's file list (read-only), to show what a re-publish deletes (huggingface_hub's own
    # agent-harness lookup aside, which it makes once per process)
    assert [r for r in mock_hub.requests if "agent" not in r[1]] == [
        ("GET", "/api/datasets/org/lira-products/tree/main")]
    listed = [line.split()[-1] for line in out.out.splitlines() if line.startswith("  ")]
    assert listed == sorted(["README.md"] + _shards(push_dataset_dir))
    assert "dataset repo: org/lira-products (public if created)" in out.out
    assert "commit message: Upload LiRA Products (" in out.out
    assert "dry run: nothing was sent to the Hub." in out.out
    assert TEST_TOKEN not in out.out + out.err + caplog.text


def test_push_uploads_shards_and_card_in_one_commit(push_dataset_dir, mock_hub, hub_api, capsys):
    result = push_dataset(push_dataset_dir, "org/lira-products", private=True, revision_tag="v0.1.0", api=hub_api)
    commit, = mock_hub.commits
    assert commit["repo_type"] == "dataset" and commit["repo_id"] == "org/lira-products"
    assert sorted(commit["lfs"]) == _shards(push_dataset_dir) and list(commit["files"]) == ["README.md"]
    readme = commit["files"]["README.md"].decode()
    assert 'load_dataset("org/lira-products"' in readme
    with open(os.path.join(push_dataset_dir, "README.md"), encoding="utf-8") as f:
        built = DatasetCard(f.read()).data.to_dict()
    uploaded = DatasetCard(readme).data.to_dict()
    assert uploaded["configs"] == built["configs"] and uploaded["license"] == built["license"]
    assert mock_hub.tags[0]["tag"] == "v0.1.0" and mock_hub.repos["dataset:org/lira-products"]["private"]
    assert result["commits"][0].oid == commit["sha"]
    assert TEST_TOKEN not in "".join(capsys.readouterr())


def test_failed_shard_upload_names_the_shard_and_commits_nothing(push_dataset_dir, mock_hub, hub_api, capsys):
    target = _first_query_shard(push_dataset_dir)
    mock_hub.fail_lfs_paths = {target}
    mock_hub.register_files(push_dataset_dir)
    assert main(["--dataset-dir", push_dataset_dir, "--repo-id", "org/lira-products"]) == 1
    err = capsys.readouterr().err
    assert f"upload of {target}" in err and "nothing was committed" in err
    assert mock_hub.commits == [] and TEST_TOKEN not in err


def test_no_token_argument_exists(capsys):
    from push_scripts.push_dataset import parse_args

    with pytest.raises(SystemExit):
        parse_args(["--dataset-dir", "x", "--repo-id", "org/lira-products", "--token", TEST_TOKEN])
    assert "unrecognized arguments" in capsys.readouterr().err


# --- The card's `dataset_info` comes from public API (no `DatasetInfo._to_yaml_dict`), with the same YAML. ---

# What `DatasetInfo(features=...)._to_yaml_dict()` wrote for the schema before the card switched to public API.
QUERY_FEATURES_YAML = [
    {"name": "query_id", "dtype": "string"}, {"name": "language", "dtype": "string"},
    {"name": "query", "dtype": "string"}, {"name": "relevant_ids", "list": "string"},
    {"name": "relevance", "list": "int32"}, {"name": "category", "dtype": "string"},
    {"name": "composed", "dtype": "bool"}, {"name": "candidates", "list": "string"},
    {"name": "candidate_sources", "list": "string"}, {"name": "critic_scores", "list": {"list": "float32"}},
    {"name": "noise", "dtype": "string"}, {"name": "clean_query_id", "dtype": "string"}]
CORPUS_FEATURES_YAML = [
    {"name": "product_id", "dtype": "string"}, {"name": "title_en", "dtype": "string"},
    {"name": "keywords_en", "list": "string"}, {"name": "category", "dtype": "string"},
    {"name": "titles", "struct": [{"name": lang, "dtype": "string"}
                                  for lang in ("vi", "th", "id", "ms", "fil", "ur", "bn")]},
    {"name": "split", "dtype": "string"}, {"name": "emoji", "dtype": "string"}, {"name": "group", "dtype": "string"}]


def test_dataset_info_yaml_is_what_it_was():
    from dataset_builder.card_yaml import dataset_info_entry
    from dataset_builder.schema import CORPUS_FEATURES, QUERY_FEATURES

    assert dataset_info_entry("vi", QUERY_FEATURES, {"train": 5, "test": 2}) == {
        "config_name": "vi", "features": QUERY_FEATURES_YAML,
        "splits": [{"name": "train", "num_bytes": 0, "num_examples": 5},
                   {"name": "test", "num_bytes": 0, "num_examples": 2}]}
    assert dataset_info_entry("corpus", CORPUS_FEATURES, {"corpus": 3})["features"] == CORPUS_FEATURES_YAML


def test_dataset_info_yaml_handles_lists_of_structs_and_refuses_unknown_types():
    from datasets import ClassLabel, Features, LargeList, List, Value

    from dataset_builder.card_yaml import features_yaml

    features = Features({"spans": List({"start": Value("int32"), "text": Value("string")}),
                         "fixed": List(Value("float32"), length=3), "big": LargeList(Value("int64"))})
    assert features_yaml(features) == [
        {"name": "spans", "list": [{"name": "start", "dtype": "int32"}, {"name": "text", "dtype": "string"}]},
        {"name": "fixed", "list": "float32", "length": 3}, {"name": "big", "large_list": "int64"}]
    with pytest.raises(ValueError, match="'label' has type 'ClassLabel'"):
        features_yaml(Features({"label": ClassLabel(names=["a", "b"])}))


def test_staged_dataset_card_loads_with_the_schemas_features(push_dataset_dir, tmp_path):
    """The staged folder (Parquet + the re-rendered card) is what the Hub serves: `datasets` reads each config's
    features from the card's `dataset_info` and gets exactly `dataset_builder/schema.py`'s `Features`."""
    from datasets import load_dataset, load_dataset_builder

    from dataset_builder.schema import CORPUS_FEATURES, QUERY_FEATURES

    result = push_dataset(push_dataset_dir, "org/lira-products", dry_run=True, staging_dir=str(tmp_path / "hub"),
                          log=lambda *_: None)  # offline (conftest): the plan says its deletions are not checked
    assert result["plan"].deletions is None
    staged = str(tmp_path / "hub" / "lira-products")
    card = DatasetCard.load(os.path.join(staged, "README.md")).data
    infos = {info["config_name"]: info for info in card.dataset_info}
    assert infos["corpus"]["features"] == CORPUS_FEATURES_YAML and infos["default"]["features"] == QUERY_FEATURES_YAML
    language = next(c for c in infos if c not in ("default", "corpus"))
    cache = str(tmp_path / "cache")
    assert load_dataset_builder(staged, language, cache_dir=cache).info.features == QUERY_FEATURES
    assert load_dataset_builder(staged, "corpus", cache_dir=cache).info.features == CORPUS_FEATURES
    rows = load_dataset(staged, language, split="test", cache_dir=cache)
    declared = {split["name"]: split["num_examples"] for split in infos[language]["splits"]}
    assert rows.features == QUERY_FEATURES and len(rows) == declared["test"]
