"""Evaluation systems that read the query after the query normalizer (`--query-normalizer`).

`NormalizedQuerySystem` wraps any system: its queries go through a `LiraQueryNormalizer` (romanized, unaccented or
misspelt words rewritten into the vocabulary's script and spelling) before the system encodes them; documents,
candidates and everything else are the wrapped system's. The name stays the same, so two runs (with and without the
normalizer) compare system by system with `python -m evaluation.noise_compare raw=... qn=...`; the cache key of the
query side adds the normalizer file's digest.
"""

import os

from modeling_lira.query_normalizer import NORMALIZER_FILE, LiraQueryNormalizer, one_piece_words

from lira_utils.hashing import content_hash, file_digest


def load_normalizer(path):
    """`(normalizer, file digest)` from a folder holding `query_normalizer.json` or the file itself.

    When the folder also holds a tokenizer (a LiRA model folder), its pieces tell known words from typos, as
    `LiraProcessor.from_pretrained` does for the model.
    """
    file = os.path.join(path, NORMALIZER_FILE) if os.path.isdir(path) else path
    if not os.path.isfile(file):
        raise ValueError(f"--query-normalizer {path!r} has no {NORMALIZER_FILE}; build one with "
                         "`python -m dataset_builder.normalizer --model DIR` and pass DIR.")
    import modeling_lira.query_normalizer as code
    import modeling_lira.spelling_index as tables

    normalizer = LiraQueryNormalizer.from_pretrained(file)  # the digest: its vocabulary and its rules
    digest = content_hash([file_digest(file), file_digest(code.__file__), file_digest(tables.__file__)])
    if os.path.isfile(os.path.join(os.path.dirname(file), "tokenizer.json")):
        from transformers import AutoTokenizer

        tokenizer = AutoTokenizer.from_pretrained(os.path.dirname(file))
        normalizer.known_word = one_piece_words(tokenizer)
        digest = content_hash([digest, "known_word=one_piece", file_digest(os.path.join(os.path.dirname(file),
                                                                                        "tokenizer.json"))])
    return normalizer, digest


class NormalizedQuerySystem:
    """`system` with its queries rewritten by `normalizer` first.

    Args:
        system: any evaluation system (`encode_queries`, `encode_documents`, `query_key`, `document_key`).
        normalizer (`LiraQueryNormalizer`): the rewriting step.
        digest (`str`): identifies the normalizer in cache keys (its file digest).
    """

    def __init__(self, system, normalizer, digest):
        self.system, self.normalizer, self.digest = system, normalizer, digest
        self.name, self.candidate_mode = system.name, system.candidate_mode

    def __getattr__(self, name):  # language-id and other optional hooks of the wrapped system
        return getattr(self.system, name)

    def query_key(self):
        return content_hash({"inner": self.system.query_key(), "query_normalizer": self.digest})

    def document_key(self):
        return self.system.document_key()

    def encode_queries(self, texts, languages=None, candidates=None, critic_scores=None):
        """Rewrites `texts` (per their `languages`), then encodes them with the wrapped system."""
        return self.system.encode_queries(self.normalizer(list(texts), languages), languages, candidates,
                                          critic_scores)

    def encode_documents(self, products):
        return self.system.encode_documents(products)
