"""LiRA's widget export served three ways, behind the evaluator's system protocol (see `evaluation.systems`).

* `st_export`: the sentence-transformers folder itself, through sentence-transformers (`encode_query` /
  `encode_document`, PyTorch).
* `st_onnx`: its `onnx/model.onnx` (written by `python -m push_scripts.export_onnx`) on onnxruntime.
* `st_onnx_int8`: its `onnx/model_qint8_avx512_vnni.onnx`, the dynamic int8 quantization.

[`OnnxQueryEncoder`] is the small CPU runtime behind the two ONNX systems and the benchmark: the folder's own
tokenizer and prompts, the ONNX Transformer (token vectors), the folder's pooling with the attention mask, its Dense
layer (weights read from the `2_Dense` module files, numpy) and L2 normalisation, i.e. the computation that
sentence-transformers' ONNX backend does with these files (which cannot run beside transformers 5 yet, see
`push_scripts/export_onnx.py`). It needs onnxruntime, tokenizers, safetensors and numpy, no torch. [`read_st_folder`]
checks that a folder is such an export (module by module) and is shared with the exporter.

Optional dependency (`pip install -e ".[onnx]"`): `onnxruntime`, imported on first use.
"""

import json
import os

import numpy as np
from tqdm.auto import tqdm

from lira_utils.hashing import content_hash, file_digest, folder_digest

from .encoders import batched_by_length, l2_normalize
from .systems import EXPORT_SYSTEMS, TextSystem
from .texts import document_text

ONNX_DIR = "onnx"
FP32_FILE = "onnx/model.onnx"
INT8_FILE = "onnx/model_qint8_avx512_vnni.onnx"  # sentence-transformers' name for its "avx512_vnni" int8 config
ONNX_FILES = {"st_onnx": FP32_FILE, "st_onnx_int8": INT8_FILE}
INSTALL_HINT = 'pip install -e ".[onnx]"  (onnx, onnxruntime)'
POOLING_MODES = ("mean", "cls", "lasttoken")
_CONFIG_FILES = ("modules.json", "config_sentence_transformers.json", "sentence_bert_config.json",
                 "tokenizer_config.json")
_EXPORT_HINT = "pass the folder written by `python -m push_scripts.export_sentence_transformers --out DIR`"


def require_onnxruntime():
    """Imports onnxruntime, or raises `ImportError` saying how to install it."""
    try:
        import onnxruntime
    except ImportError as err:
        raise ImportError(f"the ONNX formats need onnxruntime: {INSTALL_HINT}") from err
    return onnxruntime


def _read_json(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def read_st_folder(st_dir):
    """Reads and checks a sentence-transformers export: Transformer (at the folder's root) -> Pooling -> optional
    Dense (identity activation) -> optional Normalize, the layout `export_sentence_transformers` writes.

    Args:
        st_dir (`str`): the folder.

    Returns:
        `dict`: `pooling` (`"mean"`, `"cls"` or `"lasttoken"`), `dense` (the Dense module's folder or `None`),
        `normalize` (`bool`), `prompts` (`dict[str, str]`) and `default_prompt_name` (`str` or `None`).

    Raises:
        `ValueError`: `st_dir` is no such folder (not a folder, no `modules.json`, another module layout, a pooling
            or Dense setting this runtime does not reproduce); the message names the value and the fix.
    """
    if not isinstance(st_dir, (str, os.PathLike)) or not os.path.isdir(st_dir):
        raise ValueError(f"--st-dir {st_dir!r} is not a folder; {_EXPORT_HINT}.")
    modules_path = os.path.join(st_dir, "modules.json")
    if not os.path.isfile(modules_path):
        raise ValueError(f"--st-dir {st_dir!r} is not a sentence-transformers folder (no modules.json); "
                         f"{_EXPORT_HINT}.")
    modules = _read_json(modules_path)
    kinds = [m.get("type", "").rsplit(".", 1)[-1] for m in modules]
    if not kinds or kinds[0] != "Transformer" or modules[0].get("path", "") != "" or kinds[1:2] != ["Pooling"] \
            or any(k not in ("Dense", "Normalize") for k in kinds[2:]) or kinds.count("Dense") > 1:
        raise ValueError(f"--st-dir {st_dir!r} has the modules {kinds}; the ONNX export serves Transformer (at the "
                         f"folder's root) -> Pooling -> [Dense] -> [Normalize] only; {_EXPORT_HINT}.")
    pooling_config = _read_json(os.path.join(st_dir, modules[1]["path"], "config.json"))
    pooling = pooling_config.get("pooling_mode")
    if pooling not in POOLING_MODES or not pooling_config.get("include_prompt", True):
        raise ValueError(f"{st_dir!r}: Pooling {pooling_config} is not served; use pooling_mode one of "
                         f"{list(POOLING_MODES)} with include_prompt=true (what export_sentence_transformers writes).")
    dense = None
    if "Dense" in kinds:
        dense = os.path.join(st_dir, modules[kinds.index("Dense")]["path"])
        activation = _read_json(os.path.join(dense, "config.json")).get("activation_function", "")
        if not activation.endswith("Identity"):
            raise ValueError(f"{dense!r}: Dense activation {activation!r} is not served; the export's Dense is "
                             "linear (torch.nn.Identity).")
        if not os.path.isfile(os.path.join(dense, "model.safetensors")):
            raise ValueError(f"{dense!r} has no model.safetensors; re-export with sentence-transformers >= 3.")
    bert_config_path = os.path.join(st_dir, "sentence_bert_config.json")
    if os.path.isfile(bert_config_path) and _read_json(bert_config_path).get("do_lower_case"):
        raise ValueError(f"{bert_config_path!r} sets do_lower_case, which the ONNX runtime does not reproduce; "
                         "export without it.")
    st_config_path = os.path.join(st_dir, "config_sentence_transformers.json")
    st_config = _read_json(st_config_path) if os.path.isfile(st_config_path) else {}
    return {"pooling": pooling, "dense": dense, "normalize": "Normalize" in kinds,
            "prompts": st_config.get("prompts") or {}, "default_prompt_name": st_config.get("default_prompt_name")}


def export_digest(st_dir, file_name=None):
    """Cache key of an export's outputs: weights, tokenizer, module configs, prompts and (for ONNX) the ONNX file.

    Args:
        st_dir (`str`): the sentence-transformers folder.
        file_name (`str`, *optional*): the ONNX file served (relative to `st_dir`), `None` for PyTorch.

    Returns:
        `str`: a 16-hex-character digest.
    """
    parts = [folder_digest(st_dir)]
    for module in _read_json(os.path.join(st_dir, "modules.json")):
        if module.get("path"):  # the module folders: 1_Pooling, 2_Dense, 3_Normalize
            parts.append(folder_digest(os.path.join(st_dir, module["path"])))
    parts += [file_digest(os.path.join(st_dir, n)) for n in _CONFIG_FILES if os.path.isfile(os.path.join(st_dir, n))]
    if file_name is not None:
        parts.append(file_digest(os.path.join(st_dir, file_name)))
    return content_hash(parts)


def load_tokenizer(st_dir):
    """The folder's `tokenizer.json` as a `tokenizers.Tokenizer` set up as the Transformer module calls it: padding
    to the longest text on the saved `padding_side` with the saved pad token, truncation (on `truncation_side`) at
    `max_seq_length`, i.e. the tokenizer's `model_max_length` capped at the backbone's `max_position_embeddings`.
    No transformers and no torch: an ONNX deployment needs onnxruntime, tokenizers, safetensors and numpy only.

    Raises:
        `ValueError`: the folder has no `tokenizer.json` (only fast tokenizers are served) or no pad token.
    """
    from tokenizers import Tokenizer

    path = os.path.join(st_dir, "tokenizer.json")
    if not os.path.isfile(path):
        raise ValueError(f"{st_dir!r} has no tokenizer.json; the ONNX runtime needs a fast tokenizer: re-export with "
                         "`python -m push_scripts.export_sentence_transformers`.")
    config_path = os.path.join(st_dir, "tokenizer_config.json")
    tokenizer_config = _read_json(config_path) if os.path.isfile(config_path) else {}
    positions = _read_json(os.path.join(st_dir, "config.json")).get("max_position_embeddings")
    max_length = min(int(tokenizer_config.get("model_max_length") or 1e30), positions or int(1e30))
    pad = tokenizer_config.get("pad_token")
    pad = pad.get("content") if isinstance(pad, dict) else pad
    tokenizer = Tokenizer.from_file(path)
    if pad is None or tokenizer.token_to_id(pad) is None:
        raise ValueError(f"{config_path!r}: pad_token {pad!r} is not in the vocabulary; batches cannot be padded.")
    tokenizer.enable_truncation(max_length, direction=tokenizer_config.get("truncation_side", "right"))
    tokenizer.enable_padding(direction=tokenizer_config.get("padding_side", "right"), pad_id=tokenizer.token_to_id(pad),
                             pad_type_id=tokenizer_config.get("pad_token_type_id", 0), pad_token=pad)
    return tokenizer


class OnnxQueryEncoder:
    """A sentence-transformers export served from its ONNX Transformer on onnxruntime (CPU).

    Tokenizes `prompt + text` with the folder's tokenizer ([`load_tokenizer`]: padding, truncation at the
    Transformer module's `max_seq_length`), runs the ONNX file (output `last_hidden_state`), pools like the folder's
    Pooling module, applies its Dense layer and L2-normalises: what `SentenceTransformer(st_dir).encode_query` gives
    on the same batches (fp32 file: within 1e-5).

    Args:
        st_dir (`str`): the sentence-transformers folder (see [`read_st_folder`]).
        file_name (`str`, *optional*, defaults to `"onnx/model.onnx"`): the ONNX file, relative to `st_dir` (or
            absolute).
        batch_size (`int`, *optional*, defaults to 64): texts per ONNX run.
        threads (`int`, *optional*): onnxruntime intra-op threads (default: onnxruntime's, the physical cores).
        progress (`bool`, *optional*, defaults to `True`): a tqdm bar per call.

    Raises:
        `ValueError`: `st_dir` is not a served export, or the ONNX file is missing (the message says how to write
            it).
    """

    def __init__(self, st_dir, file_name=FP32_FILE, batch_size=64, threads=None, progress=True):
        self.layout = read_st_folder(st_dir)
        self.st_dir = st_dir
        self.file_name = file_name
        self.onnx_path = os.path.join(st_dir, file_name)
        if not os.path.isfile(self.onnx_path):
            raise ValueError(f"{self.onnx_path!r} does not exist; write it with "
                             f"`python -m push_scripts.export_onnx --st-dir {st_dir}`.")
        if not isinstance(batch_size, int) or batch_size < 1:
            raise ValueError(f"batch_size={batch_size!r}; pass a positive integer.")
        self.batch_size = batch_size
        self.threads = threads
        self.progress = progress
        self._session = None

    def _load(self):
        if self._session is None:
            ort = require_onnxruntime()
            from safetensors.numpy import load_file

            options = ort.SessionOptions()
            if self.threads:
                options.intra_op_num_threads = self.threads
                options.inter_op_num_threads = 1
            self._session = ort.InferenceSession(self.onnx_path, options, providers=["CPUExecutionProvider"])
            self._input_names = [i.name for i in self._session.get_inputs()]
            self._tokenizer = load_tokenizer(self.st_dir)
            self._padding = self._tokenizer.padding  # {direction, pad_id, pad_type_id, ...}: applied per batch
            self._tokenizer.no_padding()  # each text tokenized once, unpadded: its length is its sort key
            self._dense = None
            if self.layout["dense"]:
                weights = load_file(os.path.join(self.layout["dense"], "model.safetensors"))
                self._dense = (weights["linear.weight"].astype(np.float32),  # (out, hidden)
                               weights.get("linear.bias"))  # (out,) or None
        return self._session

    @property
    def dim(self):
        """Width of the vectors: the Dense layer's output, else the ONNX output's hidden size."""
        self._load()
        return self._dense[0].shape[0] if self._dense is not None else self._session.get_outputs()[0].shape[-1]

    def _pool(self, hidden, mask):
        """Sentence vectors from token vectors `hidden` (B, T, H) and the attention mask `mask` (B, T)."""
        mode = self.layout["pooling"]
        if mode == "mean":
            weights = mask[..., None].astype(np.float32)  # (B, T, 1)
            return (hidden * weights).sum(1) / np.maximum(weights.sum(1), 1e-9)  # (B, H)
        if mode == "cls":  # the first real token, either padding side (as sentence-transformers' Pooling)
            return hidden[np.arange(len(hidden)), np.argmax(mask, axis=1)]  # (B, H)
        last = mask.shape[1] - 1 - np.argmax(mask[:, ::-1], axis=1)  # (B,) last real token, either padding side
        return hidden[np.arange(len(hidden)), last]  # (B, H)

    def encode(self, texts, prompt_name=None, desc="onnx"):
        """Embeds `texts` with the prompt `prompt_name` (default: the folder's `default_prompt_name`).

        Args:
            texts (`list[str]`): input strings (without prompt).
            prompt_name (`str`, *optional*): a key of the folder's prompts, e.g. `"query"` or `"document"`.
            desc (`str`, *optional*): progress-bar label.

        Returns:
            `np.ndarray` of shape `(len(texts), dim)`, float32, L2-normalised (when the folder normalises).

        Raises:
            `ValueError`: `prompt_name` is not one of the folder's prompts.
        """
        prompts = self.layout["prompts"]
        prompt_name = prompt_name or self.layout["default_prompt_name"]
        if prompt_name is not None and prompt_name not in prompts:
            raise ValueError(f"prompt_name={prompt_name!r} is not a prompt of {self.st_dir!r}; use one of "
                             f"{sorted(prompts)}.")
        prefix = prompts.get(prompt_name, "") if prompt_name else ""
        session = self._load()
        texts = [prefix + t for t in texts]
        out = None
        encodings = self._tokenizer.encode_batch(texts)
        # batches of equal token counts, as the PyTorch encoders batch (by characters, Thai and Bengali queries
        # shared batches with Latin ones of other token counts and padded them)
        lengths = [len(e.ids) for e in encodings]
        for idx, _ in tqdm(list(batched_by_length(texts, self.batch_size, lengths)), desc=desc,
                           disable=not self.progress, leave=False):
            feed = self._padded([encodings[i] for i in idx])
            hidden = session.run(["last_hidden_state"], {k: feed[k] for k in self._input_names})[0]  # (B, T, H)
            pooled = self._pool(hidden.astype(np.float32), feed["attention_mask"])  # (B, H)
            if self._dense is not None:
                weight, bias = self._dense
                pooled = pooled @ weight.T + (bias if bias is not None else 0.0)  # (B, out)
            if out is None:
                out = np.zeros((len(texts), pooled.shape[1]), dtype=np.float32)  # (N, dim)
            out[idx] = pooled
        if out is None:  # no texts
            return np.zeros((0, self.dim), dtype=np.float32)
        return l2_normalize(out) if self.layout["normalize"] else out

    def _padded(self, encodings):
        """`input_ids`, `attention_mask`, `token_type_ids` of unpadded `encodings`, each (B, T), padded to the
        longest on the tokenizer's padding side with its pad ids (what its own padding would give)."""
        width = max(len(e.ids) for e in encodings)
        left = self._padding["direction"] == "left"
        fill = {"input_ids": self._padding["pad_id"], "attention_mask": 0, "token_type_ids": self._padding["pad_type_id"]}
        feed = {name: np.full((len(encodings), width), value, dtype=np.int64) for name, value in fill.items()}
        for row, e in enumerate(encodings):
            cols = slice(width - len(e.ids), width) if left else slice(0, len(e.ids))
            feed["input_ids"][row, cols] = e.ids
            feed["attention_mask"][row, cols] = e.attention_mask
            feed["token_type_ids"][row, cols] = e.type_ids
        return feed

    def encode_query(self, texts, desc="onnx queries"):
        """`encode(texts, "query")`, as `SentenceTransformer.encode_query`."""
        return self.encode(texts, "query" if "query" in self.layout["prompts"] else None, desc)

    def encode_document(self, texts, desc="onnx documents"):
        """`encode(texts, "document")`, as `SentenceTransformer.encode_document`."""
        return self.encode(texts, "document" if "document" in self.layout["prompts"] else None, desc)


class StExportEncoder:
    """The sentence-transformers export through sentence-transformers itself (PyTorch, CPU), loaded on first use.

    Args:
        st_dir (`str`): the sentence-transformers folder.
        batch_size (`int`, *optional*, defaults to 64): texts per forward pass.
        progress (`bool`, *optional*, defaults to `True`): sentence-transformers' progress bar.
    """

    def __init__(self, st_dir, batch_size=64, progress=True):
        read_st_folder(st_dir)
        self.st_dir, self.batch_size, self.progress = st_dir, batch_size, progress
        self._model = None

    def _encode(self, method, texts):
        if self._model is None:
            from sentence_transformers import SentenceTransformer

            self._model = SentenceTransformer(self.st_dir, device="cpu")
        vectors = getattr(self._model, method)(list(texts), batch_size=self.batch_size, convert_to_numpy=True,
                                               show_progress_bar=self.progress)  # (N, dim)
        return np.asarray(vectors, dtype=np.float32)

    def encode_query(self, texts, desc=None):
        """`SentenceTransformer.encode_query(texts)` as float32 numpy `(len(texts), dim)`."""
        return self._encode("encode_query", texts)

    def encode_document(self, texts, desc=None):
        """`SentenceTransformer.encode_document(texts)` as float32 numpy `(len(texts), dim)`."""
        return self._encode("encode_document", texts)


class ExportSystem(TextSystem):
    """A system over a sentence-transformers export: queries through `encode_query`, products (their English
    `document_text`) through `encode_document`; the prompts come from the folder.

    Args:
        name (`str`): one of `EXPORT_SYSTEMS`.
        encoder ([`StExportEncoder`] or [`OnnxQueryEncoder`]): the runtime.
        st_dir (`str`): the export folder (hashed for the cache keys, with the ONNX file served).
        doc_field (`str`, *optional*, defaults to `"title"`): see `document_text`.
    """

    def __init__(self, name, encoder, st_dir, doc_field="title"):
        super().__init__(name, encoder, st_dir, doc_field=doc_field)

    def _model_digest(self):
        if self._digest is None:
            self._digest = export_digest(self.weights_dir, getattr(self.encoder, "file_name", None))
        return self._digest

    def encode_queries(self, texts, languages=None, candidates=None, critic_scores=None):
        """Encodes queries with the export's query prompt (`languages` and candidates are not read)."""
        return self.encoder.encode_query(list(texts), desc=f"{self.name} queries")

    def encode_documents(self, products):
        """Encodes products as `document_text(product, doc_field)` with the export's document prompt."""
        return self.encoder.encode_document([document_text(p, self.doc_field) for p in products],
                                            desc=f"{self.name} documents")


def build_export_system(name, st_dir, doc_field="title", batch_size=64, progress=True, threads=None):
    """Builds `st_export`, `st_onnx` or `st_onnx_int8` over the export folder `st_dir`.

    Raises:
        `ValueError`: no `st_dir` (pass `--st-export DIR`), or it is no served export / lacks the ONNX file.
    """
    if name not in EXPORT_SYSTEMS:
        raise ValueError(f"unknown export system {name!r}; use one of {list(EXPORT_SYSTEMS)}.")
    if st_dir is None:
        raise ValueError(f"system {name!r} needs a sentence-transformers export: pass --st-export DIR (written by "
                         "`python -m push_scripts.export_sentence_transformers`, ONNX files by "
                         "`python -m push_scripts.export_onnx`).")
    if name == "st_export":
        encoder = StExportEncoder(st_dir, batch_size, progress=progress)
    else:
        encoder = OnnxQueryEncoder(st_dir, ONNX_FILES[name], batch_size, threads=threads, progress=progress)
    return ExportSystem(name, encoder, st_dir, doc_field)
