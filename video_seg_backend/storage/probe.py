"""Decide what an uploaded file is from its content, never from its name."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import av
from PIL import Image, UnidentifiedImageError

IMAGE_FORMATS = {"PNG": ("image/png", ".png"), "JPEG": ("image/jpeg", ".jpg")}
# PyAV container names (ffmpeg demuxers) we accept, and how we store them.
VIDEO_CONTAINERS = {
    "mov,mp4,m4a,3gp,3g2,mj2": ("video/mp4", ".mp4"),
    "matroska,webm": ("video/x-matroska", ".mkv"),
    "avi": ("video/x-msvideo", ".avi"),
}
ACCEPTED_IMAGES = "PNG or JPEG images"
ACCEPTED_VIDEOS = "MP4, MOV, WEBM or MKV videos with a video stream"


class UnsupportedFile(ValueError):
    """The file is not something we can annotate; the message says what is accepted."""


@dataclass(frozen=True)
class ProbeResult:
    kind: str  # "image" | "video"
    content_type: str
    extension: str
    width: int
    height: int
    num_frames: int
    fps: float | None


def probe_file(path: Path, display_name: str) -> ProbeResult:
    """Identify an image or a video by its bytes. Raises ``UnsupportedFile`` with a clear sentence."""
    if path.stat().st_size == 0:
        raise UnsupportedFile(f"'{display_name}' is empty; upload {ACCEPTED_IMAGES} or {ACCEPTED_VIDEOS}.")
    image = _probe_image(path)
    if image is not None:
        return image
    return _probe_video(path, display_name)


def _probe_image(path: Path) -> ProbeResult | None:
    try:
        with Image.open(path) as img:
            fmt = img.format
            img.verify()  # checks the structure without decoding every pixel
        if fmt not in IMAGE_FORMATS:
            return None
        with Image.open(path) as img:
            img.load()  # a truncated PNG/JPEG fails here
            width, height = img.size
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        return None
    content_type, ext = IMAGE_FORMATS[fmt]
    return ProbeResult("image", content_type, ext, width, height, 1, None)


def _probe_video(path: Path, display_name: str) -> ProbeResult:
    not_media = f"'{display_name}' is not an image or video we can read; upload {ACCEPTED_IMAGES} or {ACCEPTED_VIDEOS}."
    try:
        container = av.open(str(path), metadata_errors="ignore")
    except (av.error.FFmpegError, OSError, ValueError, UnicodeDecodeError) as exc:
        raise UnsupportedFile(not_media) from exc
    with container:
        content_type, ext = VIDEO_CONTAINERS.get(container.format.name, (None, None))
        if content_type is None or ext is None:
            raise UnsupportedFile(not_media)
        if ext == ".mp4" and container.format.name.startswith("mov"):
            ext = ".mov" if path.read_bytes()[4:12] == b"ftypqt  " else ".mp4"
        if not container.streams.video:
            raise UnsupportedFile(f"'{display_name}' has no video stream; upload {ACCEPTED_VIDEOS}.")
        stream = container.streams.video[0]
        expected = stream.frames or 0
        fps = float(stream.average_rate) if stream.average_rate else None
        width, height = stream.codec_context.width, stream.codec_context.height
        # Demux every packet (no decoding, so this is fast) and decode the first frame: a file cut off
        # in the middle holds fewer packets than its index promises, or none that decode.
        packets = 0
        first_frame = None
        try:
            for packet in container.demux(stream):
                if packet.size == 0:
                    continue
                packets += 1
                if first_frame is None:
                    for frame in packet.decode():
                        first_frame = frame
                        break
            if first_frame is None and packets:
                # Encoders that reorder frames (x264) hold the first ones back: flush the decoder.
                for frame in stream.codec_context.decode(None):
                    first_frame = frame
                    break
        except av.error.FFmpegError as exc:
            raise UnsupportedFile(
                f"'{display_name}' is damaged or truncated ({exc}); upload complete {ACCEPTED_VIDEOS}."
            ) from exc
        if first_frame is None or packets == 0:
            raise UnsupportedFile(f"'{display_name}' holds no decodable video frame; upload {ACCEPTED_VIDEOS}.")
        if expected and packets < expected:
            raise UnsupportedFile(
                f"'{display_name}' is truncated: its index lists {expected} frames but only {packets} are "
                f"present; upload complete {ACCEPTED_VIDEOS}."
            )
        width, height = width or first_frame.width, height or first_frame.height
    return ProbeResult("video", content_type, ext, width, height, expected or packets, fps)
