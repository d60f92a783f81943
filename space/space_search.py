"""LiraSpaceSearcher: the demo's testable core. One query in, the top products of every system out.

It is a thin layer over the evaluation package, so the demo ranks exactly as the benchmark does:

* LiRA loads through `AutoModel.from_pretrained(..., trust_remote_code=True, revision=...)` (a local folder or a Hub
  id) and encodes documents with `evaluation.lira_system.LiraSystem` (`lrl` documents for a query without candidates,
  full-mode documents for one with candidates);
* the backbone and the plain fine-tune (when given) are `evaluation.systems.TextSystem`s (e5 prefixes, mean pooling);
* corpus embeddings go through `evaluation.cache.EvalCache` under the evaluator's key (document key = model file hash
  + document config, plus the corpus hash), so they are computed once and reused across restarts;
* typed candidates are scored by the dataset's own reference-free critic
  (`dataset_builder.qe_critic.QualityEstimationCritic`) on the backbone's weights, see `build_critic`; like the
  dataset's noisy rows, the critic reads the query as typed;
* when the model ships a query normalizer (`query_normalizer.json`, `processor.query_normalizer`), the query is
  rewritten once by the processor itself (`LiraSpaceModel.normalize_query` calls `processor.normalize_queries`, the
  text `processor(...)` tokenizes; a processor of an older model revision without that method gets the normalizer
  call the Space made before it existed), and every column reads the rewritten text: LiRA (with `normalize=False`,
  so not twice), the backbone and the fine-tune, as `python -m evaluation evaluate --query-normalizer` compares
  them. Without one, every column reads the raw text.
"""

import os
import time

import numpy as np

from dataset_builder.critics import tokens
from dataset_builder.qe_critic import QualityEstimationCritic
from evaluation.cache import EvalCache
from lira_utils.dataset import dataset_configs, load_corpus, load_queries
from evaluation.encoders import MeanPoolEncoder, l2_normalize
from evaluation.evaluator import corpus_hash
from lira_utils.hashing import content_hash
from evaluation.lira_system import LiraSystem, check_revision, model_languages, warn_if_unpinned
from evaluation.search import top_k
from evaluation.systems import TextSystem

HUB_ALLOW_PATTERNS = ["*.json", "*.safetensors", "*.py", "*.model", "*.txt", "english_tokenizer/*"]
TOP_K = 10
PIN_HOW = "LIRA_REVISION=<commit sha> (or 'revision' in space_config.json, or --revision)"


def resolve_source(source, revision=None, what="model"):
    """A local folder for `source`: the folder itself, or a Hub snapshot at `revision` (weights, configs, code only).

    Args:
        source (`str`): local folder or Hub repo id.
        revision (`str`, *optional*): tag, branch or commit of a Hub repo (ignored for a folder).
        what (`str`, *optional*): what `source` is, for the error message.

    Returns:
        `str`: a local folder.
    """
    if os.path.isdir(source):
        return source
    try:
        from huggingface_hub import snapshot_download

        return snapshot_download(source, revision=revision, allow_patterns=HUB_ALLOW_PATTERNS)
    except Exception as err:  # offline miss, bad id, bad revision
        raise ValueError(f"{what} {source!r} (revision {revision!r}) is neither a local folder nor a Hub repo "
                         f"reachable here ({type(err).__name__}: {err}); pass a local folder for offline runs.") from err


class LiraSpaceModel:
    """One LiRA model, loaded once with remote code at a pinned revision and shared by both document modes.

    Args:
        source (`str`): local folder or Hub id of a saved LiRA model.
        revision (`str`, *optional*): Hub revision (tag or commit) to load; a Hub id without one warns
            (`evaluation.lira_system.warn_if_unpinned`).
        revision_source (`str`, *optional*): where `revision` came from, named in errors and warnings.

    Raises:
        `ValueError`: a bad `revision` (see `evaluation.lira_system.check_revision`) or a source not found.
    """

    def __init__(self, source, revision=None, revision_source="revision"):
        check_revision(revision, revision_source)
        warn_if_unpinned(source, revision, PIN_HOW)
        self.source, self.revision = source, revision
        self.folder = resolve_source(source, revision, "LiRA model")
        self.languages = model_languages(self.folder)  # config.lang2id order
        self._loaded = None

    def load(self):
        """`(model, processor)`, loaded on first use."""
        if self._loaded is None:
            from transformers import AutoModel, AutoProcessor

            model = AutoModel.from_pretrained(self.source, trust_remote_code=True, revision=self.revision).eval()
            proc = AutoProcessor.from_pretrained(self.source, trust_remote_code=True, revision=self.revision)
            self._loaded = (model, proc)
        return self._loaded

    @property
    def query_normalizer(self):
        """The processor's `LiraQueryNormalizer` (loaded from the model's `query_normalizer.json`), or `None`."""
        return getattr(self.load()[1], "query_normalizer", None)

    def normalize_query(self, text, language):
        """The query as LiRA's processor reads it: what `processor([text], [language], text_type="query")` feeds its
        tokenizer after the prefix.

        It asks the processor (`LiraProcessor.normalize_queries`: the character cut, the part the tokenizer keeps at
        `max_length`, the query normalizer), so the demo and the model share one path; there is no second
        normalizer here. A processor from an older model revision without that method gets the call it used to make
        (the normalizer on `kept_text`, or on the whole text when the processor lacks `kept_text` too).

        Args:
            text (`str`): the query as typed (validated by `space_inputs.parse_query`).
            language (`str` or `None`): its language code; `None` lets the normalizer try every language (as the
                processor does for `languages=[None]`).

        Returns:
            `str`: the text the model reads: the rewritten query, or `text` itself (cut like any text the processor
            reads) when the model has no query normalizer.

        Raises:
            `ValueError`: `text` is not a string or `language` is neither `None` nor a code of the model.
        """
        if not isinstance(text, str):
            raise ValueError(f"the query must be a string, got {type(text).__name__}.")
        if language is not None and language not in self.languages:
            raise ValueError(f"language {language!r} is not one of the model's {self.languages} (or None).")
        proc = self.load()[1]
        if callable(getattr(proc, "normalize_queries", None)):
            return proc.normalize_queries([text], [language])[0]
        return self._normalize_query_by_hand(proc, text, language)

    def _normalize_query_by_hand(self, proc, text, language):
        """`normalize_query` for a processor without `normalize_queries` (an older model revision): the normalizer
        call the Space made before that method existed, unchanged (no character cut; `parse_query` bounds the
        query's length anyway)."""
        normalizer = self.query_normalizer
        if normalizer is None:
            return text
        kept = proc.kept_text([text], proc.query_prefix, proc.max_length) if hasattr(proc, "kept_text") else [text]
        return normalizer(kept, [language])[0]

    def encode_query(self, text, language, candidates, critic_scores):
        """One query through the model, read as given: pass the text `normalize_query` returned (the processor's
        normalizer is turned off here, so the query is not rewritten twice).

        Returns:
            `dict` with `vector` `(1, 2d)` float32 (L2-normalised `embeddings`), `language_probs` `(L,)` and
            `selected` (index of the candidate LiRA used, -1 without candidates).
        """
        import torch

        model, proc = self.load()
        kwargs = {"normalize": False} if self.query_normalizer is not None else {}
        if candidates:
            kwargs.update(candidates=[list(candidates)], critic_scores=[list(critic_scores)])
        with torch.inference_mode():
            out = model(**proc([text], languages=[language], text_type="query", **kwargs))
        probs = torch.softmax(out.language_logits.float(), dim=-1)[0].numpy()  # (L,)
        return {"vector": l2_normalize(out.embeddings.float().numpy()), "language_probs": probs,
                "selected": int(out.selected_candidate[0])}


class LiraSpaceDocuments(LiraSystem):
    """`LiraSystem` whose model comes from a shared [`LiraSpaceModel`] (remote code, pinned revision)."""

    def __init__(self, lira, mode):
        super().__init__(lira.folder, mode=mode, progress=False)
        self._lira = lira

    def _load(self):
        return self._lira.load()


def critic_vocabulary(corpus):
    """English word tokens of every product title and keyword (what the dataset builder adds to the critic)."""
    return {t for p in corpus for text in [p["title_en"], *(p.get("keywords_en") or [])] for t in tokens(text)}


def build_critic(encoder, corpus, lexicon=None):
    """The dataset's reference-free critic over `encoder` (multilingual-e5-small, `max_length=32` as in the build).

    Args:
        encoder (`MeanPoolEncoder`): the backbone's encoder (weights shared, not reloaded).
        corpus (`list[dict]`): products; their English tokens join the vocabulary of the pragmatic score.
        lexicon (`dict`, *optional*): `{"vocabulary": [...], "affect_words": [...]}` from the CLDR English data
            (written by `push_scripts.push_space`); without it the pragmatic score knows only the corpus words and
            the emotional score is always 10.

    Returns:
        [`QualityEstimationCritic`]
    """
    lexicon = lexicon or {}
    model, tokenizer = encoder._load()  # share the backbone's weights with the critic
    critic_encoder = MeanPoolEncoder.from_model(model, tokenizer, batch_size=128, max_length=32, progress=False)
    vocabulary = critic_vocabulary(corpus) | set(lexicon.get("vocabulary", ()))
    return QualityEstimationCritic(critic_encoder, vocabulary=vocabulary, affect_words=lexicon.get("affect_words"))


class LiraSpaceSearcher:
    """Searches the `lira-products` corpus with LiRA, the backbone and (optionally) the plain fine-tune.

    Args:
        model (`str`): LiRA folder or Hub id.
        dataset (`str`): `lira-products` folder or Hub id (read with `datasets.load_dataset`).
        backbone (`str`): multilingual-e5-small folder or Hub id.
        finetune (`str`, *optional*): plain fine-tune folder or Hub id (`training.finetune`); omitted if `None`.
        revision (`str`, *optional*): revision (tag or commit) of the LiRA Hub repo.
        revision_source (`str`, *optional*): where `revision` came from (flag, variable, file), for error messages.
        backbone_revision, finetune_revision (`str`, *optional*): revisions of those Hub repos.
        cache_dir (`str`, *optional*): where corpus embeddings are kept between runs (`None`: in memory only).
        critic_lexicon (`dict`, *optional*): see `build_critic`.
    """

    def __init__(self, model, dataset, backbone, finetune=None, revision=None, backbone_revision=None,
                 finetune_revision=None, cache_dir=None, critic_lexicon=None, revision_source="revision"):
        self.dataset = dataset
        self.lira = LiraSpaceModel(model, revision, revision_source)
        self.languages = [c for c in self.lira.languages if c != "en"]
        self.corpus = list(load_corpus(dataset))
        self.cache = EvalCache(cache_dir)
        backbone_dir = resolve_source(backbone, backbone_revision, "backbone")
        self.systems = {
            "lira_lrl": LiraSpaceDocuments(self.lira, "lrl"),
            "lira_full": LiraSpaceDocuments(self.lira, "noisy"),
            "backbone": TextSystem("backbone", MeanPoolEncoder(backbone_dir, progress=False), backbone_dir,
                                   "query: ", "passage: "),
        }
        if finetune:
            finetune_dir = resolve_source(finetune, finetune_revision, "fine-tune")
            self.systems["finetune"] = TextSystem("finetune", MeanPoolEncoder(finetune_dir, progress=False),
                                                  finetune_dir, "query: ", "passage: ")
        self.critic = build_critic(self.systems["backbone"].encoder, self.corpus, critic_lexicon)
        self._docs = {}

    @property
    def num_candidates(self):
        """K, the most candidates the model takes (`config.num_candidates`)."""
        return int(self.lira.load()[0].config.num_candidates)

    def documents(self, name):
        """Corpus embeddings `(n_products, dim)` of one system, from the cache or computed once."""
        if name not in self._docs:
            system = self.systems[name]
            key = content_hash([system.document_key(), corpus_hash(self.corpus)])
            self._docs[name] = self.cache.embeddings("documents", key, lambda: system.encode_documents(self.corpus))
        return self._docs[name]

    def prepare(self):
        """Loads every model and embeds the corpus for every system. Returns the seconds it took."""
        start = time.perf_counter()
        self.lira.load()
        for name in self.systems:
            self.documents(name)
        self.critic.score(["warm-up"], [["warm up"]], [None])  # encodes the critic's affect words once, now
        return time.perf_counter() - start

    def _ranking(self, name, query_vector, language, k):
        idx, scores = top_k(query_vector, self.documents(name), k, index="exact")
        rows = []
        for rank, (j, score) in enumerate(zip(idx[0], scores[0]), 1):
            p = self.corpus[int(j)]
            local = (p.get("titles") or {}).get(language) or ""
            rows.append({"rank": rank, "product_id": p["product_id"], "title_en": p["title_en"], "title": local,
                         "emoji": p.get("emoji") or "", "score": round(float(score), 4)})
        return rows

    def search(self, query, k=TOP_K):
        """Ranks the corpus for one validated query (see `space_inputs.parse_query`).

        Args:
            query ([`LiraSpaceQuery`]): text, language (`None` = language-ID head) and English candidates.
            k (`int`, *optional*, defaults to 10): products per system.

        Returns:
            `dict` with `query` (as typed), `normalized_query` (what every column read: see
            `LiraSpaceModel.normalize_query`), `has_normalizer` (whether the model ships a query normalizer),
            `language` (given, detected, probabilities), `candidates` (text, critic scores, chosen),
            `lira_mode` (`"full"` or `"lrl"`), `rankings` (system name -> list of product rows) and `seconds`.
        """
        start = time.perf_counter()
        scores = self.critic.score([query.text], [query.candidates], [query.language])[0] if query.candidates else []
        read = self.lira.normalize_query(query.text, query.language)  # what every column reads
        lira = self.lira.encode_query(read, query.language, query.candidates, scores)
        codes = self.lira.languages
        probs = {code: round(float(p), 4) for code, p in zip(codes, lira["language_probs"])}
        detected = codes[int(np.argmax(lira["language_probs"]))]
        shown_language = query.language or detected
        mode = "full" if query.candidates else "lrl"
        rankings = {"lira": self._ranking(f"lira_{mode}", lira["vector"], shown_language, k)}
        for name in ("backbone", "finetune"):
            if name in self.systems:
                vector = self.systems[name].encode_queries([read])  # (1, d); baselines ignore candidates
                rankings[name] = self._ranking(name, vector, shown_language, k)
        return {
            "query": query.text,
            "normalized_query": read,
            "has_normalizer": self.lira.query_normalizer is not None,
            "language": {"given": query.language, "detected": detected, "probabilities": probs},
            "candidates": [{"text": c, "scores": s, "chosen": i == lira["selected"]}
                           for i, (c, s) in enumerate(zip(query.candidates, scores))],
            "lira_mode": mode,
            "rankings": rankings,
            "seconds": round(time.perf_counter() - start, 3),
        }

    def examples(self, split="test"):
        """One example per language from the dataset's `split`: the first clean query naming one product exactly
        (relevance 2) that has candidates.

        Returns:
            `list[list[str]]`: `[query, language, candidates (one per line)]` rows, in the model's language order.
        """
        configs = set(dataset_configs(self.dataset))
        out = []
        for code in self.languages:
            if code not in configs:
                continue
            rows = load_queries(self.dataset, code, split)
            good = [r for r in rows if r["candidates"] and r.get("noise", "none") == "none" and 2 in r["relevance"]]
            pick = (good or rows or [None])[0]
            if pick is not None:
                out.append([pick["query"], code, "\n".join(pick["candidates"][: self.num_candidates])])
        return out
