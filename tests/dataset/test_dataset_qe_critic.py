"""The reference-free default critic: it never reads the answer, its scores follow its documented formulas, and the
builders give references only to critics that ask for them."""

import random

import numpy as np
import pytest

from dataset_builder import build_from_catalog
from dataset_builder.critics import DEFAULT_JUDGE_PROMPT, TranslationCritic
from dataset_builder.qe_critic import QualityEstimationCritic


class _TableEncoder:
    """Encoder with known unit vectors: text -> vector looked up by the text after the `query: ` prefix."""

    def __init__(self, table, dim=3):
        self.table, self.dim, self.calls = table, dim, 0

    def encode(self, texts, desc=""):
        self.calls += 1
        out = np.array([self.table.get(t.split(": ", 1)[1], np.eye(self.dim)[-1]) for t in texts], np.float32)
        return out / np.linalg.norm(out, axis=1, keepdims=True)


def _unit(angle):
    return np.array([np.cos(angle), np.sin(angle), 0.0], np.float32)


@pytest.fixture
def tiny_qe_critic(tiny_backbones_dir):
    """The real critic class over a tiny BERT built in code (the real e5 is used by the dataset fixtures)."""
    from evaluation.encoders import MeanPoolEncoder

    encoder = MeanPoolEncoder(f"{tiny_backbones_dir}/multilingual-e5-small", progress=False)
    return QualityEstimationCritic(encoder, vocabulary={"red", "apple", "tea", "kettle"}, affect_words=["happy"])


def test_scores_are_identical_with_shuffled_or_absent_references(tiny_qe_critic):
    queries = ["táo đỏ", "ấm trà", "giày chạy"]
    candidates = [["red apple", "green apple", "red ap"], ["tea kettle", "umbrella"], ["running shoe"]]
    references = [["red apple"], ["tea kettle"], ["running shoe"]]
    shuffled = list(references)
    random.Random(0).shuffle(shuffled)
    base = tiny_qe_critic.score(queries, candidates, ["vi"] * 3, references)
    assert base == tiny_qe_critic.score(queries, candidates, ["vi"] * 3, shuffled)
    assert base == tiny_qe_critic.score(queries, candidates, ["vi"] * 3, None)
    assert base == tiny_qe_critic.score(queries, candidates, ["vi"] * 3, [["bicycle"]] * 3)
    assert [len(r) for r in base] == [3, 2, 1]
    assert all(1.0 <= x <= 10.0 for row in base for s in row for x in s)
    assert not tiny_qe_critic.reads_reference and "never the aligned English" in tiny_qe_critic.description


def test_semantic_emotional_pragmatic_follow_their_formulas():
    table = {"q": _unit(0.0), "same": _unit(0.0), "far": _unit(np.arccos(0.70)), "mid": _unit(np.arccos(0.825)),
             "happy": np.array([0.0, 0.0, 1.0], np.float32)}
    critic = QualityEstimationCritic(_TableEncoder(table), vocabulary={"same", "far", "mid"}, affect_words=["happy"])
    (same, far, mid, cut), = critic.score(["q"], [["same", "far", "mid", "mi"]], ["vi"])
    assert same[0] == 10.0 and far[0] == 1.0 and mid[0] == pytest.approx(5.5, abs=0.01)  # linear in [0.70, 0.95]
    assert same[1] == 10.0  # no affect on either side: full agreement
    assert same[2] == 10.0 and cut[2] == 1.0  # "mi" is not an English word
    (rep,), = critic.score(["q"], [["same same"]], ["vi"])
    assert rep[2] == pytest.approx(1 + 9 * 0.5)  # half the tokens repeat


def test_cache_file_round_trip_reencodes_nothing(tmp_path):
    table = {"q": _unit(0.0), "a": _unit(0.3)}
    path = tmp_path / "critic" / "qe.npz"
    first = QualityEstimationCritic(_TableEncoder(table), cache_file=str(path))
    scores = first.score(["q"], [["a"]], ["th"])
    assert path.exists()
    encoder = _TableEncoder(table)
    second = QualityEstimationCritic(encoder, cache_file=str(path))
    assert second.score(["q"], [["a"]], ["th"]) == scores and encoder.calls == 0


@pytest.mark.parametrize("kwargs, match", [(dict(semantic_range=(0.9, 0.7)), "semantic_range"),
                                           (dict(emotional_tolerance=0), "emotional_tolerance")])
def test_bad_settings_raise(kwargs, match):
    with pytest.raises(ValueError, match=match):
        QualityEstimationCritic(_TableEncoder({}), **kwargs)


class _RecordingCritic(TranslationCritic):
    name = "recording"
    description = "records what it was given"

    def __init__(self, reads_reference):
        self.reads_reference, self.seen = reads_reference, []

    def score(self, queries, candidates, languages, references=None):
        self.seen.append(references)
        return [[[5.0, 5.0, 5.0] for _ in c] for c in candidates]


@pytest.mark.parametrize("reads", [False, True])
def test_builder_passes_references_only_to_critics_that_read_them(tmp_path, reads):
    from tests.fixtures_data import CATALOG_CSV

    (tmp_path / "c.csv").write_text(CATALOG_CSV, encoding="utf-8")
    critic = _RecordingCritic(reads)
    build_from_catalog(tmp_path / "out", tmp_path / "c.csv", languages=["vi"], critic=critic, progress=False)
    assert critic.seen and all((refs is not None) == reads for refs in critic.seen)


def test_llm_judge_prompt_has_no_reference_field():
    assert "{reference" not in DEFAULT_JUDGE_PROMPT and "{query}" in DEFAULT_JUDGE_PROMPT
