"""Pinned remote code: every place that loads LiRA with `trust_remote_code=True` takes, checks, passes and shows a
Hub revision (evaluation, its CLI, the model card snippets, the Space, the Space's push script). No network: the Hub
download and `from_pretrained` are replaced by recorders."""

import json
import os
import sys
import warnings

import pytest

from evaluation import lira_system
from evaluation.__main__ import _systems, parse_args
from evaluation.lira_system import LiraSystem, UnpinnedRemoteCodeWarning, check_revision
from tests.publishing.test_card_model import _card, model_dir  # noqa: F401  (model_dir is a fixture)
from tests import REPO_ROOT

REPO = str(REPO_ROOT)
sys.path.insert(0, os.path.join(REPO, "space"))

SHA = "0123456789abcdef0123456789abcdef01234567"
HUB_ID = "org/lira"  # never a folder here: the tests run from the repository root
BAD_REVISIONS = ["", " ", "v0.1.0 ", "a b", "v1\n", "v\t1", 'v1"); import os; ("', "v1'", "v1~1", "v1^", "a:b",
                 "v1?", "v*", "v[1", "a\\b", "v\x00", 7]


class Downloads(list):
    """Calls of the fake `snapshot_download`; `caught` is the warnings list of the test's `catch_warnings`."""

    caught = ()


@pytest.fixture
def downloads(monkeypatch, tiny_lira_dir):
    """`huggingface_hub.snapshot_download` replaced by a recorder returning the tiny LiRA folder; each call records
    how many warnings the test had caught when the download started."""
    calls = Downloads()

    def fake_snapshot_download(repo_id, revision=None, **kwargs):
        calls.append({"repo_id": repo_id, "revision": revision, "warned_before": len(calls.caught), **kwargs})
        return tiny_lira_dir

    import huggingface_hub

    monkeypatch.setattr(huggingface_hub, "snapshot_download", fake_snapshot_download)
    monkeypatch.setattr(lira_system, "_LOADED", {})
    return calls


@pytest.fixture
def loads(monkeypatch):
    """`AutoModel` / `AutoProcessor.from_pretrained` replaced by a recorder; `modeling_lira` made unimportable, so
    `LiraSystem` takes its remote-code path."""
    import torch
    import transformers

    calls = []

    class FakeModel(torch.nn.Module):
        def eval(self):
            return self

    def recorder(name, result):
        def from_pretrained(path, **kwargs):
            calls.append((name, path, kwargs))
            return result
        return from_pretrained

    monkeypatch.setattr(transformers.AutoModel, "from_pretrained", recorder("AutoModel", FakeModel()))
    monkeypatch.setattr(transformers.AutoProcessor, "from_pretrained", recorder("AutoProcessor", object()))
    monkeypatch.setitem(sys.modules, "modeling_lira", None)  # `from modeling_lira import ...` raises ImportError
    return calls


@pytest.mark.parametrize("bad", BAD_REVISIONS)
def test_bad_revision_is_a_value_error_naming_the_flag(bad):
    with pytest.raises(ValueError, match=r"--revision .* is not a valid Hub revision.*40-hex commit sha"):
        check_revision(bad)
    with pytest.raises(ValueError, match=r"^--revision "):
        LiraSystem(HUB_ID, revision=bad)
    with pytest.raises(ValueError, match=r"^LIRA_REVISION "):
        check_revision(bad, "LIRA_REVISION")


@pytest.mark.parametrize("good", [SHA, "v0.1.0", "main", "refs/pr/1", "release-2025_01"])
def test_good_revisions_pass_unchanged(good):
    assert check_revision(good) == good
    assert check_revision(None) is None


def test_cli_rejects_a_bad_revision_naming_the_flag(tmp_path):
    args = parse_args(["evaluate", "--model", HUB_ID, "--systems", "lira_lrl", "--out", str(tmp_path),
                       "--revision", "v1 2"])
    with pytest.raises(ValueError, match=r"--revision 'v1 2' is not a valid Hub revision"):
        _systems(args)


def test_hub_id_without_revision_warns_before_the_download(downloads):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        downloads.caught = caught
        system = LiraSystem(HUB_ID)
    unpinned = [str(w.message) for w in caught if issubclass(w.category, UnpinnedRemoteCodeWarning)]
    assert len(unpinned) == 1
    assert "'org/lira' is a Hub id loaded with trust_remote_code=True and no revision" in unpinned[0]
    assert "not pinned" in unpinned[0] and "pin it with --revision <commit sha>" in unpinned[0]
    assert downloads == [{"repo_id": HUB_ID, "revision": None, "warned_before": 1}]  # warned, then downloaded
    assert system.revision is None


def test_hub_id_with_revision_and_local_folder_do_not_warn(downloads, tiny_lira_dir):
    with warnings.catch_warnings():
        warnings.simplefilter("error", UnpinnedRemoteCodeWarning)
        LiraSystem(HUB_ID, revision=SHA)
        local = LiraSystem(tiny_lira_dir)  # a folder needs no revision
        ignored = LiraSystem(tiny_lira_dir, revision=SHA)  # and ignores one
    assert downloads == [{"repo_id": HUB_ID, "revision": SHA, "warned_before": 0}]
    assert local.revision is None and ignored.revision is None and ignored.folder == tiny_lira_dir


def test_revision_reaches_every_remote_code_from_pretrained(downloads, loads, tiny_lira_dir):
    system = LiraSystem(HUB_ID, revision=SHA)
    system._load()
    assert [name for name, _, _ in loads] == ["AutoModel", "AutoProcessor"]
    for name, path, kwargs in loads:
        assert path == tiny_lira_dir and kwargs == {"trust_remote_code": True, "revision": SHA}, name
    assert downloads[0]["revision"] == SHA


def test_cli_passes_the_revision_to_the_download_and_every_load(downloads, loads, tmp_path):
    args = parse_args(["evaluate", "--model", HUB_ID, "--systems", "lira_lrl", "lira_noisy", "--out", str(tmp_path),
                       "--revision", SHA])
    systems = _systems(args)
    assert [s.revision for s in systems] == [SHA, SHA]
    systems[0]._load()
    assert [d["revision"] for d in downloads] == [SHA, SHA]
    assert [kwargs["revision"] for _, _, kwargs in loads] == [SHA, SHA]


def test_pinned_hub_model_really_loads_and_encodes(downloads):
    """The in-repo classes get the revision too (a local snapshot ignores it): the model still loads and encodes."""
    import numpy as np

    system = LiraSystem(HUB_ID, revision=SHA, progress=False)
    emb = system.encode_queries(["หูฟัง"], languages=["th"])
    assert emb.shape[0] == 1 and np.isfinite(emb).all()


def test_card_snippets_pin_the_revision(model_dir):  # noqa: F811
    with open(os.path.join(model_dir, "query_normalizer.json"), "w") as f:
        json.dump({"vocabulary": {"vi": []}}, f)
    text = str(_card(model_dir))
    assert 'AutoModel.from_pretrained(repo, trust_remote_code=True, revision=revision)' in text
    assert 'AutoProcessor.from_pretrained(repo, trust_remote_code=True, revision=revision)' in text
    assert 'trust_remote_code=True, revision="v0.1.0").query_normalizer' in text
    assert 'revision="<commit sha>"' in text and "a tag can be moved" in text
    lines = [line for line in text.splitlines() if "from_pretrained(" in line or "trust_remote_code=True)" in line]
    assert lines and all("revision=" in line for line in lines if "trust_remote_code" in line), lines


@pytest.mark.parametrize("bad", ['v1"', "v 1", "v1\n"])
def test_card_refuses_a_revision_that_would_break_the_snippet(model_dir, bad):  # noqa: F811
    from model_card import build_model_card

    with pytest.raises(ValueError, match=r"^revision .* is not a valid Hub revision"):
        build_model_card(model_dir, repo_id="org/lira", revision=bad)


@pytest.fixture
def space_app(monkeypatch, tmp_path):
    """`space/app.py` with no `space_config.json` and no `LIRA_*` variables set."""
    import app

    for key in app.DEFAULTS:
        monkeypatch.delenv(f"LIRA_{key.upper()}", raising=False)
    monkeypatch.setattr(app, "CONFIG_FILE", str(tmp_path / "space_config.json"))
    return app


def test_space_takes_the_revision_from_env_config_and_flag(space_app, monkeypatch, tmp_path):
    app = space_app
    settings = app.resolve_settings(app.parse_args([]))
    assert (settings["revision"], settings["revision_source"]) == ("v0.1.0", "the app's default revision")
    (tmp_path / "space_config.json").write_text(json.dumps({"model": HUB_ID, "revision": "v0.2.0"}))
    settings = app.resolve_settings(app.parse_args([]))
    assert settings["revision"] == "v0.2.0" and settings["revision_source"].startswith("'revision' of ")
    monkeypatch.setenv("LIRA_REVISION", SHA)
    settings = app.resolve_settings(app.parse_args([]))
    assert (settings["revision"], settings["revision_source"]) == (SHA, "LIRA_REVISION")
    settings = app.resolve_settings(app.parse_args(["--revision", "v0.3.0"]))
    assert (settings["revision"], settings["revision_source"]) == ("v0.3.0", "--revision")


def test_space_passes_the_env_revision_to_the_searcher(space_app, monkeypatch):
    import space_search

    app = space_app
    monkeypatch.setenv("LIRA_MODEL", HUB_ID)
    monkeypatch.setenv("LIRA_REVISION", SHA)
    seen = {}

    class RecordingSearcher:
        def __init__(self, model, dataset, backbone, **kwargs):
            seen.update(model=model, **kwargs)

    monkeypatch.setattr(space_search, "LiraSpaceSearcher", RecordingSearcher)
    app.make_searcher(dict(app.resolve_settings(app.parse_args([])), critic_lexicon=None))
    assert (seen["model"], seen["revision"], seen["revision_source"]) == (HUB_ID, SHA, "LIRA_REVISION")


def test_space_model_loads_remote_code_at_the_revision_and_shows_it(downloads, loads, space_app):
    from space_search import LiraSpaceModel

    lira = LiraSpaceModel(HUB_ID, SHA, "LIRA_REVISION")
    lira.load()
    assert downloads[0]["revision"] == SHA
    assert [(name, path, kwargs) for name, path, kwargs in loads] == [
        ("AutoModel", HUB_ID, {"trust_remote_code": True, "revision": SHA}),
        ("AutoProcessor", HUB_ID, {"trust_remote_code": True, "revision": SHA})]
    footer = space_app.model_footer(lira)
    assert f"revision `{SHA}`" in footer and f"`{HUB_ID}`" in footer


def test_space_bad_or_missing_revision(downloads, space_app, monkeypatch, tiny_lira_dir):
    from space_search import LiraSpaceModel

    with pytest.raises(ValueError, match=r"^LIRA_REVISION 'v 1' is not a valid Hub revision"):
        LiraSpaceModel(HUB_ID, "v 1", "LIRA_REVISION")
    assert downloads == []  # refused before any download
    with pytest.warns(UnpinnedRemoteCodeWarning, match=r"not pinned.*LIRA_REVISION=<commit sha>"):
        unpinned = LiraSpaceModel(HUB_ID, None)
    assert "no pinned revision" in space_app.model_footer(unpinned)
    assert "local folder" in space_app.model_footer(LiraSpaceModel(tiny_lira_dir, "v0.1.0"))


@pytest.mark.parametrize("bad, match", [("v 1", r"^--revision 'v 1' is not a valid Hub revision"),
                                        (None, r"^--revision is required")])
def test_push_space_refuses_a_bad_revision(bad, match, tmp_path):
    from push_scripts.push_space import push_space

    with pytest.raises(ValueError, match=match):
        push_space("org/lira-demo", HUB_ID, "org/lira-products", revision=bad, dry_run=True,
                   staging_dir=str(tmp_path), verify=False)
    assert os.listdir(tmp_path) == []  # nothing staged
