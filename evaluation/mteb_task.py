"""lira-products as an mteb retrieval task: one subset per language, local data, no network.

    import mteb
    from evaluation.mteb_task import lira_products_tasks

    tasks = lira_products_tasks("artifacts/lira-products")            # every language config, split `test`
    results = mteb.evaluate(model, tasks=tasks, cache=None)           # any mteb model: SentenceTransformer, ...

The rows are read through `lira_utils.dataset` (the same reader as the project's evaluator, so it works with
`HF_DATASETS_OFFLINE=1`): queries are a language's `test` (and optionally `test_noisy`) rows, the corpus is every
product of the `corpus` config as `evaluation.texts.document_text` writes it (`doc_field`), the qrels are the rows'
`relevant_ids` with their graded `relevance`. The main score is nDCG@10.

Each query and product also carries its full dataset row, JSON-encoded, in the column `ROW_COLUMN`: mteb hands every
column of the task's datasets to the encoder's batches, so a model that knows this task (the wrapper in
`evaluation.mteb_model`) can read the English candidates and critic scores of a query (candidate modes), or a
product's keywords, exactly as the project's evaluator passes them; any other model just reads `text`. A query's row
also holds `TITLES_KEY`: the English titles of its relevant products (mteb encodes the queries before the corpus, and
the oracle mode's candidate is that title).

Languages: the subset names are LiRA's codes (`vi`, `th`, ..., and the zero-shot `hi`, `km`, ... when the dataset has
them); `eval_langs` maps each to mteb's ISO 639-3 + script code (queries) and `eng-Latn` (the English products).
`lira_language` maps any mteb code back (`tha-Thai` -> `th`, `zsm-Latn` / `msa-Latn` -> `ms`, `tgl-Latn` -> `fil`).
"""

import json
import os

from mteb.abstasks.retrieval import AbsTaskRetrieval
from mteb.abstasks.task_metadata import TaskMetadata

from lira_utils.dataset import (dataset_configs, dataset_zero_shot_languages, folder_stamp, load_corpus,
                                load_queries)

from .texts import DOC_FIELDS, document_text

TASK_NAME = "LiraProductsRetrieval"
SPLITS = ("test", "test_noisy")
ROW_COLUMN = "lira_row"  # the JSON-encoded dataset row of a query or a product (see the module docstring)
TITLES_KEY = "_relevant_titles"  # added to a query's row: its relevant products' English titles (oracle mode)
LICENSE_URL = "https://www.unicode.org/license.txt"  # CLDR data (the dataset card: license_name unicode-3.0)
# LiRA's language code -> mteb's ISO 639-3 + ISO 15924 code (the 7 trained languages, English, the zero-shot ones)
LIRA_TO_MTEB = {
    "vi": "vie-Latn", "th": "tha-Thai", "id": "ind-Latn", "ms": "zsm-Latn", "fil": "fil-Latn", "ur": "urd-Arab",
    "bn": "ben-Beng", "en": "eng-Latn", "hi": "hin-Deva", "km": "khm-Khmr", "lo": "lao-Laoo", "my": "mya-Mymr",
    "ne": "nep-Deva", "si": "sin-Sinh", "ta": "tam-Taml",
}
# ISO 639-3 (mteb) -> LiRA's code; macro-language and individual-language codes both map (Malay, Filipino, Nepali)
MTEB_TO_LIRA = {code.split("-")[0]: lang for lang, code in LIRA_TO_MTEB.items()}
MTEB_TO_LIRA.update({"msa": "ms", "tgl": "fil", "npi": "ne"})


def lira_language(code):
    """LiRA's language code of an mteb language code, or `None` for a language outside LiRA's tables.

    Args:
        code (`str` or `None`): `"tha-Thai"`, `"tha_Thai"`, `"tha"` (ISO 639-3, with or without script), or already
            a LiRA code such as `"th"`.

    Returns:
        `str` or `None`: e.g. `"th"`; `None` where LiRA has no code for it (the model then identifies the language).
    """
    if not code:
        return None
    base = code.replace("_", "-").split("-")[0].lower()
    if base in LIRA_TO_MTEB:
        return base
    return MTEB_TO_LIRA.get(base)


def mteb_language(lang):
    """mteb's ISO 639-3 + script code of a LiRA language code (`"th"` -> `"tha-Thai"`).

    Raises:
        `ValueError`: a code LiRA has no mteb code for.
    """
    if lang not in LIRA_TO_MTEB:
        raise ValueError(f"language {lang!r} has no mteb code here; known: {sorted(LIRA_TO_MTEB)} (add it to "
                         "evaluation.mteb_task.LIRA_TO_MTEB with its ISO 639-3 + script code).")
    return LIRA_TO_MTEB[lang]


def task_languages(dataset, languages=None):
    """The language configs a task over `dataset` has: `languages` checked, or every config but `corpus`/`default`
    (zero-shot ones included)."""
    configs = [c for c in dataset_configs(dataset) if c not in ("corpus", "default")]
    if languages is None:
        return configs
    missing = [lang for lang in languages if lang not in configs]
    if missing or not languages:
        raise ValueError(f"dataset {dataset!r} has no config for {missing or languages}; it has {configs}. Pass "
                         f"only those (--languages {' '.join(configs)}).")
    return list(languages)


class LiraProductsRetrieval(AbsTaskRetrieval):
    """lira-products (a local folder or a Hub id in the local cache) as an mteb `Retrieval` task.

    Args:
        dataset (`str`): the `lira-products` folder (or Hub id), e.g. `artifacts/lira-products`.
        languages (`list[str]`, *optional*): language configs (default: every one, zero-shot ones included).
        splits (`tuple[str]`, *optional*, defaults to `("test",)`): `test` and/or `test_noisy`.
        max_queries (`int`, *optional*): the first N queries of each language and split (dataset order).
        doc_field (`str`, *optional*, defaults to `"title"`): the product text (`evaluation.texts.document_text`).
        name (`str`, *optional*, defaults to `"LiraProductsRetrieval"`): the task name in mteb's results.

    Raises:
        `ValueError`: an unknown language, split or `doc_field`, or a dataset that cannot be read.
    """

    k_values = (1, 3, 5, 10, 20, 100, 1000)

    def __init__(self, dataset, languages=None, splits=("test",), max_queries=None, doc_field="title",
                 name=TASK_NAME, **kwargs):
        bad = [s for s in splits if s not in SPLITS]
        if bad or not splits:
            raise ValueError(f"splits {list(splits)!r}: lira-products tasks evaluate {list(SPLITS)}; pass one or both.")
        if doc_field not in DOC_FIELDS:
            raise ValueError(f"doc_field={doc_field!r} is not supported; use one of {list(DOC_FIELDS)}.")
        if max_queries is not None and (isinstance(max_queries, bool) or not isinstance(max_queries, int)
                                        or max_queries < 1):
            raise ValueError(f"max_queries={max_queries!r}; pass a positive integer or None (every query).")
        self.source, self.doc_field, self.max_queries = dataset, doc_field, max_queries
        self.zero_shot = tuple(dataset_zero_shot_languages(dataset))
        langs = task_languages(dataset, languages)
        where = os.path.abspath(dataset) if os.path.isdir(dataset) else dataset
        self.metadata = TaskMetadata(
            name=name, type="Retrieval", category="t2t", modalities=["text"], main_score="ndcg_at_10",
            description="lira-products: product search in low-resource languages; queries in the language, products "
                        "by their English title (CLDR names and keywords). One subset per language"
                        + (f"; zero-shot (never trained): {', '.join(self.zero_shot)}" if self.zero_shot else "")
                        + f". Documents: {doc_field}.",
            reference=None, dataset={"path": where, "revision": folder_stamp(dataset) or "local"},
            eval_splits=list(splits), eval_langs={lang: [mteb_language(lang), "eng-Latn"] for lang in langs},
            date=None, domains=["E-commerce", "Written"], task_subtypes=None, license=LICENSE_URL,
            annotations_creators="derived", dialect=[], sample_creation="created", bibtex_citation="",
        )
        super().__init__(**kwargs)

    def load_data(self, num_proc=None, **kwargs):
        """Reads the corpus and every (language, split) query set of the local dataset (no network)."""
        if self.data_loaded:
            return
        from datasets import Dataset

        products = load_corpus(self.source)
        titles = {p["product_id"]: p["title_en"] for p in products}
        corpus = Dataset.from_dict({
            "id": [p["product_id"] for p in products],
            "text": [document_text(p, self.doc_field) for p in products],
            ROW_COLUMN: [json.dumps(p, ensure_ascii=False) for p in products],
        })
        self.dataset = {}
        for lang in self.hf_subsets:
            for split in self.eval_splits:
                rows = load_queries(self.source, lang, split, self.max_queries)
                if not rows:
                    raise ValueError(f"{self.source!r} has no {split} queries for {lang!r}; rebuild the dataset or "
                                     "drop that language.")
                queries = Dataset.from_dict({
                    "id": [r["query_id"] for r in rows], "text": [r["query"] for r in rows],
                    ROW_COLUMN: [json.dumps({**r, TITLES_KEY: {pid: titles[pid] for pid in r["relevant_ids"]}},
                                            ensure_ascii=False) for r in rows],
                })
                qrels = {r["query_id"]: {pid: int(g) for pid, g in zip(r["relevant_ids"], r["relevance"])}
                         for r in rows}
                self.dataset.setdefault(lang, {})[split] = {"corpus": corpus, "queries": queries,
                                                            "relevant_docs": qrels, "top_ranked": None}
        self.data_loaded = True

    def unload_data(self):
        """Frees the rows. (mteb's own `unload_data` also drops an instance's `metadata`, taking it for a filtered
        copy of the class's; this task's metadata is built per dataset folder, so it stays.)"""
        self.dataset, self.data_loaded = None, False

    def num_queries(self, language, split="test"):
        """Number of queries of one subset and split (loads the data if needed)."""
        self.load_data()
        return len(self.dataset[language][split]["queries"])


def lira_products_tasks(dataset="artifacts/lira-products", languages=None, splits=("test",), max_queries=None,
                        doc_field="title"):
    """The lira-products task(s) for a dataset folder, for `mteb.evaluate(model, tasks=...)`.

    Args:
        dataset (`str`, *optional*, defaults to `"artifacts/lira-products"`): folder (or Hub id in the local cache).
        languages (`list[str]`, *optional*): subsets (default: every language config of the dataset).
        splits (`tuple[str]`, *optional*, defaults to `("test",)`): `test` and/or `test_noisy`.
        max_queries (`int`, *optional*): first N queries per language and split.
        doc_field (`str`, *optional*, defaults to `"title"`): `"title"` or `"title_keywords"`.

    Returns:
        `list[LiraProductsRetrieval]`: one task (its subsets are the languages), ready for `mteb.evaluate`.
    """
    return [LiraProductsRetrieval(dataset, languages=languages, splits=tuple(splits), max_queries=max_queries,
                                  doc_field=doc_field)]
