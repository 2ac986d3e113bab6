import { describe, expect, it } from 'vitest';
import {
	applyMasks,
	clampFrame,
	clearObjectFrame,
	describeRow,
	frameRanges,
	gapsOf,
	lostRuns,
	nextUnannotated,
	objectRows,
	rowHeights,
	playbackFrame,
	rowJumpFrame,
	summaryFrames,
	summaryKeyFrames,
	withoutObject,
	type ObjectFrames
} from './timeline';

describe('frameRanges', () => {
	it('merges consecutive frames', () => {
		expect(frameRanges([5, 1, 2, 3, 9, 10, 3])).toEqual([
			[1, 3],
			[5, 5],
			[9, 10]
		]);
		expect(frameRanges([])).toEqual([]);
	});
});

describe('clampFrame', () => {
	it('stays inside the video', () => {
		expect(clampFrame(-3, 10)).toBe(0);
		expect(clampFrame(12, 10)).toBe(9);
		expect(clampFrame(4.4, 10)).toBe(4);
	});
});

describe('nextUnannotated', () => {
	it('wraps around and returns null when everything is done', () => {
		expect(nextUnannotated(2, 5, new Set([3, 4]))).toBe(0);
		expect(nextUnannotated(0, 3, new Set([0, 1, 2]))).toBeNull();
	});
});

describe('playbackFrame', () => {
	it('advances with the clock at the video frame rate and stops at the end', () => {
		expect(playbackFrame(10, 1000, 25, 100)).toEqual({ frame: 35, ended: false });
		expect(playbackFrame(90, 1000, 25, 100)).toEqual({ frame: 99, ended: true });
	});

	it('never goes before the start frame when the first animation frame predates the clock', () => {
		// requestAnimationFrame stamps a frame with its start, which can precede performance.now().
		expect(playbackFrame(0, -3, 25, 100)).toEqual({ frame: 0, ended: false });
		expect(playbackFrame(42, -0.5, 25, 100)).toEqual({ frame: 42, ended: false });
	});
});

describe('annotation summary', () => {
	const summary: ObjectFrames[] = [
		{ object_id: 1, ranges: [[0, 4], [8, 9]], key_frames: [0], areas: [10, 11, 12, 13, 14, 18, 19] },
		{ object_id: 2, ranges: [[3, 6]], key_frames: [3], areas: [30, 31, 32, 33] }
	];

	it('lists the frames with any mask and all key frames', () => {
		expect([...summaryFrames(summary)].sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 8, 9]);
		expect(summaryKeyFrames(summary)).toEqual([0, 3]);
		expect(frameRanges(summaryFrames(withoutObject(summary, 2)))).toEqual([[0, 4], [8, 9]]);
	});

	it('takes frames read again as the whole truth for those frames', () => {
		// Frames 4..5 re-read: object 1 lost frame 4, object 2 is empty on 5 but keeps its key frame 3.
		const next = applyMasks(summary, [{ object_id: 2, frame_index: 4, area: 10, source: 'propagated' }], [4, 5]);
		expect(next.find((e) => e.object_id === 1)?.ranges).toEqual([[0, 3], [8, 9]]);
		expect(next.find((e) => e.object_id === 1)?.areas).toEqual([10, 11, 12, 13, 18, 19]);
		expect(next.find((e) => e.object_id === 2)?.ranges).toEqual([[3, 4], [6, 6]]);
		expect(next.find((e) => e.object_id === 2)?.areas).toEqual([30, 10, 33]);
		expect(next.find((e) => e.object_id === 2)?.key_frames).toEqual([3]);
	});

	it('adds single masks and new objects, with person-made masks as key frames', () => {
		const next = applyMasks(summary, [
			{ object_id: 1, frame_index: 5, area: 3, source: 'prompt' },
			{ object_id: 3, frame_index: 0, area: 7, source: 'imported' },
			{ object_id: 2, frame_index: 6, area: 0, source: 'propagated' }
		]);
		expect(next.find((e) => e.object_id === 1)).toEqual({ object_id: 1, ranges: [[0, 5], [8, 9]], key_frames: [0, 5], areas: [10, 11, 12, 13, 14, 3, 18, 19] });
		expect(next.find((e) => e.object_id === 2)?.ranges).toEqual([[3, 5]]);
		expect(next.find((e) => e.object_id === 2)?.areas).toEqual([30, 31, 32]);
		expect(next.find((e) => e.object_id === 3)).toEqual({ object_id: 3, ranges: [[0, 0]], key_frames: [0], areas: [7] });
		expect(summary[0].ranges).toEqual([[0, 4], [8, 9]]); // inputs are not mutated
	});

	it('clears one object on one frame', () => {
		const next = clearObjectFrame(summary, 1, 0);
		expect(next[0]).toEqual({ object_id: 1, ranges: [[1, 4], [8, 9]], key_frames: [], areas: [11, 12, 13, 14, 18, 19] });
		expect(next[1]).toBe(summary[1]);
	});
});

describe('per-object timeline rows', () => {
	// Two objects in a 124-frame video: #1 lost after frame 53, #2 appears at frame 20.
	const summary: ObjectFrames[] = [
		{ object_id: 1, ranges: [[0, 53]], key_frames: [0] },
		{ object_id: 2, ranges: [[20, 40], [45, 123]], key_frames: [30] }
	];

	it('each object has its own gaps, so one lost object shows even when another covers the frames', () => {
		expect(gapsOf(summary[0].ranges, 124)).toEqual([[54, 123]]);
		expect(gapsOf(summary[1].ranges, 124)).toEqual([[0, 19], [41, 44]]);
		expect(gapsOf([], 5)).toEqual([[0, 4]]);
		expect(gapsOf([[0, 4]], 5)).toEqual([]);
		// The merged bar would be full from 0 to 123: no gap at all.
		expect(gapsOf(frameRanges(summaryFrames(summary)), 124)).toEqual([]);
	});

	it('a click in a gap goes to where the object was lost', () => {
		expect(rowJumpFrame(summary[0].ranges, 100, 124)).toBe(54);
		expect(rowJumpFrame(summary[1].ranges, 43, 124)).toBe(41);
		// Before the first mask: the frame just before it (tracking backward lost it there).
		expect(rowJumpFrame(summary[1].ranges, 5, 124)).toBe(19);
		// On a mask, or an object without any: the frame clicked.
		expect(rowJumpFrame(summary[0].ranges, 10, 124)).toBe(10);
		expect(rowJumpFrame([], 10, 124)).toBe(10);
	});

	it('rows are capped, and the selected object keeps its row', () => {
		const ids = Array.from({ length: 20 }, (_, i) => i + 1);
		const capped = objectRows(summary, ids, 2, 8);
		expect(capped.rows.map((r) => r.objectId)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
		expect(capped.more).toBe(12);
		expect(capped.rows[2]).toEqual({ objectId: 3, ranges: [], keyFrames: [] });
		const selectedLate = objectRows(summary, ids, 15, 8);
		expect(selectedLate.rows.map((r) => r.objectId)).toEqual([1, 2, 3, 4, 5, 6, 7, 15]);
		expect(objectRows(summary, [1, 2], null, 8)).toEqual({
			rows: [
				{ objectId: 1, ranges: [[0, 53]], keyFrames: [0] },
				{ objectId: 2, ranges: [[20, 40], [45, 123]], keyFrames: [30] }
			],
			more: 0
		});
	});

	it('a row says where its masks are and where they are missing', () => {
		expect(describeRow(summary[0].ranges, 124)).toBe('masks on 0–53 · none on 54–123');
		expect(describeRow([[0, 9]], 10)).toBe('masks on every frame');
		expect(describeRow([], 10)).toBe('no masks yet');
	});

	it('a mask the tracker shrank to a speck counts as lost: a click there goes where it shrank', () => {
		// Covered on every frame, but from frame 4 on the mask is a few pixels.
		const ranges = [[0, 9]];
		const heights = rowHeights(ranges, [900, 1000, 950, 800, 20, 15, 10, 12, 9, 8]);
		expect(lostRuns(ranges, 10, heights)).toEqual([[4, 9]]);
		expect(rowJumpFrame(ranges, 8, 10, heights)).toBe(4);
		expect(rowJumpFrame(ranges, 2, 10, heights)).toBe(2);
		expect(lostRuns(ranges, 10)).toEqual([]);
		expect(describeRow(ranges, 10, heights)).toBe('masks on every frame · under 20% of its size on 4–9');
		// Gaps and specks together: one run.
		expect(lostRuns([[0, 5]], 8, rowHeights([[0, 5]], [10, 10, 10, 10, 1, 1]))).toEqual([[4, 7]]);
	});

	it("a row's bars follow the mask's size, so a mask shrunk to a speck shows as a drop", () => {
		// The dog lost after frame 2: the tracker keeps a few pixels, not nothing.
		expect(rowHeights([[0, 3]], [1000, 500, 3, 1000])).toEqual([1, 0.5, 0.15, 1]);
		expect(rowHeights([[0, 1], [5, 5]], undefined)).toEqual([1, 1, 1]);
		expect(rowHeights([[0, 3]], [1, 2])).toEqual([1, 1, 1, 1]);
		expect(objectRows([{ object_id: 1, ranges: [[0, 1]], key_frames: [0], areas: [4, 2] }], [1], null, 8).rows[0].areas).toEqual([4, 2]);
	});
});
