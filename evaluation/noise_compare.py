"""Robustness per language and noise type, with paired intervals, from evaluation `results.json` files.

    python -m evaluation.noise_compare base=artifacts/benchmark/eval-s13/results.json \\
        noise=artifacts/noise/eval-s13/results.json --systems base:backbone base:lira_lrl noise:finetune noise:lira_lrl

Each `label=path[,path...]` names an evaluation run (several paths: seeds, averaged per query) that holds both the
`test` and the `test_noisy` split (a run used only by `--clean-pairs` may hold `test` alone); a system is then
`label:system`. Every `test_noisy` row is paired with the clean row it was made from (`clean_query_id`). Printed and
returned:

* per system, for every language and noise type: the clean nDCG@10 of the paired queries, the noisy nDCG@10, the
  drop (clean - noisy) with a paired bootstrap 95 % interval, and the share of the clean score kept (noisy / clean);
  the macro row averages the languages where the noise exists;
* for pairs of systems (`--pairs A B`): the difference of their drops (drop of A - drop of B; positive = B drops
  less) on the same query pairs, with a paired bootstrap interval.
"""

import argparse
import json

import numpy as np

from lira_utils.atomic import atomic_write_json
from evaluation.report import format_drop, noise_language_table
from evaluation.robustness import noise_drop_table, noise_pairs
from evaluation.stats import macro_paired_bootstrap, paired_bootstrap

METRIC = "ndcg@10"


def load_runs(specs):
    """`["label=p1,p2", ...]` -> label -> list of results dicts."""
    runs = {}
    for spec in specs:
        label, sep, paths = spec.partition("=")
        if not sep or not paths:
            raise ValueError(f"run {spec!r} is not `label=path[,path]`; e.g. base=artifacts/eval/results.json.")
        runs[label] = []
        for path in paths.split(","):
            with open(path, encoding="utf-8") as f:
                res = json.load(f)
            if "test" not in res.get("per_query", {}):  # a run used only by --clean-pairs needs no test_noisy
                raise ValueError(f"{path} has no per-query scores of the test split; evaluate with "
                                 f"--splits test test_noisy.")
            runs[label].append(res)
    return runs


def paired_scores(runs, system, metric=METRIC):
    """`evaluation.robustness.noise_pairs` of `label:system`, per-query scores averaged over the label's runs."""
    label, sep, name = system.partition(":")
    if not sep or label not in runs:
        raise ValueError(f"system {system!r} is not `label:system` with a label of {sorted(runs)}.")
    per_run = []
    for res in runs[label]:
        clean_pq, noisy_pq = res["per_query"]["test"].get(name), res["per_query"].get("test_noisy", {}).get(name)
        if clean_pq is None or noisy_pq is None:
            raise ValueError(f"{system}: {name!r} was not evaluated on both test and test_noisy in run {label!r}; "
                             "evaluate with --splits test test_noisy.")
        per_run.append(noise_pairs(clean_pq, noisy_pq, metric))
    return {lang: {noise: tuple(np.mean([run[lang][noise][i] for run in per_run], axis=0) for i in (0, 1))
                   for noise in by_noise} for lang, by_noise in per_run[0].items()}


def drop_difference(scores_a, scores_b, num_samples=2000, seed=0):
    """Per language and noise: drop of A - drop of B on the shared query pairs, paired bootstrap interval."""
    out = []
    for lang in sorted(set(scores_a) & set(scores_b)):
        for noise in sorted(set(scores_a[lang]) & set(scores_b[lang])):
            (ca, na), (cb, nb) = scores_a[lang][noise], scores_b[lang][noise]
            if len(ca) != len(cb):
                raise ValueError(f"{lang}/{noise}: the two systems have {len(ca)} and {len(cb)} query pairs; "
                                 f"evaluate both on the same test_noisy rows.")
            out.append({"language": lang, "noise": noise, **paired_bootstrap(cb - nb, ca - na, num_samples, seed)})
    return out


def clean_difference(runs, a, b, metric=METRIC, num_samples=2000, seed=0):
    """Clean `test` score of B minus A (e.g. with vs without noise-aware training): macro paired bootstrap over the
    shared queries, per-query scores averaged over each label's runs."""
    def per_language(system):
        label, _, name = system.partition(":")
        if label not in runs:
            raise ValueError(f"system {system!r} is not `label:system` with a label of {sorted(runs)}.")
        out = {}
        for res in runs[label]:
            for lang, pq in res["per_query"]["test"][name].items():
                out.setdefault(lang, {})
                for qid, value in zip(pq["query_id"], pq[metric]):
                    out[lang].setdefault(qid, []).append(value)
        return {lang: {qid: float(np.mean(v)) for qid, v in by_q.items()} for lang, by_q in out.items()}

    sa, sb = per_language(a), per_language(b)
    langs = sorted(set(sa) & set(sb))
    ids = {lang: sorted(set(sa[lang]) & set(sb[lang])) for lang in langs}
    return macro_paired_bootstrap({lang: [sa[lang][q] for q in ids[lang]] for lang in langs},
                                  {lang: [sb[lang][q] for q in ids[lang]] for lang in langs}, num_samples, seed)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("runs", nargs="+", help="label=results.json[,results.json ...]")
    parser.add_argument("--systems", nargs="+", required=True, help="label:system, e.g. base:lira_lrl")
    parser.add_argument("--pairs", nargs=2, action="append", default=[], metavar=("A", "B"),
                        help="compare drops: drop of A - drop of B (positive = B is more robust)")
    parser.add_argument("--clean-pairs", nargs=2, action="append", default=[], metavar=("A", "B"),
                        help="clean test nDCG@10 of B minus A, macro paired bootstrap (e.g. without/with noise "
                             "training)")
    parser.add_argument("--out", help="write everything as JSON here")
    args = parser.parse_args(argv)
    runs = load_runs(args.runs)
    scores = {s: paired_scores(runs, s) for s in set(args.systems) | {x for p in args.pairs for x in p}}
    report = {"tables": {s: noise_drop_table(scores[s]) for s in args.systems}, "pairs": {}}
    for system in args.systems:
        print(noise_language_table(system, report["tables"][system]) + "\n")
    for a, b in args.pairs:
        diff = drop_difference(scores[a], scores[b])
        report["pairs"][f"{a} vs {b}"] = diff
        print(f"**drop of {a} - drop of {b}** (positive: {b} loses less)\n\n| language | noise | difference |\n|---|---|---|")
        print("\n".join(f"| {d['language']} | {d['noise']} | {format_drop(d)} |" for d in diff) + "\n")
    for a, b in args.clean_pairs:
        diff = clean_difference(runs, a, b)
        report.setdefault("clean", {})[f"{b} - {a}"] = diff
        cells = " | ".join(f"{lang} {format_drop(d)}" for lang, d in diff["per_language"].items())
        print(f"**clean test nDCG@10, {b} - {a}**: macro {format_drop(diff)}; {cells}\n")
    if args.out:
        atomic_write_json(args.out, report)
    return report


if __name__ == "__main__":
    main()
