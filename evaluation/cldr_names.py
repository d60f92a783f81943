"""Second benchmark, written by Unicode rather than by us: cross-lingual retrieval of CLDR emoji short names.

For each language, every CLDR short name (`tts`, base `cldr-annotations-full` + derived
`cldr-annotations-derived-full`, npm 48.2.0) is a query, and the corpus is *all* English short names (4,342 in
CLDR 48.2). The relevant document is the English name of the same emoji (every emoji whose localized name equals
the query, if a language reuses a name). About half of the names are skin-tone, gender or family variants that
differ by one word, so absolute scores are low by design: it is a relative yardstick.

No translations exist for these names offline, so systems that read English candidates get none: `translate_test`
then encodes the query itself (it equals `minilm_query`) and `lira_noisy` runs without candidates (it equals
`lira_lrl`); `lira_oracle` is given the gold English name, an upper bound rather than a fair entry.
"""

import json
import os
import random
import unicodedata

from .cache import EvalCache
from .evaluator import score_system
from .robustness import macro_average
from lira_utils.hashing import content_hash

PACKAGES = (("cldr-annotations-full", "annotations"), ("cldr-annotations-derived-full", "annotationsDerived"))
SAMPLE_SEED = 13


def npm_dir():
    """Folder holding `node_modules` with the CLDR packages (env `LIRA_NPM_DIR`, default `.cache`)."""
    return os.environ.get("LIRA_NPM_DIR", ".cache")


def short_names(lang, base=None):
    """CLDR short names of one locale: `{emoji: name}` (derived entries override base ones).

    Args:
        lang (`str`): CLDR locale, e.g. `"vi"`, `"fil"`, `"en"`.
        base (`str`, *optional*): folder holding `node_modules` (defaults to `npm_dir()`).

    Returns:
        `dict[str, str]`
    """
    base = base or npm_dir()
    out = {}
    for pkg, key in PACKAGES:
        path = os.path.join(base, "node_modules", pkg, key, lang, "annotations.json")
        if not os.path.exists(path):
            raise ValueError(f"CLDR file {path} is missing: run `npm install --prefix {base} "
                             "cldr-annotations-full@48.2.0 cldr-annotations-derived-full@48.2.0` or set "
                             "LIRA_NPM_DIR to the folder holding node_modules.")
        with open(path, encoding="utf-8") as f:
            data = json.load(f)[key]["annotations"]
        out.update({cp: unicodedata.normalize("NFC", v["tts"][0]).strip() for cp, v in data.items() if "tts" in v})
    return out


def build_benchmark(languages, max_queries=None, base=None):
    """Queries per language and the English corpus.

    Args:
        languages (`list[str]`): query languages.
        max_queries (`int`, *optional*): keep a seeded random sample (seed 13) of this many emoji, the same emoji
            in every language, for quick runs.
        base (`str`, *optional*): folder holding `node_modules`.

    Returns:
        `(rows_by_lang, corpus)`: query rows in the `lira-products` query schema, and products
        (`product_id` = emoji, `title_en` = English name, `keywords_en` = []).
    """
    english = short_names("en", base)
    corpus = [{"product_id": cp, "title_en": name, "keywords_en": []} for cp, name in sorted(english.items())]
    names = {lang: short_names(lang, base) for lang in languages}
    keep = None
    if max_queries is not None:
        if max_queries < 1:
            raise ValueError(f"max_queries={max_queries}; pass a positive number or omit it.")
        shared = sorted(set(english).intersection(*[set(n) for n in names.values()]))
        keep = set(random.Random(SAMPLE_SEED).sample(shared, min(max_queries, len(shared))))
    rows_by_lang = {}
    for lang, local in names.items():
        groups = {}
        for cp in sorted(local):
            if cp in english and (keep is None or cp in keep):
                groups.setdefault(local[cp], []).append(cp)
        rows_by_lang[lang] = [
            {"query_id": f"cldr-{lang}-{i}", "language": lang, "query": text, "relevant_ids": cps,
             "relevance": [1] * len(cps), "candidates": [], "critic_scores": []}
            for i, (text, cps) in enumerate(groups.items())
        ]
    return rows_by_lang, corpus


def run_cldr_names(systems, languages, out_dir=None, max_queries=None, base=None, progress=True):
    """Scores every system on the CLDR short-name benchmark (same queries and corpus for all).

    Args:
        systems (`list`): system objects (`evaluation.systems.build_system`).
        languages (`list[str]`): query languages.
        out_dir (`str`, *optional*): cache folder parent (`<out_dir>/cache`).
        max_queries (`int`, *optional*): see `build_benchmark`.
        base (`str`, *optional*): folder holding `node_modules`.
        progress (`bool`, *optional*): tqdm bar.

    Returns:
        `dict` in the shape of `evaluation.evaluator.run_evaluation` (split `"cldr_names"`).
    """
    from tqdm.auto import tqdm

    for system in systems:
        unknown = [l for l in languages if l not in getattr(system, "languages", languages)]
        if unknown:
            raise ValueError(f"{system.name} knows languages {system.languages}, not {unknown}; "
                             "drop them from --languages or use a model trained on them.")
    rows_by_lang, corpus = build_benchmark(languages, max_queries, base)
    cache = EvalCache(os.path.join(out_dir, "cache") if out_dir else None)
    results, counts = {}, {}
    bar = tqdm(total=len(languages) * len(systems), desc="cldr-names", disable=not progress)
    for lang in languages:
        counts[lang] = len(rows_by_lang[lang])
        for system in systems:
            bar.set_postfix_str(f"{lang}/{system.name}")
            scores = dict(score_system(system, rows_by_lang[lang], corpus, cache, k_values=(1, 10),
                                       tag=f"{lang}/cldr"))
            scores.pop("seconds", None)
            scores.pop("num_queries", None)
            scores.pop("per_query", None)
            results.setdefault(system.name, {})[lang] = scores
            bar.update()
    bar.close()
    return {"split": "cldr_names", "results": results, "splits": {"cldr_names": results},
            "macro_average": macro_average({"cldr_names": results}), "robustness": {},
            "num_queries": {"cldr_names": counts}, "corpus_size": len(corpus), "languages": list(languages),
            "systems": [s.name for s in systems], "cache": dict(cache.stats),
            "benchmark": {"source": "npm cldr-annotations-full + cldr-annotations-derived-full",
                          "fingerprint": content_hash(corpus)}}
