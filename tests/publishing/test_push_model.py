"""push_scripts/push_model.py: staging, the fresh-process reload check, --dry-run, and the upload of both repos."""

import json
import logging
import os
import re
import shutil
import subprocess

import pytest

from push_scripts import push_model as push_model_module
from push_scripts.push_model import main, push_model
from push_scripts.stage_model import check_model_files, collect_model_files
from push_scripts import reload_probe
from push_scripts.verify_staged import load_reference, repo_packages, run_fresh_process
from tests.fixtures_push import TEST_TOKEN, tiny_st_export

MODEL_FILES = ["README.md", "config.json", "configuration_tinylira.py", "model.safetensors", "modeling_tinylira.py",
               "tokenizer.json", "tokenizer_config.json"]


@pytest.fixture
def st_files(tiny_st_dir):
    """Files of a sentence-transformers export (the exact set depends on the installed sentence-transformers)."""
    files = {f for f in push_model_module.collect_all(tiny_st_dir) if f != "README.md"} | {"README.md"}
    assert {"modules.json", "1_Pooling/config.json", "2_Dense/config.json", "model.safetensors"} <= files
    return sorted(files)


def relative_links(markdown):
    """Targets of the Markdown links of `markdown` that point inside the repo (no scheme, no anchor-only link)."""
    targets = {t.split("#")[0] for t in re.findall(r"\]\(([^)\s]+)\)", markdown)}
    return {t for t in targets if t and "://" not in t and not t.startswith(("#", "mailto:"))}


def _copy(src, tmp_path, name="model"):
    dst = tmp_path / name
    shutil.copytree(src, dst)
    return str(dst)


def test_collect_keeps_hub_files_and_skips_training_leftovers(tiny_model_dir):
    keep, skip = collect_model_files(tiny_model_dir)
    assert keep == [f for f in MODEL_FILES if f != "README.md"]
    assert skip == ["optimizer.pt", "runs/events.log"]
    assert check_model_files(tiny_model_dir, keep)["AutoModel"] == "modeling_tinylira.TinyLiraModel"


def test_the_query_normalizer_is_staged_with_the_model(tiny_model_dir, tmp_path):
    folder = _copy(tiny_model_dir, tmp_path)
    with open(os.path.join(folder, "query_normalizer.json"), "w", encoding="utf-8") as f:
        f.write('{"vocabulary": {"vi": [{"text": "giày", "romanized": []}]}}')
    keep, _ = collect_model_files(folder)
    assert "query_normalizer.json" in keep


def test_second_tokenizer_subfolder_is_staged_but_not_checkpoints(tiny_model_dir, tmp_path):
    model_dir = _copy(tiny_model_dir, tmp_path)
    os.makedirs(os.path.join(model_dir, "english_tokenizer"))
    shutil.copy(os.path.join(model_dir, "tokenizer.json"), os.path.join(model_dir, "english_tokenizer"))
    os.makedirs(os.path.join(model_dir, "checkpoint-100"))
    for name in ("config.json", "model.safetensors"):
        shutil.copy(os.path.join(model_dir, name), os.path.join(model_dir, "checkpoint-100"))
    keep, skip = collect_model_files(model_dir)
    assert "english_tokenizer/tokenizer.json" in keep
    assert {"checkpoint-100/config.json", "checkpoint-100/model.safetensors"} <= set(skip)


def _edit_config(model_dir, **changes):
    path = os.path.join(model_dir, "config.json")
    with open(path) as f:
        config = json.load(f)
    config.update(changes)
    with open(path, "w") as f:
        json.dump(config, f)


@pytest.mark.parametrize("breakage, match", [
    ("no_auto_map", "no auto_map"), ("cross_repo", "points to another repo"),
    ("missing_py", "needs modeling_tinylira.py"), ("bin_weights", "no \\*.safetensors"),
    ("bad_import", "imports .layers"),
])
def test_check_model_files_explains_each_broken_folder(tiny_model_dir, tmp_path, breakage, match):
    model_dir = _copy(tiny_model_dir, tmp_path)
    if breakage == "no_auto_map":
        _edit_config(model_dir, auto_map=None)
    elif breakage == "cross_repo":
        _edit_config(model_dir, auto_map={"AutoModel": "other/repo--modeling_x.X"})
    elif breakage == "missing_py":
        os.remove(os.path.join(model_dir, "modeling_tinylira.py"))
    elif breakage == "bin_weights":
        os.replace(os.path.join(model_dir, "model.safetensors"), os.path.join(model_dir, "pytorch_model.bin"))
    elif breakage == "bad_import":
        with open(os.path.join(model_dir, "modeling_tinylira.py"), "a") as f:
            f.write("\nfrom .layers import pool\n")
    keep, _ = collect_model_files(model_dir)
    with pytest.raises(ValueError, match=match):
        check_model_files(model_dir, keep)


def test_dry_run_prints_plans_and_sends_nothing(tiny_model_dir, st_files, mock_hub, monkeypatch, capsys, caplog):
    caplog.set_level(logging.DEBUG)
    monkeypatch.setattr(push_model_module, "_default_export", tiny_st_export)
    assert main(["--model-dir", tiny_model_dir, "--repo-id", "org/lira", "--dry-run", "--no-verify"]) == 0
    out = capsys.readouterr()
    # the one request: each repo's file list (read-only), to show what a re-publish deletes (huggingface_hub's own
    # agent-harness lookup aside, which it makes once per process)
    assert [r for r in mock_hub.requests if "agent" not in r[1]] == [
        ("GET", f"/api/models/org/{name}/tree/main") for name in ("lira", "lira-st")]
    text = out.out
    assert "not uploaded (not part of a Hub model folder): optimizer.pt, runs/events.log" in text
    assert "model repo: org/lira (public if created)" in text and "model repo: org/lira-st (public if created)" in text
    assert "commit message: Upload LiRA v0.1.0" in text
    assert "commit message: Upload LiRA sentence-transformers export v0.1.0" in text
    size = os.path.getsize(os.path.join(tiny_model_dir, "model.safetensors"))
    assert f"  {size}  model.safetensors" in text
    listed = [line.split()[-1] for line in text.splitlines() if line.startswith("  ")]
    assert listed == MODEL_FILES + st_files
    assert "deletions: none (org/lira does not exist yet, or this login cannot see it)" in text
    assert "dry run: nothing was sent to the Hub." in text
    assert TEST_TOKEN not in out.out + out.err + caplog.text


def test_push_uploads_both_repos_in_one_commit_each(tiny_model_dir, st_files, tmp_path, mock_hub, hub_api, capsys):
    # The fresh-process reload check runs end to end in tests/publishing/test_push_lira.py (real LiRA code); here the upload.
    eval_json = tmp_path / "results.json"
    eval_json.write_text(json.dumps({"split": "test", "results": {"lira": {"vi": {"ndcg@10": 0.5}}}}))
    push_model(tiny_model_dir, "org/lira", private=True, eval_json=str(eval_json), export_fn=tiny_st_export,
               api=hub_api, verify=False)
    full, st = mock_hub.commits
    assert (full["repo_id"], st["repo_id"]) == ("org/lira", "org/lira-st")
    uploaded = sorted(list(full["files"]) + list(full["lfs"]))
    assert uploaded == sorted(MODEL_FILES + ["EVALUATION.md"])  # the page the card links, staged beside README.md
    assert sorted(full["lfs"]) == ["model.safetensors"]
    assert sorted(list(st["files"]) + list(st["lfs"])) == st_files
    assert full["header"]["summary"] == "Upload LiRA v0.1.0"
    assert st["header"]["summary"] == "Upload LiRA sentence-transformers export v0.1.0"
    readme = full["files"]["README.md"].decode()
    assert 'repo, revision = "org/lira", "v0.1.0"' in readme and "value: 0.5" in readme
    assert "[EVALUATION.md](EVALUATION.md)" in readme and relative_links(readme) <= set(uploaded)
    assert "| lira | 0.5000 |" in full["files"]["EVALUATION.md"].decode()
    assert "library_name: sentence-transformers" in st["files"]["README.md"].decode()
    assert [(t["repo_id"], t["tag"]) for t in mock_hub.tags] == [("org/lira", "v0.1.0"), ("org/lira-st", "v0.1.0")]
    assert mock_hub.repos["model:org/lira"]["private"] and mock_hub.repos["model:org/lira-st"]["private"]
    assert TEST_TOKEN not in "".join(capsys.readouterr())


def test_reference_model_is_loaded_with_remote_code(tiny_model_dir):
    model, processor = load_reference(tiny_model_dir)
    outputs = reload_probe.encode(model, processor, ["giày chạy", "running shoe"])
    assert set(outputs) == {"embeddings", "anchored_embeddings"} and outputs["embeddings"].shape[0] == 2


def test_fresh_process_is_isolated_from_the_repo(tiny_model_dir, monkeypatch):
    seen = {}

    def fake_run(cmd, cwd, env, **kwargs):
        seen.update(cmd=cmd, cwd=cwd, env=env, listing=os.listdir(cwd))
        return subprocess.CompletedProcess(cmd, 1, "", "ImportError: 'model_card' belongs to the LiRA repository")

    monkeypatch.setenv("PYTHONPATH", os.getcwd())
    monkeypatch.setattr(subprocess, "run", fake_run)
    with pytest.raises(RuntimeError, match="(?s)does not load in a fresh process.*belongs to the LiRA repository"):
        run_fresh_process(tiny_model_dir, ["giày chạy"])
    assert seen["cmd"][1] == "-I" and os.path.basename(seen["cmd"][2]) == "reload_probe.py"
    assert sorted(seen["listing"]) == ["reload_probe.py", "spec.json"]  # cwd: a fresh folder, not the repo
    assert not any(k.startswith("PYTHON") for k in seen["env"])
    assert seen["env"]["HF_HUB_OFFLINE"] == "1" and seen["env"]["HF_MODULES_CACHE"].startswith(seen["cwd"])
    assert {"model_card", "push_scripts", "modeling_lira"} <= set(repo_packages())


def test_probe_blocks_repo_packages():
    finder = reload_probe._BlockPackages(["model_card"])
    with pytest.raises(ImportError, match="belongs to the LiRA repository"):
        finder.find_spec("model_card.build")
    assert finder.find_spec("transformers") is None


def test_no_token_argument_exists(capsys):
    with pytest.raises(SystemExit):
        push_model_module.parse_args(["--model-dir", "x", "--repo-id", "org/lira", "--token", TEST_TOKEN])
    assert "unrecognized arguments" in capsys.readouterr().err
