#!/usr/bin/env bash
# Install everything and start the studio at http://localhost:3000 (data in ./data).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh
export VSS_HOST=${VSS_HOST:-127.0.0.1} VSS_PORT=${VSS_PORT:-3000}
echo "==> Video-Seg Studio on http://localhost:${VSS_PORT}"
exec .venv/bin/python -m video_seg_backend
