# Video-Seg Studio backend: FastAPI + PyTorch + SAM 2.1. Build from the repository root:
#   docker build -f docker/backend.Dockerfile -t video-seg-studio-backend .
# GPU: PyPI's Linux torch wheels bundle the CUDA runtime, so the image needs no CUDA base image, only
# the NVIDIA driver and Container Toolkit on the host. CPU-only (a ~4 GB smaller image):
#   --build-arg TORCH_INDEX_URL=https://download.pytorch.org/whl/cpu
# Bake the default model's checkpoint into the image (else it is downloaded on first use):
#   --build-arg BAKE_CHECKPOINT=1 [--build-arg SAM2_MODEL=sam2.1_hiera_small]

# Same 3.11 minor as the venv docker/constraints.txt is generated from.
ARG PYTHON_IMAGE=python:3.11.11-slim-bookworm

# ---- builder: a venv with every pinned dependency, the project and sam2 ------------------------------
FROM ${PYTHON_IMAGE} AS builder
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PATH=/opt/venv/bin:$PATH
# A compiler only for a dependency that ships no wheel for the build platform; it stays in this stage.
RUN apt-get update \
    && apt-get install -y --no-install-recommends build-essential \
    && rm -rf /var/lib/apt/lists/*
RUN python -m venv /opt/venv
COPY docker/constraints.txt /tmp/constraints.txt
RUN pip install -c /tmp/constraints.txt pip setuptools
# Empty: PyPI's wheels (CUDA bundled). Another index (CPU-only, an older CUDA) serves torch and
# torchvision at the same pinned version, with a local label such as +cpu that the pin accepts.
ARG TORCH_INDEX_URL=""
RUN pip install -c /tmp/constraints.txt \
        ${TORCH_INDEX_URL:+--index-url "$TORCH_INDEX_URL" --extra-index-url https://pypi.org/simple} \
        torch torchvision
COPY pyproject.toml /src/pyproject.toml
COPY video_seg_backend /src/video_seg_backend
# sam2 imports torch in its setup.py, hence no build isolation; SAM2_BUILD_CUDA=0 skips its optional
# CUDA extension (connected components for hole filling), which needs nvcc; the backend computes the
# components with OpenCV instead (engine/sam2_engine.py), so masks are post-processed all the same.
RUN pip install --no-build-isolation -c /tmp/constraints.txt /src \
    && SAM2_BUILD_CUDA=0 pip install --no-build-isolation -c /tmp/constraints.txt sam2 \
    && pip check

# ---- checkpoint: optionally the default model's weights, downloaded with the backend's own code ------
FROM builder AS checkpoint
ARG BAKE_CHECKPOINT=0
ARG SAM2_MODEL=sam2.1_hiera_tiny
RUN mkdir -p /checkpoints \
    && if [ "$BAKE_CHECKPOINT" = "1" ]; then \
        VSS_CHECKPOINT_DIR=/checkpoints python -c "import sys; \
from video_seg_backend.core.config import Settings; \
from video_seg_backend.engine.checkpoints import SAM2_BY_KEY, download_checkpoint; \
print(download_checkpoint(SAM2_BY_KEY[sys.argv[1]], Settings()))" "$SAM2_MODEL"; \
    fi

# ---- runtime: the venv, no compiler, no pip cache, a non-root user ---------------------------------------
FROM ${PYTHON_IMAGE} AS runtime
ARG UID=10001
RUN groupadd --system --gid "$UID" vss \
    && useradd --system --uid "$UID" --gid vss --create-home --home-dir /home/vss vss \
    && mkdir -p /data \
    && chown vss:vss /data
COPY --from=builder /opt/venv /opt/venv
# A named volume mounted on /checkpoints starts as a copy of this folder (the baked checkpoint).
COPY --from=checkpoint --chown=vss:vss /checkpoints /checkpoints
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    VSS_HOST=0.0.0.0 \
    VSS_PORT=8000 \
    VSS_DATA_DIR=/data \
    VSS_CHECKPOINT_DIR=/checkpoints \
    VSS_DEVICE=auto \
    HF_HOME=/checkpoints/.huggingface
USER vss
WORKDIR /home/vss
VOLUME ["/data", "/checkpoints"]
EXPOSE 8000
CMD ["python", "-m", "video_seg_backend"]
