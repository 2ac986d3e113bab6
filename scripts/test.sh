#!/usr/bin/env bash
# Install everything (with test tools) and run every test: lint, types, backend, studio.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh --test
VPY=.venv/bin/python
echo "==> ruff"
$VPY -m ruff check video_seg_backend scripts tests
echo "==> mypy"
$VPY -m mypy
if [[ -f video_seg_frontend/package.json ]]; then
  echo "==> studio: svelte-check, unit tests"
  (cd video_seg_frontend && npm run check && npm test)
fi
echo "==> pytest"
$VPY -m pytest -q -p no:cacheprovider "$@"
if [[ -f video_seg_frontend/package.json ]] && grep -q '"e2e"' video_seg_frontend/package.json; then
  echo "==> studio end to end (Chromium)"
  (cd video_seg_frontend && npm run e2e)
fi
