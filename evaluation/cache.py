"""On-disk cache of embeddings and per-(system, language, split) results, keyed by content hashes.

Keys combine the hash of the model files (weights, tokenizer, config, code), the system's configuration and the
exact inputs (query texts, candidates, corpus text, qrels), so a rerun recomputes only what changed. Files are
written atomically (`lira_utils.atomic`).
"""

import collections
import json
import os

import numpy as np

from lira_utils.atomic import atomic_write_bytes, atomic_write_json


class EvalCache:
    """Embedding and result cache under `root` (`None` keeps nothing on disk).

    Args:
        root (`str`, *optional*): cache folder, e.g. `<out>/cache`.

    Attributes:
        stats (`collections.Counter`): `computed_embeddings`, `cached_embeddings`, `computed_results`,
            `cached_results`; a rerun with nothing changed has zero `computed_*`.
    """

    def __init__(self, root=None):
        self.root = root
        self.stats = collections.Counter()

    def _path(self, kind, key, ext):
        return os.path.join(self.root, kind, f"{key}{ext}")

    def embeddings(self, kind, key, compute):
        """Returns cached embeddings `kind/key.npy` or computes, stores and returns them.

        Args:
            kind (`str`): sub-folder, e.g. `"queries"` or `"documents"`.
            key (`str`): content hash.
            compute (`Callable[[], np.ndarray]`): called on a miss.
        """
        if self.root is not None:
            path = self._path(kind, key, ".npy")
            if os.path.exists(path):
                self.stats["cached_embeddings"] += 1
                return np.load(path)
        value = np.asarray(compute(), dtype=np.float32)
        self.stats["computed_embeddings"] += 1
        if self.root is not None:
            import io

            buf = io.BytesIO()
            np.save(buf, value)
            atomic_write_bytes(path, buf.getvalue())
        return value

    def result(self, key, compute):
        """Returns the cached result dict `results/key.json` or computes, stores and returns it."""
        if self.root is not None:
            path = self._path("results", key, ".json")
            if os.path.exists(path):
                self.stats["cached_results"] += 1
                with open(path, encoding="utf-8") as f:
                    return json.load(f)
        value = compute()
        self.stats["computed_results"] += 1
        if self.root is not None:
            atomic_write_json(path, value)
        return value
