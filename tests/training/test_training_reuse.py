"""`--reuse-unchanged`: a run whose output was trained from the same inputs is kept; any change trains again."""

import json
import os
import shutil

from training.finetune import FACTS_FILE, LiraFinetuneArguments, run_finetune
from training.reuse import reusable, run_inputs, tree_digest
from training.train import LiraRunArguments, run_training


def test_tree_digest_follows_bytes_not_times(tmp_path):
    folder = tmp_path / "data"
    (folder / "sub").mkdir(parents=True)
    (folder / "a.parquet").write_bytes(b"rows")
    (folder / "sub" / "b.json").write_text("{}")
    first = tree_digest(str(folder))
    os.utime(folder / "a.parquet", (1, 1))  # a rebuild that writes the same bytes
    assert tree_digest(str(folder)) == first
    (folder / "sub" / "b.json").write_text('{"x": 1}')
    assert tree_digest(str(folder)) != first
    (folder / "sub" / "b.json").write_text("{}")
    (folder / "sub" / "b.json").rename(folder / "sub" / "c.json")  # a renamed file is another folder
    assert tree_digest(str(folder)) != first
    assert tree_digest("") == tree_digest(str(tmp_path / "missing")) == ""


def test_reusable_names_what_changed(tmp_path, capsys):
    inputs = {"arguments": "a", "models": "m", "data": "d", "code": "c"}
    assert not reusable(str(tmp_path), "facts.json", inputs)
    assert "no earlier run" in capsys.readouterr().out
    (tmp_path / "facts.json").write_text(json.dumps({"inputs": dict(inputs, data="old", code="old")}))
    assert not reusable(str(tmp_path), "facts.json", inputs)
    assert "data, code changed" in capsys.readouterr().out
    (tmp_path / "facts.json").write_text(json.dumps({"inputs": inputs}))
    assert reusable(str(tmp_path), "facts.json", inputs)
    (tmp_path / "facts.json").write_text("{not json")
    assert not reusable(str(tmp_path), "facts.json", inputs)


def test_run_inputs_ignore_flags_that_cannot_change_the_weights(tmp_path, tiny_backbones_dir):
    me5 = os.path.join(tiny_backbones_dir, "multilingual-e5-small")
    base = LiraFinetuneArguments(model=me5, dataset=str(tmp_path))
    same = run_inputs(LiraFinetuneArguments(model=me5, dataset=str(tmp_path), reuse_unchanged=True, resume=True,
                                            num_workers=3), (me5,), (str(tmp_path),))
    assert run_inputs(base, (me5,), (str(tmp_path),)) == same
    other = run_inputs(LiraFinetuneArguments(model=me5, dataset=str(tmp_path), steps=7), (me5,), (str(tmp_path),))
    assert other["arguments"] != same["arguments"] and other["models"] == same["models"]
    hub = run_inputs(base, ("org/model",), ("org/data",))  # Hub ids count as their names: nothing is downloaded
    assert hub["models"] != run_inputs(base, ("org/other",), ("org/data",))["models"]


def _finetune_args(tmp_path, tiny_backbones_dir, dataset, **kwargs):
    return LiraFinetuneArguments(model=os.path.join(tiny_backbones_dir, "multilingual-e5-small"), dataset=dataset,
                                 output_dir=str(tmp_path / "ft"), run_dir=str(tmp_path / "run"), languages="vi,th",
                                 steps=2, batch_size=4, save_steps=2, late_fusion_queries_per_language=5,
                                 english_encoder=os.path.join(tiny_backbones_dir, "all-MiniLM-L6-v2"),
                                 reuse_unchanged=True, **kwargs)


def test_finetune_is_kept_when_nothing_changed_and_retrained_when_anything_did(
        tmp_path, tiny_backbones_dir, eval_training_dataset_dir, capsys):
    dataset = str(tmp_path / "dataset")
    shutil.copytree(eval_training_dataset_dir, dataset)
    weights = tmp_path / "ft" / "model.safetensors"
    first = run_finetune(_finetune_args(tmp_path, tiny_backbones_dir, dataset))
    stamp = weights.stat().st_mtime_ns
    kept = run_finetune(_finetune_args(tmp_path, tiny_backbones_dir, dataset))
    assert "kept" in capsys.readouterr().out and weights.stat().st_mtime_ns == stamp
    assert kept["plan_sha1"] == first["plan_sha1"] and kept["late_fusion"]["weight"] == first["late_fusion"]["weight"]
    run_finetune(_finetune_args(tmp_path, tiny_backbones_dir, dataset, learning_rate=1e-4))  # an argument
    assert "arguments changed" in capsys.readouterr().out and weights.stat().st_mtime_ns != stamp
    stamp = weights.stat().st_mtime_ns
    readme = os.path.join(dataset, "README.md")
    with open(readme, "a", encoding="utf-8") as f:  # the dataset's bytes
        f.write("\n")
    run_finetune(_finetune_args(tmp_path, tiny_backbones_dir, dataset, learning_rate=1e-4))
    assert "data changed" in capsys.readouterr().out and weights.stat().st_mtime_ns != stamp
    stamp = weights.stat().st_mtime_ns
    args = _finetune_args(tmp_path, tiny_backbones_dir, dataset, learning_rate=1e-4)
    args.reuse_unchanged = False  # without the flag a run always trains
    run_finetune(args)
    assert weights.stat().st_mtime_ns != stamp
    assert json.load(open(tmp_path / "ft" / FACTS_FILE))["inputs"] == run_inputs(
        args, (args.model, args.english_encoder), (dataset, ""))


def test_lira_training_returns_the_saved_run_without_loading_anything(tmp_path, tiny_model, tiny_processor):
    start = tmp_path / "start"
    tiny_model.save_pretrained(start)
    tiny_processor.save_pretrained(start)
    dataset = tmp_path / "dataset"
    dataset.mkdir()
    (dataset / "README.md").write_text("not a dataset: training would fail on it")
    args = LiraRunArguments(model=str(start), dataset=str(dataset), output_dir=str(tmp_path / "merged"),
                            run_dir=str(tmp_path / "run"), reuse_unchanged=True)
    (tmp_path / "merged").mkdir()
    saved = {"train_queries": 5, "best_metric": 0.5, "inputs": run_inputs(args, (args.model,), (args.dataset, ""))}
    (tmp_path / "merged" / "training_facts.json").write_text(json.dumps(saved))
    assert run_training(args) == saved
    assert not (tmp_path / "run").exists()
