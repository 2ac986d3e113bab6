import { describe, expect, it } from 'vitest';
import fixtures from './fixtures/rle.json';
import { decodeCounts, decodeRle, encodeCounts, encodeRle, maskBbox, rleArea, type CocoRle } from './rle';

// Made by scripts/make_rle_fixtures.py with pycocotools (the reference encoder).
interface Fixture {
	name: string;
	rle: CocoRle & { size: [number, number] };
	area: number;
	bbox: [number, number, number, number];
	mask?: string;
	samples?: [number, number, number][];
}

const cases = fixtures as unknown as Fixture[];

describe('decodeRle against pycocotools', () => {
	it.each(cases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
		const mask = decodeRle(c.rle);
		expect(mask.height).toBe(c.rle.size[0]);
		expect(mask.width).toBe(c.rle.size[1]);
		if (c.mask !== undefined) {
			expect(Array.from(mask.data).join('')).toBe(c.mask);
		}
		for (const [x, y, v] of c.samples ?? []) {
			expect(mask.data[y * mask.width + x]).toBe(v);
		}
		expect(mask.data.reduce((s, v) => s + v, 0)).toBe(c.area);
		expect(rleArea(c.rle)).toBe(c.area);
		const bbox = maskBbox(mask);
		expect(bbox ?? [0, 0, 0, 0]).toEqual(c.bbox);
	});
});

describe('encodeRle', () => {
	it.each(cases.map((c) => [c.name, c] as const))('re-encodes %s to the same string as pycocotools', (_name, c) => {
		expect(encodeRle(decodeRle(c.rle))).toEqual(c.rle);
	});
});

describe('counts codec', () => {
	it('round-trips long runs and negative differences', () => {
		const runs = [0, 5_000_000, 3, 40_000_000, 1, 2, 123_456_789];
		expect(decodeCounts(encodeCounts(runs))).toEqual(runs);
	});

	it('accepts uncompressed counts', () => {
		const mask = decodeRle({ size: [2, 3], counts: [1, 2, 3] });
		// column-major: pixels (0,0)=0, (0,1)=1, (1,0)=1, then 0s
		expect(Array.from(mask.data)).toEqual([0, 1, 0, 1, 0, 0]);
	});

	it('refuses runs that overflow the mask', () => {
		expect(() => decodeRle({ size: [2, 2], counts: [1, 9] })).toThrow();
	});
});
