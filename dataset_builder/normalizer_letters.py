"""Chooses the query normalizer's `min_fuzzy_letters` per language on validation queries with synthetic typos.

    python -m dataset_builder.normalizer_letters --model artifacts/lira-small-trained   # choose, then write the normalizer

`python -m training` does the same at the end of training (`--query-normalizer-min-fuzzy-letters auto`).

Fuzzy correction of short spans is where languages differ: a Bengali or Urdu query is made of 2-4 letter words (a
letter = a consonant with its vowel signs), so with the default bound (5 letters) most Bengali typos are never
corrected, while in Urdu a bound of 3 also "corrects" one clean query in six. The bound is therefore chosen per
language, the way the noise rate is: on validation, never on test.

For each language, the clean validation queries (all by default) and a typo of each (the generator of
`dataset_builder.noise` that made `test_noisy`, seeded per query) are normalized with every candidate bound and
retrieved by the trained model in LRL-only mode. The vocabulary used for the choice leaves the validation queries
out (catalogue titles + train queries), so the chosen bound meets unseen queries as it will on test; its real
words and lexicon (`dataset_builder.normalizer.build_lexicons`) come from that vocabulary too. Rule: among
the bounds whose clean nDCG@10 is at most `tolerance` below the clean nDCG@10 without any normalizer, the one with
the best nDCG@10 on the typo'd queries (ties: the larger bound, which changes fewer texts); if none qualifies, the
largest candidate.
"""

import argparse
import json
import random
import zlib

import numpy as np
from tqdm.auto import tqdm

from evaluation.evaluator import score_system

from lira_utils.dataset import load_corpus_rows, load_query_rows
from .normalizer import (
    LEXICON_MIN_ZIPF,
    build_lexicons,
    build_vocabulary,
    save_query_normalizer,
    vocabulary_texts,
)
from evaluation.lira_system import LiraInMemorySystem
from lira_utils.defaults import LANGUAGES, SEED

CANDIDATES = (3, 4, 5, 6)


class _MemoQueries:
    """LRL-only system wrapper that encodes each distinct (text, language) once, and the corpus once, across calls."""

    def __init__(self, system):
        self.system, self.name, self.candidate_mode = system, system.name, system.candidate_mode
        self._memo, self._documents = {}, None

    def query_key(self):
        return self.system.query_key()

    def document_key(self):
        return self.system.document_key()

    def encode_documents(self, products):
        if self._documents is None:  # one corpus per choice
            self._documents = self.system.encode_documents(products)  # (P, D)
        return self._documents

    def encode_queries(self, texts, languages=None, candidates=None, critic_scores=None):
        languages = list(languages) if languages is not None else [None] * len(texts)
        todo = list(dict.fromkeys((t, lang) for t, lang in zip(texts, languages) if (t, lang) not in self._memo))
        if todo:
            emb = self.system.encode_queries([t for t, _ in todo], [lang for _, lang in todo])  # (N, D)
            self._memo.update(zip(todo, emb))
        return np.stack([self._memo[(t, lang)] for t, lang in zip(texts, languages)])  # (len(texts), D)


def typo_rows(rows, seed=SEED):
    """Copies of `rows` whose query carries one typo (swap, missing or doubled letter); rows the generator leaves
    unchanged are dropped. Deterministic per (seed, query_id)."""
    from dataset_builder.noise import typo

    out = []
    for row in rows:
        rng = random.Random(zlib.crc32(f"{seed}:{row['query_id']}".encode()))
        noisy = typo(row["query"], rng)
        if noisy != row["query"]:
            out.append({**row, "query": noisy, "noise": "typo", "clean_query_id": row["query_id"]})
    return out


def _mean_ndcg(system, rows, corpus, normalizer=None, language=None):
    if normalizer is not None:
        rows = [{**r, "query": normalizer.normalize(r["query"], language)} for r in rows]
    return float(score_system(system, rows, corpus)["ndcg@10"])


def choose_min_fuzzy_letters(model, processor, dataset, languages, candidates=CANDIDATES, queries_per_language=None,
                             tolerance=0.002, seed=SEED, min_zipf=LEXICON_MIN_ZIPF, lexicon=True, progress=True):
    """Per-language `min_fuzzy_letters` chosen on validation (module docstring).

    Args:
        model: the trained [`LiraModel`] (in memory, possibly PEFT-merged).
        processor ([`LiraProcessor`]): its processor; its own normalizer is not applied during the choice.
        dataset (`str`): dataset folder or Hub id.
        languages (`list[str]`): language codes.
        candidates (`tuple[int]`, *optional*, defaults to `(3, 4, 5, 6)`): bounds tried.
        queries_per_language (`int`, *optional*): first clean validation queries per language (default: all of
            them; on 300 per language the choice for Urdu was 3, which cost clean test queries 0.005, and on all 978
            it was 5).
        tolerance (`float`, *optional*, defaults to 0.002): clean nDCG@10 a bound may cost.
        seed (`int`, *optional*, defaults to 13): seed of the synthetic typos.
        min_zipf (`float`, *optional*, defaults to 3.0): the real words' least Zipf frequency (`None`: no real
            words, as before they existed); use the value the saved normalizer will use.
        lexicon (`bool`, *optional*, defaults to `True`): give the normalizer the lexicon of words the vocabulary
            lacks (as `dataset_builder.normalizer` saves it); `False`: real words only.

    Returns:
        `dict`: `chosen` {language: bound} and `table` {language: {"raw_clean", "raw_typo", bound: {"clean",
        "typo"}}} (mean nDCG@10).

    Raises:
        `ValueError`: for an empty candidate list or a non-positive bound, or no validation queries.
    """
    from modeling_lira.query_normalizer import LiraQueryNormalizer, one_piece_words

    if not candidates or any(isinstance(n, bool) or not isinstance(n, int) or n < 1 for n in candidates):
        raise ValueError(f"candidates={candidates!r} must be positive integers, e.g. (3, 4, 5, 6).")
    saved, processor.query_normalizer = processor.query_normalizer, None  # raw queries reach the model
    try:
        corpus = load_corpus_rows(dataset)
        system = _MemoQueries(LiraInMemorySystem(model, processor, mode="lrl"))
        known_word = one_piece_words(processor.tokenizer)
        chosen, table = {}, {}
        for lang in tqdm(languages, desc="min_fuzzy_letters", disable=not progress):
            clean = [r for r in load_query_rows(dataset, [lang], "validation") if r.get("noise", "none") == "none"]
            clean = clean[:queries_per_language] if queries_per_language else clean
            if not clean:
                raise ValueError(f"no clean validation queries for {lang!r} in {dataset!r}.")
            noisy = typo_rows(clean, seed)
            vocab = build_vocabulary(vocabulary_texts(dataset, lang, query_splits=("train",)), lang, progress=False)
            real, words = build_lexicons({lang: vocab}, min_zipf, lexicon=lexicon)
            row = {"raw_clean": _mean_ndcg(system, clean, corpus), "raw_typo": _mean_ndcg(system, noisy, corpus)}
            normalizer = LiraQueryNormalizer({lang: vocab}, known_word=known_word, real_words=real, lexicon=words)
            for n in candidates:  # one set of spelling tables for every bound (a bound only gates lookups)
                normalizer.set_min_fuzzy_letters(lang, n)
                row[n] = {"clean": _mean_ndcg(system, clean, corpus, normalizer, lang),
                          "typo": _mean_ndcg(system, noisy, corpus, normalizer, lang)}
            ok = [n for n in candidates if row[n]["clean"] >= row["raw_clean"] - tolerance]
            chosen[lang] = max(ok, key=lambda n: (round(row[n]["typo"], 9), n)) if ok else max(candidates)
            table[lang] = row
    finally:
        processor.query_normalizer = saved
    return {"chosen": chosen, "table": table, "queries_per_language": queries_per_language,
            "tolerance": tolerance, "seed": seed, "min_zipf": min_zipf, "lexicon": lexicon}


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--model", required=True, help="LiRA model folder; query_normalizer.json is written into it")
    p.add_argument("--dataset", default="artifacts/lira-products")
    p.add_argument("--languages", default=LANGUAGES)
    p.add_argument("--queries-per-language", type=int, default=0, help="0 = every clean validation query")
    p.add_argument("--tolerance", type=float, default=0.002)
    args = p.parse_args(argv)
    from modeling_lira import LiraModel, LiraProcessor

    try:
        model = LiraModel.from_pretrained(args.model).eval()
    except (OSError, ValueError) as err:
        raise ValueError(f"--model {args.model!r} holds no LiRA model ({err}); for another model pass the bounds "
                         "yourself: python -m dataset_builder.normalizer --model DIR --min-fuzzy-letters bn=3") from None
    languages = args.languages.split(",")
    choice = choose_min_fuzzy_letters(model, LiraProcessor.from_pretrained(args.model), args.dataset, languages,
                                      queries_per_language=args.queries_per_language, tolerance=args.tolerance)
    summary = save_query_normalizer(args.model, args.dataset, languages, min_fuzzy_letters=choice["chosen"])
    print(json.dumps({**summary, "table": choice["table"]}, indent=1))


if __name__ == "__main__":
    main()
