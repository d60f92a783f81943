"""The shared benchmark worker runner: a fresh subprocess, its last JSON line, the load average, a named failure."""

import pytest

from benchmarks.worker import run_worker_subprocess, write_report


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


def test_write_report_writes_the_json_only_when_asked_and_prints_the_table(tmp_path, capsys):
    import json

    out = tmp_path / "sub" / "report.json"
    report = {"rows": 3}
    assert write_report(report, str(out), lambda r: f"| rows | {r['rows']} |") is report
    assert json.loads(out.read_text()) == report and capsys.readouterr().out == "| rows | 3 |\n"
    assert write_report(report, None, lambda r: "table") is report and capsys.readouterr().out == "table\n"
