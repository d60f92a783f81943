"""Where anchoring pays: the label-budget x parallel-text grid, LiRA against both fine-tunes on the same pairs.

    python -m studies.label_budget --budgets 0,10,30,150,all --parallel-text both --seeds 13,14,15 \\
        --out artifacts/studies/label-budget
    python -m studies.label_budget --report artifacts/studies/label-budget   # the table of what has run

A cell is (budget, parallel text on/off, seed). In every cell LiRA, the full fine-tune and a LoRA fine-tune with
LiRA's adapter (rank 8 on the same layers, LiRA's stage-2 rate) train on the same labelled queries (a seeded sample
of `budget` train queries per language, `training.data.sample_train_rows`), the same parallel pairs and the same
number of (query, product) pairs (one shared plan, `training.data.training_rows`). No labelled row beyond the budget
is read by any system: no validation, no early stopping, no English-scale choice, no query normalizer (it is built
from the train and validation queries); late fusion takes the fine-tune's cosines with the fixed weight
`--late-fusion-weight`. Budget 0 without parallel text is the untrained backbone and is not trained.

Leave one language out: `--languages` without it and `--eval-languages` with it (e.g. `--languages
vi,id,ms,fil,ur,bn --eval-languages vi,th,id,ms,fil,ur,bn --out artifacts/studies/lolo-th`).

Each cell is evaluated on the products test split and on every out-of-domain folder (`dataset_builder
anchor-text`: held-out CLDR emoji names, CLDR locale names), and written to `<out>/<cell>/cell.json` (a cell with one
is skipped, so the grid resumes). `--report` tables the cells: mean over seeds, paired 95 % intervals of LiRA
LRL-only minus each fine-tune (`evaluation.compare`).
"""

import argparse
import os
import subprocess
import sys
import time

from lira_utils.arguments import count
from lira_utils.atomic import atomic_write_json

from .budget_report import cell_name, write_report
from lira_utils.defaults import BATCH_SIZE, LANGUAGES, SEEDS, STAGE1_STEPS, STAGE2_STEPS

PRODUCTS = "products"
LRL_SYSTEMS = ("backbone", "finetune", "finetune_lora", "lira_lrl")
CANDIDATE_SYSTEMS = ("translate_test", "late_fusion", "lira_noisy")


def parse_budgets(text):
    """`"0,10,all"` -> `[0, 10, None]` (None = every labelled query)."""
    out = []
    for part in filter(None, (p.strip() for p in text.split(","))):
        if part == "all":
            out.append(None)
        elif part.isdigit():
            out.append(int(part))
        else:
            raise ValueError(f"--budgets item {part!r} is not a count or 'all'; e.g. --budgets 0,10,150,all.")
    if not out:
        raise ValueError(f"--budgets {text!r} names no budget; e.g. --budgets 0,10,150,all.")
    return out


def grid(budgets, parallel_modes, seeds):
    """Cells in run order (cheap and decisive first: seeds outermost); budget 0 needs parallel text."""
    return [(b, p, s) for s in seeds for p in parallel_modes for b in budgets if not (b == 0 and not p)]


def _run(cmd, log_path):
    start = time.time()
    with open(log_path, "w", encoding="utf-8") as log:
        code = subprocess.call(cmd, stdout=log, stderr=subprocess.STDOUT)
    if code:
        raise RuntimeError(f"{' '.join(cmd)} failed (exit {code}); see {log_path}.")
    return round(time.time() - start, 1)


def train_cell(args, cell_dir, budget, parallel, seed):
    """Trains LiRA, the full fine-tune and the LoRA fine-tune of one cell (each skipped when already saved)."""
    py = sys.executable
    budget_flag = [] if budget is None else ["--train-queries-per-language", str(budget)]
    par_flag = ["--parallel-dataset", args.parallel, "--parallel-share", str(args.parallel_share)] if parallel else []
    common = ["--dataset", args.dataset, "--languages", args.languages, "--seed", str(seed),
              "--batch-size", str(args.batch_size), *budget_flag, *par_flag]
    steps = args.stage1_steps + args.stage2_steps
    jobs = {
        "lira": [py, "-m", "training", "--model", args.model, "--stage1-steps", str(args.stage1_steps),
                 "--stage2-steps", str(args.stage2_steps), "--validate", "false", "--english-scale-queries-per-language",
                 "0", "--query-normalizer", "false", "--logging-steps", "20"],
        "finetune": [py, "-m", "training.finetune", "--model", args.backbone, "--steps", str(steps),
                     "--late-fusion-queries-per-language", "0", "--logging-steps", "20"],
        "finetune_lora": [py, "-m", "training.finetune", "--model", args.backbone, "--steps", str(steps),
                          "--lora-r", str(args.lora_r), "--learning-rate", "2e-4",
                          "--late-fusion-queries-per-language", "0", "--logging-steps", "20"],
    }
    seconds = {}
    for name, cmd in jobs.items():
        out = os.path.join(cell_dir, name)
        if os.path.isfile(os.path.join(out, "config.json")):
            continue
        cmd = cmd + common + ["--output-dir", out, "--run-dir", os.path.join(cell_dir, "runs", name)]
        seconds[name] = _run(cmd, os.path.join(cell_dir, f"{name}.log"))
        print(f"  {name}: trained in {seconds[name]} s", flush=True)
    return seconds


def cell_systems(args, cell_dir):
    """The systems of one trained cell (`cell_dir` holds `lira`, `finetune` and `finetune_lora`)."""
    from evaluation.encoders import MeanPoolEncoder
    from evaluation.fusion import LateFusionSystem
    from evaluation.systems import TextSystem, build_system

    base = dict(backbones_dir=os.path.dirname(args.backbone), progress=False)
    systems = [build_system("backbone", **base), build_system("translate_test", **base)]
    for name in ("finetune", "finetune_lora"):
        folder = os.path.join(cell_dir, name)
        systems.append(TextSystem(name, MeanPoolEncoder(folder, progress=False), folder, "query: ", "passage: "))
    minilm = os.path.join(os.path.dirname(args.backbone), "all-MiniLM-L6-v2")
    systems.append(LateFusionSystem(os.path.join(cell_dir, "finetune"), minilm, weight=args.late_fusion_weight,
                                    progress=False))
    lira = os.path.join(cell_dir, "lira")
    systems += [build_system("lira_lrl", model=lira, **base), build_system("lira_noisy", model=lira, **base)]
    return systems


def evaluate_cell(args, cell_dir):
    """Scores of every system on the products test split and LRL-only systems on each out-of-domain folder."""
    from evaluation.evaluator import run_evaluation

    langs = (args.eval_languages or args.languages).split(",")
    systems = cell_systems(args, cell_dir)
    cache = os.path.join(args.out, "shared")  # the backbone's and translate-test's embeddings are reused by cells
    out = {}
    for name, folder, names in [(PRODUCTS, args.dataset, LRL_SYSTEMS + CANDIDATE_SYSTEMS)] + [
            (os.path.basename(os.path.normpath(f)), f, LRL_SYSTEMS) for f in args.ood]:
        start = time.time()
        chosen = [s for s in systems if s.name in names]
        res = run_evaluation(chosen, folder, langs, splits=("test",), out_dir=cache,
                             max_queries=args.max_test_queries or None, progress=False)
        out[name] = {k: res[k] for k in ("split", "splits", "results", "per_query", "num_queries", "languages")}
        out[name]["seconds"] = round(time.time() - start, 1)
        print(f"  {name}: evaluated in {out[name]['seconds']} s", flush=True)
    return out


def run_grid(args):
    """Trains and evaluates every missing cell; returns the cell names in run order."""
    names = []
    for budget, parallel, seed in grid(parse_budgets(args.budgets), _modes(args.parallel_text), _seeds(args.seeds)):
        name = cell_name(budget, parallel, seed)
        names.append(name)
        cell_dir = os.path.join(args.out, name)
        if os.path.isfile(os.path.join(cell_dir, "cell.json")):
            print(f"{name}: done", flush=True)
            continue
        print(f"{name}: training", flush=True)
        os.makedirs(cell_dir, exist_ok=True)
        seconds = train_cell(args, cell_dir, budget, parallel, seed)
        scores = evaluate_cell(args, cell_dir)
        atomic_write_json(os.path.join(cell_dir, "cell.json"), {
            "budget": budget, "parallel": parallel, "seed": seed, "train_seconds": seconds,
            "args": {k: v for k, v in vars(args).items() if k != "report"}, "splits": scores})
    return names


def _modes(text):
    modes = {"none": [False], "parallel": [True], "both": [False, True]}
    if text not in modes:
        raise ValueError(f"--parallel-text {text!r}; use one of {sorted(modes)}.")
    return modes[text]


def _seeds(text):
    try:
        seeds = [int(s) for s in text.split(",") if s.strip()]
    except ValueError:
        raise ValueError(f"--seeds {text!r} is not a comma-separated list of integers; e.g. --seeds 13,14.") from None
    if not seeds:
        raise ValueError(f"--seeds {text!r} names no seed.")
    return seeds


def parse_args(argv=None):
    p = argparse.ArgumentParser(prog="python -m studies.label_budget", description=__doc__.split("\n\n")[0])
    p.add_argument("--out", default="artifacts/studies/label-budget")
    p.add_argument("--report", action="store_true", help="only table the finished cells of --out")
    p.add_argument("--dataset", default="artifacts/lira-products")
    p.add_argument("--model", default="artifacts/lira-small", help="untrained LiRA folder")
    p.add_argument("--backbone", default="artifacts/backbones/multilingual-e5-small")
    p.add_argument("--parallel", default="artifacts/lira-parallel", help="parallel text folder")
    p.add_argument("--ood", nargs="*", default=["artifacts/lira-ood-emoji", "artifacts/lira-ood-locale"])
    p.add_argument("--languages", default=LANGUAGES)
    p.add_argument("--eval-languages", default="", help="languages to score (default: --languages); a language "
                   "scored but not trained on is left out (leave-one-language-out: train on six, score all seven)")
    p.add_argument("--budgets", default="0,10,30,150,all", help="labelled queries per language; 'all' = every one")
    p.add_argument("--parallel-text", default="both", help="none, parallel or both")
    p.add_argument("--parallel-share", type=float, default=0.5)
    p.add_argument("--seeds", default=",".join(map(str, SEEDS)))
    p.add_argument("--stage1-steps", type=count(0), default=STAGE1_STEPS)
    p.add_argument("--stage2-steps", type=count(1), default=STAGE2_STEPS)
    p.add_argument("--batch-size", type=count(2, 65_536), default=BATCH_SIZE)
    p.add_argument("--lora-r", type=count(1, 4096), default=8)
    p.add_argument("--late-fusion-weight", type=float, default=1.0,
                   help="w of cos_finetune + w cos_English (fixed: choosing it would read validation labels)")
    p.add_argument("--max-test-queries", type=count(0), default=0, help="first N test queries per language; 0 = all")
    return p.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    if not args.report:
        run_grid(args)
    print(write_report(args.out))


if __name__ == "__main__":
    try:
        main()
    except (ValueError, RuntimeError) as err:
        print(f"error: {err}", file=sys.stderr)
        sys.exit(2)
