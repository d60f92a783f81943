"""Shared pytest fixtures for the push area: an in-process fake Hub and a tiny remote-code model.

`mock_hub` routes every request of the real `huggingface_hub` client through an `httpx2.MockTransport` (httpx on
huggingface_hub 1.x) installed with `huggingface_hub.set_client_factory`: no socket is opened (`socket.connect` is
made to fail to prove it) and no server runs. The fake implements the few endpoints the push scripts use and
records every request, commit operation and tag so tests can assert them exactly.
"""

import base64
import hashlib
import json
import os
import re
import socket
import sys
import textwrap

import pytest

TEST_TOKEN = "hf_test_secret_4fJ9kQ2xZ7pL0mN3vB8c"
ENDPOINT = "https://hub.test"
_REPO = r"(?P<repo>[\w.-]+/[\w.-]+)"


def _httpx():
    from huggingface_hub.utils import _http

    return getattr(_http, "httpx2", None) or _http.httpx


class MockHub:
    """A fake Hub. Attributes the tests read: `requests` (method, path), `commits`, `tags`, `repos`, `auth`.

    Args:
        lfs_suffixes (`tuple[str]`): files whose preupload answer is "lfs" (the rest are "regular").
        fail_lfs_paths (`set[str]`): repo paths whose LFS batch entry comes back as an error.
    """

    def __init__(self, lfs_suffixes=(".safetensors", ".parquet"), fail_lfs_paths=()):
        self.lfs_suffixes = tuple(lfs_suffixes)
        self.fail_lfs_paths = set(fail_lfs_paths)
        self.requests, self.commits, self.tags, self.auth, self.uploads = [], [], [], set(), {}
        self.created = []  # bodies of repo-creation requests (type, sdk, visibility)
        self.repos = {}  # "type:ns/name" -> {"private": bool, "sha": str, "tags": {name: sha}}
        self._oid_to_path = {}
        self._n = 0

    # -- helpers ---------------------------------------------------------------------------------------------
    def add_repo(self, repo_id, repo_type="model", private=False, tags=()):
        sha = self._next_sha()
        self.repos[f"{repo_type}:{repo_id}"] = {"private": private, "sha": sha, "tags": {t: sha for t in tags}}

    def _next_sha(self):
        self._n += 1
        return hashlib.sha1(f"commit-{self._n}".encode()).hexdigest()

    def posts(self, fragment):
        return [p for m, p in self.requests if m == "POST" and fragment in p]

    @staticmethod
    def _json(status, payload):
        return _httpx().Response(status, json=payload)

    # -- the transport handler -------------------------------------------------------------------------------
    def handler(self, request):
        method, path = request.method, request.url.path
        self.requests.append((method, path))
        if "authorization" in request.headers:
            self.auth.add(request.headers["authorization"])
        body = request.content
        self.base = f"{request.url.scheme}://{request.url.host}"  # answer with the endpoint the client uses
        if path == "/api/whoami-v2":
            return self._json(200, {"type": "user", "name": "tester", "orgs": [{"name": "org"}],
                                    "auth": {"accessToken": {"displayName": "test", "role": "write"}}})
        if path == "/api/validate-yaml":
            return self._json(200, {"errors": [], "warnings": []})
        if path == "/api/repos/create":
            data = json.loads(body)
            repo_type = data.get("type") or "model"
            repo_id = f"{data['organization']}/{data['name']}"
            prefix = "" if repo_type == "model" else f"{repo_type}s/"
            url = f"{self.base}/{prefix}{repo_id}"
            if f"{repo_type}:{repo_id}" in self.repos:
                return self._json(409, {"error": "You already created this repo", "url": url})
            self.add_repo(repo_id, repo_type, private=data.get("visibility") == "private" or bool(data.get("private")))
            self.created.append(data)
            return self._json(200, {"url": url})
        m = re.fullmatch(rf"/api/(?P<type>model|dataset|space)s/{_REPO}(?P<rest>/.*)?", path)
        if m:
            return self._repo_api(request, m.group("type"), m.group("repo"), m.group("rest") or "", body)
        m = re.fullmatch(rf"/(?:datasets/|spaces/)?{_REPO}\.git/info/lfs/objects/batch", path)
        if m:
            objects = []
            for obj in json.loads(body)["objects"]:
                if self._oid_to_path.get(obj["oid"]) in self.fail_lfs_paths:
                    objects.append({**obj, "error": {"code": 422, "message": "rejected by the mock Hub"}})
                else:
                    objects.append({**obj, "authenticated": True,
                                    "actions": {"upload": {"href": f"{self.base}/lfs-upload/{obj['oid']}"}}})
            return self._json(200, {"transfer": "basic", "objects": objects})
        m = re.fullmatch(r"/lfs-upload/(?P<oid>[0-9a-f]{64})", path)
        if m and method == "PUT":
            self.uploads[m.group("oid")] = hashlib.sha256(request.read()).hexdigest()
            return _httpx().Response(200)
        return self._json(404, {"error": f"unmocked endpoint {method} {path}"})

    def _repo_api(self, request, repo_type, repo_id, rest, body):
        repo = self.repos.get(f"{repo_type}:{repo_id}")
        if repo is None:
            return self._json(404, {"error": "Repository not found"})
        if rest in ("", "/revision/main"):
            return self._json(200, {"id": repo_id, "sha": repo["sha"], "private": repo["private"], "siblings": []})
        if rest == "/refs":
            branch = {"name": "main", "ref": "refs/heads/main", "targetCommit": repo["sha"]}
            tags = [{"name": t, "ref": f"refs/tags/{t}", "targetCommit": s} for t, s in repo["tags"].items()]
            return self._json(200, {"branches": [branch], "converts": [], "tags": tags})
        if rest.startswith("/preupload/"):
            files = json.loads(body)["files"]
            out = []
            for f in files:
                lfs = f["path"].endswith(self.lfs_suffixes)
                out.append({"path": f["path"], "uploadMode": "lfs" if lfs else "regular", "shouldIgnore": False})
            return self._json(200, {"files": out})
        if rest.startswith("/commit/"):
            lines = [json.loads(line) for line in body.decode().splitlines() if line.strip()]
            header = next(x["value"] for x in lines if x["key"] == "header")
            files = {x["value"]["path"]: base64.b64decode(x["value"]["content"]) for x in lines if x["key"] == "file"}
            lfs = {x["value"]["path"]: x["value"]["oid"] for x in lines if x["key"] == "lfsFile"}
            parent = request.url.params.get("parent_commit") or header.get("parentCommit")
            repo["sha"] = sha = self._next_sha()
            self.commits.append({"repo_type": repo_type, "repo_id": repo_id, "header": header, "files": files,
                                 "lfs": lfs, "parent": parent, "sha": sha})
            prefix = "" if repo_type == "model" else f"{repo_type}s/"
            return self._json(200, {"commitUrl": f"{self.base}/{prefix}{repo_id}/commit/{sha}", "commitOid": sha,
                                    "pullRequestUrl": None})
        if rest.startswith("/tag/"):
            data = json.loads(body)
            revision = rest[len("/tag/"):]
            repo["tags"][data["tag"]] = revision
            self.tags.append({"repo_id": repo_id, "tag": data["tag"], "revision": revision,
                              "message": data.get("message")})
            return self._json(200, {})
        return self._json(404, {"error": f"unmocked repo endpoint {rest}"})

    def register_files(self, folder, prefix=""):
        """Tells the fake which sha256 belongs to which repo path (to fail one file's LFS batch entry)."""
        for root, _, names in os.walk(folder):
            for name in names:
                local = os.path.join(root, name)
                rel = prefix + os.path.relpath(local, folder).replace(os.sep, "/")
                with open(local, "rb") as f:
                    self._oid_to_path[hashlib.sha256(f.read()).hexdigest()] = rel


@pytest.fixture
def mock_hub(monkeypatch, tmp_path):
    """A `MockHub` wired into huggingface_hub, `HF_TOKEN` set to a test secret, Xet off (LFS path), no sockets."""
    import huggingface_hub
    from huggingface_hub import _commit_api
    from huggingface_hub.utils import _http

    hub = MockHub()
    monkeypatch.setenv("HF_TOKEN", TEST_TOKEN)
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf_home"))  # no stored token, no agent-harness cache
    monkeypatch.setattr(_commit_api, "is_xet_available", lambda: False)

    def _no_socket(*args, **kwargs):
        raise AssertionError("a push test tried to open a network connection")

    monkeypatch.setattr(socket.socket, "connect", _no_socket)
    # The push itself runs online (conftest sets HF_HUB_OFFLINE=1 for everything else); the client keeps the Hub's own
    # request hook, so the offline switch the push scripts flip for their local steps is enforced as in real use.
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", False)
    httpx = _httpx()
    huggingface_hub.set_client_factory(lambda: httpx.Client(
        transport=httpx.MockTransport(hub.handler), event_hooks={"request": [_http.hf_request_event_hook]}))
    try:
        yield hub
    finally:
        huggingface_hub.set_client_factory(_http.default_client_factory)
        huggingface_hub.close_session()


@pytest.fixture
def hub_api(mock_hub):
    """An `HfApi` pointed at the fake endpoint (token resolved from HF_TOKEN, as in real use)."""
    from huggingface_hub import HfApi

    return HfApi(endpoint=ENDPOINT)


# ------------------------------------------------------------------------------------------------------------------
# A tiny remote-code model with the output fields of LiraModel (embeddings, anchored_embeddings), its tokenizer,
# and a sentence-transformers export of its anchored path. It stands in for lira-small so that staging, the
# fresh-process reload and the upload are tested without the real 120M-parameter model.
# ------------------------------------------------------------------------------------------------------------------

_CONFIG_PY = '''
try:
    from transformers import PreTrainedConfig
except ImportError:  # older transformers
    from transformers import PretrainedConfig as PreTrainedConfig


class TinyLiraConfig(PreTrainedConfig):
    model_type = "tinylira_push_test"

    def __init__(self, vocab_size=400, hidden_size=32, num_hidden_layers=2, num_attention_heads=4,
                 intermediate_size=37, out_dim=16, **kwargs):
        self.vocab_size, self.hidden_size, self.out_dim = vocab_size, hidden_size, out_dim
        self.num_hidden_layers, self.num_attention_heads = num_hidden_layers, num_attention_heads
        self.intermediate_size = intermediate_size
        super().__init__(**kwargs)
'''

_MODELING_PY = '''
from dataclasses import dataclass
from typing import Optional

import torch
from transformers import BertConfig, BertModel, PreTrainedModel
from transformers.utils import ModelOutput

from .configuration_tinylira import TinyLiraConfig


@dataclass
class TinyLiraOutput(ModelOutput):
    embeddings: Optional[torch.FloatTensor] = None
    anchored_embeddings: Optional[torch.FloatTensor] = None


class TinyLiraModel(PreTrainedModel):
    config_class = TinyLiraConfig
    base_model_prefix = "tinylira"

    def __init__(self, config):
        super().__init__(config)
        self.encoder = BertModel(BertConfig(
            vocab_size=config.vocab_size, hidden_size=config.hidden_size, num_hidden_layers=config.num_hidden_layers,
            num_attention_heads=config.num_attention_heads, intermediate_size=config.intermediate_size,
            pad_token_id=0), add_pooling_layer=False)
        self.proj = torch.nn.Linear(config.hidden_size, config.out_dim)
        self.post_init()

    def forward(self, input_ids=None, attention_mask=None, token_type_ids=None, **kwargs):
        hidden = self.encoder(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
        mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
        pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
        anchored = torch.nn.functional.normalize(self.proj(pooled), dim=-1)
        return TinyLiraOutput(embeddings=torch.nn.functional.normalize(pooled, dim=-1), anchored_embeddings=anchored)
'''


def _tiny_tokenizer(texts):
    from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, processors, trainers
    from transformers import PreTrainedTokenizerFast

    specials = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    tok = Tokenizer(models.WordPiece(unk_token="[UNK]"))
    tok.normalizer = normalizers.BertNormalizer(lowercase=True)
    tok.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    tok.train_from_iterator(texts, trainers.WordPieceTrainer(vocab_size=400, special_tokens=specials))
    tok.post_processor = processors.TemplateProcessing(single="[CLS] $A [SEP]", special_tokens=[("[CLS]", 2),
                                                                                                ("[SEP]", 3)])
    return PreTrainedTokenizerFast(tokenizer_object=tok, unk_token="[UNK]", pad_token="[PAD]", cls_token="[CLS]",
                                   sep_token="[SEP]", mask_token="[MASK]", model_max_length=64)


def _import_tiny_package(src_dir):
    pkg_dir = os.path.join(src_dir, "tinylira_push_pkg")
    os.makedirs(pkg_dir, exist_ok=True)
    for name, code in [("__init__.py", ""), ("configuration_tinylira.py", _CONFIG_PY),
                       ("modeling_tinylira.py", _MODELING_PY)]:
        with open(os.path.join(pkg_dir, name), "w", encoding="utf-8") as f:
            f.write(textwrap.dedent(code))
    sys.path.insert(0, src_dir)
    try:
        from tinylira_push_pkg.configuration_tinylira import TinyLiraConfig
        from tinylira_push_pkg.modeling_tinylira import TinyLiraModel
    finally:
        sys.path.remove(src_dir)
    return TinyLiraConfig, TinyLiraModel


def tiny_st_export(model_dir, out_dir):
    """`export_fn` for tests: the tiny model's anchored path as Transformer + mean Pooling + Dense + Normalize."""
    import torch
    from transformers import AutoModel, AutoTokenizer

    try:
        from sentence_transformers.sentence_transformer.modules import Dense, Normalize, Pooling, Transformer
    except ImportError:  # sentence-transformers < 6
        from sentence_transformers.models import Dense, Normalize, Pooling, Transformer
    from sentence_transformers import SentenceTransformer

    model = AutoModel.from_pretrained(model_dir, trust_remote_code=True).eval()
    backbone = os.path.join(out_dir + "_backbone")
    model.encoder.save_pretrained(backbone)
    AutoTokenizer.from_pretrained(model_dir).save_pretrained(backbone)
    hidden = model.config.hidden_size
    dense = Dense(hidden, model.config.out_dim, activation_function=torch.nn.Identity(),
                  init_weight=model.proj.weight.detach().clone(), init_bias=model.proj.bias.detach().clone())
    st = SentenceTransformer(modules=[Transformer(backbone), Pooling(hidden, pooling_mode="mean"), dense, Normalize()],
                             device="cpu")
    st.save(out_dir)
    import shutil

    shutil.rmtree(backbone)
    return out_dir


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory):
    """A saved tiny remote-code model: config.json with auto_map, the two .py files, safetensors, tokenizer, plus an
    `optimizer.pt` and a `runs/` folder that staging must leave out."""
    import torch
    from model_card.widget import load_widget_examples

    root = tmp_path_factory.mktemp("tiny_push_model")
    TinyLiraConfig, TinyLiraModel = _import_tiny_package(str(root / "src"))
    texts = [e["source_sentence"] for e in load_widget_examples()]
    texts += [s for e in load_widget_examples() for s in e["sentences"]]
    tokenizer = _tiny_tokenizer(texts * 3)
    TinyLiraConfig.register_for_auto_class()
    TinyLiraModel.register_for_auto_class("AutoModel")
    torch.manual_seed(0)
    model = TinyLiraModel(TinyLiraConfig(vocab_size=len(tokenizer))).eval()
    out = root / "model"
    model.save_pretrained(out)
    tokenizer.save_pretrained(out)
    torch.save({"step": 1}, out / "optimizer.pt")
    (out / "runs").mkdir()
    (out / "runs" / "events.log").write_text("training log\n")
    return str(out)


@pytest.fixture(scope="session")
def tiny_st_dir(tiny_model_dir, tmp_path_factory):
    """The sentence-transformers export of `tiny_model_dir`."""
    return tiny_st_export(tiny_model_dir, str(tmp_path_factory.mktemp("tiny_push_st") / "st"))





@pytest.fixture(scope="session")
def push_dataset_dir(request, tmp_path_factory):
    """A small built dataset: the data area's `tiny_products_dir` when it exists, else a 2-language CLDR build."""
    try:
        return str(request.getfixturevalue("tiny_products_dir"))
    except pytest.FixtureLookupError:
        from dataset_builder import build_cldr_dataset

        out = tmp_path_factory.mktemp("push_dataset") / "lira-products"
        return str(build_cldr_dataset(out, languages=["vi", "th"], max_products=20, max_queries_per_language=200,
                                      progress=False))


__all__ = ["MockHub", "TEST_TOKEN", "ENDPOINT", "tiny_st_export"]
