"""The shared upload logic (push_scripts/hub_upload.py), driven through the real HfApi against the in-process fake
Hub."""

import hashlib
import logging
import os

import pytest

from push_scripts.hub_upload import HubPublisher, UploadError, format_plan, plan_folder, publish_plans
from push_scripts.upload_plan import with_remote_deletions
from tests.fixtures_push import ENDPOINT, TEST_TOKEN


@pytest.fixture
def folder(tmp_path):
    root = tmp_path / "staged"
    (root / "sub").mkdir(parents=True)
    (root / "README.md").write_text("---\nlicense: apache-2.0\n---\n# card\n")
    (root / "config.json").write_text('{"a": 1}')
    (root / "model.safetensors").write_bytes(b"\x00" * 1000)
    (root / "sub" / "tokenizer.json").write_text("{}")
    return str(root)


def _plan(folder, **kwargs):
    return plan_folder(folder, "org/lira", "model", "Upload LiRA v0.1.0", tag="v0.1.0", **kwargs)


def _publisher(hub_api, lines):
    return HubPublisher(api=hub_api, log=lines.append)


def test_plan_lists_every_file_with_its_size(folder):
    plan = _plan(folder)
    assert [(f.path_in_repo, f.size) for f in plan.files] == [
        ("README.md", 35), ("config.json", 8), ("model.safetensors", 1000), ("sub/tokenizer.json", 2)]
    text = format_plan(plan)
    assert text.splitlines()[:4] == [
        "model repo: org/lira (public if created)", "tag: v0.1.0", "commit message: Upload LiRA v0.1.0",
        "files: 4, 1045 bytes (1.0 KB)"]
    assert "  1000  model.safetensors" in text and "     2  sub/tokenizer.json" in text


@pytest.mark.parametrize("kwargs, match", [
    ({"repo_id": "lira"}, "org/name"), ({"repo_type": "collection"}, "repo_type"), ({"commit_message": ""}, "one non-empty"),
])
def test_plan_rejects_bad_arguments(folder, kwargs, match):
    args = {"repo_id": "org/lira", "repo_type": "model", "commit_message": "m", **kwargs}
    with pytest.raises(ValueError, match=match):
        plan_folder(folder, args["repo_id"], args["repo_type"], args["commit_message"])


def test_plan_needs_a_readme(folder):
    os.remove(os.path.join(folder, "README.md"))
    with pytest.raises(ValueError, match="no README.md"):
        _plan(folder)


def test_publish_sends_one_commit_with_every_file_then_tags_it(folder, mock_hub, hub_api):
    lines = []
    info, = _publisher(hub_api, lines).publish(_plan(folder))
    posts = [p for m, p in mock_hub.requests if m == "POST"]
    pre = "/api/models/org/lira/preupload/main"
    assert posts == ["/api/repos/create", pre, pre, pre, "/org/lira.git/info/lfs/objects/batch", pre,
                     "/api/validate-yaml", "/api/models/org/lira/commit/main", f"/api/models/org/lira/tag/{info.oid}"]
    parent = mock_hub.commits[0]["parent"]
    assert [p for m, p in mock_hub.requests if m == "GET" and "agent" not in p] == [
        "/api/whoami-v2", "/api/models/org/lira", "/api/models/org/lira/refs", f"/api/models/org/lira/tree/{parent}"]
    commit, = mock_hub.commits
    assert commit["deleted"] == []  # a new repo: nothing to delete
    assert commit["header"]["summary"] == "Upload LiRA v0.1.0"
    assert sorted(commit["files"]) == ["README.md", "config.json", "sub/tokenizer.json"]
    assert commit["files"]["config.json"] == b'{"a": 1}'
    sha = hashlib.sha256(b"\x00" * 1000).hexdigest()
    assert commit["lfs"] == {"model.safetensors": sha} and mock_hub.uploads == {sha: sha}
    assert commit["parent"] is not None  # optimistic concurrency: fails if main moved meanwhile
    assert mock_hub.tags == [{"repo_id": "org/lira", "tag": "v0.1.0", "revision": info.oid,
                              "message": "Upload LiRA v0.1.0"}]
    assert mock_hub.auth == {f"Bearer {TEST_TOKEN}"}  # the token is only ever a request header
    assert info.commit_url == f"{ENDPOINT}/org/lira/commit/{info.oid}"
    assert any(line.startswith("committed ") for line in lines)


def test_failed_file_upload_names_the_file_and_commits_nothing(folder, mock_hub, hub_api):
    mock_hub.fail_lfs_paths = {"model.safetensors"}
    mock_hub.register_files(folder)
    with pytest.raises(UploadError) as err:
        _publisher(hub_api, []).publish(_plan(folder))
    assert err.value.path == "model.safetensors"
    assert "upload of model.safetensors" in str(err.value) and "nothing was committed" in str(err.value)
    assert mock_hub.posts("/commit/") == [] and mock_hub.tags == [] and mock_hub.commits == []


def test_failure_in_second_repo_commits_neither(folder, tmp_path, mock_hub, hub_api):
    other = plan_folder(folder, "org/lira-st", "model", "Upload export", tag="v0.1.0")
    mock_hub.fail_lfs_paths = {"model.safetensors"}
    mock_hub.register_files(folder)
    with pytest.raises(UploadError):
        _publisher(hub_api, []).publish(_plan(folder), other)
    assert mock_hub.commits == []


def test_existing_tag_is_refused_before_any_upload(folder, mock_hub, hub_api):
    mock_hub.add_repo("org/lira", tags=["v0.1.0"])
    with pytest.raises(UploadError, match="tag 'v0.1.0' already exists"):
        _publisher(hub_api, []).publish(_plan(folder))
    assert mock_hub.posts("/preupload/") == [] and mock_hub.commits == []


def test_private_flag_on_existing_public_repo_is_refused(folder, mock_hub, hub_api):
    mock_hub.add_repo("org/lira", private=False)
    with pytest.raises(UploadError, match="already exists and is public"):
        _publisher(hub_api, []).publish(_plan(folder, private=True))
    assert mock_hub.commits == []


def test_private_repo_is_created_private(folder, mock_hub, hub_api):
    _publisher(hub_api, []).publish(_plan(folder, private=True))
    assert mock_hub.repos["model:org/lira"]["private"] is True


def test_dataset_repo_type_uses_dataset_routes(folder, mock_hub, hub_api):
    plan = plan_folder(folder, "org/lira-products", "dataset", "Upload data")
    _publisher(hub_api, []).publish(plan)
    assert mock_hub.commits[0]["repo_type"] == "dataset"
    assert "/datasets/org/lira-products.git/info/lfs/objects/batch" in mock_hub.posts("lfs")
    assert mock_hub.tags == []


def test_missing_token_says_how_to_log_in(folder, mock_hub, hub_api, monkeypatch):
    monkeypatch.delenv("HF_TOKEN")
    with pytest.raises(UploadError, match="hf auth login"):
        _publisher(hub_api, []).publish(_plan(folder))
    assert mock_hub.requests == []


def test_token_never_appears_in_output_or_logs(folder, mock_hub, hub_api, capsys, caplog):
    caplog.set_level(logging.DEBUG)
    lines = []
    mock_hub.fail_lfs_paths = {"model.safetensors"}
    mock_hub.register_files(folder)
    publisher = HubPublisher(api=hub_api, log=lambda m: (lines.append(m), print(m)))
    with pytest.raises(UploadError) as err:
        publisher.publish(_plan(folder))
    out = capsys.readouterr()
    everything = "\n".join(lines + [out.out, out.err, caplog.text, str(err.value)])
    assert TEST_TOKEN not in everything and TEST_TOKEN[3:] not in everything


# --- Re-publishing: the files the new version no longer has are deleted (never .gitattributes). ---

OLD_VERSION = [".gitattributes", "README.md", "config.json", "model.safetensors", "pytorch_model.bin",
               "old/tokenizer.json", "sub/tokenizer.json"]


def test_republish_deletes_what_the_new_version_dropped(folder, mock_hub, hub_api):
    mock_hub.seed_files("org/lira", OLD_VERSION)
    lines = []
    _publisher(hub_api, lines).publish(_plan(folder))
    commit, = mock_hub.commits
    assert commit["deleted"] == ["old/tokenizer.json", "pytorch_model.bin"]  # sorted; .gitattributes kept
    assert sorted(commit["files"]) == ["README.md", "config.json", "sub/tokenizer.json"]
    assert mock_hub.files["model:org/lira"] == {".gitattributes", "README.md", "config.json", "model.safetensors",
                                                "sub/tokenizer.json"}
    assert "  delete  pytorch_model.bin (not in this version)" in lines
    # the listing read is the head the commit is based on (a concurrent push cannot slip a file in between)
    assert ("GET", f"/api/models/org/lira/tree/{commit['parent']}") in mock_hub.requests


def test_republish_of_the_same_files_deletes_nothing(folder, mock_hub, hub_api):
    mock_hub.seed_files("org/lira", [".gitattributes", "README.md", "config.json", "model.safetensors",
                                     "sub/tokenizer.json"])
    _publisher(hub_api, []).publish(_plan(folder))
    assert mock_hub.commits[0]["deleted"] == []


def test_dry_run_plan_lists_the_deletions_and_sends_nothing(folder, mock_hub, hub_api):
    mock_hub.seed_files("org/lira", OLD_VERSION)
    lines = []
    assert publish_plans([_plan(folder)], dry_run=True, api=hub_api, log=lines.append) == []
    text = "\n".join(lines)
    assert text.splitlines()[-4:] == [
        "deletions: 2 file(s) on the Hub that this version no longer has (kept: .gitattributes)",
        "  delete  old/tokenizer.json", "  delete  pytorch_model.bin", "dry run: nothing was sent to the Hub."]
    assert [m for m, p in mock_hub.requests if "agent" not in p] == ["GET"]  # one read of the file list, no write
    assert mock_hub.commits == [] and mock_hub.tags == [] and mock_hub.files["model:org/lira"] == set(OLD_VERSION)


def test_dry_run_of_a_new_repo_or_offline_says_so(folder, mock_hub, hub_api, monkeypatch):
    plan = with_remote_deletions(_plan(folder), hub_api)
    assert plan.deletions == [] and format_plan(plan).endswith(
        "deletions: none (org/lira does not exist yet, or this login cannot see it)")
    from huggingface_hub import constants

    mock_hub.requests.clear()
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", True)
    plan = with_remote_deletions(_plan(folder), hub_api)
    assert plan.deletions is None and mock_hub.requests == []
    assert format_plan(plan).endswith("deletions: not checked (HF_HUB_OFFLINE is set; the upload lists and deletes "
                                      "them)")


def test_plan_without_a_remote_check_prints_no_deletion_line(folder):
    assert "deletions" not in format_plan(_plan(folder))  # plan_folder alone never touches the Hub


def test_failed_listing_commits_nothing(folder, mock_hub, hub_api):
    mock_hub.add_repo("org/lira")
    original = mock_hub._repo_api

    def broken_tree(request, repo_type, repo_id, rest, body):
        if rest.startswith("/tree/"):
            return mock_hub._json(403, {"error": "listing is forbidden"})
        return original(request, repo_type, repo_id, rest, body)

    mock_hub._repo_api = broken_tree
    with pytest.raises(UploadError, match="cannot list the files of org/lira"):
        _publisher(hub_api, []).publish(_plan(folder))
    assert mock_hub.posts("/preupload/") == [] and mock_hub.commits == []
