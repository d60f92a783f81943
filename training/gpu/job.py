"""One prepared GPU run of LiRA through the device tool's limits, and everything around it runnable on CPU.

    python -m training.gpu prepare [--seeds 13,14,15]   # here: trim + pack + shard, print the device calls
    (make the printed `run` calls, back to back, the second within the machine's 30 s warm window)
    python -m training.gpu collect --files-at /work/.device/...  # here: merge the returned adapters

Limits it is built for (device README, ../shared/docs/gpu_machine.md): at most 64 MiB travel per call (work tree
included), at most 8 files of 16 MiB come back, no network and no `datasets` there. The 572 MB lira-small cannot
travel, so `prepare`:

1. trims both vocabularies to the tokens of every dataset text plus a reserve (`training.gpu.vocab_trim`; a tokenizer
   family it cannot trim exactly is sent untrimmed) and measures that every dataset text tokenizes identically and
   sampled embeddings are equal (max |diff| must be 0);
2. stores g's weights, which are 4-bit values, as exact 4-bit blocks (`training.gpu.weight_pack`, bit-identical);
3. copies the train/validation splits and the corpus (no test split travels), and pure-Python wheels of `datasets`
   and `evaluate` for validation there;
4. cuts the payload into shards grouped so that each call stays under the limit (`training.gpu.shards`).

On the GPU `remote` rebuilds the payload (SHA-256 checked), unpacks the model, measures training throughput, and
trains every seed with bf16, fused AdamW and dataloader workers (`training.device`), writing the adapters only
(`--adapter-only`). `collect` merges each adapter into the full local model exactly like a local run would.
"""

import argparse
import glob
import importlib
import io
import json
import os
import shlex
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time

from lira_utils.atomic import atomic_folder, atomic_write_bytes, atomic_write_json
from lira_utils.arguments import run_cli
from lira_utils.defaults import BATCH_SIZE, SEEDS, STAGE1_STEPS, STAGE2_STEPS

MIB = 1 << 20
CALL_LIMIT = 64 * MIB
RETURN_FILE_LIMIT = 16 * MIB
REMOTE_ROOT = "/tmp/lira-gpu"
WHEELS = ("datasets==5.2.0", "evaluate==0.4.6", "dill==0.4.1", "multiprocess==0.70.19")


def travelling_tree_bytes(repo="."):
    """Bytes of what the device tool sends besides `carry`: tracked and untracked-not-ignored files."""
    out = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=repo,
                         capture_output=True, check=True).stdout.decode().split("\0")
    return sum(os.path.getsize(os.path.join(repo, p)) for p in out if p and os.path.isfile(os.path.join(repo, p)))


def _copy_training_data(dataset_dir, dest):
    """The dataset folder without its test splits (the GPU never sees them): Parquet files and the README's
    `configs:` and `dataset_info` entries of `test*` splits are left out, the rest of the card is kept."""
    import yaml

    def ignore(folder, names):
        return [n for n in names if n.startswith("test")]

    shutil.copytree(dataset_dir, dest, ignore=ignore)
    path = os.path.join(dest, "README.md")
    with open(path, encoding="utf-8") as f:
        _, front, body = f.read().split("---", 2)
    meta = yaml.safe_load(front)
    for config in meta.get("configs", []):
        if isinstance(config.get("data_files"), list):
            config["data_files"] = [e for e in config["data_files"] if not e["split"].startswith("test")]
    infos = meta.get("dataset_info", [])
    for info in infos if isinstance(infos, list) else [infos]:
        if isinstance(info.get("splits"), list):
            info["splits"] = [e for e in info["splits"] if not e["name"].startswith("test")]
    with open(path, "w", encoding="utf-8") as f:
        f.write("---\n" + yaml.safe_dump(meta, allow_unicode=True, sort_keys=False) + "---" + body)


def _download_wheels(dest):
    """Pure-Python wheels for Python 3.12 that the GPU machine lacks; returns the file names (empty on failure)."""
    os.makedirs(dest, exist_ok=True)
    cmd = [sys.executable, "-m", "pip", "download", "-q", "--no-deps", "--only-binary=:all:", "--python-version",
           "3.12", "--implementation", "py", "-d", dest, *WHEELS]
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode:
        cmd[cmd.index("py")] = "cp"
        done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode:
        print(f"wheels not downloaded ({done.stderr.strip()[-200:]}); the GPU run will train without validation")
        return []
    return sorted(os.listdir(dest))


def device_calls(groups, out_dir, run_flags, timeout_s):
    """The `run` calls of the device tool, in order: every group but the last is parked in /tmp, the last one
    carries the rest and starts the run."""
    calls = []
    for i, size in enumerate(groups):
        carry = os.path.join(out_dir, "groups", f"group-{i}")
        command = f"mkdir -p {REMOTE_ROOT} && cp -r {carry} {REMOTE_ROOT}/ && du -sb {REMOTE_ROOT}"
        if i == len(groups) - 1:
            command = (f"set -o pipefail; mkdir -p {REMOTE_ROOT} && cp -r {carry} {REMOTE_ROOT}/ && "
                       f"PYTHONUNBUFFERED=1 python3 -m training.gpu remote --shards {REMOTE_ROOT} --out $OUT "
                       f"{run_flags} 2>&1 | tee $OUT/log.txt")
        calls.append({"carry": [carry], "command": command, "timeout_s": timeout_s if i == len(groups) - 1 else 120,
                      "carry_bytes": size})
    return calls


def prepare(args):
    """Builds `args.out` (payload groups + calls.json) and prints the device calls with their sizes.

    Raises:
        `ValueError`: `args.out` holds files that LiRA did not write, or the trimmed model differs from the full one.
    """
    tree = travelling_tree_bytes()  # before the temporary folder exists (it may sit inside the work tree)
    with atomic_folder(args.out, what="--out") as tmp:
        facts = _build_payload(args, tmp, tree)
    _print_calls(facts)
    return facts


def _build_payload(args, tmp, tree):
    """Writes the payload groups and calls.json of `prepare` into `tmp` (the calls name the final `args.out`)."""
    from .shards import split_folder
    from .vocab_trim import trim_or_copy, verify_trim
    from .weight_pack import pack_file

    payload = os.path.join(tmp, "payload")
    model = os.path.join(payload, "model")
    t0 = time.time()
    report = trim_or_copy(args.model, args.dataset, model, reserve=args.reserve)  # untrimmed where it cannot be exact
    check = verify_trim(args.model, model, args.dataset, report, sample_per_stream=args.verify_samples)
    bad = {s: check[s]["mismatched_texts"] for s in ("encoder", "english_encoder")}
    if any(bad.values()) or check["max_abs_diff"] != 0.0:
        raise ValueError(f"the trimmed model differs from {args.model!r} on the dataset ({bad}, max |diff| "
                         f"{check['max_abs_diff']}); raise --reserve or send the full model.")
    full_bytes = os.path.getsize(os.path.join(args.model, "model.safetensors"))
    trimmed_bytes = os.path.getsize(os.path.join(model, "model.safetensors"))
    q4 = pack_file(os.path.join(model, "model.safetensors"), os.path.join(model, "model.q4.safetensors"))
    os.remove(os.path.join(model, "model.safetensors"))
    packed_bytes = os.path.getsize(os.path.join(model, "model.q4.safetensors"))
    _copy_training_data(args.dataset, os.path.join(payload, "dataset"))
    wheels = _download_wheels(os.path.join(payload, "wheels")) if args.wheels else []
    group_bytes = CALL_LIMIT - tree - 2 * MIB
    groups = split_folder(payload, os.path.join(tmp, "groups"), args.shard_mib * MIB, group_bytes)
    shutil.rmtree(payload)  # the temporary folder's own sub-folder, never a user's
    flags = (f"--seeds {args.seeds} --stage1-steps {args.stage1_steps} --stage2-steps {args.stage2_steps} "
             f"--batch-size {args.batch_size} --num-workers {args.num_workers}")
    if args.config_overrides:
        flags += f" --config-overrides {shlex.quote(args.config_overrides)}"
    calls = device_calls(groups, args.out, flags, args.timeout_s)
    facts = {"model": args.model, "full_model_bytes": full_bytes, "trimmed_model_bytes": trimmed_bytes,
             "packed_model_bytes": packed_bytes, "q4_tensors": q4, "vocab": {s: {k: v for k, v in r.items()
                                                                               if k != "old2new"}
                                                                           for s, r in report.items()},
             "trim_check": check, "wheels": wheels, "work_tree_bytes": tree, "calls": calls,
             "seconds": round(time.time() - t0, 1)}
    atomic_write_json(os.path.join(tmp, "calls.json"), facts)
    return facts


def _print_calls(facts):
    """Prints the sizes of `prepare`'s model steps and every device call (after `args.out` is in place)."""
    full_bytes, trimmed_bytes = facts["full_model_bytes"], facts["trimmed_model_bytes"]
    packed_bytes, tree, calls = facts["packed_model_bytes"], facts["work_tree_bytes"], facts["calls"]
    report, check = facts["vocab"], facts["trim_check"]
    print(f"model {full_bytes / MIB:.1f} MiB -> trimmed {trimmed_bytes / MIB:.1f} MiB "
          f"(vocab g {report['encoder']['vocab_size']} -> {report['encoder']['kept']}, h "
          f"{report['english_encoder']['vocab_size']} -> {report['english_encoder']['kept']}) -> 4-bit packed "
          f"{packed_bytes / MIB:.1f} MiB; {check['texts']} dataset texts tokenize identically, max |diff| of "
          f"{check['embedded']} embeddings {check['max_abs_diff']}")
    print(f"work tree {tree / MIB:.1f} MiB travels with every call; limit {CALL_LIMIT / MIB:.0f} MiB per call")
    for i, call in enumerate(calls):
        files = sorted(os.listdir(call["carry"][0]))
        print(f"\ncall {i + 1}/{len(calls)}: carry {call['carry']} ({call['carry_bytes'] / MIB:.1f} MiB, "
              f"{len(files)} files, total with tree {(call['carry_bytes'] + tree) / MIB:.1f} MiB), "
              f"timeout_s={call['timeout_s']}")
        for name in files:
            print(f"    {name}  {os.path.getsize(os.path.join(call['carry'][0], name)) / MIB:.2f} MiB")
        print(f"  command: {call['command']}")


def _install_wheels(wheel_dir):
    """pip-installs carried wheels into a fresh private folder (`tempfile.mkdtemp`, never a fixed, guessable path
    that another user could plant modules in) and puts it first on sys.path; True when `datasets` + `evaluate`
    import."""
    wheels = sorted(glob.glob(os.path.join(wheel_dir, "*.whl")))
    if wheels:
        site = tempfile.mkdtemp(prefix="lira-site-")
        subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-index", "--no-deps", "--no-compile",
                        "--target", site, *wheels], check=False)
        sys.path.insert(0, site)
    try:
        for name in ("datasets", "evaluate"):
            importlib.import_module(name)
    except Exception as err:  # noqa: BLE001 - any import failure means: train without validation
        print(f"validation off: datasets/evaluate do not import here ({err!r})")
        return False
    return True


def remote(args):
    """What runs on the GPU: rebuild, unpack, benchmark, train every seed, write adapters + report to `args.out`."""
    import torch
    import transformers

    from .shards import reassemble
    from ..train import LiraRunArguments, run_training
    from .weight_pack import unpack_file

    work = args.work
    print(f"torch {torch.__version__} cuda {torch.cuda.is_available()} transformers {transformers.__version__} "
          f"device {torch.cuda.get_device_name(0) if torch.cuda.is_available() else 'cpu'}")
    payload = os.path.join(work, "payload")
    files = reassemble(sorted(glob.glob(os.path.join(args.shards, "group-*"))), payload)
    model = os.path.join(payload, "model")
    unpack_file(os.path.join(model, "model.q4.safetensors"), os.path.join(model, "model.safetensors"))
    os.remove(os.path.join(model, "model.q4.safetensors"))
    validate = _install_wheels(os.path.join(payload, "wheels"))
    report = {"files_rebuilt": files, "validation": validate, "torch": torch.__version__,
              "transformers": transformers.__version__, "cuda": torch.cuda.is_available(),
              "device": torch.cuda.get_device_name(0) if torch.cuda.is_available() else "cpu", "seeds": {}}
    if args.benchmark_steps > 0:
        from ..throughput import measure

        report["throughput"] = measure(model, os.path.join(payload, "dataset"), batch_size=args.batch_size,
                                       steps=args.benchmark_steps, rounds=3)
    for seed in [int(s) for s in args.seeds.split(",")]:
        if torch.cuda.is_available():
            torch.cuda.reset_peak_memory_stats()
        run_dir = os.path.join(work, f"run-s{seed}")
        start = time.time()
        facts = run_training(LiraRunArguments(
            model=model, dataset=os.path.join(payload, "dataset"), run_dir=run_dir, output_dir=run_dir + "-unused",
            seed=seed, stage1_steps=args.stage1_steps, stage2_steps=args.stage2_steps, batch_size=args.batch_size,
            num_workers=args.num_workers, adapter_only=True, validate=validate, eval_steps=40,
            early_stopping_patience=2 if validate else 0, validation_queries_per_language=30, logging_steps=20,
            config_overrides=args.config_overrides))
        tar_path = os.path.join(args.out, f"adapter-s{seed}.tar")
        buf = io.BytesIO()  # an adapter is a few MiB (at most 16 come back)
        with tarfile.open(fileobj=buf, mode="w") as tar:
            tar.add(os.path.join(run_dir, "adapter"), arcname=f"adapter-s{seed}")
        atomic_write_bytes(tar_path, buf.getvalue())
        size = os.path.getsize(tar_path)
        report["seeds"][seed] = {
            "wall_s": round(time.time() - start, 1), "adapter_bytes": size,
            "stage1_s": facts["stage1"]["train_runtime"], "stage2_s": facts["stage2"]["train_runtime"],
            "stage1_samples_per_s": facts["stage1"]["train_samples_per_second"],
            "stage2_samples_per_s": facts["stage2"]["train_samples_per_second"],
            "peak_gpu_mib": round(torch.cuda.max_memory_allocated() / MIB, 1) if torch.cuda.is_available() else None,
            "best_metric": facts.get("best_metric")}
        if size > RETURN_FILE_LIMIT:
            raise ValueError(f"{tar_path} is {size / MIB:.1f} MiB, over the 16 MiB a returned file may have; lower "
                             f"--lora-r or return fewer heads.")
        print(json.dumps({seed: report["seeds"][seed]}))
    atomic_write_json(os.path.join(args.out, "gpu_report.json"), report)
    return report


def collect(args):
    """Merges every returned `adapter-s*.tar` into the full local model (`training.gpu.merge_adapter`)."""
    from .merge_adapter import merge_adapter

    tars = sorted(glob.glob(os.path.join(args.files_at, "**", "adapter-s*.tar"), recursive=True))
    if not tars:
        raise ValueError(f"no adapter-s*.tar under {args.files_at!r}; pass the files_at folder of the run's reply.")
    merged = []
    for path in tars:
        seed = os.path.basename(path)[len("adapter-s"):-len(".tar")]
        with tarfile.open(path) as tar:
            tar.extractall(args.out, filter="data")
        out = os.path.join(args.out, f"lira-s{seed}")
        merge_adapter(os.path.join(args.out, f"adapter-s{seed}"), args.model, args.dataset, out)
        merged.append(seed)
        print(f"seed {seed}: merged into {out}")
    print(f"evaluate on the full test split beside the same-budget baselines:\n  OUT={args.out} SEEDS=\""
          f"{' '.join(merged)}\" bash scripts/full_benchmark.sh")
    return merged


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    run_flags = argparse.ArgumentParser(add_help=False)
    run_flags.add_argument("--seeds", default=",".join(map(str, SEEDS)))
    run_flags.add_argument("--stage1-steps", type=int, default=STAGE1_STEPS)
    run_flags.add_argument("--stage2-steps", type=int, default=STAGE2_STEPS)
    run_flags.add_argument("--batch-size", type=int, default=BATCH_SIZE)
    run_flags.add_argument("--num-workers", type=int, default=4)
    run_flags.add_argument("--config-overrides", default="")
    p = sub.add_parser("prepare", parents=[run_flags], help="build the payload and print the device calls")
    p.add_argument("--model", default="artifacts/lira-small")
    p.add_argument("--dataset", default="artifacts/lira-products")
    p.add_argument("--out", default=".gpu", help="git-ignored folder that the calls carry")
    p.add_argument("--reserve", type=int, default=2000)
    p.add_argument("--verify-samples", type=int, default=256)
    p.add_argument("--shard-mib", type=int, default=15)
    p.add_argument("--timeout-s", type=int, default=540)
    p.add_argument("--no-wheels", dest="wheels", action="store_false")
    r = sub.add_parser("remote", parents=[run_flags], help="runs on the GPU machine")
    r.add_argument("--shards", default=REMOTE_ROOT)
    r.add_argument("--work", default="/tmp/lira-work")
    r.add_argument("--out", default=os.environ.get("OUT", "gpu-out"))
    r.add_argument("--benchmark-steps", type=int, default=10)
    c = sub.add_parser("collect", help="merge the returned adapters here")
    c.add_argument("--files-at", required=True)
    c.add_argument("--model", default="artifacts/lira-small")
    c.add_argument("--dataset", default="artifacts/lira-products")
    c.add_argument("--out", default="artifacts/gpu")
    args = parser.parse_args(argv)
    if args.command == "remote":
        os.makedirs(args.out, exist_ok=True)
    return {"prepare": prepare, "remote": remote, "collect": collect}[args.command](args)


if __name__ == "__main__":
    run_cli(main)
