"""Translation critics: the heuristic critic's behaviour and the LLM-judge plumbing on a tiny model built in code."""

import pytest
from tokenizers import Tokenizer, models, pre_tokenizers
from transformers import GPT2Config, GPT2LMHeadModel, PreTrainedTokenizerFast

from dataset_builder import ReferenceTranslationCritic, LLMJudgeTranslationCritic, parse_judge_scores
from dataset_builder.sources import ensure_sources


def test_heuristic_critic_orders_candidates():
    critic = ReferenceTranslationCritic.from_cldr(ensure_sources())
    refs = [["red apple"]]
    candidates = [["red apple", "apple", "red ap", "bicycle"]]
    good, dropped, cut, wrong = critic.score(["táo đỏ"], candidates, ["vi"], refs)[0]
    assert good == [10.0, 10.0, 10.0]
    assert wrong[0] == 1.0 and dropped[0] > cut[0] > wrong[0]
    assert cut[2] < dropped[2] < good[2]  # "ap" is not an English word; one token of two is shorter
    assert "happy" in critic.affect_words and "fire" not in critic.affect_words
    sad = critic.score_one("sad face", ["happy face"])
    assert sad[1] == 1.0
    with pytest.raises(ValueError, match="references"):
        critic.score(["x"], [["y"]], ["vi"])


def test_parse_judge_scores():
    assert parse_judge_scores(" 7 8 9") == [7.0, 8.0, 9.0]
    assert parse_judge_scores("semantic=12 emotional=0 pragmatic=5.5 extra 3") == [10.0, 1.0, 5.5]
    assert parse_judge_scores("seven") is None


@pytest.fixture(scope="module")
def tiny_judge_dir(tmp_path_factory):
    """A 1-layer GPT-2 and a WordLevel tokenizer, built in code and saved (no download)."""
    words = ["[UNK]", "[PAD]", "<eos>", *[str(i) for i in range(1, 11)], "Source", "query", "English", "candidate",
             "Scores", ":", "(", ")", "red", "apple", "Vietnamese", "Thai", "semantic", "pragmatic"]  # fmt: skip
    tok = Tokenizer(models.WordLevel({w: i for i, w in enumerate(words)}, unk_token="[UNK]"))
    tok.pre_tokenizer = pre_tokenizers.Whitespace()
    fast = PreTrainedTokenizerFast(tokenizer_object=tok, unk_token="[UNK]", pad_token="[PAD]", eos_token="<eos>")
    folder = tmp_path_factory.mktemp("tiny-judge")
    fast.save_pretrained(folder)
    config = GPT2Config(vocab_size=len(words), n_positions=256, n_embd=16, n_layer=1, n_head=2,
                        bos_token_id=2, eos_token_id=2, pad_token_id=1)  # fmt: skip
    GPT2LMHeadModel(config).save_pretrained(folder)
    return folder, {w: i for i, w in enumerate(words)}


def test_llm_judge_plumbing(tiny_judge_dir):
    folder, vocab = tiny_judge_dir
    digits = {vocab[str(i)] for i in range(1, 11)}
    only_digits = LLMJudgeTranslationCritic(
        str(folder), device="cpu", batch_size=2, max_new_tokens=4,
        generation_kwargs={"suppress_tokens": [i for i in vocab.values() if i not in digits]},
    )  # fmt: skip
    candidates = [["red apple", "apple", "pear"], ["umbrella"]]
    scores = only_digits.score(["táo đỏ", "ร่ม"], candidates, ["vi", "th"])
    assert [len(s) for s in scores] == [3, 1]
    assert all(len(s) == 3 and all(1.0 <= x <= 10.0 for x in s) for row in scores for s in row)
    assert "tiny-judge" in only_digits.description
    no_digits = LLMJudgeTranslationCritic(str(folder), device="cpu", max_new_tokens=3, fallback=(4, 4, 4),
                                          generation_kwargs={"suppress_tokens": sorted(digits)})  # fmt: skip
    with pytest.warns(UserWarning, match="could not parse three scores in 2 of 2"):
        assert no_digits.score(["táo"], [["apple", "red"]], ["vi"]) == [[[4.0, 4.0, 4.0], [4.0, 4.0, 4.0]]]


def test_llm_judge_rejects_bad_template(tiny_judge_dir):
    folder, _ = tiny_judge_dir
    with pytest.raises(ValueError, match=r"\{candidate\}"):
        LLMJudgeTranslationCritic(str(folder), prompt_template="Rate {query}")
    with pytest.raises(ValueError, match="unknown field"):
        LLMJudgeTranslationCritic(str(folder), prompt_template="{query} {candidate} {price}")
