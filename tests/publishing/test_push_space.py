"""push_scripts/push_space.py: the staged Space is self-contained, `--dry-run` sends nothing, a push is one commit to
a Gradio Space, the token never appears (mock Hub, no network)."""

import json
import logging
import os

import pytest
from huggingface_hub import SpaceCard

from push_scripts.push_space import main, push_space
from tests.fixtures_push import TEST_TOKEN
from tests import REPO_ROOT

ARGS = ["--repo-id", "org/lira-demo", "--model-id", "org/lira", "--dataset-id", "org/lira-products",
        "--revision", "v0.2.0"]


def _listed(out):
    return [line.split()[-1] for line in out.splitlines() if line.startswith("  ")]


@pytest.mark.slow
def test_dry_run_stages_a_self_contained_space_and_sends_nothing(mock_hub, tmp_path, capsys, caplog):
    caplog.set_level(logging.DEBUG)
    assert main(ARGS + ["--dry-run", "--staging-dir", str(tmp_path)]) == 0
    out = capsys.readouterr()
    # the file list, read-only (huggingface_hub's own agent-harness lookup aside)
    assert [r for r in mock_hub.requests if "agent" not in r[1]] == [("GET", "/api/spaces/org/lira-demo/tree/main")]
    assert "fresh-process import check passed" in out.out and "dry run: nothing was sent to the Hub." in out.out
    assert "space repo: org/lira-demo (public if created)" in out.out
    listed = _listed(out.out)
    for name in ("README.md", "app.py", "space_inputs.py", "space_search.py", "space_render.py", "requirements.txt",
                 "space_config.json", "evaluation/__init__.py", "evaluation/lira_system.py",
                 "dataset_builder/__init__.py", "dataset_builder/qe_critic.py", "dataset_builder/schema.py"):
        assert name in listed, name
    assert "browser_check.py" not in listed and "dataset_builder/pipeline.py" not in listed
    assert not [f for f in listed if "__pycache__" in f]
    staged = tmp_path / "lira-demo"
    card = SpaceCard.load(staged / "README.md").data
    assert (card.sdk, card.app_file) == ("gradio", "app.py") and card.sdk_version
    assert card.models == ["org/lira", "intfloat/multilingual-e5-small"] and card.datasets == ["org/lira-products"]
    assert "datasets/org/lira-products" in (staged / "README.md").read_text()
    config = json.loads((staged / "space_config.json").read_text())
    assert config == {"model": "org/lira", "revision": "v0.2.0", "dataset": "org/lira-products",
                      "backbone": "intfloat/multilingual-e5-small", "finetune": None}
    assert TEST_TOKEN not in out.out + out.err + caplog.text


def test_push_is_one_commit_to_a_gradio_space(mock_hub, hub_api, tmp_path, capsys):
    result = push_space("org/lira-demo", "org/lira", "org/lira-products", finetune_id="org/lira-finetune",
                        npm_dir=str(tmp_path / "no-cldr"), verify=False, api=hub_api)
    created, = mock_hub.created
    assert created["type"] == "space" and created["sdk"] == "gradio"
    commit, = mock_hub.commits
    assert commit["repo_type"] == "space" and commit["repo_id"] == "org/lira-demo"
    files = set(commit["files"]) | set(commit["lfs"])
    assert {"README.md", "app.py", "space_config.json", "evaluation/search.py"} <= files
    assert "critic_lexicon.json" not in files  # no CLDR sources here: the Space falls back to the corpus words
    assert json.loads(commit["files"]["space_config.json"])["finetune"] == "org/lira-finetune"
    assert SpaceCard(commit["files"]["README.md"].decode()).data.models[-1] == "org/lira-finetune"
    assert result["commits"][0].oid == commit["sha"] and mock_hub.tags == []
    out = capsys.readouterr()
    assert "CLDR npm packages are not installed" in out.out and TEST_TOKEN not in out.out + out.err


def test_bad_repo_ids_and_token_arguments_are_refused(capsys):
    assert main(["--repo-id", "lira-demo", "--dry-run"]) == 1
    assert "repo_id must look like 'org/name', got 'lira-demo'" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(ARGS + ["--token", TEST_TOKEN])
    assert "unrecognized arguments" in capsys.readouterr().err


def test_staged_space_has_no_local_paths(tmp_path):
    push_space("org/lira-demo", "org/lira", "org/lira-products", dry_run=True, staging_dir=str(tmp_path), verify=False,
               log=lambda *_: None)
    repo = str(REPO_ROOT)
    for root, _, names in os.walk(tmp_path / "lira-demo"):
        for name in names:
            with open(os.path.join(root, name), encoding="utf-8") as f:
                assert repo not in f.read(), f"{name} mentions the local checkout"
