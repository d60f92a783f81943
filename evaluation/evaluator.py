"""The evaluator: every system on the same queries and corpus, per language and split, with caching.

Retrieval is scored with the local `retrieval` metric module (nDCG@k, Recall@k, MRR@k, MAP@100); systems that
expose `language_logits` (LiRA) also get language-identification accuracy (`langid_acc`, local `accuracy`
module; the logits are computed once per model and query set). Results are cached per (system, language, split)
under `<out>/cache` (see `evaluation.cache`).
"""

import logging
import time

from tqdm.auto import tqdm

from .cache import EvalCache
from .inputs import check_languages, query_inputs
from lira_utils.dataset import load_corpus, load_queries
from lira_utils.hashing import content_hash
from .leak import attach_scores, leak_meter
from .metrics_loader import load_metric
from .robustness import DROP_METRICS, macro_average, noise_breakdown, noise_by_language, robustness
from .search import top_k

logger = logging.getLogger("evaluation")

K_VALUES = (1, 5, 10)
DEPTH = 100
METRIC_VERSION = 2  # bump when scoring code changes so cached results are recomputed


def corpus_hash(corpus):
    """Fingerprint of the corpus content that any document encoder can see."""
    return content_hash([[p["product_id"], p["title_en"], list(p.get("keywords_en") or [])] for p in corpus])


def score_system(system, rows, corpus, cache=None, k_values=K_VALUES, depth=DEPTH, index="auto", tag=""):
    """Scores one system on one set of queries against `corpus` (cached).

    Args:
        system: an object following the protocol in `evaluation.systems`.
        rows (`list[dict]`): query rows (`query`, `language`, `relevant_ids`, `relevance`, `candidates`,
            `critic_scores`).
        corpus (`list[dict]` or `tuple[dict]`): products (`product_id`, `title_en`, `keywords_en`).
        cache (`EvalCache`, *optional*): embedding/result cache; a fresh in-memory one by default.
        k_values (`tuple[int]`, *optional*): cut-offs for nDCG/Recall/MRR.
        depth (`int`, *optional*, defaults to 100): ranked-list depth (MAP is MAP@depth).
        index (`str`, *optional*, defaults to `"auto"`): see `evaluation.search.top_k`.
        tag (`str`, *optional*): label used in logs.

    Returns:
        `dict`: metric name -> value, plus `num_queries`, `langid_acc` where the system supports it (and knows the
        rows' languages: none for a zero-shot language), and
        `per_query` (query ids, clean query ids, noise types and per-query nDCG@10 / Recall@10 / MRR@10).
    """
    cache = cache or EvalCache()
    if not rows:
        raise ValueError(f"no queries to evaluate for {tag or system.name}; check the split and --max-queries.")
    titles = {p["product_id"]: p["title_en"] for p in corpus}
    inputs = query_inputs(rows, system.candidate_mode, titles)
    qrels = [[list(r["relevant_ids"]), [int(g) for g in r["relevance"]]] for r in rows]
    c_hash = corpus_hash(corpus)
    in_hash = content_hash(inputs)
    key = content_hash({"q": system.query_key(), "d": system.document_key(), "inputs": in_hash, "qrels": qrels,
                        "corpus": c_hash, "k": list(k_values), "depth": depth, "index": index,
                        "version": METRIC_VERSION})

    def compute():
        start = time.perf_counter()
        docs = cache.embeddings("documents", content_hash([system.document_key(), c_hash]),
                                lambda: system.encode_documents(list(corpus)))
        queries = cache.embeddings("queries", content_hash([system.query_key(), in_hash]),
                                   lambda: system.encode_queries(**inputs))
        idx, _ = top_k(queries, docs, depth, index=index)
        ids = [p["product_id"] for p in corpus]
        ranked = [[ids[j] for j in row] for row in idx]
        scores = load_metric("retrieval").compute(predictions=ranked, references=[q[0] for q in qrels],
                                                  relevance=[q[1] for q in qrels], k_values=list(k_values),
                                                  map_k=depth, return_per_query=True)
        per_query = scores.pop("per_query")
        scores["per_query"] = {
            "query_id": [r.get("query_id", str(i)) for i, r in enumerate(rows)],
            "clean_query_id": [r.get("clean_query_id") or r.get("query_id", str(i)) for i, r in enumerate(rows)],
            "noise": [r.get("noise", "none") for r in rows],
            **{m: [round(v, 6) for v in per_query[m]] for m in DROP_METRICS if m in per_query},
        }
        if hasattr(system, "language_logits") and set(inputs["languages"]) <= set(system.language_codes()):
            # (a zero-shot language is no class of the head: no accuracy to measure)
            logits = cache.embeddings("langid", content_hash([system.langid_key(), inputs["texts"]]),
                                      lambda: system.language_logits(inputs["texts"]))
            codes = system.language_codes()
            pred = [codes[int(i)] for i in logits.argmax(-1)]
            scores["langid_acc"] = load_metric("accuracy").compute(predictions=pred,
                                                                   references=inputs["languages"])["accuracy"]
        scores["seconds"] = round(time.perf_counter() - start, 2)
        logger.info("%s %s: nDCG@10 %.3f (%d queries)", system.name, tag, scores.get("ndcg@10", float("nan")),
                    scores["num_queries"])
        return scores

    return cache.result(key, compute)


def _allow_zero_shot(system, unknown):
    """Tells a system with languages (LiRA) to encode the dataset's zero-shot languages it lacks as unknown."""
    if unknown:
        system.allow_unknown_languages(unknown)


def evaluate_encoder(system, dataset_dir, languages, split="test", max_queries=None, cache_dir=None,
                     index="auto"):
    """Evaluates one system on one split of each language (e.g. before/after tables in training).

    Args:
        system: a system (see `evaluation.systems.build_system`).
        dataset_dir (`str`): `lira-products` folder or Hub id.
        languages (`list[str]`): language configs to evaluate.
        split (`str`, *optional*, defaults to `"test"`): query split.
        max_queries (`int`, *optional*): first N queries per language only.
        cache_dir (`str`, *optional*): embedding/result cache folder (none by default).
        index (`str`, *optional*, defaults to `"auto"`): see `evaluation.search.top_k`.

    Returns:
        `dict[str, dict]`: language -> metrics.
    """
    _allow_zero_shot(system, check_languages(dataset_dir, languages, getattr(system, "languages", None)))
    corpus = load_corpus(dataset_dir)
    cache = EvalCache(cache_dir)
    return {lang: score_system(system, load_queries(dataset_dir, lang, split, max_queries), corpus, cache,
                               index=index, tag=f"{lang}/{split}")
            for lang in languages}


def run_evaluation(systems, dataset_dir, languages, splits=("test", "test_noisy"), out_dir=None,
                   max_queries=None, index="auto", progress=True):
    """Runs every system on every (split, language) with the same queries and corpus.

    Args:
        systems (`list`): system objects (`evaluation.systems.build_system`).
        dataset_dir (`str`): `lira-products` folder or Hub id.
        languages (`list[str]`): language configs.
        splits (`tuple[str]`, *optional*): query splits; with `test` and `test_noisy` a robustness report is added.
        out_dir (`str`, *optional*): where the cache lives (`<out_dir>/cache`); nothing is cached without it.
        max_queries (`int`, *optional*): first N queries per language and split only.
        index (`str`, *optional*, defaults to `"auto"`): see `evaluation.search.top_k`.
        progress (`bool`, *optional*, defaults to `True`): tqdm bar over the runs.

    Returns:
        `dict`: `split` (the first split) and `results` (system -> language -> metrics of that split, the shape
        `model_card/eval_results.py` reads), `splits` (split -> system -> language -> metrics), `macro_average`
        (split -> system -> unweighted mean over languages), `robustness`
        (system -> language -> clean-minus-noisy drop), `robustness_by_noise` (system -> noise type -> paired
        clean/noisy nDCG@10, see `evaluation.robustness.noise_breakdown`), `robustness_by_language_noise` (system
        -> rows per language and noise type with the drop's paired interval, `noise_by_language`), `num_queries`
        (split -> language -> n),
        `seconds`
        (split -> system -> language -> compute time, 0 when cached), `cache` statistics, `per_query` (split ->
        system -> language -> per-query ids and scores, for paired intervals: `evaluation.stats`) and `leak_meter`
        (language -> how often the critic's top candidate is the answer, `evaluation.leak`, on the first split).
    """
    import os

    for system in systems:
        _allow_zero_shot(system, check_languages(dataset_dir, languages, getattr(system, "languages", None)))
    check_languages(dataset_dir, languages)
    cache = EvalCache(os.path.join(out_dir, "cache") if out_dir else None)
    corpus = load_corpus(dataset_dir)
    by_split, counts, seconds, per_query = {}, {}, {}, {}
    jobs = [(split, lang) for split in splits for lang in languages]
    bar = tqdm(total=len(jobs) * len(systems), desc="evaluate", disable=not progress)
    titles = {p["product_id"]: p["title_en"] for p in corpus}
    meter = {}
    for split, lang in jobs:
        rows = load_queries(dataset_dir, lang, split, max_queries)
        counts.setdefault(split, {})[lang] = len(rows)
        if split == splits[0]:
            meter[lang] = leak_meter(rows, titles)
        for system in systems:
            bar.set_postfix_str(f"{split}/{lang}/{system.name}")
            before = cache.stats["computed_results"]
            scores = dict(score_system(system, rows, corpus, cache, index=index, tag=f"{lang}/{split}"))
            spent = scores.pop("seconds", 0.0) if cache.stats["computed_results"] > before else 0.0
            scores.pop("seconds", None)
            scores.pop("num_queries", None)
            per_query.setdefault(split, {}).setdefault(system.name, {})[lang] = scores.pop("per_query", None)
            by_split.setdefault(split, {}).setdefault(system.name, {})[lang] = scores
            seconds.setdefault(split, {}).setdefault(system.name, {})[lang] = spent
            bar.update()
    bar.close()
    first = splits[0]
    return {"split": first, "results": by_split[first], "splits": by_split, "macro_average": macro_average(by_split),
            "robustness": robustness(by_split), "robustness_by_noise": noise_breakdown(per_query),
            "robustness_by_language_noise": noise_by_language(per_query),
            "num_queries": counts, "seconds": seconds, "corpus_size": len(corpus), "languages": list(languages),
            "systems": [s.name for s in systems], "cache": dict(cache.stats), "per_query": per_query,
            "leak_meter": attach_scores(meter, by_split[first])}
