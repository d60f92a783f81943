"""Screening of English-anchoring terms on top of the plain fine-tune (validation nDCG@10, LRL-only).

    python -m studies.screen_english_anchoring --tag plain
    python -m studies.screen_english_anchoring --tag kd --kd 1          # score distillation from MiniLM
    python -m studies.screen_english_anchoring --tag pair --pair 1      # InfoNCE LRL query <-> English candidate

One training run per call (multilingual-e5-small, the plain recipe's planned pairs and symmetric InfoNCE, plus the
chosen term), then macro nDCG@10 on the whole validation split; prints one JSON line and appends it to `--out`.
This is how the English teacher of LiRA's stage 2 (`distillation_weight`) was chosen; see README "Decisions".
"""
import argparse
import collections
import json
import math
import random
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F
from transformers import AutoModel, AutoTokenizer, get_linear_schedule_with_warmup
sys.path.insert(0, ".")
from lira_utils.dataset import load_corpus_rows, load_query_rows
from training.data import plan_batches
from modeling_lira.losses import info_nce_loss
from evaluation.texts import top_candidate
from lira_utils.defaults import SEED

def main():
    """Trains one variant and prints / appends its JSON line (the study's one run)."""
    p = argparse.ArgumentParser()
    p.add_argument("--steps", type=int, default=180)
    p.add_argument("--bs", type=int, default=32)
    p.add_argument("--lr", type=float, default=3e-5)
    p.add_argument("--lora", type=int, default=0)
    p.add_argument("--seed", type=int, default=SEED)
    p.add_argument("--t", type=float, default=0.05)
    p.add_argument("--pair", type=float, default=0.0, help="InfoNCE LRL query <-> English candidate")
    p.add_argument("--self_anchor", type=float, default=0.0, help="1-cos(q_lrl, sg(q_en)) current model")
    p.add_argument("--teacher", type=float, default=0.0, help="1-cos(q_lrl, frozen(q_en))")
    p.add_argument("--en_query", type=float, default=0.0, help="English candidate as extra query -> product")
    p.add_argument("--kd", type=float, default=0.0, help="KL to MiniLM in-batch score distribution")
    p.add_argument("--kd_t", type=float, default=0.05)
    p.add_argument("--kdall", type=float, default=0.0, help="KL over all train products (docs detached, refreshed)")
    p.add_argument("--refresh", type=int, default=20)
    p.add_argument("--hard", type=int, default=0, help="hard negatives per batch row (lexical share)")
    p.add_argument("--en_src", default="critic", help="critic|aligned|title")
    p.add_argument("--val", type=int, default=0, help="val queries per lang (0=all)")
    p.add_argument("--tag", default="")
    p.add_argument("--out", default="artifacts/screen_english_anchoring.jsonl")
    a = p.parse_args()
    torch.manual_seed(a.seed); random.seed(a.seed)
    torch.set_num_threads(2)
    M = "artifacts/backbones/multilingual-e5-small"
    tok = AutoTokenizer.from_pretrained(M)
    model = AutoModel.from_pretrained(M, add_pooling_layer=False)
    teacher = None
    if a.kd or a.kdall:
        htok = AutoTokenizer.from_pretrained("artifacts/backbones/all-MiniLM-L6-v2")
        hmod = AutoModel.from_pretrained("artifacts/backbones/all-MiniLM-L6-v2").eval().requires_grad_(False)
    if a.teacher:
        teacher = AutoModel.from_pretrained(M, add_pooling_layer=False).eval().requires_grad_(False)
    if a.lora:
        from peft import LoraConfig, get_peft_model
        model = get_peft_model(model, LoraConfig(r=a.lora, lora_alpha=2 * a.lora, lora_dropout=0.05,
            target_modules=r".*encoder\.layer\.\d+\.(attention\.self\.(query|key|value)|attention\.output\.dense|intermediate\.dense|output\.dense)"))
    else:
        model.get_input_embeddings().weight.requires_grad_(False)
    L = "vi th id ms fil ur bn".split()
    corpus = load_corpus_rows("artifacts/lira-products")
    titles = {c["product_id"]: c["title_en"] for c in corpus}
    rows = load_query_rows("artifacts/lira-products", L, "train")
    plan = plan_batches(rows, titles, a.steps, a.bs, a.seed)


    def english_of(row, pos):
        if a.en_src == "title":
            return titles[pos]
        if a.en_src == "aligned":
            for c, s in zip(row["candidates"] or [], row["candidate_sources"] or []):
                if s.startswith("aligned"):
                    return c
            return titles[pos]
        return top_candidate(row["query"], row["candidates"], row["critic_scores"])


    def enc(m, texts, t=None):
        b = (t or tok)(texts, padding=True, truncation=True, max_length=32, return_tensors="pt")
        h = m(**b).last_hidden_state
        mask = b["attention_mask"].unsqueeze(-1).float()
        return F.normalize((h * mask).sum(1) / mask.sum(1), dim=-1)


    by_tok = collections.defaultdict(set)
    for c in corpus:
        if c["split"] != "train":
            continue
        for lg, tt in (c.get("titles") or {}).items():
            for w in (tt or "").lower().split():
                by_tok[(lg, w)].add(c["product_id"])
    hrng = random.Random(a.seed + 1)
    def hard_negative(r, taken):
        cands = set()
        for w in r["query"].lower().split():
            cands |= by_tok.get((r["language"], w), set())
        cands -= set(r["relevant_ids"]); cands -= taken
        return hrng.choice(sorted(cands)) if cands else None
    params = [p_ for p_ in model.parameters() if p_.requires_grad]
    opt = torch.optim.AdamW(params, lr=a.lr, weight_decay=0.01)
    sch = get_linear_schedule_with_warmup(opt, int(0.1 * a.steps), a.steps)
    train_pids = sorted({c["product_id"] for c in corpus if c["split"] == "train"})
    if a.kdall:
        with torch.no_grad():
            H_all = torch.cat([enc(hmod, [titles[x] for x in train_pids[i:i+128]], htok) for i in range(0, len(train_pids), 128)])
    model.train()
    t0 = time.time()
    D_all = None
    for step in range(a.steps):
        batch = plan[step * a.bs:(step + 1) * a.bs]
        rs = [rows[i] for i, _ in batch]; pos = [p_ for _, p_ in batch]
        q = enc(model, ["query: " + r["query"] for r in rs])
        docs_b = list(pos)
        if a.hard:
            taken = set(pos)
            for r in rs:
                h_ = hard_negative(r, taken)
                if h_ is not None:
                    taken.add(h_); docs_b.append(h_)
        d = enc(model, ["passage: " + titles[p_] for p_ in docs_b])
        rel = torch.tensor([[p_ in set(r["relevant_ids"]) for p_ in docs_b] for r in rs])
        eye = torch.eye(len(rs), len(docs_b), dtype=torch.bool)
        keep = ~(rel & ~eye)
        s = q @ d.T
        n = len(rs)
        loss = 0.5 * (info_nce_loss(s, eye, a.t, keep) + info_nce_loss(s[:, :n].T, eye[:, :n], a.t, keep[:, :n].T))
        if a.kd:
            with torch.no_grad():
                hq = enc(hmod, [english_of(r, p_) for r, p_ in zip(rs, pos)], htok)
                hd = enc(hmod, [titles[p_] for p_ in docs_b], htok)
                target = torch.softmax(hq @ hd.T / a.kd_t, -1)
            loss = loss + a.kd * torch.nn.functional.kl_div(torch.log_softmax(s / a.t, -1), target, reduction="batchmean")
        if a.pair or a.self_anchor or a.en_query or a.teacher:
            en_texts = ["query: " + english_of(r, p_) for r, p_ in zip(rs, pos)]
            if a.pair or a.en_query or a.self_anchor:
                e = enc(model, en_texts)
            if a.pair:
                sp = q @ e.T
                same = torch.tensor([[english_of(r1, p1) == english_of(r2, p2) for r2, p2 in zip(rs, pos)] for r1, p1 in zip(rs, pos)])
                k2 = ~(same & ~eye)
                loss = loss + a.pair * 0.5 * (info_nce_loss(sp, eye, a.t, k2) + info_nce_loss(sp.T, eye, a.t, k2.T))
            if a.self_anchor:
                loss = loss + a.self_anchor * (1 - (q * e.detach()).sum(-1)).mean()
            if a.en_query:
                se = e @ d[:, :].T
                loss = loss + a.en_query * info_nce_loss(se, eye, a.t, keep)
            if a.teacher:
                with torch.no_grad():
                    te = enc(teacher, en_texts)
                loss = loss + a.teacher * (1 - (q * te).sum(-1)).mean()
        if a.kdall:
            if D_all is None or step % a.refresh == 0:
                with torch.no_grad():
                    D_all = torch.cat([enc(model, ["passage: " + titles[x] for x in train_pids[i:i+128]]) for i in range(0, len(train_pids), 128)])
            with torch.no_grad():
                hq = enc(hmod, [english_of(r, p_) for r, p_ in zip(rs, pos)], htok)
                target = torch.softmax(hq @ H_all.T / a.kd_t, -1)
            loss = loss + a.kdall * torch.nn.functional.kl_div(torch.log_softmax(q @ D_all.T / a.t, -1), target, reduction="batchmean")
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step(); sch.step(); opt.zero_grad()
        if step % 30 == 0:
            print(step, round(loss.item(), 4), round(time.time() - t0), flush=True)
    train_s = time.time() - t0
    model.eval()


    @torch.no_grad()
    def encode_all(texts, bs=128):
        out = []
        order = np.argsort([len(t) for t in texts])
        for i in range(0, len(texts), bs):
            idx = order[i:i + bs]
            out.append((idx, enc(model, [texts[j] for j in idx]).numpy()))
        res = np.zeros((len(texts), out[0][1].shape[1]), dtype=np.float32)
        for idx, v in out:
            res[idx] = v
        return res


    docs = encode_all(["passage: " + c["title_en"] for c in corpus])
    pid = [c["product_id"] for c in corpus]
    res = {}
    for lang in L:
        vr = load_query_rows("artifacts/lira-products", [lang], "validation", a.val or None)
        qv = encode_all(["query: " + r["query"] for r in vr])
        sims = qv @ docs.T
        top = np.argsort(-sims, axis=1)[:, :10]
        nd = []
        for r, t in zip(vr, top):
            g = dict(zip(r["relevant_ids"], r["relevance"]))
            dcg = sum(g.get(pid[j], 0) / math.log2(k + 2) for k, j in enumerate(t))
            ideal = sorted(g.values(), reverse=True)[:10]
            nd.append(dcg / sum(x / math.log2(k + 2) for k, x in enumerate(ideal)))
        res[lang] = float(np.mean(nd))
    res["macro"] = float(np.mean([res[l] for l in L]))
    print(json.dumps({"tag": a.tag, "args": vars(a), "train_s": round(train_s), **{k: round(v, 4) for k, v in res.items()}}), flush=True)
    with open(a.out, "a") as f:
        f.write(json.dumps({"tag": a.tag, "args": vars(a), "train_s": round(train_s), **res}) + "\n")


if __name__ == "__main__":
    main()
