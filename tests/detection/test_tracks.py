"""Linking detections into tracks with ByteTrack: one moving box, two crossing boxes, every-N frames."""

from __future__ import annotations

import pytest

from video_seg_backend.detection import Detection, link_tracks


def _box(x: float, y: float, w: float = 60.0, h: float = 120.0) -> tuple[float, float, float, float]:
    return (x, y, x + w, y + h)


def test_moving_box_is_one_track_on_every_frame() -> None:
    detections = {f: [Detection(_box(20 + 6 * f, 50 + 2 * f), 0.9, "person")] for f in range(40)}
    tracks = link_tracks(detections, num_frames=40)
    assert len(tracks) == 1
    track = tracks[0]
    assert (track.track_id, track.label) == (1, "person")
    assert sorted(track.boxes) == list(range(40))
    assert track.boxes[25] == pytest.approx(_box(20 + 6 * 25, 50 + 2 * 25))


def test_every_third_frame_is_interpolated_between_detections() -> None:
    detections = {f: [Detection(_box(20 + 6 * f, 50), 0.9, "person")] for f in range(0, 40, 3)}
    tracks = link_tracks(detections, num_frames=40)
    assert len(tracks) == 1
    boxes = tracks[0].boxes
    assert sorted(boxes) == list(range(0, 40))  # 0..39: the last detection frame is 39
    assert boxes[4] == pytest.approx(_box(20 + 6 * 4, 50))  # between detections at 3 and 6
    assert set(tracks[0].scores) == set(range(0, 40, 3))


def test_two_crossing_boxes_keep_their_identities() -> None:
    detections = {
        f: [
            Detection(_box(10 + 8 * f, 100), 0.9, "person"),  # walks right
            Detection(_box(410 - 8 * f, 140), 0.8, "person"),  # walks left, crossing at f = 25
        ]
        for f in range(50)
    }
    tracks = link_tracks(detections, num_frames=50)
    assert len(tracks) == 2
    for track in tracks:
        assert sorted(track.boxes) == list(range(50))
        xs = [track.boxes[f][0] for f in range(50)]
        steps = {round(b - a) for a, b in zip(xs, xs[1:], strict=False)}
        assert len(steps) == 1, f"track {track.track_id} changed direction: an ID switch at the crossing"
    assert {round(t.boxes[1][0] - t.boxes[0][0]) for t in tracks} == {8, -8}


def test_a_lone_false_detection_is_not_a_track() -> None:
    detections = {f: [Detection(_box(20 + 6 * f, 50), 0.9, "person")] for f in range(20)}
    detections[10] = [*detections[10], Detection(_box(500, 300), 0.9, "person")]
    assert len(link_tracks(detections, num_frames=20)) == 1


def test_same_input_same_tracks() -> None:
    detections = {
        f: [Detection(_box(10 + 8 * f, 100), 0.9, "person"), Detection(_box(410 - 8 * f, 140), 0.7, "person")]
        for f in range(0, 50, 2)
    }
    first = link_tracks(detections, num_frames=50)
    assert first == link_tracks(detections, num_frames=50)


def test_detection_frames_outside_the_video_are_refused() -> None:
    with pytest.raises(ValueError, match="frame indices"):
        link_tracks({50: []}, num_frames=50)
