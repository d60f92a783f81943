"""LiraModel / LiraConfig unit tests on a tiny model built in code."""

import pytest
import torch

from modeling_lira import LiraConfig, LiraModel
from tests.fixtures_model import tiny_config_kwargs


def _batch(seed=0, batch=3, length=9, with_candidates=True):
    g = torch.Generator().manual_seed(seed)
    ids = torch.randint(5, 64, (batch, length), generator=g)
    mask = torch.ones_like(ids)
    mask[0, 6:] = 0
    out = {"input_ids": ids, "attention_mask": mask}
    if with_candidates:
        out["candidate_input_ids"] = torch.randint(5, 64, (batch, 3, 6), generator=g)
        out["candidate_mask"] = torch.tensor([[1, 1, 1], [1, 0, 0], [0, 0, 0]][:batch]).bool()
        out["critic_scores"] = torch.rand(batch, 3, 3, generator=g) * 9 + 1
    return out


def test_model_type_does_not_collide():
    from transformers.models.auto.configuration_auto import CONFIG_MAPPING_NAMES

    assert LiraConfig.model_type == "lira" and "lira" not in CONFIG_MAPPING_NAMES


@pytest.mark.parametrize("bad", [dict(num_bins=0), dict(adaptor_dim=30, lasr_num_heads=4), dict(lasr_dropout=1.5),
                                 dict(reward_alpha=-1), dict(ndcg_temperature=0), dict(lang2id={"vi": 0, "th": 2}),
                                 dict(lang2id={"vi": 0}), dict(correlation_alpha=2.0), dict(encoder_config=3),
                                 dict(doc_queue_size=-1), dict(doc_queue_size=2.5),
                                 dict(candidate_selection="best")])
def test_config_rejects_bad_values(bad):
    with pytest.raises(ValueError) as err:
        LiraConfig(**tiny_config_kwargs(**bad))
    assert any(str(v) in str(err.value) or k in str(err.value) for k, v in bad.items())


def test_config_roundtrip(tmp_path, tiny_config):
    tiny_config.save_pretrained(tmp_path)
    loaded = LiraConfig.from_pretrained(tmp_path)
    assert loaded.encoder_config.hidden_size == 32 and loaded.english_encoder_config.hidden_size == 24
    assert loaded.lang2id == tiny_config.lang2id and loaded.num_bins == 4


def test_untrained_model_is_backbone_mean_pooling(tiny_model):
    tiny_model.eval()
    b = _batch(with_candidates=False)
    with torch.no_grad():
        out = tiny_model(**b)
        states = tiny_model.encoder(b["input_ids"], attention_mask=b["attention_mask"]).last_hidden_state
    mean = (states * b["attention_mask"][..., None]).sum(1) / b["attention_mask"].sum(1, keepdim=True)
    expected = torch.nn.functional.normalize(mean, dim=-1)
    assert torch.allclose(out.anchored_embeddings, expected, atol=1e-6)
    d = expected.shape[-1]
    # z = [g half; h half]: zero-initialised LaSR -> g half is the backbone vector, h half is empty (no translation)
    assert out.embeddings.shape[-1] == 2 * d
    assert torch.allclose(out.embeddings[:, :d], expected, atol=1e-6)
    assert torch.equal(out.embeddings[:, d:], torch.zeros_like(expected))


def test_full_view_is_the_concatenation_of_both_streams(tiny_model):
    """Before training, the full view is [g vector; s * chosen h vector] / sqrt(1 + s^2) (the paper's [g(x); h(y)])."""
    tiny_model.eval()
    b = _batch()
    with torch.no_grad():
        out = tiny_model(**b)
    s = tiny_model.config.english_scale_init
    assert tiny_model.lasr.english_scale.item() == s
    expected = torch.cat([out.anchored_embeddings[0], s * out.english_embeddings[0]]) / (1 + s ** 2) ** 0.5
    assert torch.allclose(out.embeddings[0], expected, atol=1e-6)


@pytest.mark.parametrize("lrl_residual", [False, True])
def test_lrl_view_is_the_anchored_vector_unless_lasr_residual_is_asked(lrl_residual):
    """LRL-only retrieval uses [anchored; 0] (the widget export's vector), however LaSR is trained; with
    `lrl_residual=True` LaSR's residual joins the g half (the original design)."""
    torch.manual_seed(0)
    model = LiraModel(LiraConfig(**tiny_config_kwargs(lrl_residual=lrl_residual))).eval()
    with torch.no_grad():
        for p in model.lasr.parameters():  # a "trained" LaSR: non-zero output
            p.add_(0.1 * torch.randn_like(p))
        out = model(**_batch(with_candidates=False))
        full = model(**_batch())
    anchored_padded = torch.cat([out.anchored_embeddings, torch.zeros_like(out.anchored_embeddings)], -1)
    assert torch.equal(out.embeddings, out.lrl_embeddings)
    assert torch.allclose(out.lrl_embeddings, anchored_padded, atol=1e-6) is not lrl_residual
    assert torch.equal(full.embeddings[2], full.lrl_embeddings[2])  # the row without candidates
    assert not torch.allclose(full.embeddings[0], full.lrl_embeddings[0], atol=1e-3)  # LaSR fuses the English half


def test_gradients_reach_every_trainable_part(tiny_model):
    tiny_model.train()

    def step():
        out = tiny_model(**_batch(), language_labels=torch.tensor([0, 1, 7]))
        # the retrieval-side objective uses the final embeddings; Arca's loss is out.loss
        (out.loss + out.embeddings[:, :5].sum() + out.lrl_embeddings[:, 5:9].sum()).backward()

    # LaSR's output starts at zero (untrained model == backbone), which blocks gradients to its inner layers
    # until one update has happened: take one step, then every trainable part must receive a gradient.
    step()
    with torch.no_grad():
        for p in tiny_model.parameters():
            if p.grad is not None:
                p -= 0.1 * p.grad
    tiny_model.zero_grad()
    step()
    missing = [n for n, p in tiny_model.named_parameters()
               if p.requires_grad and (p.grad is None or p.grad.abs().sum() == 0)
               and "pooler" not in n and "token_type_embeddings" not in n]
    # the last layer's output embedding of a word never in the batch has no gradient: ignore embedding rows
    missing = [n for n in missing if "word_embeddings" not in n and "position_embeddings" not in n]
    assert not missing, missing


def test_frozen_backbones_stay_frozen(tiny_model):
    tiny_model.freeze_backbones()
    before = {n: p.clone() for n, p in tiny_model.named_parameters() if "encoder." in n}
    trainable = [p for p in tiny_model.parameters() if p.requires_grad]
    opt = torch.optim.AdamW(trainable, lr=1e-2)
    tiny_model.train()
    for _ in range(2):
        out = tiny_model(**_batch(), return_loss=True)
        (out.loss + out.embeddings.sum()).backward()
        opt.step()
        opt.zero_grad()
    for n, p in tiny_model.named_parameters():
        if n in before:
            assert torch.equal(p, before[n]), n
    assert not any(p.requires_grad for p in tiny_model.encoder.parameters())


def test_padding_invariance(tiny_model):
    tiny_model.eval()
    b = _batch()
    padded = dict(b)
    pad = torch.zeros(3, 5, dtype=torch.long)
    padded["input_ids"] = torch.cat([b["input_ids"], pad], 1)
    padded["attention_mask"] = torch.cat([b["attention_mask"], pad], 1)
    with torch.no_grad():
        o1, o2 = tiny_model(**b), tiny_model(**padded)
    assert torch.allclose(o1.embeddings, o2.embeddings, atol=1e-5)
    assert torch.equal(o1.selected_candidate, o2.selected_candidate)


@pytest.mark.parametrize("selection", ["critic", "actor"])
def test_candidate_masks_and_selection_at_inference(selection):
    torch.manual_seed(0)
    model = LiraModel(LiraConfig(**tiny_config_kwargs(candidate_selection=selection))).eval()
    batch = _batch()
    batch["critic_scores"][0, :, 0] = torch.tensor([3.0, 9.0, 9.0])  # a tie: the earliest maximum wins
    with torch.no_grad():
        out = model(**batch)
    assert out.selected_candidate.tolist()[1] == 0  # only one valid candidate
    assert out.selected_candidate.tolist()[2] == -1  # none
    if selection == "critic":  # the highest semantic critic score, as translate-test's top candidate
        assert out.selected_candidate.tolist()[0] == 1
    else:
        assert torch.equal(out.selected_candidate[:2], out.policy_logits[:2].argmax(-1))
    # the row without candidates gets the LRL-only view
    assert torch.allclose(out.embeddings[2], out.lrl_embeddings[2], atol=1e-6)
    # training samples the actor whatever the selection (REINFORCE needs its choices)
    model.train()
    picks = {tuple(model(**batch, sample_candidates=True).selected_candidate.tolist()) for _ in range(20)}
    assert len(picks) > 1


def test_soft_language_embedding_when_language_unknown(tiny_model):
    tiny_model.eval()
    b = _batch(with_candidates=False)
    with torch.no_grad():
        soft = tiny_model.lasr.language_vector(torch.tensor([[10.0] + [-10.0] * 7]), torch.tensor([-1]))
        hard = tiny_model.lasr.language_vector(torch.zeros(1, 8), torch.tensor([0]))
        out = tiny_model(**b, lang_ids=torch.tensor([-1, 0, 7]))
    assert torch.allclose(soft, hard, atol=1e-3)  # confident LID == the hard embedding
    assert out.language_logits.shape == (3, 8)


def test_bad_inputs_raise_value_error(tiny_model):
    with pytest.raises(ValueError, match="input_ids"):
        tiny_model(input_ids=torch.ones(3, dtype=torch.long))
    with pytest.raises(ValueError, match="lang_ids"):
        tiny_model(**_batch(with_candidates=False), lang_ids=torch.tensor([0, 1, 99]))
    b = _batch()
    b["candidate_input_ids"] = torch.ones(3, 5, 4, dtype=torch.long)
    b["candidate_mask"] = torch.ones(3, 5, dtype=torch.bool)
    b["critic_scores"] = torch.full((3, 5, 3), 5.0)
    with pytest.raises(ValueError, match="num_candidates"):
        tiny_model(**b)


def test_save_load_equality(tmp_path, tiny_model):
    tiny_model.save_pretrained(tmp_path)
    loaded = LiraModel.from_pretrained(tmp_path).eval()
    tiny_model.eval()
    for (n1, p1), (n2, p2) in zip(tiny_model.state_dict().items(), loaded.state_dict().items()):
        assert n1 == n2 and torch.equal(p1, p2), n1
    with torch.no_grad():
        assert torch.equal(tiny_model(**_batch()).embeddings, loaded(**_batch()).embeddings)


def test_sdpa_and_bf16(tmp_path, tiny_model):
    tiny_model.save_pretrained(tmp_path)
    model = LiraModel.from_pretrained(tmp_path, attn_implementation="sdpa", dtype=torch.bfloat16).eval()
    assert model.encoder.config._attn_implementation == "sdpa"
    assert model.encoder.embeddings.word_embeddings.weight.dtype == torch.bfloat16
    with torch.no_grad():
        out = model(**_batch())
        ref = tiny_model.eval()(**_batch())
    assert out.embeddings.dtype == torch.bfloat16 and torch.isfinite(out.embeddings.float()).all()
    assert torch.nn.functional.cosine_similarity(out.embeddings.float(), ref.embeddings).min() > 0.99


def test_queues_are_not_weights(tiny_model):
    assert not any("queue" in k for k in tiny_model.state_dict())


def test_untrained_actor_ranks_candidates_by_expected_reward(tmp_path, tiny_config):
    model = LiraModel(tiny_config).eval()
    actor = model.arca.actor
    cfg = tiny_config
    expected = torch.tensor([cfg.reward_alpha, cfg.reward_beta, cfg.reward_gamma, cfg.reward_delta])
    assert torch.allclose(actor.reward_prior, expected * cfg.actor_prior_scale)
    with torch.no_grad():
        actor.mlp[-1].weight.zero_()  # isolate the linear path: logits must equal scale * R_k exactly
        scores = torch.tensor([[[2.0, 2, 2], [9, 9, 9], [5, 5, 5]]])
        sims = torch.tensor([[0.1, 0.1, 0.3]])
        logits = actor(scores, sims, torch.ones(1, 3, dtype=torch.bool))
    reward = 0.1 * (scores @ expected[:3]) + cfg.reward_delta * sims  # the paper's R_k
    assert torch.allclose(logits, cfg.actor_prior_scale * reward, atol=1e-5)
    assert logits.argmax(-1).item() == 1
    # a trained (changed) prior survives save/load: _init_weights never overwrites loaded weights
    with torch.no_grad():
        actor.reward_prior.fill_(-3.0)
    model.save_pretrained(tmp_path)
    assert torch.equal(LiraModel.from_pretrained(tmp_path).arca.actor.reward_prior, torch.full((4,), -3.0))


def test_actor_prior_scale_validated():
    with pytest.raises(ValueError, match="actor_prior_scale"):
        LiraConfig(**tiny_config_kwargs(actor_prior_scale=-1.0))
