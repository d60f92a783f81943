"""The GPU path on CPU: shards, exact 4-bit packing, vocabulary trimming, adapter merge, and the whole prepare ->
remote -> collect chain with a tiny model (everything but the GPU itself)."""

import json
import os
import shutil

import pytest
import torch
from safetensors.torch import load_file

from training.gpu.shards import reassemble, split_folder
from training.gpu.vocab_trim import trim_lira, verify_trim
from training.gpu.weight_pack import pack_q4, pack_state_dict, unpack_q4, unpack_state_dict


def _q4_tensor(shape, seed=0):
    g = torch.Generator().manual_seed(seed)
    q = torch.randint(-8, 8, shape, generator=g).float()
    scale = (torch.rand(q.numel() // 32, 1, generator=g) * 0.1).half().float()
    q.view(-1, 32)[:, 0] = -8  # every block's extreme is q = -8, as Q4_0 writes it
    return (q.view(-1, 32) * scale).view(shape)


def test_shards_reassemble_byte_identical_and_refuse_damage(tmp_path):
    src = tmp_path / "src"
    (src / "sub").mkdir(parents=True)
    blobs = {"a.bin": os.urandom(2500), "sub/b.bin": os.urandom(999), "empty.txt": b"", "c.json": b"{}"}
    for rel, data in blobs.items():
        (src / rel).write_bytes(data)
    sizes = split_folder(str(src), str(tmp_path / "groups"), shard_bytes=700, group_bytes=1500)
    assert len(sizes) >= 3 and max(sizes) <= 1500 and sum(sizes) == sum(map(len, blobs.values()))
    groups = sorted(str(p) for p in (tmp_path / "groups").iterdir())
    assert reassemble(groups, str(tmp_path / "out")) == len(blobs)
    for rel, data in blobs.items():
        assert (tmp_path / "out" / rel).read_bytes() == data
    with pytest.raises(ValueError, match="missing"):
        reassemble(groups[:-1], str(tmp_path / "partial"))
    shard = sorted(p for p in (tmp_path / "groups" / "group-1").iterdir())[0]
    shard.write_bytes(b"x" + shard.read_bytes()[1:])
    with pytest.raises(ValueError, match="SHA-256"):
        reassemble(groups, str(tmp_path / "damaged"))
    assert not (tmp_path / "damaged").exists()  # nothing half-written
    with pytest.raises(ValueError, match="exists"):
        split_folder(str(src), str(tmp_path / "groups"), 700, 1500)


def test_q4_packing_is_exact_and_leaves_other_tensors_alone():
    w = _q4_tensor((64, 96))
    codes, scales = pack_q4(w)
    assert codes.dtype == torch.uint8 and codes.numel() == w.numel() // 2 and scales.dtype == torch.float16
    assert torch.equal(unpack_q4(codes, scales, w.shape), w)  # bit for bit
    assert pack_q4(torch.randn(64, 96)) is None  # real fp32 weights are not 4-bit values
    assert pack_q4(torch.randn(7)) is None
    sd = {"q4": w, "plain": torch.randn(32, 32), "zeros": torch.zeros(64), "odd": torch.randn(5)}
    packed, meta = pack_state_dict(sd)
    assert "q4.q4codes" in packed and "plain" in packed and "odd" in packed
    back = unpack_state_dict(packed, meta)
    assert set(back) == set(sd) and all(torch.equal(back[k], sd[k]) for k in sd)


def test_trimmed_tiny_model_equals_the_full_one(tmp_path, tiny_model, tiny_processor, tiny_products_dir):
    full = tmp_path / "full"
    tiny_model.save_pretrained(full)
    tiny_processor.save_pretrained(full)
    report = trim_lira(str(full), tiny_products_dir, str(tmp_path / "trim"), reserve=5)
    assert report["encoder"]["kept"] < report["encoder"]["vocab_size"]
    check = verify_trim(str(full), str(tmp_path / "trim"), tiny_products_dir, report, sample_per_stream=128)
    assert check["encoder"]["mismatched_texts"] == check["english_encoder"]["mismatched_texts"] == 0
    assert check["max_abs_diff"] == 0.0
    kept = load_file(tmp_path / "trim" / "model.safetensors")["encoder.embeddings.word_embeddings.weight"]
    rows = torch.tensor(sorted(report["encoder"]["old2new"], key=report["encoder"]["old2new"].get))
    assert torch.equal(kept, tiny_model.encoder.embeddings.word_embeddings.weight.detach()[rows])


@pytest.mark.slow
def test_trimmed_lira_small_equals_the_full_one_on_real_texts(tmp_path, lira_small_dir, tiny_products_dir):
    """The real embedded default: every text of a real CLDR build tokenizes identically, embeddings are equal, and
    the trimmed + 4-bit packed model is several times smaller."""
    from training.gpu.weight_pack import pack_file

    report = trim_lira(lira_small_dir, tiny_products_dir, str(tmp_path / "trim"))
    check = verify_trim(lira_small_dir, str(tmp_path / "trim"), tiny_products_dir, report)
    assert check["texts"] > 1000
    assert check["encoder"]["mismatched_texts"] == check["english_encoder"]["mismatched_texts"] == 0
    assert check["max_abs_diff"] == 0.0
    assert pack_file(str(tmp_path / "trim" / "model.safetensors"), str(tmp_path / "packed.safetensors")) > 50
    full = os.path.getsize(os.path.join(lira_small_dir, "model.safetensors"))
    assert os.path.getsize(tmp_path / "packed.safetensors") < full / 6


def _start_folder(tmp_path, tiny_model, tiny_processor):
    start = tmp_path / "start"
    tiny_model.save_pretrained(start)
    tiny_processor.save_pretrained(start)
    return str(start)


def _run_args(**kw):
    from training.train import LiraRunArguments

    base = dict(languages="vi,th", stage1_steps=2, stage2_steps=2, batch_size=4, eval_steps=2,
                validation_queries_per_language=5, lora_r=4, lora_alpha=8, language_probe_per_language=20,
                english_scale_queries_per_language=10, config_overrides="retrieval_temperature=0.07")
    return LiraRunArguments(**{**base, **kw})


@pytest.mark.slow
def test_adapter_from_the_trimmed_model_merges_into_the_local_runs_weights(tmp_path, tiny_model, tiny_processor,
                                                                          tiny_products_dir):
    from modeling_lira import LiraModel
    from training.gpu.merge_adapter import merge_adapter
    from training.train import run_training

    start = _start_folder(tmp_path, tiny_model, tiny_processor)
    run_training(_run_args(model=start, dataset=tiny_products_dir, output_dir=str(tmp_path / "local"),
                           run_dir=str(tmp_path / "run-local")))
    trim_lira(start, tiny_products_dir, str(tmp_path / "trim"), reserve=5)
    facts = run_training(_run_args(model=str(tmp_path / "trim"), dataset=tiny_products_dir, adapter_only=True,
                                   output_dir=str(tmp_path / "never"), run_dir=str(tmp_path / "run-remote")))
    assert not (tmp_path / "never").exists() and facts["plan_sha1"]
    merge_adapter(str(tmp_path / "run-remote" / "adapter"), start, tiny_products_dir, str(tmp_path / "merged"))
    local = LiraModel.from_pretrained(tmp_path / "local").state_dict()
    merged = LiraModel.from_pretrained(tmp_path / "merged").state_dict()
    untrained = tiny_model.state_dict()
    assert set(local) == set(merged)
    assert any(not torch.equal(local[k], untrained[k]) for k in local if k.startswith("lasr."))
    for key in local:
        assert torch.allclose(local[key], merged[key], atol=1e-6), key
    saved = json.load(open(tmp_path / "merged" / "training_facts.json"))
    assert saved["args"]["config_overrides"] == "retrieval_temperature=0.07" and "english_scale" in saved


@pytest.mark.slow
def test_prepare_remote_collect_on_cpu(tmp_path, tiny_model, tiny_processor, tiny_products_dir, monkeypatch, capsys):
    """The whole path but the device call: prepare prints every call under the limits; the last call's command,
    run here on CPU against the parked groups, returns adapter tars small enough to come back; collect merges."""
    from training.gpu import job as gpu

    start = _start_folder(tmp_path, tiny_model, tiny_processor)
    out = tmp_path / ".gpu"
    flags = ["--model", start, "--dataset", tiny_products_dir, "--out", str(out), "--reserve", "5",
             "--verify-samples", "128", "--shard-mib", "1", "--no-wheels", "--seeds", "13,14"]
    facts = gpu.main(["prepare", *flags])
    printed = capsys.readouterr().out
    assert "tokenize identically" in printed and "call 1/" in printed and "training.gpu remote" in printed
    for call in facts["calls"]:
        assert call["carry_bytes"] + facts["work_tree_bytes"] <= gpu.CALL_LIMIT
        assert len(call["command"]) <= 2000
    assert facts["packed_model_bytes"] < facts["trimmed_model_bytes"]
    # the device machine: every group parked in one folder outside the work tree, then the remote entry point
    remote_root = tmp_path / "remote"
    for call in facts["calls"]:
        shutil.copytree(call["carry"][0], remote_root / os.path.basename(call["carry"][0]))
    returned = tmp_path / "OUT"
    monkeypatch.setenv("WORLD_SIZE", "1")
    report = gpu.main(["remote", "--shards", str(remote_root), "--work", str(tmp_path / "work"), "--out",
                       str(returned), "--seeds", "13,14", "--stage1-steps", "1", "--stage2-steps", "2",
                       "--batch-size", "4", "--num-workers", "0", "--benchmark-steps", "1"])
    names = sorted(os.listdir(returned))
    assert names == ["adapter-s13.tar", "adapter-s14.tar", "gpu_report.json"]
    assert all(os.path.getsize(returned / n) <= gpu.RETURN_FILE_LIMIT for n in names)
    assert report["throughput"]["ratio"] > 0 and set(report["seeds"]) == {13, 14}
    assert report["seeds"][13]["stage2_samples_per_s"] > 0
    merged = gpu.main(["collect", "--files-at", str(returned), "--model", start, "--dataset", tiny_products_dir,
                       "--out", str(tmp_path / "gpu")])
    assert merged == ["13", "14"]
    assert os.path.exists(tmp_path / "gpu" / "lira-s13" / "model.safetensors")
    vocab = json.load(open(tmp_path / "gpu" / "lira-s13" / "config.json"))["encoder_config"]["vocab_size"]
    assert vocab == tiny_model.config.encoder_config.vocab_size  # merged into the full model, full vocabulary
