"""LiraTrainer: `transformers.Trainer` whose `compute_loss` combines LiRA's objectives for stage 1 or stage 2.

* stage `"arca"`: L_RL + eta L_anchor (+ language-id CE), from the model's own `loss`.
* stage `"lasr"`: retrieval (soft nDCG@k + lambda_h hinge + InfoNCE) over in-batch products (plus DocQueue ones
  when `doc_queue_size` > 0), for the full (LRL + English) view and the LRL-only view; the CorrQueue correlation
  objective over graded relevance; the consistency InfoNCE between the two views; the distillation of the English
  half's in-batch ranking into the LRL view (`distillation_weight`); the language-id CE; and, on parallel-text
  pairs (`--parallel-dataset`), Arca's anchor 1 - cos(E_lr, E_en) (`parallel_anchor_weight`).

Every term is a per-batch mean, so gradient accumulation divides it by the number of accumulation steps
(`loss_is_scaled_for_ga = False`, see hub_conventions section 4). Queues are plain Python state: never in a
checkpoint, emptied on resume.
"""

import torch
from torch.utils.data import SequentialSampler
from transformers import Trainer

from modeling_lira.losses import (consistency_loss, correlation_loss, pairwise_hinge_loss,
                                  score_distillation_loss, soft_ndcg_loss, symmetric_info_nce_loss)
from modeling_lira.queues import LiraCorrQueue, LiraDocQueue

from .distributed import gather_padded, gather_with_local_grad, scale_for_average

EXTRA_KEYS = ("doc_keys", "relevant_keys", "relevant_grades", "parallel_rows")
STAGES = ("arca", "lasr")


def unwrap_lira(model):
    """The `LiraModel` inside DDP / PEFT wrappers (for config access only; forward goes through the wrapper)."""
    while hasattr(model, "module"):
        model = model.module
    if hasattr(model, "get_base_model"):
        model = model.get_base_model()
    return model


def global_batch(outputs, candidate_mask, extra):
    """The stage-2 tensors of the global batch: this rank's alone with one process, all ranks' under DDP.

    Args:
        outputs ([`LiraModelOutput`]): of a forward over B queries followed by their B products.
        candidate_mask (`torch.BoolTensor` of shape `(2B, K)`, *optional*).
        extra (`dict`): `doc_keys (B,)`, `relevant_keys (B, R)`, `relevant_grades (B, R)` from the collator.

    Returns:
        `dict` with `full`, `lrl` `(2B', d)` (queries then products), `english` `(2B', d)` or None, `selected
        (B',)`, `has_view (2B',)` or None, `doc_keys (B',)`, `relevant_keys`, `relevant_grades (B', R')`, where
        B' = W x B.
    """
    b = extra["doc_keys"].shape[0]

    def both_halves(t):  # (2B, ...) -> (2B', ...): gathered queries, then gathered products
        return None if t is None else torch.cat([gather_with_local_grad(t[:b]), gather_with_local_grad(t[b:])])

    return {"full": both_halves(outputs.embeddings), "lrl": both_halves(outputs.lrl_embeddings),
            "english": both_halves(outputs.english_embeddings),
            "selected": gather_with_local_grad(outputs.selected_candidate[:b]),
            "has_view": both_halves(None if candidate_mask is None else candidate_mask.any(-1)),
            "doc_keys": gather_with_local_grad(extra["doc_keys"]),
            "relevant_keys": gather_padded(extra["relevant_keys"], -1),
            "relevant_grades": gather_padded(extra["relevant_grades"], 0.0)}


def graded_gains(doc_keys, relevant_keys, relevant_grades):
    """Gains `(B, N)` of N products (keys) for B queries given their relevant keys/grades `(B, R)`."""
    match = doc_keys.view(1, -1, 1) == relevant_keys.unsqueeze(1)  # (B, N, R)
    return (match.float() * relevant_grades.unsqueeze(1)).amax(-1)


def correlation_pairs(num_pairs, max_pairs, seed, step):
    """Sorted indices of `max_pairs` of `num_pairs` in-batch pairs for the correlation loss, drawn from (seed, step).

    Every DDP rank computes the loss of the same global batch, so the sample depends on nothing rank-specific.
    """
    generator = torch.Generator().manual_seed(seed * 1_000_003 + step)
    return torch.randperm(num_pairs, generator=generator)[:max_pairs].sort().values  # (max_pairs,)


def parallel_anchor(outputs, parallel_rows):
    """Arca's anchor on the parallel pairs of a stage-2 batch, or None when it has none.

    A parallel row's one candidate is its English text, so `english_embeddings` holds h's vector of it for the
    local text (row i) and for the English text read by g (row B + i); both anchored vectors are pulled toward it:
    mean over those 2P rows of 1 - cos(E_lr, E_en).

    Shapes: `anchored_embeddings` and `english_embeddings` `(2B, d)`, `parallel_rows` `(B,)` bool.
    """
    if parallel_rows is None or outputs.english_embeddings is None or not bool(parallel_rows.any()):
        return None
    rows = torch.cat([parallel_rows, parallel_rows]).to(outputs.anchored_embeddings.device)  # (2B,)
    rows = rows & (outputs.selected_candidate >= 0)
    if not bool(rows.any()):
        return None
    cos = (outputs.anchored_embeddings[rows].float() * outputs.english_embeddings[rows].float()).sum(-1)  # (2P,)
    return (1.0 - cos).mean()


class LiraTrainer(Trainer):
    """Trainer for both LiRA stages.

    Args:
        stage (`str`): `"arca"` or `"lasr"`.
        use_queues (`bool`, *optional*, defaults to `True`): DocQueue negatives (when `config.doc_queue_size` > 0)
            and CorrQueue context; `False` is the "no queues" ablation.
        use_consistency (`bool`, *optional*, defaults to `True`): the consistency loss (ablation).
        validation (`callable`, *optional*): `fn(model) -> dict` of validation metrics (e.g. `{"ndcg@10": ...}`),
            called by `evaluate()`; keys get the `eval_` prefix.
        sample_candidates (`bool`, *optional*, defaults to `True`): sample the actor's choice while training
            (REINFORCE); `False` takes the argmax (deterministic, used by tests).
        **kwargs: passed to [`Trainer`].
    """

    loss_is_scaled_for_ga = False

    def __init__(self, *args, stage="lasr", use_queues=True, use_consistency=True, validation=None,
                 sample_candidates=True, **kwargs):
        if stage not in STAGES:
            raise ValueError(f"stage must be one of {STAGES}, got {stage!r}.")
        super().__init__(*args, **kwargs)
        self.stage = stage
        self.use_queues = use_queues
        self.use_consistency = use_consistency
        self.validation = validation
        self.sample_candidates = sample_candidates
        cfg = unwrap_lira(self.model).config
        # the final embeddings are z = [g half; h half], 2 * adaptor_dim wide
        # doc_queue_size = 0: no DocQueue (the default, see LiraConfig); the CorrQueue is independent of it
        self.doc_queues = ({view: LiraDocQueue(cfg.doc_queue_size, 2 * cfg.adaptor_dim) for view in ("full", "lrl")}
                           if cfg.doc_queue_size else {})
        self.corr_queue = LiraCorrQueue(cfg.corr_queue_size)
        self._terms = {}

    def _get_train_sampler(self, train_dataset=None):
        """Planned datasets (`LiraQueryDataset(rows, plan)`) are read in order, so batches keep distinct positives
        and a resumed run continues the same plan; anything else is shuffled as usual."""
        dataset = train_dataset if train_dataset is not None else self.train_dataset
        if getattr(dataset, "planned", False):
            return SequentialSampler(dataset)
        return super()._get_train_sampler(train_dataset)

    def _record(self, **terms):
        for name, value in terms.items():
            if value is not None:
                total, count = self._terms.get(name, (0.0, 0))
                self._terms[name] = (total + float(value.detach()), count + 1)

    def log(self, logs, *args, **kwargs):
        """Adds the running mean of every loss term since the last log."""
        if "loss" in logs:
            for name, (total, count) in self._terms.items():
                logs[f"loss_{name}"] = round(total / max(count, 1), 4)
            self._terms = {}
        super().log(logs, *args, **kwargs)

    def _retrieval_terms(self, queries, docs, doc_keys, rel_keys, rel_grades, view):
        cfg = unwrap_lira(self.model).config
        keys = doc_keys
        candidates = docs
        queue = self.doc_queues.get(view) if self.use_queues else None
        if queue is not None and len(queue):
            q_emb, q_keys = queue.get()
            candidates = torch.cat([docs, q_emb.to(docs.device, docs.dtype)])
            keys = torch.cat([doc_keys, q_keys.to(doc_keys.device)])
        scores = queries.float() @ candidates.float().T  # (B, B + Q) cosine
        gains = graded_gains(keys, rel_keys, rel_grades)  # (B, B + Q)
        positive = gains > 0
        ndcg = soft_ndcg_loss(scores, gains, k=cfg.ndcg_k, temperature=cfg.ndcg_temperature)
        hinge = pairwise_hinge_loss(scores, positive, margin=cfg.hinge_margin)
        # InfoNCE as in the plain recipe: query i's own product (column i) and relevant queued products are the
        # positives; another in-batch product relevant to query i is a false negative and is masked out
        b, n = positive.shape
        own = torch.eye(b, n, dtype=torch.bool, device=positive.device)  # (B, B + Q): column i is query i's product
        queued = torch.arange(n, device=positive.device) >= b  # (B + Q,)
        nce_positive = own | (positive & queued)  # (B, B + Q): own product + relevant queued products
        keep = ~(positive & ~nce_positive)
        nce = symmetric_info_nce_loss(scores, nce_positive, cfg.retrieval_temperature, keep)
        loss = cfg.retrieval_weight * ndcg + cfg.hinge_weight * hinge + cfg.contrastive_weight * nce
        if queue is not None:
            queue.push(docs, doc_keys)
        return loss, scores, gains, {f"ndcg_{view}": ndcg, f"hinge_{view}": hinge, f"infonce_{view}": nce}

    def compute_loss(self, model, inputs, return_outputs=False, num_items_in_batch=None):
        extra = {k: inputs.pop(k) for k in EXTRA_KEYS if k in inputs}
        if self.stage == "arca":
            outputs = model(**inputs, return_loss=True, sample_candidates=self.sample_candidates)
            self._record(rl=outputs.rl_loss, anchor=outputs.anchor_loss, language_id=outputs.language_id_loss)
            return (outputs.loss, outputs) if return_outputs else outputs.loss
        cfg = unwrap_lira(model).config
        outputs = model(**inputs, sample_candidates=self.sample_candidates)
        # under DDP every rank computes the loss of the global batch (all ranks' queries and products, gradient on
        # its own slice; see training/distributed.py); with one process this is the local batch as it is
        batch = global_batch(outputs, inputs.get("candidate_mask"), extra)
        b = batch["doc_keys"].shape[0]
        full, lrl = batch["full"], batch["lrl"]  # (2B, d): queries then products (B = global batch)
        args = (batch["doc_keys"], batch["relevant_keys"], batch["relevant_grades"])
        loss_full, scores, gains, terms = self._retrieval_terms(full[:b], full[b:], *args, view="full")
        loss_lrl, _, _, terms_lrl = self._retrieval_terms(lrl[:b], lrl[b:], *args, view="lrl")
        loss = loss_full + loss_lrl
        distill = None
        if cfg.distillation_weight and batch["english"] is not None:
            # the English half teaches the LRL half: the ranking of the in-batch products by the chosen English
            # candidate (h) is the soft target of the LRL-only ranking (g)
            english = batch["english"].float()  # (2B, d), zero rows where there is no candidate
            teacher = english[:b] @ english[b:].T  # (B, B)
            student = lrl[:b].float() @ lrl[b:].float().T  # (B, B)
            distill = score_distillation_loss(student, teacher, cfg.retrieval_temperature,
                                              cfg.distillation_temperature, batch["selected"] >= 0)
            loss = loss + cfg.distillation_weight * distill
        # CorrQueue: predicted cosine vs graded relevance of the in-batch (query, product) pairs; soft ranks are
        # O(n^2), so only the B x B in-batch block (at most `correlation_max_pairs` of it, + the queue) takes part,
        # never the DocQueue columns
        preds, targets = scores[:, :b].reshape(-1), gains[:, :b].reshape(-1)  # (B*B,)
        if preds.numel() > cfg.correlation_max_pairs:  # bounded cost: a sample of the pairs, the same on every rank
            keep = correlation_pairs(preds.numel(), cfg.correlation_max_pairs, self.args.seed, self.state.global_step)
            keep = keep.to(preds.device)
            preds, targets = preds[keep], targets[keep]  # (max_pairs,)
        new_p, new_t = preds, targets
        if self.use_queues and len(self.corr_queue):
            old_p, old_t = self.corr_queue.get()
            preds = torch.cat([preds, old_p.to(preds.device)])
            targets = torch.cat([targets, old_t.to(targets.device)])
        corr = correlation_loss(preds, targets, cfg.correlation_alpha, cfg.spearman_temperature)
        if self.use_queues:
            self.corr_queue.push(new_p, new_t)
        loss = loss + cfg.correlation_weight * corr
        consistency = None
        if self.use_consistency and batch["has_view"] is not None:
            consistency = consistency_loss(lrl, full, cfg.retrieval_temperature, row_mask=batch["has_view"])
            loss = loss + cfg.consistency_weight * consistency
        # every term so far is a loss of the global batch; the language-id CE and the parallel anchor below are
        # local means, which DDP's gradient averaging already turns into global means
        loss = scale_for_average(loss)
        if outputs.language_id_loss is not None:
            loss = loss + cfg.language_id_weight * outputs.language_id_loss
        parallel = parallel_anchor(outputs, extra.get("parallel_rows"))
        if parallel is not None and cfg.parallel_anchor_weight:
            loss = loss + cfg.parallel_anchor_weight * parallel
        self._record(correlation=corr, consistency=consistency, distillation=distill,
                     language_id=outputs.language_id_loss, parallel_anchor=parallel,
                     **terms, **terms_lrl)
        return (loss, outputs) if return_outputs else loss

    def evaluate(self, eval_dataset=None, ignore_keys=None, metric_key_prefix="eval"):
        """Retrieval validation (nDCG@10 etc. from the local `evaluate` module) instead of a loss pass."""
        if self.validation is None:
            return {}
        was_training = self.model.training
        self.model.eval()
        try:
            raw = self.validation(self.model)
        finally:
            self.model.train(was_training)
        metrics = {f"{metric_key_prefix}_{k}": v for k, v in raw.items()}
        metrics["epoch"] = self.state.epoch
        self.log(metrics)
        self.control = self.callback_handler.on_evaluate(self.args, self.state, self.control, metrics)
        return metrics

    def _load_from_checkpoint(self, resume_from_checkpoint, model=None):
        super()._load_from_checkpoint(resume_from_checkpoint, model)
        for queue in [*self.doc_queues.values(), self.corr_queue]:
            queue.reset()  # queued embeddings came from weights that no longer exist
