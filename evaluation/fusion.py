"""Fusing two retrieval scores with one weight: the `late_fusion` baseline and the exact grid search behind it.

Two unit vectors per text, a (e.g. the fine-tuned e5) and b (e.g. the English encoder on a translation), fused as
`[a; s b]` give query-document dot products `cos_a + s^2 cos_b`: one weight w = s^2 mixes two cosines, and the
ranking at any w comes from halves encoded once (`score_fusion_grid`). LiRA's English-half weight
(`training.english_scale`) and the late-fusion weight (`training.late_fusion`) are both chosen this way.

`late_fusion` (candidate mode): score(query, product) = cos_ft(`query: ` query, `passage: ` title) + w x
cos_en(critic's top candidate, title), with the plain fine-tune (`training.finetune`) as ft, all-MiniLM-L6-v2 as
en, the critic's top candidate as in `translate_test`, and w read from `<finetune>/late_fusion.json`.
"""

import json
import os

import numpy as np

from .encoders import MeanPoolEncoder, l2_normalize
from lira_utils.hashing import content_hash, folder_digest
from .metrics_loader import load_metric
from .search import top_k
from .texts import top_candidate

LATE_FUSION_FILE = "late_fusion.json"


def fuse(a, b, scale):
    """`[a; scale b]` of two `(N, d_a)`, `(N, d_b)` arrays: dot products become `a.a' + scale^2 b.b'`."""
    return np.hstack([a, scale * b]).astype(np.float32)


def score_fusion_grid(doc_a, doc_b, queries, rows_by_lang, product_ids, scales, depth=10):
    """nDCG@10 per language of the ranking by `cos_a + s^2 cos_b` for every `s` in `scales`.

    Args:
        doc_a (`np.ndarray`), doc_b (`np.ndarray`): unit document halves, `(P, d_a)` and `(P, d_b)`.
        queries (`dict[str, tuple[np.ndarray, np.ndarray]]`): language -> unit query halves `(n, d_a)`, `(n, d_b)`.
        rows_by_lang (`dict[str, list[dict]]`): the query rows (`relevant_ids`, `relevance`) in the same order.
        product_ids (`list[str]`): id of each document row.
        scales (`Iterable[float]`): vector scales s (the fused weight is s^2).
        depth (`int`, *optional*, defaults to 10): ranked-list depth.

    Returns:
        `dict[float, dict[str, float]]`: s -> language -> nDCG@10.
    """
    metric = load_metric("retrieval")
    out = {float(s): {} for s in scales}
    for lang, (q_a, q_b) in queries.items():
        rows = rows_by_lang[lang]
        refs = [list(r["relevant_ids"]) for r in rows]
        grades = [[int(g) for g in r["relevance"]] for r in rows]
        for s in out:
            top, _ = top_k(fuse(q_a, q_b, s), fuse(doc_a, doc_b, s), depth)  # (n, depth)
            ranked = [[product_ids[j] for j in row] for row in top]
            out[s][lang] = metric.compute(predictions=ranked, references=refs, relevance=grades,
                                          k_values=[10])["ndcg@10"]
    return out


DEFAULT_ENGLISH_NAME = "all-MiniLM-L6-v2"  # the English encoder whose weight lives in `late_fusion.json`


def late_fusion_file(english_dir=None):
    """The file name of the late-fusion weight chosen with the English encoder `english_dir`:
    `late_fusion.json` for the default all-MiniLM-L6-v2 (or `None`), `late_fusion.<folder name>.json` otherwise, so
    a fine-tune folder holds one validated weight per English encoder."""
    name = DEFAULT_ENGLISH_NAME if english_dir is None else os.path.basename(os.path.normpath(english_dir))
    return LATE_FUSION_FILE if name == DEFAULT_ENGLISH_NAME else f"late_fusion.{name}.json"


def read_late_fusion_weight(finetune_dir, english_dir=None):
    """The weight w saved by `training.late_fusion` for the English encoder `english_dir` (see `late_fusion_file`).
    """
    path = os.path.join(finetune_dir, late_fusion_file(english_dir))
    if not os.path.exists(path):
        flag = "" if english_dir is None else f" --english-encoder {english_dir}"
        raise ValueError(f"{path} is missing: choose the late-fusion weight first with "
                         f"`python -m training.late_fusion --finetune {finetune_dir}{flag}` (run_finetune does it "
                         f"for the default English encoder).")
    with open(path, encoding="utf-8") as f:
        return float(json.load(f)["weight"])


class LateFusionSystem:
    """The `late_fusion` baseline behind the evaluator's system protocol (see the module docstring).

    Args:
        finetune_dir (`str`): folder written by `python -m training.finetune`.
        english_dir (`str`): the English encoder folder (all-MiniLM-L6-v2 by default, any mean-pooled encoder).
        weight (`float`, *optional*): w; read from the weight file of this English encoder (`late_fusion_file`)
            when omitted.
        batch_size (`int`, *optional*, defaults to 64), progress (`bool`, *optional*, defaults to `True`).
    """

    name = "late_fusion"
    candidate_mode = "noisy"

    def __init__(self, finetune_dir, english_dir, weight=None, batch_size=64, progress=True):
        self.weight = read_late_fusion_weight(finetune_dir, english_dir) if weight is None else float(weight)
        if not self.weight >= 0:
            raise ValueError(f"late-fusion weight {self.weight!r} must be >= 0.")
        self.finetune_dir, self.english_dir = finetune_dir, english_dir
        self.finetuned = MeanPoolEncoder(finetune_dir, batch_size, progress=progress)
        self.english = MeanPoolEncoder(english_dir, batch_size, progress=progress)
        self._key = None

    def _base(self):
        if self._key is None:
            self._key = {"cls": "LateFusionSystem", "ft": folder_digest(self.finetune_dir),
                         "en": folder_digest(self.english_dir), "w": self.weight}
        return self._key

    def query_key(self):
        return content_hash({**self._base(), "side": "query"})

    def document_key(self):
        return content_hash({**self._base(), "side": "document"})

    def query_halves(self, texts, candidates=None, critic_scores=None):
        """Unit halves `(N, d_ft)`, `(N, d_en)`: the query under ft, its critic-top candidate under en."""
        candidates = candidates or [[] for _ in texts]
        critic_scores = critic_scores or [[] for _ in texts]
        english = [top_candidate(t, c, s) for t, c, s in zip(texts, candidates, critic_scores)]
        return (self.finetuned.encode(["query: " + t for t in texts], desc="late_fusion ft queries"),
                self.english.encode(english, desc="late_fusion en queries"))

    def document_halves(self, products):
        """Unit halves of the products' English titles under ft (`passage: `) and en."""
        titles = [p["title_en"] for p in products]
        return (self.finetuned.encode(["passage: " + t for t in titles], desc="late_fusion ft documents"),
                self.english.encode(titles, desc="late_fusion en documents"))

    def encode_queries(self, texts, languages=None, candidates=None, critic_scores=None):
        return l2_normalize(fuse(*self.query_halves(texts, candidates, critic_scores), np.sqrt(self.weight)))

    def encode_documents(self, products):
        return l2_normalize(fuse(*self.document_halves(products), np.sqrt(self.weight)))
