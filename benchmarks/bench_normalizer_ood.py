"""Does the query normalizer leave clean text from outside the shop as typed? Rewrites and retrieval, on vs off.

Two sets of real clean text in the seven languages that are not product queries and never the dataset's rows:
* CLDR locale names (`evaluation.cldr_locale`: territories, languages, scripts, currencies, units, months, days),
  vetted against every text of the dataset in that language; a cross-lingual retrieval set (find the English name);
* `wordfreq` words (Zipf >= `--min-zipf`) that no list of the normalizer holds (not its vocabulary, real words or
  lexicon) and no text of the dataset holds: the clean words the normalizer has never seen (Thai: wordfreq has none).

Per language: the share of texts the normalizer rewrites (language given, and every language tried), and for the
locale set nDCG@10 of LiRA LRL-only with its normalizer on and off, with the paired bootstrap interval of on - off.

    python -m benchmarks.bench_normalizer_ood --model artifacts/lira-small-trained --dataset artifacts/lira-products \
        --out artifacts/bench_normalizer_ood.json
"""

import math
import random

from lira_utils.atomic import atomic_write_json
from evaluation.cldr_locale import build_locale_benchmark, dataset_texts
from lira_utils.hashing import content_hash
from modeling_lira.query_normalizer import fold
from lira_utils.defaults import SEED


def unseen_words(normalizer, dataset, language, count, min_zipf, seed=SEED):
    """Up to `count` `wordfreq` words of `language` (Zipf >= `min_zipf`) outside the normalizer's lists and the
    dataset, a seeded sample."""
    import wordfreq

    if language not in wordfreq.available_languages(wordlist="best"):
        return []
    lists = {fold(e["text"]) for e in normalizer.vocabulary.get(language, [])}
    lists |= set(map(fold, normalizer.real_words.get(language, []))) | set(map(fold, normalizer.lexicon.get(language,
                                                                                                            [])))
    seen = dataset_texts(dataset, language)[0]
    words = [fold(w) for w, f in wordfreq.get_frequency_dict(language, wordlist="best").items()
             if math.log10(f) + 9 >= min_zipf]
    words = sorted({w for w in words if w and w not in lists and w not in seen and not any(c.isdigit() for c in w)})
    return random.Random(seed).sample(words, min(count, len(words)))


def rewrite_rates(normalizer, texts, language):
    """Share of `texts` rewritten with the language given and with every language tried, and a few examples."""
    given = [t for t in texts if normalizer.normalize(t, language) != t]
    tried = [t for t in texts if normalizer.normalize(t) != t]
    n = max(len(texts), 1)
    return {"n": len(texts), "rewritten": len(given) / n, "rewritten_no_language": len(tried) / n,
            "examples": [(t, normalizer.normalize(t, language)) for t in given[:5]]}


class RawQueryLira:
    """A `LiraSystem` whose processor leaves queries as typed (its normalizer off); its own cache key."""

    def __init__(self, system):
        self.system, self.name, self.candidate_mode = system, system.name, system.candidate_mode

    def query_key(self):
        return content_hash({"inner": self.system.query_key(), "query_normalizer": "off"})

    def document_key(self):
        return self.system.document_key()

    def encode_documents(self, products):
        return self.system.encode_documents(products)

    def encode_queries(self, texts, languages=None, candidates=None, critic_scores=None):
        proc = self.system._load()[1]
        saved, proc.query_normalizer = proc.query_normalizer, None
        try:
            return self.system.encode_queries(texts, languages, candidates, critic_scores)
        finally:
            proc.query_normalizer = saved


def retrieval(model, rows_by_lang, corpus, out_dir, seed=0):
    """Per language nDCG@10 with the normalizer on and off, and the paired interval of on - off."""
    from evaluation.cache import EvalCache
    from evaluation.evaluator import score_system
    from evaluation.lira_system import LiraSystem
    from evaluation.stats import paired_bootstrap

    system = LiraSystem(model, mode="lrl", progress=False)
    cache = EvalCache(out_dir)
    out = {}
    for lang, rows in rows_by_lang.items():
        on = score_system(system, rows, corpus, cache, k_values=(10,), tag=f"{lang}/locale")
        off = score_system(RawQueryLira(system), rows, corpus, cache, k_values=(10,), tag=f"{lang}/locale-raw")
        a, b = off["per_query"]["ndcg@10"], on["per_query"]["ndcg@10"]
        out[lang] = {"n": len(rows), "ndcg_off": off["ndcg@10"], "ndcg_on": on["ndcg@10"],
                     "on_minus_off": paired_bootstrap(a, b, seed=seed)}
    return out


def format_table(result):
    lines = ["| language | locale names rewritten (given / none) | unseen wordfreq words rewritten (given / none) | "
             "nDCG@10 off | on | on - off [95 %] |", "|---|---|---|---|---|---|"]
    for lang, row in result["languages"].items():
        loc, words, ret = row["locale"], row["words"], row.get("retrieval")
        cells = [f"{loc['rewritten']:.1%} / {loc['rewritten_no_language']:.1%} (n={loc['n']})",
                 f"{words['rewritten']:.1%} / {words['rewritten_no_language']:.1%} (n={words['n']})"
                 if words["n"] else "- (no list)"]
        if ret:
            d = ret["on_minus_off"]
            cells += [f"{ret['ndcg_off']:.3f}", f"{ret['ndcg_on']:.3f}",
                      f"{d['delta']:+.3f} [{d['low']:+.3f}, {d['high']:+.3f}]"]
        else:
            cells += ["-", "-", "-"]
        lines.append(f"| {lang} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv=None):
    from benchmarks.bench_normalizer_latency import load_normalizer, normalizer_parser

    p = normalizer_parser(__doc__.split("\n")[0])
    p.add_argument("--words", type=int, default=2000, help="unseen wordfreq words per language")
    p.add_argument("--min-zipf", type=float, default=2.0, help="least Zipf frequency of those words")
    p.add_argument("--no-retrieval", action="store_true", help="rewrite shares only (no model forward passes)")
    p.add_argument("--cache", default="artifacts/cache-normalizer-ood", help="embedding cache folder")
    p.add_argument("--out", default="artifacts/bench_normalizer_ood.json")
    args = p.parse_args(argv)
    if args.words < 0 or not math.isfinite(args.min_zipf):
        raise ValueError(f"--words={args.words} must be >= 0 and --min-zipf={args.min_zipf} finite.")
    normalizer = load_normalizer(args.model)
    rows_by_lang, corpus, dropped = build_locale_benchmark(args.languages, args.dataset)
    result = {"model": args.model, "dropped_as_overlapping": dropped, "languages": {}}
    for lang in args.languages:
        words = unseen_words(normalizer, args.dataset, lang, args.words, args.min_zipf)
        result["languages"][lang] = {"locale": rewrite_rates(normalizer, [r["query"] for r in rows_by_lang[lang]], lang),
                                     "words": rewrite_rates(normalizer, words, lang)}
    if not args.no_retrieval:
        for lang, row in retrieval(args.model, rows_by_lang, corpus, args.cache).items():
            result["languages"][lang]["retrieval"] = row
    text = format_table(result)
    print(text)
    atomic_write_json(args.out, {**result, "markdown": text})


if __name__ == "__main__":
    main()
