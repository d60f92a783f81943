"""Latency and memory of the query normalizer on text of any length, as a stranger may type it.

Per language and text length (characters), `explain` is timed on distinct texts made of real `test` and
`test_noisy` queries joined until the length is reached (typos, text typed without marks, romanized text), with the
language given and without it (every vocabulary tried); the table gives p50 / p99 / max milliseconds. Then the
memory of a process that normalizes many distinct queries: resident and peak memory (VmRSS, VmHWM) after 10k and
after all of them (default 100k), so a memo that grows without bound shows as a rising peak. One thread, the model's
saved normalizer with the tokenizer's one-piece words, as `LiraProcessor` loads it.

    python -m benchmarks.bench_normalizer_latency --model artifacts/lira-small-trained \
        --dataset artifacts/lira-products --out artifacts/bench_normalizer_latency.json
"""

import argparse
import random
import time

from dataset_builder.noise import typo
from lira_utils.atomic import atomic_write_json
from lira_utils.defaults import SEED

LANGUAGES = ("vi", "th", "id", "ms", "fil", "ur", "bn")
LENGTHS = (10, 100, 300, 1000, 10000)


def load_normalizer(model_dir):
    """The model folder's normalizer, with the tokenizer's one-piece words as `LiraProcessor.from_pretrained` sets."""
    from transformers import AutoTokenizer

    from modeling_lira.query_normalizer import LiraQueryNormalizer, one_piece_words

    normalizer = LiraQueryNormalizer.from_pretrained(model_dir)
    if normalizer is None:
        raise ValueError(f"{model_dir} has no query_normalizer.json; pass a trained LiRA folder (--model).")
    normalizer.known_word = one_piece_words(AutoTokenizer.from_pretrained(model_dir))
    return normalizer


def normalizer_parser(description):
    """The command line every normalizer benchmark starts from: `--model`, `--dataset` and `--languages`.

    Args:
        description (`str`): the benchmark's one-line description (its docstring's first line).

    Returns:
        `argparse.ArgumentParser`: add the benchmark's own options, then call `parse_args`.
    """
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--model", default="artifacts/lira-small-trained", help="a trained LiRA folder")
    p.add_argument("--dataset", default="artifacts/lira-products")
    p.add_argument("--languages", nargs="+", default=list(LANGUAGES))
    return p


def query_pools(dataset, languages):
    """`{language: [query, ...]}`: the language's clean `test` and noisy `test_noisy` queries."""
    from lira_utils.dataset import load_queries

    return {lang: [r["query"] for split in ("test", "test_noisy") for r in load_queries(dataset, lang, split)]
            for lang in languages}


def text_of_length(pool, length, rng):
    """Random real queries joined with spaces until `length` characters, cut there (at a word's end if one is near)."""
    parts, size = [], 0
    while size < length:
        parts.append(rng.choice(pool))
        size += len(parts[-1]) + 1
    text = " ".join(parts)[:length]
    cut = text.rfind(" ", max(1, length - 20))
    return text[:cut] if cut > 0 else text


def percentiles(values):
    ordered = sorted(values)
    pick = lambda q: ordered[min(len(ordered) - 1, int(q * len(ordered)))]  # noqa: E731
    return {"n": len(ordered), "p50": pick(0.5), "p99": pick(0.99), "max": ordered[-1]}


def latency(normalizer, pools, lengths, count, long_count, budget_s, seed=SEED):
    """`{"build_s": {language: s}, "with"|"without": {language: {length: percentiles of ms}}}`: every language's
    tables are built (timed) first; then at most `budget_s` seconds per cell."""
    out = {"build_s": {}}
    for lang in normalizer.languages:  # each language's tables are built on first use: timed apart, not per query
        start = time.perf_counter()
        normalizer.explain("warm up", lang)
        out["build_s"][lang] = round(time.perf_counter() - start, 3)
    for mode in ("with", "without"):
        out[mode] = {}
        for lang, pool in pools.items():
            rng = random.Random(f"{seed}-{lang}")
            cells = {}
            for length in lengths:
                times, started = [], time.perf_counter()
                for _ in range(count if length <= 300 else long_count):
                    text = text_of_length(pool, length, rng)
                    start = time.perf_counter()
                    normalizer.explain(text, lang if mode == "with" else None)
                    times.append(1000 * (time.perf_counter() - start))
                    if time.perf_counter() - started > budget_s:
                        break
                cells[str(length)] = percentiles(times)
            out[mode][lang] = cells
    return out


def _memory_kb():
    fields = {}
    with open("/proc/self/status", encoding="ascii") as f:
        for line in f:
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                fields[key] = int(value.split()[0])
    return fields


def memory(normalizer, pools, total, seed=SEED):
    """Resident and peak memory (MB) after 10k and after `total` distinct queries (real ones with 0-2 typos)."""
    rng, seen, marks = random.Random(seed), set(), {}
    languages = sorted(pools)
    while len(seen) < total:
        lang = rng.choice(languages)
        text = rng.choice(pools[lang])
        for _ in range(rng.randrange(3)):
            text = typo(text, rng)
        if (text, lang) in seen:
            continue
        seen.add((text, lang))
        normalizer.explain(text, lang if rng.random() < 0.5 else None)
        if len(seen) in (10_000, total):
            marks[str(len(seen))] = {k: round(v / 1024, 1) for k, v in _memory_kb().items()}
    return marks


def format_table(result, lengths):
    lines = ["| languages given | language | " + " | ".join(f"{n} chars p50 / p99 / max ms" for n in lengths) + " |",
             "|---" * (len(lengths) + 2) + "|"]
    for mode in ("with", "without"):
        by_lang = result["latency"][mode]
        for lang, cells in by_lang.items():
            row = [f"{c['p50']:.1f} / {c['p99']:.1f} / {c['max']:.1f}" for c in (cells[str(n)] for n in lengths)]
            lines.append(f"| {mode} | {lang} | " + " | ".join(row) + " |")
    lines.append("")
    lines.append("tables built on first use (s): " + ", ".join(f"{k} {v}" for k, v in result["latency"]["build_s"].items()))
    lines.append("")
    lines.append("| distinct queries | resident MB | peak MB |")
    lines.append("|---|---|---|")
    for n, m in result["memory"].items():
        lines.append(f"| {int(n):,} | {m.get('VmRSS')} | {m.get('VmHWM')} |")
    return "\n".join(lines)


def main(argv=None):
    p = normalizer_parser(__doc__.split("\n")[0])
    p.add_argument("--lengths", nargs="+", type=int, default=list(LENGTHS))
    p.add_argument("--count", type=int, default=300, help="texts per cell of up to 300 characters")
    p.add_argument("--long-count", type=int, default=20, help="texts per cell of more than 300 characters")
    p.add_argument("--budget-s", type=float, default=60.0, help="most seconds spent on one cell")
    p.add_argument("--memory-queries", type=int, default=100_000, help="distinct queries of the memory run (0: none)")
    p.add_argument("--out", default="artifacts/bench_normalizer_latency.json")
    args = p.parse_args(argv)
    if any(n < 1 for n in args.lengths) or args.count < 1 or args.long_count < 1 or not args.budget_s > 0:
        raise ValueError("--lengths, --count, --long-count and --budget-s must be positive.")
    if args.memory_queries and args.memory_queries < 10_000:
        raise ValueError(f"--memory-queries={args.memory_queries} must be 0 or at least 10000 (memory is read at 10k).")
    normalizer = load_normalizer(args.model)
    pools = query_pools(args.dataset, args.languages)
    result = {"model": args.model, "latency": latency(normalizer, pools, args.lengths, args.count, args.long_count,
                                                      args.budget_s)}
    result["memory"] = memory(normalizer, pools, args.memory_queries) if args.memory_queries else {}
    text = format_table(result, args.lengths)
    print(text)
    atomic_write_json(args.out, {**result, "markdown": text})


if __name__ == "__main__":
    main()
