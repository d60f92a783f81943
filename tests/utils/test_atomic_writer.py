"""The one atomic writer (`lira_utils.atomic`) as the project's writers use it: a folder LiRA did not write is never
replaced (every file stays, byte for byte), LiRA's own previous output is, a failure changes nothing and leaves no
temporary folder, modes follow the umask; plus the two supply-chain fixes (shard manifests cannot escape their
folder, the GPU run's wheel folder is not a fixed path)."""

import json
import os
import stat
import subprocess
import sys
import tempfile

import pytest

from lira_utils.atomic import MARKER, atomic_folder, atomic_write_bytes
from tests import REPO_ROOT

REPO = str(REPO_ROOT)
FOREIGN = "LiRA did not write"


def _snapshot(folder):
    """Every file under `folder` (relative path -> bytes)."""
    out = {}
    for root, _, names in os.walk(folder):
        for name in names:
            path = os.path.join(root, name)
            with open(path, "rb") as f:
                out[os.path.relpath(path, folder)] = f.read()
    return out


def _user_folder(path):
    """A folder of the user's own, as it might be passed by mistake as an output folder."""
    os.makedirs(os.path.join(path, "sub"))
    (path / "notes.txt").write_text("my notes, not LiRA's\n", encoding="utf-8")
    (path / "sub" / "data.bin").write_bytes(os.urandom(300))
    return _snapshot(path)


def _split(tmp_path, blobs):
    """A real `split_folder` payload of `blobs`; returns its group folders."""
    from training.gpu.shards import split_folder

    src = tmp_path / "src"
    for rel, data in blobs.items():
        os.makedirs(os.path.dirname(src / rel), exist_ok=True)
        (src / rel).write_bytes(data)
    split_folder(str(src), str(tmp_path / "groups"), shard_bytes=400, group_bytes=1000)
    return sorted(str(p) for p in (tmp_path / "groups").iterdir())


def _reassemble_writer(tmp_path):
    from training.gpu.shards import reassemble

    groups = _split(tmp_path, {"a.bin": os.urandom(900), "d/b.txt": b"hello"})
    return lambda out: reassemble(groups, str(out))


def _dataset_writer(tmp_path):
    from dataset_builder.writer import atomic_output

    def write(out):
        with atomic_output(out) as tmp:
            (tmp / "lira_build.json").write_text("{}", encoding="utf-8")

    return write


def _staging_writer(tmp_path):
    from push_scripts.stage_model import stage_folder

    (tmp_path / "model").mkdir()
    (tmp_path / "model" / "config.json").write_text("{}", encoding="utf-8")
    return lambda out: stage_folder(str(tmp_path / "model"), ["config.json"], str(out), "# card\n")


def _leftovers(folder, keep):
    return sorted(set(os.listdir(folder)) - set(keep))


WRITERS = {"training.gpu.shards.reassemble": _reassemble_writer, "dataset_builder.writer.atomic_output": _dataset_writer,
           "push_scripts.stage_model.stage_folder": _staging_writer}


@pytest.mark.parametrize("writer", sorted(WRITERS))
def test_writers_refuse_a_foreign_folder_and_keep_every_file(tmp_path, writer):
    write = WRITERS[writer](tmp_path)
    before = set(os.listdir(tmp_path))
    out = tmp_path / "mine"
    snapshot = _user_folder(out)
    with pytest.raises(ValueError, match=FOREIGN) as err:
        write(out)
    assert str(out) in str(err.value) and "remove this one yourself" in str(err.value)
    assert _snapshot(out) == snapshot  # every file, byte for byte
    assert _leftovers(tmp_path, before | {"mine"}) == []  # no temporary folder


def test_atomic_folder_refuses_a_foreign_folder(tmp_path):
    out = tmp_path / "mine"
    snapshot = _user_folder(out)
    with pytest.raises(ValueError, match=f"--out '{out}' already holds files that {FOREIGN}"):
        with atomic_folder(out, what="--out") as tmp:
            (tmp_path / "ran").write_text("the block ran")
    assert not (tmp_path / "ran").exists()  # refused before the block, not after the work
    assert _snapshot(out) == snapshot and os.listdir(tmp_path) == ["mine"]


def test_writers_replace_their_own_previous_output(tmp_path):
    from training.gpu.shards import reassemble

    out = tmp_path / "out"
    first = _split(tmp_path / "one", {"a.bin": b"first" * 100})
    second = _split(tmp_path / "two", {"b.bin": b"second" * 100})
    reassemble(first, str(out))
    reassemble(second, str(out))
    assert sorted(os.listdir(out)) == [MARKER, "b.bin"] and (out / "b.bin").read_bytes() == b"second" * 100
    assert _leftovers(tmp_path, {"one", "two", "out"}) == []
    _dataset_writer(tmp_path)(tmp_path / "data")
    _dataset_writer(tmp_path)(tmp_path / "data")  # a previous build is replaced too
    assert sorted(os.listdir(tmp_path / "data")) == [MARKER, "lira_build.json"]


def test_a_failure_inside_the_block_leaves_the_old_folder_untouched(tmp_path):
    from training.gpu.shards import reassemble

    out = tmp_path / "out"
    with atomic_folder(out) as tmp:
        with open(os.path.join(tmp, "weights.bin"), "wb") as f:
            f.write(b"old weights")
    snapshot = _snapshot(out)
    with pytest.raises(RuntimeError, match="disk full"):
        with atomic_folder(out) as tmp:
            with open(os.path.join(tmp, "weights.bin"), "wb") as f:
                f.write(b"new, half written")
            raise RuntimeError("disk full")
    assert _snapshot(out) == snapshot and os.listdir(tmp_path) == ["out"]
    groups = _split(tmp_path / "p", {"a.bin": os.urandom(900)})
    shard = sorted(p for p in os.listdir(groups[-1]) if p.startswith("shard-"))[-1]
    with open(os.path.join(groups[-1], shard), "r+b") as f:
        f.write(b"X")
    with pytest.raises(ValueError, match="SHA-256"):
        reassemble(groups, str(out))
    assert _snapshot(out) == snapshot and _leftovers(tmp_path, {"out", "p"}) == []


def test_modes_follow_the_umask(tmp_path):
    from safetensors.torch import save_file
    import torch

    from training.gpu.shards import reassemble

    groups = _split(tmp_path / "p", {"d/model.safetensors": os.urandom(500)})
    old = os.umask(0o022)
    try:
        rebuilt = tmp_path / "rebuilt"
        reassemble(groups, str(rebuilt))
        _dataset_writer(tmp_path)(tmp_path / "data")
        out = tmp_path / "out"
        with atomic_folder(out) as tmp:
            os.makedirs(os.path.join(tmp, "sub"))
            save_file({"w": torch.zeros(2)}, os.path.join(tmp, "model.safetensors"))
            fd, private = tempfile.mkstemp(dir=os.path.join(tmp, "sub"))  # what tempfile-based savers leave: 0600
            os.close(fd)
        written = atomic_write_bytes(tmp_path / "report.bin", b"x")
    finally:
        os.umask(old)
    mode = lambda p: stat.S_IMODE(os.stat(p).st_mode)  # noqa: E731
    assert mode(out) == 0o755 and mode(out / "sub") == 0o755
    assert mode(out / "model.safetensors") == 0o644 and mode(out / "sub" / os.path.basename(private)) == 0o644
    assert mode(out / MARKER) == 0o644 and mode(written) == 0o644
    assert mode(rebuilt) == mode(rebuilt / "d") == mode(tmp_path / "data") == 0o755  # the project's writers too
    assert mode(rebuilt / "d" / "model.safetensors") == mode(tmp_path / "data" / "lira_build.json") == 0o644


def test_staged_upload_folders_upload_no_marker(tmp_path):
    """The marker is LiRA's local bookkeeping: a collected model file list and an upload plan never hold it, and a
    staged folder keeps it, so staging again (the main job run twice) replaces LiRA's own staging."""
    from push_scripts.hub_upload import plan_folder
    from push_scripts.stage_model import collect_model_files, stage_folder

    model = tmp_path / "model"
    with atomic_folder(model) as tmp:
        with open(os.path.join(tmp, "config.json"), "w", encoding="utf-8") as f:
            f.write("{}")
    keep, skip = collect_model_files(str(model))
    assert keep == ["config.json"] and skip == []
    staged = stage_folder(str(model), [*keep, MARKER], str(tmp_path / "staged"), "# card\n")
    assert sorted(os.listdir(staged)) == [MARKER, "README.md", "config.json"]
    plan = plan_folder(staged, "org/lira", "model", "Upload")
    assert [f.path_in_repo for f in plan.files] == ["README.md", "config.json"]
    stage_folder(str(model), keep, staged, "# card v2\n")
    assert open(os.path.join(staged, "README.md"), encoding="utf-8").read() == "# card v2\n"


CLIS = {
    "build_lira_small": ["-m", "push_scripts.build_lira_small", "--out"],
    "finetune": ["-m", "training.finetune", "--model", "no-such-model", "--dataset", "no-such-dataset",
                 "--output-dir"],
    "export_sentence_transformers": ["-m", "push_scripts.export_sentence_transformers", "--model", "no-such-model",
                                     "--out"],
    "gpu_prepare": ["-m", "training.gpu", "prepare", "--model", "no-such-model", "--dataset", "no-such-dataset",
                    "--no-wheels", "--out"],
}


@pytest.mark.parametrize("cli", sorted(CLIS))
@pytest.mark.slow
def test_real_cli_refuses_a_user_folder_as_output(tmp_path, cli):
    out = tmp_path / "my folder"
    snapshot = _user_folder(out)
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1"}
    done = subprocess.run([sys.executable, *CLIS[cli], str(out)], cwd=REPO, env=env, capture_output=True, text=True,
                          timeout=600)
    assert done.returncode == 2, done.stderr[-2000:]
    assert done.stderr.startswith("error: ") and f"{out}' already holds files that {FOREIGN}" in done.stderr
    assert "Traceback" not in done.stderr
    assert _snapshot(out) == snapshot and os.listdir(tmp_path) == ["my folder"]


@pytest.mark.parametrize("bad", ["../x", "ABSOLUTE", "a/../../x", "..", "", "a\0b"])
def test_shard_manifest_paths_cannot_leave_the_folder(tmp_path, bad):
    from training.gpu.shards import reassemble

    # an absolute path like /etc/x, but one under tmp_path: a broken reassemble must not write into the system
    bad = str(tmp_path / "x") if bad == "ABSOLUTE" else bad
    groups = _split(tmp_path, {"a.bin": b"payload"})
    manifest_file = os.path.join(groups[0], "manifest.json")
    with open(manifest_file, encoding="utf-8") as f:
        manifest = json.load(f)
    manifest["files"][0]["path"] = bad
    with open(manifest_file, "w", encoding="utf-8") as f:
        json.dump(manifest, f)
    with pytest.raises(ValueError, match="is not a relative path inside the rebuilt folder") as err:
        reassemble(groups, str(tmp_path / "out" / "dest"))
    assert manifest_file in str(err.value) and repr(bad) in str(err.value)
    assert not (tmp_path / "out").exists() and not (tmp_path / "x").exists()  # nothing written anywhere


def test_gpu_wheel_folder_is_fresh_and_private(tmp_path, monkeypatch):
    from training.gpu import job as gpu

    (tmp_path / "fake-0.0-py3-none-any.whl").write_bytes(b"")
    targets = []

    def fake_run(cmd, **kwargs):
        targets.append(cmd[cmd.index("--target") + 1])
        return subprocess.CompletedProcess(cmd, 0)

    monkeypatch.setattr(gpu.subprocess, "run", fake_run)
    monkeypatch.setattr(sys, "path", list(sys.path))
    try:
        gpu._install_wheels(str(tmp_path))
        first = sys.path[0]
        gpu._install_wheels(str(tmp_path))
        assert targets == [first, sys.path[0]] and targets[0] != targets[1]
        for site in targets:
            assert os.path.basename(site).startswith("lira-site-") and site != "/tmp/lira-site"
            assert stat.S_IMODE(os.stat(site).st_mode) == 0o700 and os.stat(site).st_uid == os.getuid()
    finally:
        for site in targets:
            if os.path.isdir(site) and os.path.basename(site).startswith("lira-site-"):
                os.rmdir(site)
