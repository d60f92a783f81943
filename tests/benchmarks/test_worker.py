"""The shared benchmark worker runner: a fresh subprocess, its last JSON line, the load average, a named failure."""

import pytest

from benchmarks.worker import run_worker_subprocess


def test_worker_output_env_and_load_average(tmp_path):
    (tmp_path / "probe.py").write_text(
        "import json, os, sys\nprint('noise')\n"
        "print(json.dumps({'argv': sys.argv[1:], 'omp': os.environ['OMP_NUM_THREADS'], 'extra': os.environ['X_EXTRA'],"
        " 'tqdm': os.environ['TQDM_DISABLE']}))\n")
    res = run_worker_subprocess("probe", ["--worker", "a"], 3, "probe", env={"X_EXTRA": "1"}, cwd=str(tmp_path))
    assert res["argv"] == ["--worker", "a"] and (res["omp"], res["extra"], res["tqdm"]) == ("3", "1", "1")
    assert len(res["load_avg_1min"]) == 2 and all(x >= 0 for x in res["load_avg_1min"])


def test_a_failing_worker_names_what_it_measured_and_shows_its_stderr(tmp_path):
    (tmp_path / "broken.py").write_text("import sys\nsys.stderr.write('no model here')\nsys.exit(3)\n")
    with pytest.raises(RuntimeError, match="worker for lira_lrl failed:\nno model here"):
        run_worker_subprocess("broken", [], 1, "lira_lrl", cwd=str(tmp_path))
