"""LiRA and the project's baselines as mteb encoders (mteb's `EncoderProtocol`), so `mteb.evaluate` runs them directly.

    import mteb
    from evaluation.mteb_model import LiraMtebModel, mteb_models
    from evaluation.mteb_task import lira_products_tasks

    model = LiraMtebModel("artifacts/lira-small-trained")                      # LRL-only (`lira_lrl`)
    mteb.evaluate(model, lira_products_tasks("artifacts/lira-products"), cache=None)
    mteb.evaluate(model, mteb.get_tasks(tasks=["BelebeleRetrieval"], languages=["tha"]))  # needs the Hub
    baselines = mteb_models(["finetune", "backbone"])                           # the same systems as the evaluator

`SystemMtebEncoder` adapts any system of the project's protocol (`evaluation.systems`): the texts of mteb's batches
are gathered and encoded in one call of the system, so an mteb score and the project evaluator's are computed from the
same vectors. mteb's `prompt_type` picks the side:

* `query`: `encode_queries`. On lira-products (`evaluation.mteb_task`: every row travels in the batch) the arguments
  are exactly the evaluator's (`evaluation.inputs.query_inputs`: the row's language, and in a candidate mode its
  English candidates and critic scores); on any other task the subset's query language mapped to LiRA's code
  (`tha-Thai` -> `th`; a language outside LiRA's tables -> `None`, which LiRA identifies itself) and no candidates.
  LiRA's processor applies its query normalizer unless `normalize=False`.
* `document`: `encode_documents` of the product rows (lira-products) or of the texts as English passages; for a
  corpus in another language LiRA encodes passages with that language (`LiraMtebSystem.encode_passages`).
* none (STS, classification, clustering): the query path, with the subset's language when it has a single one.

LiRA's candidate modes (`noisy`, `top`, `oracle`) need the task's translations: on a task without them (every public
MTEB task) `LiraMtebModel` scores its LRL-only twin instead, on both sides.
"""

import glob
import json
import math
import os

import numpy as np
from mteb.models.abs_encoder import AbsEncoder
from mteb.models.model_meta import ModelMeta, ScoringFunction

from lira_utils.hashing import content_hash, folder_digest

from .encoders import l2_normalize
from .inputs import query_inputs
from .lira_system import LiraSystem, is_local_folder
from .mteb_task import LIRA_TO_MTEB, ROW_COLUMN, TITLES_KEY, lira_language

PAPER_TASKS = ("MLQARetrieval", "BelebeleRetrieval", "STS22")  # the paper's public tasks (they need the Hub)


def subset_languages(task_metadata, hf_subset):
    """`(query language, document language)` of a task subset as LiRA codes (`None`: unknown to LiRA's tables).

    mteb lists a subset's languages in `eval_langs[hf_subset]`, the query side first (`["vie-Latn", "eng-Latn"]`);
    a monolingual task lists one code.
    """
    langs = task_metadata.eval_langs
    codes = list(langs.get(hf_subset) or []) if isinstance(langs, dict) else list(langs or [])
    if not codes or (not isinstance(langs, dict) and len(codes) > 1):
        return None, None
    return lira_language(codes[0]), lira_language(codes[-1])


def _gather(inputs):
    """`(texts, rows)` of an mteb dataloader; `rows` are the decoded lira-products rows, or `None` without them."""
    texts, rows = [], []
    for batch in inputs:
        texts.extend(batch["text"])
        rows.extend(batch.get(ROW_COLUMN) or [None] * len(batch["text"]))
    if not rows or any(r is None for r in rows):
        return texts, None
    return texts, [json.loads(r) for r in rows]


def _allow_unknown(system, languages):
    """Lets a LiRA system read codes it has no id for (zero-shot languages) as unknown, as the evaluator does."""
    known = getattr(system, "languages", None)
    if known is None or not hasattr(system, "allow_unknown_languages"):
        return
    unknown = sorted({lang for lang in languages if lang is not None and lang not in known})
    if unknown:
        system.allow_unknown_languages(unknown)


class SystemMtebEncoder(AbsEncoder):
    """Any evaluation system (`evaluation.systems` protocol) behind mteb's encoder protocol (see the module docstring).

    Args:
        system: the system (`evaluation.systems.build_system(...)`, `LiraSystem`, `NormalizedQuerySystem`, ...).
        mteb_model_meta (`ModelMeta`, *optional*): defaults to [`system_model_meta`].
        lrl_system (*optional*): what a candidate-mode system scores on a task that supplies no translations.
    """

    def __init__(self, system, mteb_model_meta=None, lrl_system=None):
        self.model = self.system = system
        self.lrl_system = lrl_system
        self.mteb_model_meta = mteb_model_meta or system_model_meta(system)
        self.name = system.name
        self._memo = {}  # the last corpus' vectors: every subset of a task shares one corpus

    def encode(self, inputs, *, task_metadata, hf_split, hf_subset, prompt_type=None, **kwargs):
        """Encodes one side of a task subset (`prompt_type` `"query"`, `"document"` or `None`); see the module
        docstring. mteb's `batch_size` sizes its dataloader only: the system batches with its own `batch_size`."""
        texts, rows = _gather(inputs)
        if not texts:
            return np.zeros((0, self.mteb_model_meta.embed_dim or 1), dtype=np.float32)
        system = self.system if rows is not None or self.lrl_system is None else self.lrl_system
        query_lang, doc_lang = subset_languages(task_metadata, hf_subset)
        if prompt_type == "document":
            return self._documents(system, texts, rows, doc_lang)
        lang = query_lang if prompt_type == "query" or query_lang == doc_lang else None
        if rows is not None:  # the project evaluator's own arguments
            titles = {pid: t for r in rows for pid, t in (r.get(TITLES_KEY) or {}).items()}  # (oracle mode)
            args = query_inputs(rows, system.candidate_mode, titles)
        else:
            args = {"texts": list(texts), "languages": [lang] * len(texts), "candidates": None, "critic_scores": None}
        _allow_unknown(system, args["languages"])
        return np.asarray(system.encode_queries(**args), dtype=np.float32)

    def _documents(self, system, texts, rows, lang):
        key = content_hash([id(system), list(texts), lang, rows is not None])
        if key not in self._memo:
            if rows is not None:
                emb = system.encode_documents(rows)
            elif lang != "en" and hasattr(system, "encode_passages"):
                emb = system.encode_passages(texts, lang)
            else:
                emb = system.encode_documents([{"title_en": t, "keywords_en": []} for t in texts])
            self._memo = {key: np.asarray(emb, dtype=np.float32)}
        return self._memo[key]


class LiraMtebSystem(LiraSystem):
    """[`LiraSystem`] with a device and passages in any language.

    Args:
        *args, **kwargs: as [`LiraSystem`] (`normalize=False` reads queries as typed).
        device (`str`, *optional*): torch device to move the model to (default: where it loads, the CPU).
    """

    def __init__(self, *args, device=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.device = device

    def _load(self):
        model, proc = super()._load()
        if self.device is not None and str(next(model.parameters()).device) != str(self.device):
            model.to(self.device)
        return model, proc

    def encode_passages(self, texts, language=None):
        """Encodes non-English passages (LRL-only, no candidates) with `language` (`None`: the model identifies it)."""
        langs = [language if language in self.languages else None] * len(texts)
        return l2_normalize(self._run(list(texts), langs, None, None, "passage", f"{self.name} passages"))


def _n_parameters(folder):
    """Parameter count from the safetensors headers (no tensor is read), or `None`."""
    from safetensors import safe_open

    files = glob.glob(os.path.join(folder, "*.safetensors"))
    total = 0
    for path in files:
        with safe_open(path, "np") as f:
            total += sum(math.prod(f.get_slice(k).get_shape()) for k in f.keys())
    return total or None


def _meta_name(model):
    """mteb wants `organization/name`: a Hub id as is, a local folder as `local/<folder name>`."""
    return model if not is_local_folder(model) and "/" in model else f"local/{os.path.basename(os.path.abspath(model))}"


def lira_model_meta(system, model=None, name=None):
    """The `ModelMeta` of a LiRA system (the loader, languages, size, embedding width, revision = folder digest)."""
    with open(os.path.join(system.folder, "config.json"), encoding="utf-8") as f:
        cfg = json.load(f)
    proc_path = os.path.join(system.folder, "processor_config.json")
    max_tokens = None
    if os.path.isfile(proc_path):
        with open(proc_path, encoding="utf-8") as f:
            max_tokens = json.load(f).get("max_length")
    return ModelMeta(
        loader=lira_mteb_loader, loader_kwargs={"mode": system.mode, "normalize": system.normalize},
        name=name or _meta_name(model or system.folder), revision=system.revision or folder_digest(system.folder),
        release_date=None, languages=[LIRA_TO_MTEB[lang] for lang in system.languages if lang in LIRA_TO_MTEB],
        n_parameters=_n_parameters(system.folder), memory_usage_mb=None, max_tokens=max_tokens,
        embed_dim=2 * cfg["adaptor_dim"] if cfg.get("adaptor_dim") else None, license=None, open_weights=None,
        public_training_code=None, public_training_data=None, framework=["PyTorch", "Transformers"],
        similarity_fn_name=ScoringFunction.COSINE, use_instructions=True, training_datasets=None,
        experiment_kwargs={"mode": system.mode, "query_normalizer": system.normalize},
    )


def system_model_meta(system):
    """A `ModelMeta` for a project baseline: `lira-baselines/<system name>`, revision = its cache keys' hash."""
    return ModelMeta.create_empty({
        "name": f"lira-baselines/{system.name}", "revision": content_hash([system.query_key(), system.document_key()]),
        "similarity_fn_name": ScoringFunction.COSINE, "framework": ["PyTorch"],
    })


class LiraMtebModel(SystemMtebEncoder):
    """A saved LiRA model (folder or Hub id, loaded as `evaluation.lira_system` does) for `mteb.evaluate`.

    Args:
        model (`str`): folder or Hub id of a saved LiRA model.
        mode (`str`, *optional*, defaults to `"lrl"`): `"lrl"` (LRL-only), or a candidate mode (`"noisy"`, `"top"`,
            `"oracle"`) on tasks that supply translations (lira-products); elsewhere the LRL-only twin is scored.
        revision (`str`, *optional*): Hub revision (a 40-hex commit pins the remote code).
        normalize (`bool`, *optional*, defaults to `True`): the processor's query normalizer on queries.
        doc_field (`str`, *optional*, defaults to `"title"`): lira-products' product text.
        batch_size (`int`, *optional*, defaults to 64): texts per forward pass.
        progress (`bool`, *optional*, defaults to `False`): tqdm bars.
        device (`str`, *optional*): torch device.
        name (`str`, *optional*): mteb model name (default: the Hub id, or `local/<folder name>`).
    """

    def __init__(self, model, mode="lrl", *, revision=None, normalize=True, doc_field="title", batch_size=64,
                 progress=False, device=None, name=None):
        common = dict(doc_field=doc_field, batch_size=batch_size, progress=progress, revision=revision,
                      normalize=normalize, device=device)
        system = LiraMtebSystem(model, mode=mode, **common)
        lrl = None if mode == "lrl" else LiraMtebSystem(model, mode="lrl", **common)
        super().__init__(system, lira_model_meta(system, model, name), lrl_system=lrl)


def lira_mteb_loader(model_name, revision=None, device=None, **kwargs):
    """mteb's loader signature (`ModelMeta.loader`): `LiraMtebModel(model_name, revision=..., **kwargs)`."""
    return LiraMtebModel(model_name, revision=revision, device=device, **kwargs)


def mteb_encoder(system):
    """An mteb encoder for a built system: a `LiraSystem` becomes a [`LiraMtebModel`] of the same folder, mode and
    settings (its query normalizer switch included); any other system (baselines, `NormalizedQuerySystem`) a
    [`SystemMtebEncoder`]."""
    if type(system) is LiraSystem:
        return LiraMtebModel(system.folder, mode=system.mode, revision=system.revision, normalize=system.normalize,
                             doc_field=system.doc_field, batch_size=system.batch_size, progress=system.progress)
    return SystemMtebEncoder(system)


def mteb_models(names, model=None, **build_kwargs):
    """mteb encoders for systems by name (`evaluation.systems.SYSTEM_NAMES`, e.g. `finetune`, `backbone`, `lira_lrl`).

    Args:
        names (`list[str]`): system names.
        model (`str`, *optional*): the LiRA folder or Hub id (for `lira_*`).
        **build_kwargs: `evaluation.systems.build_system` options (`backbones_dir`, `finetune_dir`, `doc_field`,
            `batch_size`, `progress`, `revision`).

    Returns:
        `dict[str, SystemMtebEncoder]`: name -> encoder, in `names` order.
    """
    from .systems import build_system

    build_kwargs.setdefault("progress", False)
    return {n: mteb_encoder(build_system(n, model=model, **build_kwargs)) for n in names}
