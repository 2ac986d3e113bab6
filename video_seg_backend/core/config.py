"""All configuration in one place, read from the environment (prefix ``VSS_``) or a ``.env`` file."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="VSS_", env_file=".env", extra="ignore")

    # --- service -------------------------------------------------------------------------------
    host: str = "127.0.0.1"
    port: int = 3000
    data_dir: Path = Path("data")
    # SQLite under data_dir unless set; Postgres is the scale-out path.
    database_url: str | None = Field(default=None, validation_alias=AliasChoices("VSS_DATABASE_URL", "DATABASE_URL"))
    # Built studio (SvelteKit static output) served at "/" when the folder exists.
    frontend_dir: Path = Path(__file__).resolve().parents[2] / "video_seg_frontend" / "build"
    cors_origins: list[str] = ["http://localhost:5173"]

    # --- accounts --------------------------------------------------------------------------------
    # "auto": sign-in is required when bound beyond loopback or once any user exists; on loopback
    # with no users the studio is single-user, as before accounts existed.
    auth: Literal["auto", "on", "off"] = "auto"
    # Signs access tokens; unset: generated once into data_dir/secret_key (mode 0600).
    secret_key: str | None = None
    # Short-lived tokens: a stolen one is worth little; the studio signs in again.
    access_token_minutes: int = 30
    # Failed sign-ins allowed per client address and user name per minute (per API replica).
    login_attempts_per_minute: int = 5

    # --- uploads ---------------------------------------------------------------------------------
    # Enforced while the upload streams in, so a huge file is cut off without filling the disk.
    max_upload_mb: int = 2048
    # JPEG quality of decoded frames: 90 keeps edges crisp for SAM at ~60 KB per 854x480 frame.
    frame_jpeg_quality: int = 90
    thumbnail_size: int = 320

    # --- scale-out -------------------------------------------------------------------------------
    # Redis (redis://host:6379/0): events cross processes, so several API replicas and workers
    # serve one studio. Unset: one process, events in memory.
    broker_url: str | None = None
    # Every runner heartbeats its job's row; a job whose heartbeat is older than the stale limit
    # was left by a dead process and is taken up again (or failed after job_max_attempts tries).
    job_heartbeat_s: float = 2.0
    job_stale_after_s: float = 15.0
    job_max_attempts: int = 3
    # Worker processes run at this niceness, so that on a machine they share with the API the
    # annotator's clicks get the CPU first (0 keeps the priority they were started with).
    worker_nice: int = Field(default=10, ge=0, le=19)
    # Threads each worker's engine may use (OpenCV and torch on the CPU); 0 leaves the libraries'
    # own default (every core). On a CPU server running N workers, cores / N keeps them from
    # fighting over the same cores; a GPU worker needs few.
    worker_threads: int = Field(default=0, ge=0)
    # Test and demo only: a pause after each tracked frame, to kill or cancel a job midway.
    job_frame_delay_s: float = 0.0

    # --- events ----------------------------------------------------------------------------------
    sse_heartbeat_s: float = 15.0
    # Events kept per project for replay after Last-Event-ID (a reconnecting studio catches up).
    sse_replay_events: int = 1000
    # Events queued for one open stream; a stream further behind gets one "resync" event instead.
    sse_queue_events: int = 10_000
    # Progress events per second per job: more costs bandwidth and re-renders, fewer feels stuck.
    progress_events_per_s: float = 4.0

    # --- engine ----------------------------------------------------------------------------------
    device: Literal["auto", "cuda", "mps", "cpu"] = "auto"
    # SAM 2's compute precision. "auto": bf16 autocast on a CUDA GPU with native bf16 (Ampere and
    # later) and on a CPU with bf16 instructions (AVX512-BF16 or AMX), float32 elsewhere. bf16 is
    # what sam2 itself runs on GPUs; on this project's CPU it made a click 1.75x and tracking 1.5x
    # faster (scripts/bench_engine.py prints the comparison). "fp32" turns it off.
    precision: Literal["auto", "bf16", "fp32"] = "auto"
    default_model: str | None = None  # None: the best available model
    checkpoint_dir: Path = Path("checkpoints")
    # huggingface_hub downloads are never attempted when offline (HF_HUB_OFFLINE=1 also counts).
    offline: bool = False
    # Memory budget of cached SAM 2 video states (LRU by bytes, not count). A state over budget
    # is evicted and rebuilt later by replaying the prompts stored in the database.
    state_cache_mb: int = 4096
    # Frames kept decoded per video state; sam2 itself would hold every frame (12 MB each).
    frame_cache_frames: int = 64
    # Keep frames and SAM 2 state on the CPU when running on a GPU: saves GPU memory, costs speed.
    offload_video_to_cpu: bool = False
    offload_state_to_cpu: bool = False
    # Test-only: registers "sam2.1_hiera_tiny_random", the real config with random weights.
    allow_random_weights: bool = False
    # Test-only: overrides SAM 2's input size (256 runs ~25x faster than 1024 on a CPU).
    sam2_image_size: int | None = None

    @property
    def db_url(self) -> str:
        return self.database_url or f"sqlite:///{(self.data_dir / 'studio.db').resolve()}"

    @property
    def media_dir(self) -> Path:
        return self.data_dir / "media"

    @property
    def max_upload_bytes(self) -> int:
        return self.max_upload_mb * 1024 * 1024


@lru_cache
def get_settings() -> Settings:
    return Settings()
