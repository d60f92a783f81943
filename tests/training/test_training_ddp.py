"""Cross-rank negatives: 2 gloo processes with batch b train exactly like one process with batch 2b."""

import os
import subprocess
import sys

import pytest
import torch

from training.distributed import gather_with_local_grad, scale_for_average, world_size
from tests import REPO_ROOT

pytestmark = pytest.mark.slow  # real weights / real data / several processes: run by scripts/test.sh

REPO = str(REPO_ROOT)
WORKER = os.path.join(REPO, "tests", "ddp_worker.py")


def _run(cmd, tmp_path):
    env = dict(os.environ, OMP_NUM_THREADS="1", TOKENIZERS_PARALLELISM="false", PYTHONPATH=REPO)
    env.pop("CUDA_VISIBLE_DEVICES", None)
    done = subprocess.run(cmd, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=420)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]


def test_single_process_helpers_are_identities():
    x = torch.randn(3, 4, requires_grad=True)
    assert world_size() == 1
    assert gather_with_local_grad(x) is x
    loss = (x ** 2).sum()
    assert scale_for_average(loss) is loss
    scaled = scale_for_average(loss, world=4)
    scaled.backward()
    assert float(scaled.detach()) == pytest.approx(float(loss.detach()))  # the value is kept
    assert torch.allclose(x.grad, 4 * 2 * x.detach())  # the gradient is multiplied by W


@pytest.mark.parametrize("system", ["lira", "finetune"])
def test_two_gloo_ranks_equal_one_process_with_the_global_batch(tmp_path, system):
    """LiRA stage 2 (retrieval, correlation, consistency, distillation over the gathered batch; language-id CE as a
    local mean) and the plain fine-tune's InfoNCE: loss and updated weights of 2 ranks x b = 1 process x 2b."""
    single, ddp = tmp_path / "single.pt", tmp_path / "ddp.pt"
    _run([sys.executable, WORKER, "--system", system, "--out", str(single), "--batch-size", "4"], tmp_path)
    _run([sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2", WORKER, "--system", system, "--out", str(ddp), "--batch-size", "2"], tmp_path)
    a, b = torch.load(single), torch.load(ddp)
    assert (a["world_size"], b["world_size"]) == (1, 2)
    assert b["loss"] == pytest.approx(a["loss"], rel=1e-5)
    from tests.ddp_worker import tiny_bert, tiny_model

    start = (tiny_model() if system == "lira" else tiny_bert()).state_dict()
    changed = [n for n in a["params"] if not torch.equal(a["params"][n], start[n])]
    assert len(changed) > len(a["params"]) // 2  # the step moved most weights
    if system == "lira":
        assert any(n.startswith("lasr.") for n in changed) and any(n.startswith("encoder.") for n in changed)
    for name, value in a["params"].items():
        assert torch.allclose(b["params"][name], value, atol=1e-6), name
