"""Language-identification head refit: a linear probe on g's frozen mean-pooled states.

    python -m training.language_probe --model artifacts/lira-small-trained --dataset artifacts/lira-products

Why a separate step: inside stage 1/2 the head shares the batch with its English documents (half of every batch is
labelled `en`) and the small LoRA learning rate, and it never left the "everything is English" optimum in a CPU-sized
run (0.1-28 % test accuracy, below chance). g is fixed once LoRA is merged, so the head is a linear probe on features
that can be computed once: a few hundred AdamW steps on cached features reach high accuracy in seconds. Balanced
classes: up to `per_language` train-split queries of every LRL and as many English titles/keywords, all with the
`query: ` prefix (what the model sees at search time). `run_training` calls it after merging; this command refits
any saved LiRA folder in place (written atomically).
"""

import argparse
import random

import torch
import torch.nn.functional as F
from tqdm.auto import tqdm
from lira_utils.defaults import LANGUAGES, SEED


@torch.no_grad()
def pooled_features(model, processor, texts, batch_size=64, progress=True):
    """g's masked mean states `(N, D_g)` of `texts` encoded as queries (what the head reads)."""
    model.eval()
    device = next(model.parameters()).device
    feats = []
    for start in tqdm(range(0, len(texts), batch_size), desc="language-id features", disable=not progress):
        enc = processor(texts[start:start + batch_size], text_type="query")
        ids, mask = enc["input_ids"].to(device), enc["attention_mask"].to(device)
        feats.append(model._encode_stream(model.encoder, "lrl", ids, mask, None)[3].float().cpu())
    return torch.cat(feats)


def probe_examples(query_rows, corpus, languages, per_language=400, seed=SEED):
    """Balanced (text, language) pairs: queries of each LRL and English product titles / keywords."""
    rng = random.Random(seed)
    texts, labels = [], []
    for lang in languages:
        rows = [r["query"] for r in query_rows if r["language"] == lang]
        rng.shuffle(rows)
        texts += rows[:per_language]
        labels += [lang] * len(rows[:per_language])
    english = sorted({p["title_en"] for p in corpus} | {k for p in corpus for k in (p.get("keywords_en") or [])})
    rng.shuffle(english)
    texts += english[:per_language]
    labels += ["en"] * len(english[:per_language])
    return texts, labels


def fit_language_identifier(model, features, labels, steps=300, learning_rate=1e-2, weight_decay=1e-4, seed=SEED):
    """Trains `model.language_identifier` (LayerNorm + Linear) on cached `features (N, D_g)` and label codes.

    Returns:
        `float`: training accuracy after the last step.
    """
    lang2id = model.config.lang2id
    unknown = sorted({lab for lab in labels if lab not in lang2id})
    if unknown:
        raise ValueError(f"language codes {unknown} are not in the model's lang2id {sorted(lang2id)}.")
    if len(labels) != features.shape[0] or not labels:
        raise ValueError(f"got {features.shape[0]} feature rows for {len(labels)} labels; pass one label per text.")
    head = model.language_identifier
    target = torch.tensor([lang2id[lab] for lab in labels])
    torch.manual_seed(seed)
    head.train()
    params = list(head.parameters())
    for p in params:
        p.requires_grad_(True)
    dtype, device = params[0].dtype, params[0].device
    x, y = features.to(device, dtype), target.to(device)
    opt = torch.optim.AdamW(params, lr=learning_rate, weight_decay=weight_decay)
    for _ in range(steps):  # full batch: a few thousand rows of width D_g
        loss = F.cross_entropy(head(x).float(), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
    head.eval()
    with torch.no_grad():
        return float((head(x).argmax(-1) == y).float().mean())


def refit_language_identifier(model, processor, query_rows, corpus, languages, per_language=400, steps=300,
                              progress=True):
    """Builds the balanced probe set, encodes it once and fits the head. Returns the training accuracy."""
    texts, labels = probe_examples(query_rows, corpus, languages, per_language)
    feats = pooled_features(model, processor, texts, progress=progress)
    return fit_language_identifier(model, feats, labels, steps=steps)


def main(argv=None):
    from modeling_lira import LiraModel, LiraProcessor

    from lira_utils.dataset import load_corpus_rows, load_query_rows, parse_languages
    from .saving import save_in_place

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", required=True, help="saved LiRA folder, refit in place")
    parser.add_argument("--dataset", default="artifacts/lira-products")
    parser.add_argument("--languages", default=LANGUAGES)
    parser.add_argument("--per-language", type=int, default=400)
    parser.add_argument("--steps", type=int, default=300)
    args = parser.parse_args(argv)
    languages = parse_languages(args.languages)
    model = LiraModel.from_pretrained(args.model)
    processor = LiraProcessor.from_pretrained(args.model)
    rows = load_query_rows(args.dataset, languages, "train")
    acc = refit_language_identifier(model, processor, rows, load_corpus_rows(args.dataset), languages,
                                    args.per_language, args.steps)
    save_in_place(model, args.model)
    print(f"language-id head refit on {args.model}: training accuracy {acc:.3f}")


if __name__ == "__main__":
    main()
