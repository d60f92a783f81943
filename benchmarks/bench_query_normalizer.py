"""How often the query normalizer restores the clean query, how often it rewrites a clean one, and how fast it is.

For every `test_noisy` row (paired with its clean `test` query by `clean_query_id`) and language, per noise type:
`restored` = the normalized noisy text equals the clean query (folded), `unchanged` = left as typed, `other` =
rewritten into something else. On the clean `test` rows: `rewritten` = the share the normalizer changed at all (a
clean query should come back as typed). Two extra rows probe spelling habits the rule-based romanizers do not make:
`romanized+typo` applies one more random edit (swap, deletion, duplication) to the romanized text. Two vocabularies:
`full` (catalogue titles of every product + train/validation queries, what `python -m training` saves) and `strict`
(the titles of the test products left out). Time: mean milliseconds per query, in this process, one thread.

    python -m benchmarks.bench_query_normalizer --dataset artifacts/lira-products --out artifacts/bench_qn.json
"""

import argparse
import random
import time
from collections import defaultdict

from dataset_builder.noise import typo
from lira_utils.atomic import atomic_write_json
from modeling_lira.query_normalizer import fold, one_piece_words
from dataset_builder.normalizer import build_query_normalizer, parse_min_fuzzy_letters
from lira_utils.defaults import SEED

LANGUAGES = ("vi", "th", "id", "ms", "fil", "ur", "bn")


def measure(normalizer, dataset, languages, seed=SEED):
    """`{language: {row type: {"n", "restored", "unchanged", "other"}}}` and the mean ms per query."""
    from lira_utils.dataset import load_queries

    table, spent, calls = {}, 0.0, 0
    rng = random.Random(seed)
    for lang in languages:
        clean = {r["query_id"]: r["query"] for r in load_queries(dataset, lang, "test")}
        cases = [("clean", q, q) for q in clean.values()]
        for row in load_queries(dataset, lang, "test_noisy"):
            cases.append((row["noise"], row["query"], clean[row["clean_query_id"]]))
            if row["noise"] == "romanized":
                cases.append(("romanized+typo", typo(row["query"], rng), clean[row["clean_query_id"]]))
        counts = defaultdict(lambda: defaultdict(int))
        for kind, typed, target in cases:
            start = time.perf_counter()
            out = normalizer.normalize(typed, lang)
            spent, calls = spent + time.perf_counter() - start, calls + 1
            verdict = "unchanged" if out == typed else "restored" if fold(out) == fold(target) else "other"
            counts[kind]["n"] += 1
            counts[kind][verdict] += 1
        table[lang] = {k: dict(v) for k, v in counts.items()}
    return table, 1000 * spent / max(calls, 1)


def format_table(results):
    kinds = ["clean", "typo", "no_diacritics", "romanized", "romanized+typo"]  # code_mix keeps its English word
    lines = ["| vocabulary | row type | " + " | ".join(LANGUAGES) + " | all |", "|---" * (len(LANGUAGES) + 3) + "|"]
    for name, res in results.items():
        for kind in kinds:
            cells, tot_n, tot_k = [], 0, 0
            for lang in LANGUAGES:
                c = res["table"].get(lang, {}).get(kind)
                if not c:
                    cells.append("-")
                    continue
                key = "unchanged" if kind == "clean" else "restored"
                cells.append(f"{c.get(key, 0) / c['n']:.2f}")
                tot_n, tot_k = tot_n + c["n"], tot_k + c.get(key, 0)
            label = "clean kept as typed" if kind == "clean" else f"{kind} restored"
            lines.append(f"| {name} | {label} | " + " | ".join(cells) + f" | {tot_k / max(tot_n, 1):.2f} (n={tot_n}) |")
        lines.append(f"| {name} | ms per query | {res['ms_per_query']:.2f} |" + " |" * (len(LANGUAGES) + 1))
    return "\n".join(lines)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--dataset", default="artifacts/lira-products")
    p.add_argument("--languages", nargs="+", default=list(LANGUAGES))
    p.add_argument("--tokenizer", default="artifacts/backbones/multilingual-e5-small",
                   help="tokenizer whose single pieces count as known words (never fuzzy-corrected); '' = none")
    p.add_argument("--min-fuzzy-letters", default="5",
                   help="the normalizer's bounds: a number or 'bn=3,vi=3' (what training chose: training_facts.json)")
    p.add_argument("--out", default="artifacts/bench_query_normalizer.json")
    args = p.parse_args(argv)
    letters = parse_min_fuzzy_letters(args.min_fuzzy_letters)
    if letters == "auto":
        raise ValueError("--min-fuzzy-letters auto needs a model; pass the bounds it chose, e.g. 'vi=3,bn=3'.")
    known_word = None
    if args.tokenizer:
        from transformers import AutoTokenizer

        tokenizer = AutoTokenizer.from_pretrained(args.tokenizer)
        known_word = one_piece_words(tokenizer)  # as LiraProcessor.from_pretrained does
    results = {}
    for name, splits in (("full", ("train", "validation", "test")), ("strict", ("train", "validation"))):
        normalizer = build_query_normalizer(args.dataset, args.languages, splits, known_word=known_word,
                                            min_fuzzy_letters=letters)
        table, ms = measure(normalizer, args.dataset, args.languages)
        results[name] = {"product_splits": list(splits), "table": table, "ms_per_query": ms,
                         "known_word": args.tokenizer or None, "min_fuzzy_letters": letters}
    text = format_table(results)
    print(text)
    atomic_write_json(args.out, {"dataset": args.dataset, "results": results, "markdown": text})
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
