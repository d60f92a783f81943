"""The QE critic's memo of encoded texts is bounded (a long-lived critic sees unbounded distinct texts), its scores
do not depend on the bound, and its cache file is written by the project's atomic writer."""

import os
import stat
import zlib

import numpy as np
import pytest

from dataset_builder.qe_critic import MEMO_SIZE, QualityEstimationCritic


class _HashEncoder:
    """Deterministic unit vectors from each text's CRC (a real encoder's role, without a model); counts texts."""

    def __init__(self, dim=8):
        self.dim, self.encoded = dim, []

    def encode(self, texts, desc=""):
        self.encoded.extend(texts)
        rows = [np.random.default_rng(zlib.crc32(t.encode("utf-8"))).normal(size=self.dim) for t in texts]
        out = np.array(rows, np.float32)
        return out / np.linalg.norm(out, axis=1, keepdims=True)


def _critic(memo_size, **kwargs):
    return QualityEstimationCritic(_HashEncoder(), vocabulary={"red", "apple"}, affect_words=["happy"],
                                   memo_size=memo_size, **kwargs)


def _batches(count, per_call=5):
    queries = [f"query {i}" for i in range(count)]
    candidates = [[f"red apple {i}", f"apple {i} red"] for i in range(count)]
    for start in range(0, count, per_call):
        yield queries[start : start + per_call], candidates[start : start + per_call]


def test_memo_stays_at_its_bound_and_scores_match_an_unbounded_critic():
    bounded, unbounded = _critic(16), _critic(10**9)
    for queries, candidates in _batches(60):
        assert bounded.score(queries, candidates, ["vi"] * len(queries)) == unbounded.score(
            queries, candidates, ["vi"] * len(queries))
        assert len(bounded._memo) <= 16
    assert len(bounded._memo) == 16 and len(unbounded._memo) == 60 * 3 + 1  # + the affect word
    queries, candidates = ["query 59"], [["red apple 59"]]  # recently used: served from memory
    before = len(bounded.encoder.encoded)
    bounded.score(queries, candidates, ["vi"])
    assert len(bounded.encoder.encoded) == before


def test_one_call_with_more_texts_than_the_bound_still_scores_them_all():
    small, large = _critic(3), _critic(10**9)
    queries = [f"query {i}" for i in range(10)]
    candidates = [[f"apple {i}", "red apple"] for i in range(10)]
    assert small.score(queries, candidates, ["th"] * 10) == large.score(queries, candidates, ["th"] * 10)
    assert len(small._memo) == 3


@pytest.mark.parametrize("size", [0, -1, 2.5, True, "10"])
def test_bad_memo_size_is_named(size):
    with pytest.raises(ValueError, match=r"memo_size="):
        _critic(size)


def test_default_bound_is_documented():
    assert MEMO_SIZE == 100_000 and _critic(MEMO_SIZE)._memo.size == MEMO_SIZE


def test_cache_file_keeps_the_bounded_memo_and_is_written_atomically(tmp_path):
    path = tmp_path / "critic" / "qe.npz"
    first = _critic(8, cache_file=str(path))
    for queries, candidates in _batches(4, per_call=2):
        first.score(queries, candidates, ["vi"] * len(queries))
    with np.load(path) as data:
        saved = data["texts"].tolist()
    assert len(saved) == 8 and "query: query 3" in saved  # rewritten at the bound, newest kept
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o666 & ~umask  # the atomic writer's modes, not mkstemp's 0600
    assert sorted(os.listdir(path.parent)) == ["qe.npz"]  # no temporary file left
    second = _critic(8, cache_file=str(path))
    assert second.score(["query 3"], [["red apple 3"]], ["vi"]) == first.score(["query 3"], [["red apple 3"]], ["vi"])
    assert second.encoder.encoded == []  # all read from the file


@pytest.mark.parametrize("content", [b"garbage", b"PK\x03\x04 not a zip"])
def test_unreadable_cache_file_is_named(tmp_path, content):
    path = tmp_path / "qe.npz"
    path.write_bytes(content)
    with pytest.raises(ValueError, match=r"critic cache_file .*qe\.npz.* is not a readable critic cache"):
        _critic(8, cache_file=str(path))


def test_cache_file_with_mismatched_arrays_is_named(tmp_path):
    path = tmp_path / "qe.npz"
    np.savez(path, texts=np.array(["a", "b"]), vectors=np.zeros((3, 8), np.float32))
    with pytest.raises(ValueError, match=r"holds \(2,\) texts for \(3, 8\) vectors"):
        _critic(8, cache_file=str(path))
