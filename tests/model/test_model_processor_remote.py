"""LiraProcessor, the Hub remote-code round trip, and the static import contract of modeling_lira/."""

import ast
import json
import os
import subprocess
import sys

import pytest
import torch

from modeling_lira import LiraProcessor
from tests.fixtures_model import REPO

ALLOWED_TOP_LEVEL = {"torch", "transformers"}


def test_processor_builds_model_inputs(tiny_processor):
    b = tiny_processor(["wireless headphones", "sepatu lari running"], languages=["en", None],
                       candidates=[["wireless headphones", "red apple"], []], critic_scores=[[[9, 5, 7], [2, 5, 3]], []])
    assert b["input_ids"].shape[0] == 2 and b["lang_ids"].tolist() == [7, -1]
    assert b["candidate_input_ids"].shape[:2] == (2, 2)
    assert b["candidate_mask"].tolist() == [[True, True], [False, False]]
    assert b["critic_scores"][0, 0].tolist() == [9, 5, 7] and b["critic_scores"][1, 0].tolist() == [5.5] * 3
    assert b["candidate_attention_mask"][1].sum() == 0
    # the e5 prefix is added by the processor
    assert tiny_processor.tokenizer.convert_ids_to_tokens(b["input_ids"][0].tolist())[1] == "query"
    p = tiny_processor(["book"], text_type="passage")
    assert tiny_processor.tokenizer.convert_ids_to_tokens(p["input_ids"][0].tolist())[1] == "passage"


@pytest.mark.parametrize("kwargs, match", [
    (dict(text=[3]), "text\\[0\\]"),
    (dict(text=[]), "non-empty"),
    (dict(text=["book"], languages=["xx"]), "'xx'"),
    (dict(text=["book"], languages=["th", "vi"]), "languages"),
    (dict(text=["book"], candidates=[["a", "b", "c", "d"]]), "at most 3"),
    (dict(text=["book"], candidates=[["a"]], critic_scores=[[[11, 5, 5]]]), "\\[11, 5, 5\\]"),
    (dict(text=["book"], critic_scores=[[[5, 5, 5]]]), "without candidates"),
    (dict(text=["book"], text_type="doc"), "'query', 'document' or 'passage'.*'doc'"),
])
def test_processor_bad_inputs(tiny_processor, kwargs, match):
    with pytest.raises(ValueError, match=match):
        tiny_processor(**kwargs)


def test_keep_best_candidates_trims_to_k_by_total_score(tiny_processor):
    k = tiny_processor.num_candidates
    cands = [[f"c{i}" for i in range(k + 2)], ["only"]]
    totals = list(range(k + 2))  # the last k candidates score highest
    scores = [[[t, 1, 1] for t in totals], [[5, 5, 5]]]
    kept, kept_scores = tiny_processor.keep_best_candidates(cands, scores)
    assert kept == [[f"c{i}" for i in range(2, k + 2)], ["only"]]
    assert [s[0] for s in kept_scores[0]] == totals[2:]
    unscored, none = tiny_processor.keep_best_candidates(cands, None)
    assert unscored[0] == cands[0][:k] and none is None
    tiny_processor(["a", "b"], candidates=kept, critic_scores=kept_scores)  # now accepted


def test_processor_save_load(tmp_path, tiny_processor):
    tiny_processor.save_pretrained(tmp_path)
    assert os.path.isdir(tmp_path / "english_tokenizer")
    loaded = LiraProcessor.from_pretrained(tmp_path)
    a = tiny_processor(["book"], candidates=[["red apple"]])
    b = loaded(["book"], candidates=[["red apple"]])
    assert all(torch.equal(a[k], b[k]) for k in a)
    assert loaded.lang2id == tiny_processor.lang2id and loaded.num_candidates == 3


def _imports(path):
    tree = ast.parse(open(path, encoding="utf-8").read())
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield 0, alias.name
        elif isinstance(node, ast.ImportFrom):
            yield node.level, node.module or ""


def test_remote_code_files_import_only_stdlib_torch_transformers_and_siblings():
    folder = os.path.join(REPO, "modeling_lira")
    files = sorted(f for f in os.listdir(folder) if f.endswith(".py"))
    siblings = {f[:-3] for f in files}
    for f in files:
        for level, module in _imports(os.path.join(folder, f)):
            top = module.split(".")[0]
            if level:
                assert level == 1 and "." not in module and module in siblings, f"{f}: from {'.' * level}{module}"
            else:
                assert top in ALLOWED_TOP_LEVEL or top in sys.stdlib_module_names, f"{f}: import {module}"
            if top == "transformers":
                assert not any(part.startswith("_") for part in module.split(".")), f"{f}: private {module}"


REMOTE_SCRIPT = r"""
import json, sys, torch
from transformers import AutoModel, AutoProcessor
assert not any(name.startswith("modeling_lira") for name in sys.modules)
folder, texts = sys.argv[1], json.loads(sys.argv[2])
model = AutoModel.from_pretrained(folder, trust_remote_code=True).eval()
proc = AutoProcessor.from_pretrained(folder, trust_remote_code=True)
assert type(model).__module__.startswith("transformers_modules"), type(model).__module__
with torch.no_grad():
    out = model(**proc(texts, candidates=[["red apple"]] * len(texts)))
print(json.dumps({"embeddings": out.embeddings.tolist(), "anchored": out.anchored_embeddings.tolist(),
                  "processor": type(proc).__name__, "english": type(proc.english_tokenizer).__name__}))
"""


def run_remote_roundtrip(folder, texts, tmp_path):
    """Loads `folder` with trust_remote_code in a fresh process, in an empty folder, with this repo not importable."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env.update(HF_HUB_OFFLINE="1", HF_DATASETS_OFFLINE="1", HF_HOME=str(tmp_path / "hf_home"))
    empty = tmp_path / "empty"
    empty.mkdir(exist_ok=True)
    script = empty / "probe.py"
    script.write_text(REMOTE_SCRIPT)
    res = subprocess.run([sys.executable, "-I", str(script), str(folder), json.dumps(texts)], cwd=empty, env=env,
                         capture_output=True, text=True, timeout=600)
    assert res.returncode == 0, res.stderr[-3000:]
    return json.loads(res.stdout.strip().splitlines()[-1])


@pytest.mark.slow
def test_remote_code_roundtrip_tiny(tmp_path, tiny_model, tiny_processor):
    folder = tmp_path / "tiny-lira"
    tiny_model.save_pretrained(folder)
    tiny_processor.save_pretrained(folder)
    config = json.load(open(folder / "config.json"))
    assert config["auto_map"] == {"AutoConfig": "configuration_lira.LiraConfig", "AutoModel": "modeling_lira.LiraModel"}
    texts = ["wireless headphones", "sepatu lari"]
    remote = run_remote_roundtrip(folder, texts, tmp_path)
    tiny_model.eval()
    with torch.no_grad():
        local = tiny_model(**tiny_processor(texts, candidates=[["red apple"]] * 2))
    assert remote["processor"] == "LiraProcessor"
    assert torch.equal(torch.tensor(remote["embeddings"]), local.embeddings)
    assert torch.equal(torch.tensor(remote["anchored"]), local.anchored_embeddings)
