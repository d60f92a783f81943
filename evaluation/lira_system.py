"""LiRA behind the evaluator's system protocol, in three modes (see `docs/interfaces.md` for the model API).

* `lrl`: LRL-only. Queries are encoded without candidates; documents are encoded without candidates. The model is
  loaded with `lrl_only=True` (`LiraConfig.lrl_only`: no English encoder h, actor or LaSR head in memory; the same
  vectors), unless a candidate mode of the same model has already loaded it whole.
* `noisy`: queries carry the dataset's (noisy) English candidates and critic scores; the model chooses one as its
  config says (`candidate_selection`: the critic's top semantic score by default, the actor's argmax with `"actor"`).
  Documents are encoded in full mode: `proc([text], languages=["en"], candidates=[[text]], text_type="passage")`.
* `top`: like `noisy`, but only the critic's top candidate (highest semantic score) is passed, so the model has
  nothing to choose (equal to `noisy` under `candidate_selection="critic"`, tested).
* `oracle`: the candidate list is the relevant product's English title alone (critic scores 10/10/10), an upper
  bound of what a perfect translator gives; documents as in `noisy`.

Queries are encoded with their known language code (a storefront knows its locale); language identification is
measured separately by `predict_languages`, which passes `languages=None` and reads `language_logits`.
The vector used for retrieval is `out.embeddings` (the contract's "final LiRA vector").

Pinned remote code: a Hub id is downloaded at `revision` and every `from_pretrained` gets that `revision`, so the
`trust_remote_code=True` path runs the code of that commit. A Hub id without a revision is allowed (the newest
commit of the default branch) but warns ([`UnpinnedRemoteCodeWarning`]) that the code is not pinned and how to pin it
(`--revision <commit sha>`: a tag can be moved, a 40-hex commit sha cannot); a local folder needs no revision.
"""

import json
import logging
import os
import re
import warnings

import numpy as np
from tqdm.auto import tqdm

from .encoders import batched_by_length, l2_normalize, token_counts
from lira_utils.hashing import content_hash, file_digest, folder_digest
from .texts import document_text, top_candidate_index

logger = logging.getLogger(__name__)
MODES = ("lrl", "noisy", "top", "oracle")
# (folder, weights digest) -> (model, processor, lrl_only): at most one LiRA model in memory, shared by the modes of
# one model; an `lrl_only` model serves `lrl` mode only and is replaced by the whole model when a candidate mode asks
_LOADED = {}
ORACLE_CRITIC = [10.0, 10.0, 10.0]
COMMIT_SHA = re.compile(r"[0-9a-f]{40}")
# characters git refuses in a ref name (`git check-ref-format`), plus quotes, which would break a rendered snippet
_REVISION_FORBIDDEN = set("~^:?*[\\\"'")


def _query_code_digest():
    """Digest of the repository's query-side code (processor, normalizer, spelling tables) when it is importable
    (evaluation then runs it, not the copy saved with the model): a changed normalizer is never served from cache."""
    try:
        import modeling_lira
    except ImportError:
        return None  # the model's own remote code runs; it is part of the folder digest
    root = os.path.dirname(modeling_lira.__file__)
    return content_hash([file_digest(os.path.join(root, name)) for name in
                         ("processing_lira.py", "query_normalizer.py", "spelling_index.py")])


class UnpinnedRemoteCodeWarning(UserWarning):
    """A Hub model is loaded with `trust_remote_code=True` and no `revision`: its code may change under you."""


def check_revision(revision, source="--revision"):
    """Validates a Hub revision (tag, branch or commit sha) before it reaches the Hub or a rendered snippet.

    Args:
        revision (`str` or `None`): the revision; `None` means "not given".
        source (`str`, *optional*, defaults to `"--revision"`): where it came from (flag, variable, file), named in
            the error.

    Returns:
        `str` or `None`: `revision` unchanged.

    Raises:
        `ValueError`: `revision` is not a string, is empty, or holds whitespace, a control character or one of
            ``~^:?*[\\`` and quotes.
    """
    if revision is None:
        return None
    bad = (not isinstance(revision, str) or not revision
           or any(c.isspace() or not c.isprintable() or c in _REVISION_FORBIDDEN for c in revision))
    if bad:
        raise ValueError(f"{source} {revision!r} is not a valid Hub revision: it must be a non-empty tag, branch or "
                         "commit without whitespace, control characters, quotes or any of ~^:?*[\\; give "
                         f"{source} the 40-hex commit sha of the model you reviewed.")
    return revision


def is_local_folder(model):
    """`True` when `model` is a local folder (loaded as is), `False` for a Hub id."""
    return os.path.isdir(model)


def warn_if_unpinned(model, revision, how="--revision <commit sha>"):
    """Warns ([`UnpinnedRemoteCodeWarning`]) when `model` is a Hub id loaded without a pinned `revision`.

    Args:
        model (`str`): local folder or Hub repo id.
        revision (`str` or `None`): the revision that will be loaded.
        how (`str`, *optional*, defaults to `"--revision <commit sha>"`): how the user pins it, named in the
            warning.

    Returns:
        `bool`: `True` when it warned.
    """
    if is_local_folder(model):
        return False
    if revision is not None:
        if not COMMIT_SHA.fullmatch(revision):
            logger.info("%r is loaded at revision %r, a tag or branch: a 40-hex commit sha (%s) pins the remote "
                        "code for good", model, revision, how)
        return False
    warnings.warn(f"{model!r} is a Hub id loaded with trust_remote_code=True and no revision: its remote code is not "
                  "pinned and runs whatever the repository's default branch holds at download time; pin it with "
                  f"{how} (the 40-hex commit you reviewed; a tag can be moved).",
                  UnpinnedRemoteCodeWarning, stacklevel=3)
    return True


def resolve_model_folder(model, revision=None):
    """Local folder of a LiRA model given a folder or a Hub id (a Hub id resolves through the local HF cache).

    Args:
        model (`str`): folder or Hub repo id.
        revision (`str`, *optional*): tag, branch or commit of a Hub id (ignored for a folder); see
            [`check_revision`].

    Returns:
        `str`: a local folder holding `config.json`.
    """
    if is_local_folder(model):
        return model
    try:
        from huggingface_hub import snapshot_download

        return snapshot_download(model, revision=revision)
    except Exception as err:  # offline miss, bad id, bad revision, ...
        raise ValueError(f"--model {model!r} (--revision {revision!r}) is neither a local folder nor a Hub repo "
                         f"available here ({err}); pass a saved LiRA folder such as artifacts/lira-small-trained, "
                         "or a Hub id and a revision it has.") from err


def model_languages(folder):
    """Language codes a saved LiRA model knows (`config.lang2id`), read from `config.json` without loading it."""
    path = os.path.join(folder, "config.json")
    if not os.path.exists(path):
        raise ValueError(f"{folder!r} has no config.json; pass a folder written by LiraModel.save_pretrained.")
    with open(path, encoding="utf-8") as f:
        cfg = json.load(f)
    if cfg.get("model_type") != "lira" or "lang2id" not in cfg:
        raise ValueError(f"{folder!r} is not a LiRA model (model_type={cfg.get('model_type')!r}); "
                         "the lira_* systems need a folder saved by LiraModel.")
    return sorted(cfg["lang2id"], key=cfg["lang2id"].get)


def top_candidate_pair(candidates, critic_scores):
    """`([top], [its scores])` for one query: the critic's top candidate (see `texts.top_candidate`), or `([], [])`."""
    candidates, scores = list(candidates or []), list(critic_scores or [])
    i = top_candidate_index(candidates, scores)
    if i is None:
        return [], []
    return [candidates[i]], ([scores[i]] if len(scores) == len(candidates) else [])


class LiraSystem:
    """A saved LiRA model as an evaluation system.

    Args:
        model (`str`): folder or Hub id of a saved LiRA model.
        mode (`str`, *optional*, defaults to `"lrl"`): `"lrl"`, `"noisy"` or `"oracle"` (see the module docstring).
        doc_field (`str`, *optional*, defaults to `"title"`): see `evaluation.systems.document_text`.
        batch_size (`int`, *optional*, defaults to 64): texts per forward pass.
        progress (`bool`, *optional*, defaults to `True`): tqdm progress bars.
        revision (`str`, *optional*): Hub revision to download and load (`--revision`); a 40-hex commit sha pins
            the remote code. A Hub id without one warns ([`UnpinnedRemoteCodeWarning`]); ignored for a folder.
        normalize (`bool`, *optional*, defaults to `True`): let the processor apply the model's query normalizer
            to queries (when it ships one); `False` reads queries as typed (`normalize=False` on every call).

    Raises:
        `ValueError`: unknown `mode`, bad `revision` (see [`check_revision`]), or a model that cannot be found.
    """

    def __init__(self, model, mode="lrl", doc_field="title", batch_size=64, progress=True, revision=None,
                 normalize=True):
        if mode not in MODES:
            raise ValueError(f"LiRA mode {mode!r} is not supported; use one of {list(MODES)}.")
        check_revision(revision)
        if revision is not None and is_local_folder(model):
            logger.info("--revision %r is ignored: %r is a local folder", revision, model)
            revision = None
        warn_if_unpinned(model, revision)
        self.revision = revision
        self.folder = resolve_model_folder(model, revision)
        self.mode = mode
        self.name = f"lira_{mode}"
        self.candidate_mode = {"lrl": "none", "top": "noisy"}.get(mode, mode)
        self.doc_field = doc_field
        self.batch_size = batch_size
        self.progress = progress
        self.normalize = bool(normalize)
        self.languages = model_languages(self.folder)
        self.unknown_languages = ()  # zero-shot codes encoded with the language unknown (`allow_unknown_languages`)
        self._digest = None

    def _load(self):
        """`(model, processor)`, loaded once per model folder and shared by its modes (see `_LOADED`)."""
        key = (os.path.abspath(self.folder), self._base_key()["weights"])
        entry = _LOADED.get(key)
        if entry is None or (entry[2] and self.mode != "lrl"):
            _LOADED.clear()  # keep at most one LiRA model in memory (dropped before the next one loads)
            entry = self._from_pretrained(lrl_only=self.mode == "lrl")
            if entry[2] and self.mode != "lrl":
                raise ValueError(f"{self.folder!r} holds an LRL-only checkpoint (saved with lrl_only=True, no English "
                                 f"encoder): system {self.name!r} needs candidates; pass the full LiRA folder.")
            _LOADED[key] = entry
        return entry[0], entry[1]

    def _from_pretrained(self, lrl_only):
        """Loads `(model, processor, lrl_only)`: with this repo's `modeling_lira`, `lrl_only` as asked; outside the
        repo through the code saved with the model at `revision`, always whole (that code may predate the option)."""
        try:
            from modeling_lira import LiraModel, LiraProcessor

            model = LiraModel.from_pretrained(self.folder, revision=self.revision,
                                              **({"lrl_only": True} if lrl_only else {})).eval()
            proc = LiraProcessor.from_pretrained(self.folder, revision=self.revision)
            return model, proc, bool(getattr(model.config, "lrl_only", False))
        except ImportError:  # evaluating outside the repo: the code saved with the model, at `revision`
            from transformers import AutoModel, AutoProcessor

            model = AutoModel.from_pretrained(self.folder, trust_remote_code=True, revision=self.revision).eval()
            proc = AutoProcessor.from_pretrained(self.folder, trust_remote_code=True, revision=self.revision)
            return model, proc, bool(getattr(getattr(model, "config", None), "lrl_only", False))

    def _base_key(self):
        if self._digest is None:
            self._digest = folder_digest(self.folder)
        return {"cls": "LiraSystem", "weights": self._digest}

    def _candidate_selection(self):
        """The saved config's `candidate_selection` (folders saved before it existed get today's default)."""
        from modeling_lira import LiraConfig

        if self.folder is None:  # an in-memory model: its digest is never reused anyway
            return None
        try:
            with open(os.path.join(self.folder, "config.json"), encoding="utf-8") as f:
                saved = json.load(f).get("candidate_selection")
        except OSError:  # a Hub id: the config is read when the model loads
            saved = None
        return saved or LiraConfig().candidate_selection

    def allow_unknown_languages(self, languages):
        """Encodes queries in `languages` (zero-shot languages the model has no id for) with the language unknown
        (`languages=None` for them: the LaSR language-id head supplies the soft language embedding), instead of the
        processor refusing the code. Any other code outside `config.lang2id` is still refused.

        Args:
            languages (`Iterable[str]`): codes outside `self.languages` (the evaluator passes the dataset's
                zero-shot languages, `evaluation.inputs.check_languages`).

        Raises:
            `ValueError`: a code the model knows (it would lose its language id).
        """
        known = [lang for lang in languages if lang in self.languages]
        if known:
            raise ValueError(f"{known} are languages of the model ({self.languages}); only languages it lacks are "
                             "encoded as unknown.")
        self.unknown_languages = tuple(sorted(set(self.unknown_languages) | set(languages)))

    def query_key(self):
        """Cache key of the query side (model hash + mode + the query-side code; + how the model picks a candidate in
        candidate modes; + the codes read as unknown, when any)."""
        key = {**self._base_key(), "mode": self.mode, "side": "query", "query_code": _query_code_digest()}
        if self.unknown_languages:
            key["unknown_languages"] = list(self.unknown_languages)
        if not self.normalize:
            key["normalize"] = False
        if self.mode != "lrl":
            key["selection"] = self._candidate_selection()
        return content_hash(key)

    def document_key(self):
        """Cache key of the document side (`noisy` and `oracle` share full-mode documents)."""
        return content_hash({**self._base_key(), "full": self.mode != "lrl", "doc_field": self.doc_field})

    def _run(self, texts, languages, candidates, critic_scores, text_type, desc, field="embeddings"):
        import torch

        model, proc = self._load()
        device = next(model.parameters()).device  # the Trainer's validation calls this on the training device
        out = None
        texts = list(texts)
        # sorted by g's token count of the text as typed (the processor may normalize it, which rarely changes its
        # length), so a batch carries almost no padding, as `MeanPoolEncoder` batches the backbone
        batches = list(batched_by_length(texts, self.batch_size, token_counts(proc.tokenizer, texts, proc.max_length)))
        with torch.inference_mode():
            for idx, batch in tqdm(batches, desc=desc, disable=not self.progress, leave=False):
                pick = (lambda xs: None if xs is None else [xs[i] for i in idx])
                inputs = proc(batch, languages=pick(languages), candidates=pick(candidates),
                              critic_scores=pick(critic_scores), text_type=text_type,
                              **({} if self.normalize else {"normalize": False}))
                inputs = {k: v.to(device) if torch.is_tensor(v) else v for k, v in inputs.items()}
                res = getattr(model(**inputs), field)
                res = res.float().cpu().numpy() if torch.is_tensor(res) else np.asarray(res)
                if out is None:
                    out = np.zeros((len(texts),) + res.shape[1:], dtype=res.dtype)
                out[idx] = res
        return out

    def encode_queries(self, texts, languages=None, candidates=None, critic_scores=None):
        """Encodes queries; candidates are dropped in `lrl` mode (see the module docstring)."""
        if self.mode == "lrl":
            candidates, critic_scores = None, None
        elif candidates is not None and critic_scores is None and self.mode == "oracle":
            critic_scores = [[ORACLE_CRITIC] * len(c) for c in candidates]
        elif self.mode == "top" and candidates is not None:
            pairs = [top_candidate_pair(c, s) for c, s in zip(candidates, critic_scores or [None] * len(candidates))]
            candidates = [p[0] for p in pairs]
            critic_scores = None if critic_scores is None else [p[1] for p in pairs]
        if candidates is not None:
            candidates, critic_scores = self._load()[1].keep_best_candidates(candidates, critic_scores)
        if languages is not None and self.unknown_languages:  # zero-shot: the language id is unknown to the model
            languages = [None if lang in self.unknown_languages else lang for lang in languages]
        emb = self._run(texts, languages, candidates, critic_scores, "query", f"{self.name} queries")
        return l2_normalize(emb)

    def encode_documents(self, products):
        """Encodes products as English passages, with the text as its own candidate outside `lrl` mode."""
        texts = [document_text(p, self.doc_field) for p in products]
        cands = None if self.mode == "lrl" else [[t] for t in texts]
        emb = self._run(texts, ["en"] * len(texts), cands, None, "passage", f"{self.name} documents")
        return l2_normalize(emb)

    def langid_key(self):
        """Cache key of the language-id logits (shared by the three modes: they do not depend on candidates)."""
        return content_hash({**self._base_key(), "side": "langid"})

    def language_logits(self, texts):
        """Logits of the LaSR language-id head for `texts`, encoded with `languages=None` and no candidates."""
        return self._run(texts, None, None, None, "query", f"{self.name} lang-id", field="language_logits")

    def language_codes(self):
        """Language code of each logit column (`config.lang2id` order)."""
        return list(self.languages)

    def predict_languages(self, texts):
        """Language id predicted by the LaSR head with `languages=None` (argmax of `language_logits`)."""
        codes = self.language_codes()
        return [codes[int(i)] for i in np.asarray(self.language_logits(texts)).argmax(-1)]


class LiraInMemorySystem(LiraSystem):
    """[`LiraSystem`] over a model object (possibly PEFT-wrapped) instead of a folder.

    Args:
        model: [`LiraModel`] or a wrapper whose forward takes the processor's outputs.
        processor ([`LiraProcessor`]).
        mode (`str`, *optional*, defaults to `"lrl"`): `"lrl"`, `"noisy"` or `"oracle"`.
        batch_size (`int`, *optional*, defaults to 64).
    """

    def __init__(self, model, processor, mode="lrl", batch_size=64):  # noqa: D107 - no folder to resolve
        self.folder = None
        self.mode = mode
        self.name = f"lira_{mode}"
        self.candidate_mode = "none" if mode == "lrl" else mode
        self.doc_field = "title"
        self.batch_size = batch_size
        self.progress = False
        self.normalize = True  # the processor's query normalizer, as the trained model will serve queries
        self.languages = sorted(processor.lang2id, key=processor.lang2id.get)
        self.unknown_languages = ()  # validation reads the trained languages only
        self._model, self._proc = model, processor
        self._digest = f"in-memory-{id(model)}-{np.random.randint(1 << 30)}"  # never reuse cached results

    def _load(self):
        return self._model, self._proc
