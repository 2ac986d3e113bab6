"""Video-Seg Studio backend: FastAPI service, segmentation engines, storage, formats and jobs."""

__version__ = "0.1.0"
