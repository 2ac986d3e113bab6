#!/usr/bin/env bash
# Installs everything Video-Seg Studio needs into ./.venv and builds the studio.
#   bash scripts/install.sh          the app (Python + PyTorch + sam2 + studio build)
#   bash scripts/install.sh --test   also the test tools (pytest, ruff, mypy, datumaro, Chromium)
set -euo pipefail
cd "$(dirname "$0")/.."
WITH_TEST=0
[[ "${1:-}" == "--test" ]] && WITH_TEST=1
PY=${PYTHON:-python3}

if [[ ! -x .venv/bin/python ]]; then
  "$PY" -m venv .venv
fi
VPY=.venv/bin/python
# Exact versions of everything the app runs on, shared with the Docker image, so the studio,
# the tests and the image run the same code. Regenerate with: python docker/make_constraints.py
PIN=(-c docker/constraints.txt)
$VPY -m pip install -q "${PIN[@]}" --upgrade pip

# PyTorch first: sam2 compiles against it and imports it while building.
if ! $VPY -c "import torch, torchvision" 2>/dev/null; then
  echo "==> installing PyTorch (CUDA build; runs on CPU when no GPU is present)"
  $VPY -m pip install -q "${PIN[@]}" torch torchvision
fi
if ! $VPY -c "import sam2" 2>/dev/null; then
  echo "==> installing sam2 (SAM 2.1 model code)"
  # No CUDA extension: it is optional in sam2 (only hole filling in masks) and needs nvcc.
  SAM2_BUILD_CUDA=0 $VPY -m pip install -q "${PIN[@]}" --no-build-isolation sam2
fi
echo "==> installing video-seg-studio"
if [[ $WITH_TEST == 1 ]]; then
  $VPY -m pip install -q "${PIN[@]}" -e ".[test]"
else
  $VPY -m pip install -q "${PIN[@]}" -e .
fi

if [[ -f video_seg_frontend/package.json ]]; then
  echo "==> building the studio (video_seg_frontend)"
  # `npm install` honours package-lock.json; unlike `npm ci` it accepts a lock that lacks the
  # optional per-platform packages (rollup's) of platforms the registry mirror does not serve.
  (cd video_seg_frontend && npm install --no-audit --no-fund --loglevel=error && npm run build)
fi

# Chromium drives the studio's browser tests; nginx checks the deployment's proxy configuration;
# the tests start their own Postgres and Redis on loopback (migrations, events across processes).
have_nginx() { command -v nginx >/dev/null || [[ -x /usr/sbin/nginx ]]; }
have_postgres() { compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null; }
have_redis() { [[ -x /usr/bin/redis-server ]]; }
if [[ $WITH_TEST == 1 ]] && { [[ ! -x /usr/bin/chromium ]] || ! have_nginx || ! have_postgres || ! have_redis; }; then
  echo "==> installing Chromium, nginx, Postgres and Redis (Debian packages) for the tests"
  SUDO=""
  [[ $(id -u) == 0 ]] || SUDO=sudo
  $SUDO apt-get update -qq
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium nginx-light postgresql redis-server >/dev/null \
    || $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium nginx postgresql redis-server >/dev/null
fi
echo "==> installed"
