/** Merges frame indices into inclusive [start, end] runs, for the timeline's tracked ranges. */
export function frameRanges(frames: Iterable<number>): [number, number][] {
	const sorted = [...new Set(frames)].sort((a, b) => a - b);
	const ranges: [number, number][] = [];
	for (const f of sorted) {
		const last = ranges.at(-1);
		if (last && f === last[1] + 1) last[1] = f;
		else ranges.push([f, f]);
	}
	return ranges;
}

/** Clamps a frame index into [0, count - 1]. */
export function clampFrame(frame: number, count: number): number {
	return Math.max(0, Math.min(Math.max(0, count - 1), Math.round(frame)));
}

/** The first frame after `from` (wrapping around) that is not in `done`, or null if all are. */
export function nextUnannotated(from: number, count: number, done: Set<number>): number | null {
	for (let step = 1; step <= count; step++) {
		const f = (from + step) % count;
		if (!done.has(f)) return f;
	}
	return null;
}

/** The frame a clock at `elapsedMs` since `startFrame` shows at `fps`, and whether it ended. */
export function playbackFrame(startFrame: number, elapsedMs: number, fps: number, count: number): { frame: number; ended: boolean } {
	// An animation frame's timestamp can be a little earlier than the clock read at play().
	const frame = startFrame + Math.floor((Math.max(0, elapsedMs) / 1000) * fps);
	return frame >= count - 1 ? { frame: count - 1, ended: true } : { frame, ended: false };
}

/**
 * Which frames of each object hold a mask (inclusive ranges) and which are key frames, as the
 * server's annotations summary answers it: the timeline without any mask data.
 */
export interface ObjectFrames {
	object_id: number;
	ranges: number[][];
	key_frames: number[];
	/** The mask's area on each frame of `ranges`, in order (the timeline rows draw its size). */
	areas?: number[];
}

/** What a stored mask says about its frame: whether it covers anything, and whether a person made it. */
export interface MaskFact {
	object_id: number;
	frame_index: number;
	area: number;
	source: string;
}

function framesOf(ranges: number[][]): Set<number> {
	const frames = new Set<number>();
	for (const [a, b] of ranges) for (let f = a; f <= b; f++) frames.add(f);
	return frames;
}

/** Frame -> mask area of one summary entry (1 for each frame when the entry has no areas). */
function areasOf(entry: ObjectFrames | undefined): Map<number, number> {
	const areas = new Map<number, number>();
	if (!entry) return areas;
	let i = 0;
	for (const [a, b] of entry.ranges) for (let f = a; f <= b; f++) areas.set(f, entry.areas?.[i++] ?? 1);
	return areas;
}

function entryOf(objectId: number, areas: Map<number, number>, keys: Iterable<number>): ObjectFrames {
	const ranges = frameRanges(areas.keys());
	const ordered: number[] = [];
	for (const [a, b] of ranges) for (let f = a; f <= b; f++) ordered.push(areas.get(f)!);
	return { object_id: objectId, ranges, key_frames: [...keys].sort((a, b) => a - b), areas: ordered };
}

/** Frames holding a mask of any object. */
export function summaryFrames(summary: readonly ObjectFrames[]): Set<number> {
	const frames = new Set<number>();
	for (const entry of summary) for (const f of framesOf(entry.ranges)) frames.add(f);
	return frames;
}

/** Key frames of all objects, sorted. */
export function summaryKeyFrames(summary: readonly ObjectFrames[]): number[] {
	return [...new Set(summary.flatMap((e) => e.key_frames))].sort((a, b) => a - b);
}

/** The summary without one object (it was deleted). */
export function withoutObject(summary: readonly ObjectFrames[], objectId: number): ObjectFrames[] {
	return summary.filter((e) => e.object_id !== objectId);
}

/**
 * The summary after the masks of `frames` were read again: those frames now hold exactly
 * `masks` (every object), the other frames are unchanged. Pass `frames` empty to only add or
 * replace the given (object, frame) masks, e.g. one prompt's answer or restored masks.
 */
export function applyMasks(summary: readonly ObjectFrames[], masks: readonly MaskFact[], frames: Iterable<number> = []): ObjectFrames[] {
	const cleared = new Set(frames);
	const touched = new Map<number, { areas: Map<number, number>; keys: Set<number> }>();
	const get = (objectId: number) => {
		let entry = touched.get(objectId);
		if (!entry) {
			const old = summary.find((e) => e.object_id === objectId);
			entry = { areas: areasOf(old), keys: new Set(old?.key_frames ?? []) };
			touched.set(objectId, entry);
		}
		return entry;
	};
	if (cleared.size) {
		for (const e of summary) {
			const entry = get(e.object_id);
			for (const f of cleared) {
				entry.areas.delete(f);
				entry.keys.delete(f);
			}
		}
	}
	for (const m of masks) {
		const entry = get(m.object_id);
		if (m.area > 0) entry.areas.set(m.frame_index, m.area);
		else entry.areas.delete(m.frame_index);
		if (m.source !== 'propagated') entry.keys.add(m.frame_index);
		else entry.keys.delete(m.frame_index);
	}
	const out = summary.map((e) => {
		const entry = touched.get(e.object_id);
		return entry ? entryOf(e.object_id, entry.areas, entry.keys) : e;
	});
	for (const [objectId, entry] of touched) {
		if (!summary.some((e) => e.object_id === objectId)) out.push(entryOf(objectId, entry.areas, entry.keys));
	}
	return out;
}

/** Removes one object's mask from one frame (its last prompt there was removed). */
export function clearObjectFrame(summary: readonly ObjectFrames[], objectId: number, frame: number): ObjectFrames[] {
	return summary.map((e) => {
		if (e.object_id !== objectId) return e;
		const areas = areasOf(e);
		areas.delete(frame);
		return entryOf(objectId, areas, e.key_frames.filter((f) => f !== frame));
	});
}

/** The inclusive runs of [0, count - 1] that `ranges` (sorted, inclusive) leave without a mask. */
export function gapsOf(ranges: readonly number[][], count: number): [number, number][] {
	const gaps: [number, number][] = [];
	let next = 0;
	for (const [a, b] of ranges) {
		if (a > next) gaps.push([next, Math.min(a, count) - 1]);
		next = Math.max(next, b + 1);
		if (next >= count) break;
	}
	if (next < count) gaps.push([next, count - 1]);
	return gaps.filter(([a, b]) => a <= b);
}

/** One object's row under the timeline: where it has a mask, and its key frames. */
export interface ObjectRow {
	objectId: number;
	ranges: number[][];
	keyFrames: number[];
	/** Mask area per frame of `ranges`, in order, if known. */
	areas?: number[];
}

/**
 * The per-object rows of the timeline, in the object list's order, at most `cap` of them: the
 * selected object always has its row (it takes the last place if it would fall beyond the cap).
 * `more` counts the objects left out.
 */
export function objectRows(
	summary: readonly ObjectFrames[],
	objectIds: readonly number[],
	selectedId: number | null,
	cap: number
): { rows: ObjectRow[]; more: number } {
	let shown = objectIds.slice(0, cap);
	if (selectedId !== null && objectIds.includes(selectedId) && !shown.includes(selectedId)) {
		shown = [...shown.slice(0, cap - 1), selectedId];
	}
	const byId = new Map(summary.map((e) => [e.object_id, e]));
	const rows = shown.map((id) => {
		const entry = byId.get(id);
		return { objectId: id, ranges: entry?.ranges ?? [], keyFrames: entry?.key_frames ?? [], areas: entry?.areas };
	});
	return { rows, more: objectIds.length - rows.length };
}

/** A mask under this share of the object's largest counts as lost: the tracker keeps a speck. */
export const FAINT = 0.2;

/**
 * The inclusive runs of [0, count - 1] where an object has no mask, or (given `heights`, as
 * rowHeights answers them) a mask under `faint` of its largest: where the tracker lost it.
 */
export function lostRuns(ranges: readonly number[][], count: number, heights?: readonly number[], faint = FAINT): [number, number][] {
	if (!heights) return gapsOf(ranges, count);
	const strong = new Uint8Array(Math.max(0, count));
	let i = 0;
	for (const [a, b] of ranges) for (let f = a; f <= b; f++) if ((heights[i++] ?? 1) >= faint && f < count) strong[f] = 1;
	const runs: [number, number][] = [];
	for (let f = 0; f < count; f++) {
		if (strong[f]) continue;
		const last = runs.at(-1);
		if (last && last[1] === f - 1) last[1] = f;
		else runs.push([f, f]);
	}
	return runs;
}

/**
 * Where a click on an object's row at `frame` goes: on a frame with a (large enough) mask, that
 * frame; in a gap or a stretch where the mask shrank to a speck, the first frame of it after good
 * masks (where tracking lost the object), or, before the first good mask, the frame just before
 * it. An object without any good mask: `frame`.
 */
export function rowJumpFrame(ranges: readonly number[][], frame: number, count: number, heights?: readonly number[]): number {
	const runs = lostRuns(ranges, count, heights);
	const run = runs.find(([a, b]) => frame >= a && frame <= b);
	if (!run || (runs.length === 1 && run[0] === 0 && run[1] === count - 1)) return frame;
	return run[0] > 0 ? run[0] : run[1];
}

/** A short description of a row for its tooltip: "masks on 0–53 · none on 54–123". */
export function describeRow(ranges: readonly number[][], count: number, heights?: readonly number[], limit = 4): string {
	const fmt = (runs: readonly number[][]) => {
		const text = runs.slice(0, limit).map(([a, b]) => (a === b ? `${a}` : `${a}–${b}`));
		if (runs.length > limit) text.push(`… (${runs.length - limit} more)`);
		return text.join(', ');
	};
	if (!ranges.length) return 'no masks yet';
	const gaps = gapsOf(ranges, count);
	const parts = [gaps.length ? `masks on ${fmt(ranges)} · none on ${fmt(gaps)}` : 'masks on every frame'];
	const gapFrames = new Set(gaps.flatMap(([a, b]) => Array.from({ length: b - a + 1 }, (_, k) => a + k)));
	const faint = frameRanges(lostRuns(ranges, count, heights).flatMap(([a, b]) => Array.from({ length: b - a + 1 }, (_, k) => a + k)).filter((f) => !gapFrames.has(f)));
	if (faint.length) parts.push(`under ${Math.round(FAINT * 100)}% of its size on ${fmt(faint)}`);
	return parts.join(' · ');
}

/**
 * The height (0..1] of each frame's bar in a row: its mask area over the object's largest, so a
 * mask the tracker shrank to a speck shows as a drop, not as a frame still covered. At least
 * `floor`, so a tiny mask stays visible; every frame full height when areas are unknown.
 */
export function rowHeights(ranges: readonly number[][], areas: readonly number[] | undefined, floor = 0.15): number[] {
	let n = 0;
	for (const [a, b] of ranges) n += b - a + 1;
	if (!areas || areas.length !== n) return new Array<number>(n).fill(1);
	const max = Math.max(1, ...areas);
	return areas.map((a) => Math.max(floor, a / max));
}
