"""Tuning of the OpenCV engine: each flag says what it costs."""

from __future__ import annotations

from dataclasses import dataclass

import cv2


@dataclass
class OpenCVConfig:
    """Tuning flags; each says what it costs."""

    # GrabCut for a click runs on the region of interest scaled so its longer side is at most this:
    # larger is sharper at the boundary and keeps thinner parts, and GrabCut time grows with the
    # pixel count. What the size costs at most (the true mask through the same round trip,
    # scripts/working_size_bound.py, every 10th frame of the 14 DAVIS sequences): IoU 0.981 at
    # 400, 0.995 at 600, 1.0 at 854. Five simulated clicks, frame-0 IoU on the 14 first frames,
    # exact / hand-placed clicks (tune_opencv_engine.py --modes clicks,hand-clicks --first-only,
    # 2026-12-07): 400 px 0.852 / 0.843 with 5 iterations, 0.853 / 0.845 with 2; 600 px 0.857 /
    # 0.850 with 5, 0.857 / 0.850 with 3, 0.858 / 0.852 with 2; 800 px 0.854 / 0.851 with 2. Each
    # sequence's slowest click, median over the 14: 0.37 s at 400 px with 5 iterations and at 600 px
    # with 2 (the same run; 0.38 / 0.33 s in an earlier one).
    segment_max_side: int = 600
    # The same for a box alone (the first step from a box). 600 costs ~2x the time of 400, and
    # since a collapsed box is retried (box_retry_margin_fraction) it is no better (frame-0 IoU on
    # 14 DAVIS first frames: 300 0.65, 400 0.71, 500 0.70, 600 0.70).
    box_max_side: int = 400
    # Background margin around a box alone that GrabCut sees, as a fraction of the box's longer
    # side; and the wider margin of the second GrabCut (in Lab) when the first mask reaches fewer
    # than two of the box's sides (a collapse). Wider learns more background, and costs time.
    box_margin_fraction: float = 0.15
    box_retry_margin_fraction: float = 1.0
    # A box alone also gets a second mask whose GrabCut starts with what a flood fill from just
    # outside the box reaches (each step within this Lab distance; 0 = off) as probable background,
    # unless the flood covers more than box_flood_max_share of the box (no edge stopped it). That
    # mask is taken when its outline's mean edge strength beats the first's by box_flood_edge_margin
    # (a fraction). Costs one or two more GrabCuts a box; larger tolerance crosses weak edges.
    # Frame-0 IoU on the 14 DAVIS first frames: off 0.712, 1 0.706, 2 0.743, 3 0.713 (margin 0 /
    # 0.05 / 0.1 at 2: 0.731 / 0.743 / 0.742).
    box_flood_tolerance: int = 2
    box_flood_max_share: float = 0.7
    box_flood_edge_margin: float = 0.05
    # Choose between the plain and the flooded GrabCut by GrabCut's own energy (grabcut.py) when
    # both are single GrabCuts of the box (neither retried); the outline rule above otherwise, or
    # always when False. Boxes as a hand draws them (each side off by up to 3 px, 6 a sequence;
    # scripts/tune_opencv_engine.py --modes drawn-box): first-frame IoU 0.730 -> 0.757 with it;
    # the exact true box 0.796 -> 0.789.
    box_choose_by_energy: bool = True
    # Hold a box's GrabCut to the tightness prior (grabcut.pin_sweep_lines): every row and column
    # of the box, less box_pin_inset of its size on each side (a hand's slack), crosses the object.
    # Frame-0 IoU on the 14 DAVIS first frames, the exact true box / drawn boxes: off 0.789 / 0.757;
    # inset 0 0.810 / 0.772, 0.02 0.809 / 0.771, 0.04 0.804 / 0.767, 0.08 0.799 / 0.764
    # (cross-validated over the five: 0.809 / 0.772 leave-one-out).
    box_pin: bool = True
    box_pin_inset: float = 0.02
    # A box on a video frame is cut to what lies within box_motion_dilate px of the pixels that move
    # unlike the ring around it (motion.py: optical flow to box_motion_frames frames after it, or
    # before it at the end; 0 = off), when the cut keeps box_motion_keep of the mask and the colours
    # of what it drops are not closer (Bhattacharyya, by box_motion_colour_margin) to what it keeps
    # than to the ring around the box. Costs one full-frame DIS flow and a homography per frame,
    # ~0.1 s a box.
    box_motion_frames: int = 2
    box_motion_dilate: int = 7
    box_motion_keep: float = 0.5
    box_motion_colour_margin: float = 0.1
    # Then what stands still in the mask (slower than box_still_fraction of that moving threshold;
    # 0 = off), opened by a disc box_still_open_fraction of the frame's longer side wide, is taken
    # away when most of the mask (still_min_moving) moves and the rest keeps half of it: a course
    # sign in front of a drifting car. Frame-0 IoU on the 14 DAVIS first frames: off 0.791, 0.05 /
    # 0.1 / 0.25 / 0.5 at 11 px 0.795-0.796 (at 0.25: drift-chicane 0.544 -> 0.603, dog-agility
    # 0.682 -> 0.686, the others unchanged); at 21 px the opening removes the sign too and nothing
    # changes.
    box_still_fraction: float = 0.25
    box_still_open_fraction: float = 0.013
    # Then the thin details in the box that move on their own and touch the mask join it (motion.py
    # _thin_parts: a tyre, a stick's shaft, a mirror): pixels brighter or darker than their
    # surroundings (top-hat / black-hat with a disc box_thin_width_fraction of the frame's longer
    # side wide) by box_thin_contrast grey levels (0 = off). Two morphology passes over the frame,
    # ~5 ms. Frame-0 IoU on the 14 DAVIS first frames: off 0.777, 30 / 40 / 50 at 9 or 11 px
    # (854 px frames) 0.787-0.791; larger contrast misses faint parts, smaller takes in texture.
    box_thin_contrast: int = 40
    box_thin_width_fraction: float = 0.013
    # A first click on a video frame (no box, no mask yet) that lands on a part of the frame moving
    # on its own (optical flow to click_motion_frames frames, less one homography for the camera;
    # 0 = off) takes that part as its region: GrabCut learns the background from outside it, as
    # from outside a box. Moving: faster than click_motion_factor times the frame's median residual
    # and 1 px a frame; opened by click_motion_open_fraction of the frame's longer side (flow's
    # thin fringes); at most click_motion_max_share of the frame (else the click alone, as on a
    # photo). The mask it gives is taken when at most click_motion_max_growth times the size of the
    # click's colour mask (a person is a few colour parts; a racket in a player's hand is a small
    # part of a moving whole, and a click on it asks for the racket). Costs one full-frame DIS flow
    # a neighbour frame and a second GrabCut, on the first click only.
    click_motion_frames: int = 2
    click_motion_factor: float = 3.0
    click_motion_open_fraction: float = 0.02
    click_motion_max_share: float = 0.2
    click_motion_max_growth: float = 5.0
    # A negative click on a video frame that lands on still ground inside the mask (slower than
    # click_still_fraction of the moving threshold above, against click_still_frames neighbour
    # frames; 0 = off) also takes away the still part of the mask connected to it, when at least
    # still_min_moving of the mask moves on its own (motion.StillGround). 5-click IoU on the
    # 14 DAVIS first frames: off 0.844, fraction 0.35 / 0.5 / 0.7 / 1.0 0.851 / 0.852 / 0.847 /
    # 0.850 (drift-chicane's sign 0.63 -> 0.73; a stance foot beside its shadow is still too).
    # Costs one full-frame DIS flow a neighbour frame, once a frame (the session keeps it).
    click_still_frames: int = 2
    click_still_fraction: float = 0.5
    # The share of a mask that must move on its own before a still part of it is taken away.
    still_min_moving: float = 0.5
    # GrabCut iterations for a click: each one re-fits the colour models (~linear in time); after
    # two the colour models of a click's region change little (figures at segment_max_side).
    segment_iterations: int = 2
    # The same for a box alone (the first step from a box), whose colour models start from the
    # whole box: frame-0 IoU on the 14 first frames, the exact box / drawn boxes, 5 iterations
    # 0.809 / 0.771, 2 iterations 0.804 / 0.769 (2026-12-07).
    box_iterations: int = 5
    # Margin of background around what is known of the object (points, box, mask) that GrabCut
    # sees, as a fraction of the frame's longer side. Larger lets a mask grow further in one click.
    point_region_fraction: float = 0.15
    # First click with no box: radius of the disk around it taken as probably the object, as a
    # fraction of the frame's longer side; GrabCut then grows or shrinks it by colour.
    seed_region_fraction: float = 0.04
    # First click: flood fill of like colour (Lab distance per channel) to size the object. Larger
    # tolerance grows the seed over shading but risks the background; the shares bound what is
    # believed (a speck, or a fill spilling over the frame, falls back to the click disc).
    colour_region_tolerance: int = 10
    colour_region_min_share: float = 0.0005
    colour_region_max_share: float = 0.35
    colour_region_max_side: int = 320
    # A correction click may change the mask only this far (fraction of the frame's longer side)
    # from the mask before it, or twice as far from the click: larger fixes bigger misses in one
    # click but lets GrabCut leak into look-alike background.
    reach_fraction: float = 0.04
    # A correction click paints as sure only the pixels of its brush (wider than the stroke) that
    # are connected to it within this Lab distance of its colour (0 = the whole brush). One flood
    # fill a click; larger tolerance paints over shading, and more of the background.
    paint_colour_tolerance: int = 12
    # Clicks on a tracked (or imported) mask change it only where they land (corrections.py); a
    # change that holds parts thicker than correction_thick times the click's depth in its error
    # (its distance to the mask's edge; 0 = off) only within correction_reach times the depth of
    # the click: a negative click on a strip of pole along a dog's flank no longer takes the flank,
    # and a long missed stick is still added whole. Two distance transforms a click.
    # On 63 tracked frames (J < 0.8) of the 14 DAVIS sequences, 3 clicks each
    # (scripts/eval_corrections.py, 2026-12-07): off 0.697 / 0.726 / 0.748 after one / two / three
    # clicks, 17 of 189 clicks worse, the worst drop 0.420; thick 2 / 3 at reach 6 0.760 / 0.756
    # after three (at 2: 0.698 / 0.737 / 0.760, 16 worse, the worst drop 0.225), cross-validated
    # 0.760; a disc always (no thickness test) 0.749-0.760 but less after one click and less for
    # the robot annotator.
    local_corrections: bool = True
    correction_thick: float = 2.0
    correction_reach: float = 6.0
    # Radius of a click's sure stroke, as a fraction of the frame's longer side (~10 px at 854):
    # wider says more of the clicked part is sure, and may cross a thin part's edge.
    stroke_fraction: float = 0.012
    # Tracking works on the frame scaled so its longer side is at most this; masks are scaled back
    # up. Time grows with the pixel count; smaller loses thin parts and boundary accuracy (J&F
    # from the true first mask on 14 DAVIS sequences: 360 0.705 at 37 frames/s, 480 0.712 at 31,
    # 600 0.712 at 27, 854 0.696 at 20; optical flow stays at flow_max_side).
    track_max_side: int = 480
    # Optical flow runs on the frame scaled so its longer side is at most this (DIS at its finest
    # level): ~30 ms a frame at 360x203 on one core; larger follows small parts better, slower.
    flow_max_side: int = 360
    # DIS optical flow preset (ULTRAFAST, FAST, MEDIUM): each step up is ~2-3x the time.
    flow_preset: int = cv2.DISOPTICAL_FLOW_PRESET_ULTRAFAST
    # Forward-backward flow check: a round trip that misses by more than this many flow pixels
    # (plus 10% of the motion) marks the pixel unreliable. Costs a second flow computation.
    flow_tolerance: float = 3.0
    # Warped-mask value allowed on unreliable pixels (0.5 = no opinion, lower leans to background).
    unreliable_prior: float = 0.25
    # Fewest round-trip-checked flow vectors inside the object (sampled every other pixel) to fit
    # its motion (a similarity) for the parts where per-pixel flow fails; fewer keep the last one.
    motion_min_points: int = 20
    # Uncertain band around the warped boundary, as a fraction of sqrt(object area) (plus 2 px):
    # wider recovers larger flow errors and also lets the mask leak into look-alike background.
    band_fraction: float = 0.12
    # Regions whose colour posterior (blurred) is above regrow_threshold and that touch the mask,
    # within this distance of it (fraction of sqrt(object area); 0 = off), join the mask: parts
    # that reappear from behind an occluder are found again. One more distance transform a frame;
    # larger reach also lets the mask leak into object-coloured background.
    regrow_fraction: float = 0.0
    regrow_threshold: float = 0.8
    # The band keeps the largest piece of a mask and the pieces within one band width of it (the
    # rest is a trail: smoke, uncovered ground). A piece up to this many band widths away also
    # stays when its mean colour posterior is at least occluded_piece_colour: the part of an object
    # coming out from behind a thin occluder (a pole, a bar), which the flow carries as the
    # occluder's background (0 = off). On the 14 DAVIS sequences from the true mask, J&F 0.712 ->
    # 0.714 (dog-agility past its poles 0.774 -> 0.788); colour 0.7 keeps drift-chicane's smoke
    # (0.623 -> 0.493), 0.8 / 0.9 give 0.713 / 0.712.
    occluded_piece_reach: float = 2.0
    occluded_piece_colour: float = 0.85
    # A mask larger than growth_guard times what the object's own motion makes of its key frame's
    # area (the similarity's scale, multiplied up since the key frame; 0 = off) has grown into
    # look-alike background (a boat's wake and reflection): the band then adds a pixel outside the
    # carried mask only where its colour posterior (smoothed) is above growth_colour. One blur of
    # the band's window a frame, only while held. J&F on the 14 DAVIS sequences from the true
    # mask: off 0.714, guard 1.25 / 1.5 / 2.0 0.719 / 0.718 / 0.714 (boat 0.412 -> 0.501 / 0.467 /
    # 0.417; at 1.25 a running dog's stretch trips it, dog-agility 0.788 -> 0.766), colour 0.7 /
    # 0.9 at 1.5 0.717 / 0.718. Without the guard (every frame) colour 0.6 / 0.7 / 0.8 give 0.707 /
    # 0.659 / 0.626: a car in smoke, a running dog, an approaching motorbike do grow past their
    # carried masks.
    # The pixels it refused count against the mask's confidence as if they had joined it, each
    # frame's kept with weight growth_memory a frame after (a ring held frame after frame is the
    # same pixels again): at 0.9 the boat's held mask is judged 2.1-2.3x its motion's size, as
    # large as it grew unheld (1.9-2.3x); 0.8 / 1.0 judge it 1.9x / 4.7x. At 0.8 the held boat
    # looks surer than the unheld one did (last frames 0.46 against 0.37) and the project queue's
    # AP on the DAVIS tracks falls from 0.562 to 0.530.
    growth_guard: float = 1.5
    growth_colour: float = 0.8
    growth_memory: float = 0.9
    # A mask smaller than 1 / shrink_guard of what the object's own motion makes of its key
    # frame's area (0 = off), and clear of the frame's edge (an object leaving the view shrinks),
    # has lost part of the object to the colour band: parts whose colours changed (a car turning in
    # its smoke, a duck's wings). The band then takes from the carried mask only pixels whose
    # smoothed colour posterior is below shrink_colour (surely the background). One blur of the
    # band's window a frame, only while shrunk. J&F on the 14 DAVIS sequences from the true mask
    # 0.718 -> 0.722 (drift-chicane 0.626 -> 0.649, mallard-fly 0.659 -> 0.692, none lower); colour
    # 0.3 / 0.4 / 0.5 at 1.5: 0.717 / 0.721 / 0.719, guard 1.25 / 1.75 / 2.0 at 0.35: 0.721 (before
    # the edge rule). It holds the scenery a mask has already spread onto when the object goes
    # behind something still (bmx-bumps' rider behind the bump: from a box 0.505 -> 0.449).
    shrink_guard: float = 1.5
    shrink_colour: float = 0.35
    # An object has left the frame when fewer than this share of its key frame's mask points,
    # carried by its fitted motion (out_of_view.py), and their centre lie inside it, and its last
    # mask touched the frame's edge (0 = off): its mask is then empty, not the scenery of its colours
    # at the edge, until re-detection finds it again. ~10 us a frame. On the 14 DAVIS sequences
    # only surf's rider leaves (its last 2 scored frames, a 4% and a 0.4% sliver, are emptied at
    # 0.1: J&F 0.877 -> 0.867) and bmx-bumps' mask, already on the scenery, is carried out with
    # it (0.496 -> 0.505); the 14's mean stays 0.712 from the true mask, 0.697 -> 0.698 from five
    # clicks. At 0.03 or 0.05 an overtaking car (08_driving.mp4) is never let go: its mask is on
    # the barrier before the points are out (7% inside at best).
    out_of_view_share: float = 0.1
    # Objects whose masks were apart on the frame tracking starts from (or on a frame where both
    # have key masks) are kept apart (apart.py): a pixel both masks hold goes to the one whose
    # flow-carried mask holds it and whose motion it follows, and a lost object's search passes over
    # other objects' masks (a look-alike is not the lost object). Without it, two touching objects
    # of the same colours (cups of a shell game) each take in the other. A part inside its object
    # overlaps it there and may go on overlapping, as may the pairs propagate() is given
    # (``may_overlap``: a part and its object). Costs nothing unless two masks overlap, and then
    # little: claims are worked out around the shared pixels only (02_cups.mp4, three cups: 25.7
    # frames/s off, 27.8 on; scripts/eval_objects_apart.py, 2026-12-07).
    keep_apart: bool = True
    # Re-detection of a lost object (engine/opencv/redetect.py): while the tracked area is below
    # this fraction of its recent level (0 = off), each frame is searched for a region of the key
    # frame's object colours (posterior against the key frame's scenery above redetect_threshold)
    # of about the object's size, which re-seeds the mask. ~2 ms a frame, only while lost; a
    # look-alike region of the scenery can be taken for the object.
    redetect_fraction: float = 0.3
    redetect_threshold: float = 0.7
    # And whose colours match the key frame's object's this well (Bhattacharyya coefficient of
    # 8-level histograms; 1 = the same): a patch of scenery in a few of its colours is not taken.
    redetect_similarity: float = 0.85
    # Also searched while the mask's colours match the key frame's object's less than this (the
    # fine histograms' Bhattacharyya coefficient; 0 = off): a mask that slid onto something else
    # keeps its size, so the collapse alone never triggers a search. On the 14 DAVIS sequences it
    # changes only swing, from a first mask 2 px off (J&F 0.18 -> 0.69 eroded, 0.14 -> 0.63
    # dilated); 0.2 misses the dilated case, 0.4 costs bmx-bumps; true, clicked and boxed first
    # masks track exactly as without it (scripts/tune_opencv_engine.py --grid, 2026-12-05).
    redetect_colour_fit: float = 0.3
    # Spread colour histograms to neighbouring bins (~1 ms a frame): helps sparse histograms of
    # small objects, but blurs apart close colours (blackswan J 0.89 -> 0.70 with it on).
    colour_smoothing: bool = False
    # Weight of the warped mask against the colour model in the band (1 = flow only).
    flow_weight: float = 0.35
    # The same weight where the flow failed its round trip (fast, blurred, articulated parts such
    # as a running dog's legs, where the mask was moved by the object's overall motion, a guess):
    # there colour decides. Costs nothing; lower recovers more of such parts (dog-agility J&F
    # 0.52 -> 0.64 at 0.1) and lets colour leak into look-alike background that the flow cannot
    # rule out (motocross-jump 0.65 -> 0.61 at 0.1, unless fresh_background_weight catches it).
    unreliable_flow_weight: float = 0.1
    # Background colours seen on the current frame around the object, beyond the band, count as
    # background at least this much (0 = only the running background model): scenery that comes
    # into view (trees below a jumping motorbike) is then known at once instead of being taken
    # for the object and leaked into. One more histogram and dilation a frame (~1 ms at 360 px).
    fresh_background_weight: float = 0.5
    # Weight of the key frame's object colours in the object's colour model (1 = never adapts).
    key_colour_weight: float = 0.5
    # Weight of the key frame's background colours in the background model (0 = only recent
    # frames): background the key frame saw next to the object (a reflection, a wake) stays
    # background even once a leak has carried the ring of recent background away from it.
    key_background_weight: float = 0.0
    # How fast the colour models follow the tracked frames (0 = keep the key frame's).
    colour_update_rate: float = 0.1
    # A refined mask whose area differs from the warped one by more than this ratio is distrusted
    # and the warped mask is kept (the colour model leaked into background or lost the object).
    max_area_ratio: float = 2.0
    # Sessions kept in memory (LRU, see engine/session_cache.py); an evicted one is rebuilt from
    # ``replay`` (clicked masks are recomputed by GrabCut when next needed).
    max_sessions: int = 8
