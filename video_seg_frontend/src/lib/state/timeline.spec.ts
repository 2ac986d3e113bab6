import { describe, expect, it } from 'vitest';
import { clampFrame, frameRanges, nextUnannotated, playbackFrame } from './timeline';

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
});
