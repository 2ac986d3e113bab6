"""Agreement of several annotators' action labels on one clip.

At each keyframe the persons two annotators labelled are matched by box IoU >= 0.5 (Hungarian,
scipy); per action, a matched pair is one item rated by both (ticked or not), and a person only
one of them labelled is an item the other rated "not ticked" (a disagreement wherever it carries
that action). Cohen's kappa per annotator pair, Fleiss' kappa over all annotators, box IoU
separately. A person that the others agree on in majority is merged by majority vote per action.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import linear_sum_assignment

from video_seg_backend.actions.boxes import Box, box_iou
from video_seg_backend.actions.kappa import cohen_kappa, fleiss_kappa

MATCH_IOU = 0.5


@dataclass(frozen=True)
class PersonLabel:
    object_id: int
    box: Box
    actions: frozenset[int]


# annotator name -> keyframe (frame index) -> the persons they labelled there
Replicas = dict[str, dict[int, list[PersonLabel]]]


@dataclass
class PairAgreement:
    annotator_a: str
    annotator_b: str
    matched: int
    unmatched_a: int
    unmatched_b: int
    mean_box_iou: float | None
    kappa: float | None  # mean over the actions either annotator used
    kappa_per_action: dict[int, float | None]


@dataclass
class PersonGroup:
    """One person at one keyframe as each annotator who labelled it saw it."""

    frame_index: int
    members: dict[str, PersonLabel] = field(default_factory=dict)


@dataclass
class ItemAgreement:
    annotators: list[str]
    pairs: list[PairAgreement]
    kappa: float | None  # Fleiss' kappa over all annotators, mean over the actions used
    kappa_per_action: dict[int, float | None]
    groups: list[PersonGroup]


def match(a: list[PersonLabel], b: list[PersonLabel]) -> list[tuple[int, int, float]]:
    """Pairs (index in a, index in b, IoU) of the best one-to-one matching with IoU >= 0.5."""
    if not a or not b:
        return []
    iou = np.array([[box_iou(p.box, q.box) for q in b] for p in a])
    rows, cols = linear_sum_assignment(-iou)
    return [(int(r), int(c), float(iou[r, c])) for r, c in zip(rows, cols, strict=True) if iou[r, c] >= MATCH_IOU]


def _mean(values: Iterable[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return sum(present) / len(present) if present else None


def pair_agreement(
    name_a: str, a: dict[int, list[PersonLabel]], name_b: str, b: dict[int, list[PersonLabel]], action_ids: list[int]
) -> PairAgreement:
    ratings: list[tuple[frozenset[int], frozenset[int]]] = []
    ious: list[float] = []
    unmatched_a = unmatched_b = 0
    for frame in sorted(set(a) | set(b)):
        left, right = a.get(frame, []), b.get(frame, [])
        pairs = match(left, right)
        for i, j, iou in pairs:
            ratings.append((left[i].actions, right[j].actions))
            ious.append(iou)
        done_a, done_b = {i for i, _, _ in pairs}, {j for _, j, _ in pairs}
        for i, person in enumerate(left):
            if i not in done_a:
                ratings.append((person.actions, frozenset()))
                unmatched_a += 1
        for j, person in enumerate(right):
            if j not in done_b:
                ratings.append((frozenset(), person.actions))
                unmatched_b += 1
    per_action: dict[int, float | None] = {}
    for action in action_ids:
        ticks_a = [action in x for x, _ in ratings]
        ticks_b = [action in y for _, y in ratings]
        if any(ticks_a) or any(ticks_b):
            per_action[action] = cohen_kappa(ticks_a, ticks_b)
    return PairAgreement(
        name_a, name_b, len(ious), unmatched_a, unmatched_b, _mean(ious), _mean(per_action.values()), per_action
    )


def person_groups(replicas: Replicas) -> list[PersonGroup]:
    """Persons across all annotators: each annotator's persons are matched (Hungarian, IoU >= 0.5)
    to the groups so far, by the box of the group's first member; the rest start new groups."""
    groups: list[PersonGroup] = []
    frames = sorted({f for per_frame in replicas.values() for f in per_frame})
    for frame in frames:
        here: list[PersonGroup] = []
        for name in sorted(replicas):
            persons = replicas[name].get(frame, [])
            references = [next(iter(g.members.values())) for g in here]
            pairs = match(persons, references)
            for i, j, _ in pairs:
                here[j].members[name] = persons[i]
            taken = {i for i, _, _ in pairs}
            here.extend(PersonGroup(frame, {name: p}) for i, p in enumerate(persons) if i not in taken)
        groups.extend(here)
    return groups


def item_agreement(replicas: Replicas, action_ids: list[int]) -> ItemAgreement:
    names = sorted(replicas)
    pairs = [
        pair_agreement(a, replicas[a], b, replicas[b], action_ids)
        for index, a in enumerate(names)
        for b in names[index + 1 :]
    ]
    groups = person_groups(replicas)
    per_action: dict[int, float | None] = {}
    if len(names) >= 2 and groups:
        for action in action_ids:
            ticks = [sum(action in m.actions for m in g.members.values()) for g in groups]
            if any(ticks):
                per_action[action] = fleiss_kappa([[t, len(names) - t] for t in ticks])
    return ItemAgreement(names, pairs, _mean(per_action.values()), per_action, groups)


def majority(groups: list[PersonGroup], annotators: int) -> list[tuple[PersonGroup, frozenset[int]]]:
    """Per person seen by more than half of the annotators: the actions more than half ticked."""
    merged = []
    for group in groups:
        if len(group.members) * 2 <= annotators:
            continue
        votes: dict[int, int] = {}
        for member in group.members.values():
            for action in member.actions:
                votes[action] = votes.get(action, 0) + 1
        merged.append((group, frozenset(a for a, n in votes.items() if n * 2 > annotators)))
    return merged
