"""Broker mode's speed on this machine: tracking throughput on 1 and 2 workers, a click while both
workers are busy next to an idle one, and a streamed export of a project with 10,000 masks.

Starts a throwaway redis-server on loopback and real worker processes
(``python -m video_seg_backend worker --queues tracking``); the API runs in this process with the
OpenCV engine on synthetic videos. Targets: 2 workers >= 1.8x one (where the machine has the
cores), a busy click within 1.2x of an idle one, an export >= 2,000 masks/s with flat memory.

    python scripts/bench_scale.py                     # 6 videos of 60 frames, 10,000 masks
    python scripts/bench_scale.py --videos 4 --frames 40 --masks 2000

Each worker's engine gets ``--worker-threads`` threads (VSS_WORKER_THREADS, default 1: a worker
per core, as a CPU server runs them); one worker with every core is timed as well, to show what a
single worker gets out of the machine on its own.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path

import av
import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from fastapi.testclient import TestClient  # noqa: E402
from sqlmodel import Session, select  # noqa: E402

from video_seg_backend.core.config import Settings  # noqa: E402
from video_seg_backend.main import create_app  # noqa: E402
from video_seg_backend.models import Annotation, AnnotationSource  # noqa: E402

W, H = 320, 240


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def disc_video(path: Path, frames: int) -> bytes:
    """A disc moving over a gradient: GrabCut and the tracker have something real to follow."""
    with av.open(str(path), "w") as out:
        stream = out.add_stream("libx264", rate=10)
        stream.width, stream.height, stream.pix_fmt = W, H, "yuv420p"
        yy, xx = np.mgrid[0:H, 0:W]
        for i in range(frames):
            img = np.stack([xx * 255 // (W - 1), yy * 255 // (H - 1), np.full_like(xx, 60)], -1).astype(np.uint8)
            cx = 40 + (i * 3) % (W - 80)
            img[(xx - cx) ** 2 + (yy - H // 2) ** 2 < 30**2] = (230, 40, 40)
            for packet in stream.encode(av.VideoFrame.from_ndarray(img, format="rgb24")):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    return path.read_bytes()


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


class Bench:
    def __init__(self, settings: Settings, client: TestClient, tmp: Path) -> None:
        self.settings, self.client, self.tmp = settings, client, tmp
        self.workers: list[subprocess.Popen[bytes]] = []

    def video(self, pid: int, label: int, name: str, frames: int) -> dict:
        data = disc_video(self.tmp / f"{name}.mp4", frames)
        (media,) = self.client.post(
            f"/api/v1/projects/{pid}/media", files=[("files", (f"{name}.mp4", data, "video/mp4"))]
        ).json()
        base = f"/api/v1/projects/{pid}/media/{media['id']}"
        while self.client.get(base).json()["status"] != "ready":
            time.sleep(0.1)
        obj = self.client.post(f"{base}/objects", json={"label_id": label}).json()["id"]
        self.click(base, obj, 0)
        return {"base": base, "obj": obj, "mid": media["id"]}

    def click(self, base: str, obj: int, frame: int) -> float:
        body = {"object_id": obj, "frame_index": frame, "kind": "point", "x": 40 + (frame * 3) % (W - 80), "y": H // 2}
        started = time.perf_counter()
        response = self.client.post(f"{base}/prompts", json=body)
        assert response.status_code == 201, response.text
        return time.perf_counter() - started

    def clicks(self, video: dict, frames: int, n: int = 12) -> float:
        """Median click time on frames not clicked before (the video state is warm)."""
        return statistics.median(self.click(video["base"], video["obj"], 1 + i % (frames - 1)) for i in range(n))

    def start_workers(self, n: int, threads: int) -> None:
        env = {
            **os.environ,
            "VSS_WORKER_THREADS": str(threads),
            "VSS_DATA_DIR": str(self.settings.data_dir),
            "VSS_BROKER_URL": self.settings.broker_url or "",
            "VSS_OFFLINE": "1",
            "VSS_CHECKPOINT_DIR": str(self.settings.checkpoint_dir),
        }
        for i in range(n):
            log = open(self.tmp / f"w{i}.log", "wb")  # noqa: SIM115 - lives as long as the worker
            self.workers.append(subprocess.Popen(
                [sys.executable, "-m", "video_seg_backend", "worker", "--queues", "tracking", "--name", f"bench-w{i}"],
                cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT,
            ))  # fmt: skip
        for i in range(n):
            while " ready." not in (self.tmp / f"w{i}.log").read_text(errors="replace"):
                time.sleep(0.2)

    def stop_workers(self) -> None:
        for proc in self.workers:
            proc.send_signal(signal.SIGTERM)
        for proc in self.workers:
            proc.wait(30)
        self.workers = []

    def track_all(self, videos: list[dict], during: Callable[[], float] | None = None) -> tuple[float, float | None]:
        """Seconds to track every video from frame 0 to its end, and what ``during()`` (run while
        they track) returned."""
        started = time.perf_counter()
        jobs = [
            self.client.post(f"{v['base']}/propagate", json={"start_frame": 0, "direction": "forward"}).json()["id"]
            for v in videos
        ]
        result = during() if during else None
        for job_id in jobs:
            while (status := self.client.get(f"/api/v1/jobs/{job_id}").json()["status"]) in ("queued", "running"):
                time.sleep(0.05)
            assert status == "completed", status
        elapsed = time.perf_counter() - started
        return elapsed, result


def fill_masks(settings: Settings, bench: Bench, pid: int, label: int, masks: int) -> None:
    """A project with ``masks`` masks: one video, objects x frames rows copied from one real mask."""
    frames = 100
    video = bench.video(pid, label, "export", frames)
    engine = bench.client.app.state.studio.db  # type: ignore[attr-defined]
    with Session(engine) as session:
        first = session.exec(select(Annotation).where(Annotation.object_id == video["obj"])).first()
        assert first is not None
        objects = [video["obj"]]
        while len(objects) * frames < masks:
            objects.append(bench.client.post(f"{video['base']}/objects", json={"label_id": label}).json()["id"])
        rows = 0
        for obj_id in objects:
            for frame in range(frames):
                if rows >= masks or (obj_id == video["obj"] and frame == 0):
                    continue
                session.add(Annotation(
                    media_id=video["mid"], object_id=obj_id, frame_index=frame, height=first.height,
                    width=first.width, rle_counts=first.rle_counts, bbox_x=first.bbox_x, bbox_y=first.bbox_y,
                    bbox_w=first.bbox_w, bbox_h=first.bbox_h, area=first.area, source=AnnotationSource.propagated,
                ))  # fmt: skip
                rows += 1
        session.commit()


def export(client: TestClient, pid: int) -> tuple[float, int, float]:
    """Seconds, bytes, and the most the process's memory grew while the ZIP streamed."""
    base, peak, stop = rss_mb(), [0.0], threading.Event()

    def sample() -> None:
        while not stop.wait(0.02):
            peak[0] = max(peak[0], rss_mb() - base)

    sampler = threading.Thread(target=sample)
    sampler.start()
    started, size = time.perf_counter(), 0
    with client.stream("GET", f"/api/v1/projects/{pid}/export", params={"format": "coco"}) as response:
        assert response.status_code == 200
        for chunk in response.iter_bytes():
            size += len(chunk)
    elapsed = time.perf_counter() - started
    stop.set()
    sampler.join()
    return elapsed, size, peak[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--videos", type=int, default=6)
    parser.add_argument("--frames", type=int, default=60)
    parser.add_argument("--masks", type=int, default=10_000)
    parser.add_argument("--worker-threads", type=int, default=1, help="threads per worker (0: the libraries' default)")
    args = parser.parse_args()
    redis_bin = shutil.which("redis-server")
    if redis_bin is None:
        raise SystemExit("redis-server is not installed (apt-get install -y redis-server)")
    tmp = Path(tempfile.mkdtemp(prefix="vss-bench-scale-"))
    port = free_port()
    redis = subprocess.Popen([redis_bin, "--port", str(port), "--bind", "127.0.0.1", "--save", ""],
                             stdout=subprocess.DEVNULL)  # fmt: skip
    time.sleep(0.5)
    settings = Settings(data_dir=tmp / "data", checkpoint_dir=tmp / "ckpt", offline=True,
                        frontend_dir=tmp / "none", broker_url=f"redis://127.0.0.1:{port}/0")  # fmt: skip
    try:
        with TestClient(create_app(settings)) as client:
            bench = Bench(settings, client, tmp)
            pid = client.post("/api/v1/projects", json={"name": "bench", "media_type": "video"}).json()["id"]
            label = client.post(f"/api/v1/projects/{pid}/labels", json={"name": "disc"}).json()["id"]
            # throughput runs serve no clicks; the busy click is timed on a run of its own
            wt = args.worker_threads
            runs = (("1", 1, wt), ("2", 2, wt), ("1all", 1, 0), ("busy", 2, wt))
            # each run tracks videos of its own: re-tracking replaces masks, which costs more than a first track
            videos = {run: [bench.video(pid, label, f"{run}-v{i}", args.frames) for i in range(args.videos)]
                      for run, _, _ in runs}  # fmt: skip
            clicked = bench.video(pid, label, "clicks", args.frames)
            idle_click = bench.clicks(clicked, args.frames)
            seconds: dict[str, float] = {}
            busy_click = 0.0
            for run, n, threads in runs:
                bench.start_workers(n, threads)
                try:
                    if run != "busy":
                        seconds[run] = bench.track_all(videos[run])[0]
                    else:
                        seconds[run], busy = bench.track_all(videos[run], lambda: bench.clicks(clicked, args.frames))
                        busy_click = busy or 0.0
                finally:
                    bench.stop_workers()
            frames = args.videos * (args.frames - 1)
            epid = client.post("/api/v1/projects", json={"name": "export", "media_type": "video"}).json()["id"]
            elabel = client.post(f"/api/v1/projects/{epid}/labels", json={"name": "disc"}).json()["id"]
            fill_masks(settings, bench, epid, elabel, args.masks)
            export_s, export_bytes, grew_mb = export(client, epid)
    finally:
        redis.terminate()
        redis.wait(10)
        shutil.rmtree(tmp, ignore_errors=True)

    cores = os.cpu_count() or 1
    speedup = seconds["1"] / seconds["2"]
    per = f"{wt} thread{'s' if wt != 1 else ''} each" if (wt := args.worker_threads) else "default threads"
    print(f"# bench_scale {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC, {cores} CPU cores, OpenCV engine, "
          f"{args.videos} videos x {args.frames} frames at {W}x{H}")  # fmt: skip
    print("| measure | value | target |")
    print("|---|---|---|")
    print(f"| tracking, 1 worker ({per}) | {frames / seconds['1']:.1f} frames/s ({seconds['1']:.1f} s) | |")
    print(f"| tracking, 2 workers ({per}) | {frames / seconds['2']:.1f} frames/s ({seconds['2']:.1f} s) | |")
    print(f"| 2 workers / 1 | {speedup:.2f}x | >= 1.8x where the machine has the cores |")
    print(
        f"| tracking, 1 worker with every core | {frames / seconds['1all']:.1f} frames/s ({seconds['1all']:.1f} s) "
        f"(2 workers: {seconds['1all'] / seconds['2']:.2f}x this) | |"
    )
    print(f"| click, idle | {idle_click * 1000:.0f} ms | |")
    print(f"| click, both workers busy | {busy_click * 1000:.0f} ms ({busy_click / idle_click:.2f}x idle) | <= 1.2x |")
    print(f"| export of {args.masks} masks (COCO, streamed) | {args.masks / export_s:.0f} masks/s "
          f"({export_s:.1f} s, {export_bytes / 1e3:.0f} kB) | >= 2,000 masks/s |")  # fmt: skip
    print(f"| memory growth during the export | {grew_mb:.0f} MB | flat |")


if __name__ == "__main__":
    main()
