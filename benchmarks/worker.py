"""Helpers shared by the benchmarks: run one benchmark worker in a fresh subprocess and read the JSON line it prints
(for the benchmarks that measure each system in its own process, so one system's allocations cannot inflate
another's), and write a finished report (JSON file + printed table)."""

import json
import os
import subprocess
import sys


def run_worker_subprocess(module, argv, threads, label, env=None, cwd=None):
    """Runs `python -m module *argv`; returns the last stdout line as JSON, with the 1-minute load average before and
    after (`load_avg_1min`: the machine may be shared).

    Args:
        module (`str`): the benchmark module, e.g. `"benchmarks.bench_encode"`.
        argv (`list[str]`): its arguments.
        threads (`int`): `OMP_NUM_THREADS` of the worker.
        label (`str`): what the worker measures, for the error.
        env (`dict`, *optional*): more environment variables.
        cwd (`str`, *optional*): the worker's working directory.

    Raises:
        `RuntimeError`: the worker failed (with the end of its stderr).
    """
    env = {**os.environ, "TQDM_DISABLE": "1", "OMP_NUM_THREADS": str(threads), **(env or {})}
    load_before = os.getloadavg()[0]
    proc = subprocess.run([sys.executable, "-m", module, *argv], capture_output=True, text=True, env=env, cwd=cwd)
    if proc.returncode != 0:
        raise RuntimeError(f"worker for {label} failed:\n{proc.stderr[-3000:]}")
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    result["load_avg_1min"] = [round(load_before, 2), round(os.getloadavg()[0], 2)]
    return result


def write_report(report, out, table):
    """Writes `report` as JSON to `out` (atomically) when `out` is given, then prints its Markdown table.

    Args:
        report (`dict`): the benchmark's results, JSON-serializable.
        out (`str`, *optional*): the JSON file to write (`--out`); `None` or empty writes nothing.
        table (`Callable[[dict], str]`): renders `report` as the table printed on stdout.

    Returns:
        `dict`: `report`, unchanged.
    """
    if out:
        from lira_utils.atomic import atomic_write_json

        atomic_write_json(out, report)
    print(table(report))
    return report
