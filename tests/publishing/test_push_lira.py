"""End to end with the real remote code: a tiny LiraModel + LiraProcessor saved in code, staged, reloaded in a fresh
process with trust_remote_code=True, exported with the lead's sentence-transformers exporter, uploaded to the fake Hub,
and the model card's usage snippet executed against the staged folder."""

import json
import os
import re

import pytest

pytest.importorskip("modeling_lira")

from push_scripts.push_model import push_model  # noqa: E402
from tests.publishing.test_push_model import relative_links  # noqa: E402


@pytest.fixture
def tiny_lira_dir(tiny_model, tiny_processor, tmp_path):
    out = tmp_path / "tiny-lira"
    tiny_model.eval().save_pretrained(out)
    tiny_processor.save_pretrained(out)
    return str(out)


@pytest.mark.slow
def test_tiny_lira_round_trip_push(tiny_lira_dir, tmp_path, mock_hub, hub_api):
    staging = tmp_path / "staging"
    eval_json = tmp_path / "results.json"
    eval_json.write_text(json.dumps({"split": "test", "results": {
        "lira_lrl": {"vi": {"ndcg@10": 0.45}}, "finetune": {"vi": {"ndcg@10": 0.46}}}}))
    result = push_model(tiny_lira_dir, "org/lira", api=hub_api, staging_dir=str(staging), eval_json=str(eval_json))
    diffs = result["verification"]["max_abs_diff"]
    assert {"embeddings", "anchored_embeddings"} <= set(diffs) and max(diffs.values()) < 1e-5
    assert result["verification"]["st_max_abs_diff"] < 1e-4
    full, st = mock_hub.commits
    uploaded = sorted(list(full["files"]) + list(full["lfs"]))
    assert {"config.json", "model.safetensors", "configuration_lira.py", "modeling_lira.py", "processing_lira.py",
            "processor_config.json", "tokenizer.json", "english_tokenizer/tokenizer.json", "README.md"} <= set(uploaded)
    assert not any(f.endswith("__init__.py") for f in uploaded)
    module_types = [m["type"] for m in json.loads(st["files"]["modules.json"])]
    assert module_types and all(t.startswith("sentence_transformers.") for t in module_types)  # no custom code

    # The card's relative links (EVALUATION.md, the long tables) resolve in the upload and in the staged folder.
    readme = full["files"]["README.md"].decode()
    links = relative_links(readme)
    assert "EVALUATION.md" in links and links <= set(uploaded)
    assert all(os.path.isfile(os.path.join(str(staging), "lira", link)) for link in links)

    # The card's transformers snippet runs as written against the staged folder (repo id -> local path).
    snippet = re.search(r"```python\n(import torch\n.*?)```", readme, re.S).group(1)
    staged = os.path.join(str(staging), "lira")
    code = snippet.replace('repo, revision = "org/lira", "v0.1.0"', f'repo, revision = {staged!r}, None')
    namespace = {}
    exec(compile(code, "model_card_snippet", "exec"), namespace)
    assert namespace["scores"].shape == (3, 4)
