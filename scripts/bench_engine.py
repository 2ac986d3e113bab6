"""Engine-level benchmark: click latency, tracking speed next to the bare sam2 predictor, memory.

    python scripts/bench_engine.py                      # SAM 2.1 tiny (random weights) at 1024 + OpenCV
    python scripts/bench_engine.py --frames 8 --image-size 512
    python scripts/bench_engine.py --skip-sam2 --skip-opencv --frames 8   # EdgeTAM vs SAM 2.1 tiny
    python scripts/bench_engine.py --skip-sam2 --skip-edgetam            # OpenCV engine only
    python scripts/bench_engine.py --skip-opencv --precision fp32   # SAM 2 without bf16 autocast

Random weights run exactly the same operations as a real checkpoint, so timings and memory hold for
SAM 2.1 tiny and EdgeTAM; masks are meaningless. Figures printed:

- click on a new frame (decode + image encoder + decoder) and on a cached frame (decoder only);
- tracking frames/s through the engine, and through the bare predictor (``init_state`` +
  ``propagate_in_video`` on the same frames written as JPEGs), and their ratio;
- RSS after opening a 2,000-frame video (frames generated lazily: nothing is decoded up front;
  sam2's ``init_state`` would hold 2,000 x 12 MB at 1024), and RSS / state growth per tracked frame
  once the memory window is full;
- EdgeTAM: click latency, tracking frames/s through the engine and through transformers' own
  ``init_video_session`` + ``propagate_in_video_iterator`` (ratio), against SAM 2.1 tiny's engine on
  the same frames in the same run (ratio), and the same memory figures.
"""

from __future__ import annotations

import argparse
import gc
import os
import statistics
import sys
import tempfile
import time
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("TQDM_DISABLE", "1")  # sam2's progress bars would interleave with the figures

from video_seg_backend.engine.base import PointPrompt  # noqa: E402


class SyntheticVideo:
    """A bright disc moving over a textured background; frames are generated on demand."""

    def __init__(self, num_frames: int, width: int, height: int) -> None:
        self.num_frames, self.width, self.height = num_frames, width, height
        rng = np.random.default_rng(0)
        self._background = rng.integers(0, 80, size=(height, width, 3), dtype=np.uint8)
        self._yy, self._xx = np.mgrid[0:height, 0:width]

    def centre(self, index: int) -> tuple[float, float]:
        return self.width * (0.25 + 0.5 * (index % 100) / 100), self.height * 0.5

    def read_rgb(self, index: int) -> np.ndarray:
        if not 0 <= index < self.num_frames:
            raise IndexError(index)
        frame = np.roll(self._background, index * 3, axis=1).copy()
        cx, cy = self.centre(index)
        disc = (self._xx - cx) ** 2 + (self._yy - cy) ** 2 < (self.height * 0.15) ** 2
        frame[disc] = (230, 190, 60)
        return frame


def rss_mb() -> float:
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def timed(fn):
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def warm_up(engine, video) -> None:
    """One click and one tracked frame, so lazy initialisation is not timed."""
    session = engine.session("bench-warm-up", video, lambda: [])
    first = engine.segment(session, 0, 1, [PointPrompt(*video.centre(0))])
    for _ in engine.propagate(session, [1], 0, "forward", max_frames=1, start_masks={1: first.mask}):
        pass
    engine.forget("bench-warm-up")


def click_timings(engine, video) -> tuple[float, float]:
    session = engine.session("bench-click", video, lambda: [])
    cx, cy = video.centre(1)
    new, _ = timed(lambda: engine.segment(session, 1, 1, [PointPrompt(cx, cy)]))
    cached, _ = timed(lambda: engine.segment(session, 1, 1, [PointPrompt(cx, cy), PointPrompt(5, 5, positive=False)]))
    if hasattr(engine, "memory_window"):
        print(
            f"  state after clicks on one frame: {state_nbytes(session) / 2**20:.1f} MB "
            "(frame features, decoder outputs, the resized frame)"
        )
    engine.forget("bench-click")
    return new, cached


def engine_fps(engine, video, frames: int) -> float:
    return engine_run(engine, video, frames).fps


@dataclass
class Run:
    fps: float
    wait_ms: float  # per frame, getting the frame (decoding it, or waiting for a prefetch); SAM 2 only
    click_s: float  # the click on frame 0 that starts the run (a new frame to the engine)
    masks: list[np.ndarray]  # frame 0's, then each tracked frame's


def engine_run(engine, video, frames: int) -> Run:
    session = engine.session("bench-track", video, lambda: [])
    cx, cy = video.centre(0)
    click_s, first = timed(lambda: engine.segment(session, 0, 1, [PointPrompt(cx, cy)]))
    iterator = engine.propagate(session, [1], 0, "forward", max_frames=frames, start_masks={1: first.mask})
    next(iterator)  # the key frame itself: nothing to compute
    images = getattr(session, "images", None)
    waited = images.wait_s if images is not None else 0.0
    elapsed, tracked = timed(lambda: [masks[0].mask for _, masks in iterator])
    waited = (images.wait_s - waited) if images is not None else float("nan")
    engine.forget("bench-track")
    return Run(len(tracked) / elapsed, waited / len(tracked) * 1000, click_s, [first.mask, *tracked])


def bare_fps(predictor, video, frames: int, autocast) -> tuple[float, float]:
    """sam2's own path on the same frames: JPEGs in a folder, init_state, propagate_in_video, under
    the engine's autocast (as sam2's notebooks run it), so that only the service differs."""
    import contextlib

    import torch
    from PIL import Image

    with torch.autocast(autocast[0], dtype=autocast[1]) if autocast else contextlib.nullcontext():
        return _bare_fps(predictor, video, frames, Image)


def _bare_fps(predictor, video, frames: int, Image) -> tuple[float, float]:
    with tempfile.TemporaryDirectory() as folder:
        for i in range(frames + 1):
            Image.fromarray(video.read_rgb(i)).save(f"{folder}/{i:05d}.jpg", quality=95)
        init, state = timed(lambda: predictor.init_state(folder))
        cx, cy = video.centre(0)
        predictor.add_new_points_or_box(state, 0, 1, points=[[cx, cy]], labels=[1])
        iterator = predictor.propagate_in_video(state, 0, max_frame_num_to_track=frames)
        next(iterator)
        elapsed, count = timed(lambda: sum(1 for _ in iterator))
    return count / elapsed, init


def memory(engine, args) -> None:
    long_video = SyntheticVideo(args.long_frames, args.width, args.height)
    gc.collect()
    before = rss_mb()
    session = engine.session("bench-long", long_video, lambda: [])
    print(
        f"  RSS after opening a {args.long_frames}-frame video: {rss_mb():.0f} MB "
        f"(+{rss_mb() - before:.1f} MB for the session)"
    )
    if not hasattr(engine, "memory_window"):
        first = engine.segment(session, 0, 1, [PointPrompt(*long_video.centre(0))])
        rows = []
        for frame, _ in engine.propagate(
            session, [1], 0, "forward", max_frames=args.growth_frames, start_masks={1: first.mask}
        ):
            rows.append((frame, rss_mb(), 0.0))
        _print_growth(rows, settle=2)
        engine.forget("bench-long")
        return
    real_window = engine.memory_window
    if args.growth_window:
        engine.memory_window = args.growth_window  # same code path, plateau reached sooner
    engine.config.frame_cache_frames = 2
    session.images.capacity = 2
    engine.segment(session, 0, 1, [PointPrompt(*long_video.centre(0))])
    rows = []
    for frame, _ in engine.propagate(session, [1], 0, "forward", max_frames=args.growth_frames):
        rows.append((frame, rss_mb(), state_nbytes(session) / 2**20))
    window = engine.memory_window
    engine.memory_window = real_window
    print(f"  memory window: {window} frames (the model's own is {real_window}; frame cache 2 frames)")
    _print_growth(rows, settle=window + 1)
    engine.forget("bench-long")


def state_nbytes(session) -> int:
    """Bytes a SAM 2 or EdgeTAM session holds, as its engine measures them for the cache."""
    if type(session).__name__ == "EdgeTamSession":
        from video_seg_backend.engine.edgetam_session import state_nbytes as edgetam_nbytes

        return edgetam_nbytes(session)
    from video_seg_backend.engine.sam2_engine import state_nbytes as sam2_nbytes

    return sam2_nbytes(session)


def _print_growth(rows, settle: int) -> None:
    for frame, rss, state in rows:
        print(f"    frame {frame:4d}: RSS {rss:8.1f} MB   state {state:7.2f} MB")
    steady = rows[settle:]
    if len(steady) >= 2:
        frames = steady[-1][0] - steady[0][0]
        rss_growth = (steady[-1][1] - steady[0][1]) / frames
        state_growth = (steady[-1][2] - steady[0][2]) / frames
        print(
            f"  growth per tracked frame once the window is full: RSS {rss_growth * 1024:+.0f} KB, "
            f"state {state_growth * 1024:+.0f} KB"
        )
    else:
        print("  (track more frames with --growth-frames to see the steady state)")


def bench_sam2(args) -> None:
    import torch

    from video_seg_backend.core.config import Settings
    from video_seg_backend.engine.sam2_engine import build_sam2_engine

    settings = Settings(
        _env_file=None,
        allow_random_weights=True,
        sam2_image_size=args.image_size,
        device=args.device,
        precision=args.precision,
    )
    build, engine = timed(
        lambda: build_sam2_engine("sam2.1_hiera_tiny_random", "configs/sam2.1/sam2.1_hiera_t.yaml", None, settings)
    )
    print(
        f"\n== SAM 2.1 tiny, random weights, image size {args.image_size}, {engine.device}, "
        f"{'bf16 autocast' if engine.autocast else 'float32'} "
        f"({torch.get_num_threads()} threads); built in {build:.1f} s"
    )
    video = SyntheticVideo(max(args.frames + 1, 2), args.width, args.height)
    warm_up(engine, video)
    new, cached = click_timings(engine, video)
    print(f"  click on a new frame:    {new * 1000:8.0f} ms")
    print(f"  click on a cached frame: {cached * 1000:8.0f} ms  ({new / cached:.0f}x faster)")
    # Engine and bare runs alternate and medians are compared, so a change of load hits both alike.
    ours_runs, bare_runs, inits = [], [], []
    for _ in range(args.repeat):
        ours_runs.append(engine_fps(engine, video, args.frames))
        bare, init = bare_fps(engine.predictor, video, args.frames, engine.autocast)
        bare_runs.append(bare)
        inits.append(init)
    ours, bare, init = statistics.median(ours_runs), statistics.median(bare_runs), statistics.median(inits)
    runs = ", ".join(f"{o:.3f}/{b:.3f}" for o, b in zip(ours_runs, bare_runs, strict=True))
    print(f"  tracking, engine:        {ours:8.3f} frames/s")
    print(f"  tracking, bare sam2:     {bare:8.3f} frames/s  (+ init_state {init:.1f} s for {args.frames + 1} frames)")
    print(f"  ratio engine / bare:     {ours / bare:8.2f}  (median of {args.repeat}; engine/bare runs: {runs})")
    ahead = engine.config.prefetch_frames
    wait_on = engine_run(engine, video, args.frames).wait_ms
    engine.config.prefetch_frames = 0
    wait_off = engine_run(engine, video, args.frames).wait_ms
    engine.config.prefetch_frames = ahead
    print(
        f"  getting each frame while tracking: {wait_on:.2f} ms with {ahead} decoded ahead in the background, "
        f"{wait_off:.1f} ms without (the decode, resize to {args.image_size} and normalisation)"
    )
    if engine.autocast is not None and not args.no_compare:
        compare_precision(engine, video, args)
    memory(engine, args)


def compare_precision(engine, video, args) -> None:
    """bf16 autocast against float32 on the same weights, runs alternating: click and tracking
    speed, and how far the masks move (with random weights, a harsh test: no confident masks)."""
    from video_seg_backend.engine.sam2_engine import Sam2Engine, Sam2EngineConfig

    fp32 = Sam2Engine(engine.key, engine.predictor, Sam2EngineConfig(precision="fp32"))
    runs: dict[str, list[Run]] = {"bf16": [], "fp32": []}
    for _ in range(args.repeat):
        for name, e in (("bf16", engine), ("fp32", fp32)):
            runs[name].append(engine_run(e, video, args.frames))
    (click_b, fps_b), (click_f, fps_f) = (
        (statistics.median(r.click_s for r in runs[name]), statistics.median(r.fps for r in runs[name]))
        for name in ("bf16", "fp32")
    )
    masks = {name: runs[name][-1].masks for name in runs}
    ious = [float((a & b).sum() / max(1, (a | b).sum())) for a, b in zip(masks["bf16"], masks["fp32"], strict=True)]
    print(f"  bf16 / float32 on the same weights (median of {args.repeat} alternating runs):")
    print(
        f"    click on a new frame:  {click_b * 1000:6.0f} ms vs {click_f * 1000:6.0f} ms  "
        f"({click_f / click_b:.2f}x faster)"
    )
    print(f"    tracking:              {fps_b:6.3f} vs {fps_f:6.3f} frames/s  ({fps_b / fps_f:.2f}x faster)")
    print(f"    mask IoU bf16 vs float32, per frame: min {min(ious):.3f}, mean {statistics.mean(ious):.3f}")


def bench_edgetam(args) -> None:
    """EdgeTAM through the engine against transformers' own video path on the same frames, and against
    SAM 2.1 tiny through its engine, runs alternating; then its click latency and memory."""
    import torch

    from video_seg_backend.core.config import Settings
    from video_seg_backend.engine.edgetam_engine import build_edgetam_engine
    from video_seg_backend.engine.sam2_engine import build_sam2_engine

    settings = Settings(
        _env_file=None,
        allow_random_weights=True,
        sam2_image_size=args.image_size,
        device=args.device,
        precision=args.precision,
    )
    build, engine = timed(lambda: build_edgetam_engine("edgetam_random", None, settings))
    params = sum(p.numel() for p in engine.model.parameters()) / 1e6
    print(
        f"\n== EdgeTAM, random weights ({params:.1f}M parameters), image size {args.image_size}, {engine.device}, "
        f"{'bf16 autocast' if engine.autocast else 'float32'} ({torch.get_num_threads()} threads); "
        f"built in {build:.1f} s"
    )
    sam2 = build_sam2_engine("sam2.1_hiera_tiny_random", "configs/sam2.1/sam2.1_hiera_t.yaml", None, settings)
    video = SyntheticVideo(max(args.frames + 1, 2), args.width, args.height)
    warm_up(engine, video)
    warm_up(sam2, video)
    new, cached = click_timings(engine, video)
    print(f"  click on a new frame:    {new * 1000:8.0f} ms")
    print(f"  click on a cached frame: {cached * 1000:8.0f} ms")
    runs: dict[str, list[float]] = {"engine": [], "bare": [], "sam2": []}
    clicks: dict[str, list[float]] = {"engine": [], "sam2": []}
    for i in range(args.repeat):
        # The order flips each round, so a change of load on a shared machine hits all three alike.
        for name in ("engine", "bare", "sam2") if i % 2 == 0 else ("sam2", "bare", "engine"):
            if name == "bare":
                runs["bare"].append(bare_edgetam_fps(engine, video, args.frames))
                continue
            run = engine_run(engine if name == "engine" else sam2, video, args.frames)
            runs[name].append(run.fps)
            clicks[name].append(run.click_s)
    fps = {name: statistics.median(values) for name, values in runs.items()}
    listed = {name: ", ".join(f"{v:.3f}" for v in values) for name, values in runs.items()}
    print(f"  tracking, engine:          {fps['engine']:8.3f} frames/s  (runs {listed['engine']})")
    print(f"  tracking, bare transformers: {fps['bare']:6.3f} frames/s  (runs {listed['bare']})")
    print(f"  ratio engine / bare:       {fps['engine'] / fps['bare']:8.2f}  (median of {args.repeat}; target >= 0.9)")
    print(f"    per round (the two runs back to back): {paired(runs['engine'], runs['bare'])}")
    print(f"  SAM 2.1 tiny, its engine:  {fps['sam2']:8.3f} frames/s  (runs {listed['sam2']})")
    print(f"  ratio EdgeTAM / SAM 2.1 tiny: {fps['engine'] / fps['sam2']:5.2f}  (same frames, one run; target >= 3)")
    print(f"    per round (the two runs back to back): {paired(runs['engine'], runs['sam2'])}")
    first_e, first_s = statistics.median(clicks["engine"]), statistics.median(clicks["sam2"])
    print(f"  first click, new frame:    {first_e * 1000:8.0f} ms vs SAM 2.1 tiny {first_s * 1000:.0f} ms")
    del sam2
    gc.collect()
    memory(engine, args)


def paired(ours: list[float], theirs: list[float]) -> str:
    """Each round's ratio, and their median: on a shared machine the load changes between rounds more
    than between two runs of one round."""
    ratios = [a / b for a, b in zip(ours, theirs, strict=True)]
    return ", ".join(f"{r:.2f}" for r in ratios) + f"; median {statistics.median(ratios):.2f}"


def bare_edgetam_fps(engine, video, frames: int) -> float:
    """transformers' documented path on the same frames: init_video_session with the whole video,
    add_inputs_to_inference_session, a forward on the clicked frame, propagate_in_video_iterator;
    under the engine's autocast, so only the service differs."""
    import contextlib

    import torch

    autocast = engine.autocast
    with torch.autocast(autocast[0], dtype=autocast[1]) if autocast else contextlib.nullcontext():
        state = engine.processor.init_video_session(
            video=[video.read_rgb(i) for i in range(frames + 1)],
            inference_device=engine.device,
            dtype=torch.float32,
        )
        cx, cy = video.centre(0)
        engine.processor.add_inputs_to_inference_session(
            inference_session=state, frame_idx=0, obj_ids=1, input_points=[[[[cx, cy]]]], input_labels=[[[1]]]
        )
        engine.model(inference_session=state, frame_idx=0)
        iterator = engine.model.propagate_in_video_iterator(state, start_frame_idx=0, max_frame_num_to_track=frames)
        next(iterator)  # the clicked frame: its output is reused
        elapsed, count = timed(lambda: sum(1 for _ in iterator))
    return count / elapsed


def bench_opencv(args) -> None:
    try:
        from video_seg_backend.engine.opencv_engine import OpenCVEngine
    except ImportError:
        print("\n== OpenCV engine not present; skipped")
        return
    engine = OpenCVEngine()
    print("\n== OpenCV engine")
    video = SyntheticVideo(max(args.frames + 1, 2), args.width, args.height)
    try:
        warm_up(engine, video)
        new, cached = click_timings(engine, video)
        print(f"  click on a new frame:    {new * 1000:8.0f} ms")
        print(f"  click on a cached frame: {cached * 1000:8.0f} ms")
        print(f"  tracking, engine:        {engine_fps(engine, video, args.frames):8.3f} frames/s")
        memory(engine, args)
    except Exception as error:  # another team's engine: report, do not hide the SAM 2 figures
        print(f"  failed: {type(error).__name__}: {error}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--frames", type=int, default=3, help="frames tracked for the speed figures")
    parser.add_argument("--image-size", type=int, default=1024, help="SAM 2 input size (1024 is the real one)")
    parser.add_argument("--width", type=int, default=854)
    parser.add_argument("--height", type=int, default=480)
    parser.add_argument("--long-frames", type=int, default=2000, help="frames of the video opened for RSS")
    parser.add_argument("--growth-frames", type=int, default=6, help="frames tracked for memory growth")
    parser.add_argument(
        "--growth-window", type=int, default=2, help="memory window during the growth run (0: sam2.1's own, 15 frames)"
    )
    parser.add_argument("--threads", type=int, default=2, help="torch CPU threads")
    parser.add_argument("--device", default="auto", choices=["auto", "cuda", "mps", "cpu"])
    parser.add_argument(
        "--precision", default="auto", choices=["auto", "bf16", "fp32"], help="as VSS_PRECISION (auto: bf16 if native)"
    )
    parser.add_argument("--repeat", type=int, default=3, help="alternating engine and bare tracking runs")
    parser.add_argument("--no-compare", action="store_true", help="skip the bf16 / float32 comparison")
    parser.add_argument("--skip-sam2", action="store_true")
    parser.add_argument("--skip-edgetam", action="store_true")
    parser.add_argument("--skip-opencv", action="store_true")
    args = parser.parse_args()

    warnings.filterwarnings("ignore", category=UserWarning, module=r"sam2\.")  # no CUDA extension: fine
    print(f"video {args.width}x{args.height}; RSS at start {rss_mb():.0f} MB")
    if not (args.skip_sam2 and args.skip_edgetam):
        import torch

        torch.set_num_threads(args.threads)
    if not args.skip_sam2:
        bench_sam2(args)
    if not args.skip_edgetam:
        bench_edgetam(args)
    if not args.skip_opencv:
        bench_opencv(args)


if __name__ == "__main__":
    main()
