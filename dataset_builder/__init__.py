"""`dataset_builder`: builds the `lira-products` Hub dataset (Parquet shards + README YAML `configs:`).

Usage::

    python -m dataset_builder build --out artifacts/lira-products
    python -m dataset_builder build --out my-products --catalog catalog.csv --queries queries.jsonl

    from dataset_builder import build_cldr_dataset
    build_cldr_dataset("artifacts/lira-products", languages=["th", "vi"], max_products=60)
"""

from .critics import (
    DEFAULT_JUDGE_PROMPT,
    ReferenceTranslationCritic,
    LLMJudgeTranslationCritic,
    TranslationCritic,
    parse_judge_scores,
)
from .noisy_translation import LiraNoisyTranslator
from .pipeline import build_cldr_dataset, build_dataset, build_from_catalog
from .schema import CORPUS_FEATURES, LANGUAGES, NUM_CANDIDATES, QUERY_FEATURES, QUERY_SPLITS

__all__ = [
    "CORPUS_FEATURES",
    "DEFAULT_JUDGE_PROMPT",
    "ReferenceTranslationCritic",
    "LANGUAGES",
    "LLMJudgeTranslationCritic",
    "LiraNoisyTranslator",
    "NUM_CANDIDATES",
    "QUERY_FEATURES",
    "QUERY_SPLITS",
    "TranslationCritic",
    "build_cldr_dataset",
    "build_dataset",
    "build_from_catalog",
    "parse_judge_scores",
]
