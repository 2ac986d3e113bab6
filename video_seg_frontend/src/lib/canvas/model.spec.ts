import { describe, expect, it } from 'vitest';
import { emptyModel, hexToRgb, maskAt, maskToRgba } from './model';

const mask = (w: number, h: number, on: [number, number][]) => {
	const data = new Uint8Array(w * h);
	for (const [x, y] of on) data[y * w + x] = 1;
	return { width: w, height: h, data };
};

describe('maskToRgba', () => {
	it('fills inside pixels translucently and outlines the border opaquely', () => {
		const on: [number, number][] = [];
		for (let y = 1; y <= 3; y++) for (let x = 1; x <= 3; x++) on.push([x, y]);
		const rgba = maskToRgba(mask(5, 5, on), '#10ff20', 100, 255);
		const alpha = (x: number, y: number) => rgba[(y * 5 + x) * 4 + 3];
		expect(alpha(0, 0)).toBe(0);
		expect(alpha(1, 1)).toBe(255);
		expect(alpha(2, 2)).toBe(100);
		expect(Array.from(rgba.slice((2 * 5 + 2) * 4, (2 * 5 + 2) * 4 + 3))).toEqual([16, 255, 32]);
	});
});

describe('hexToRgb', () => {
	it('parses with or without #', () => {
		expect(hexToRgb('#ff8000')).toEqual([255, 128, 0]);
		expect(hexToRgb('00ff00')).toEqual([0, 255, 0]);
	});
});

describe('maskAt', () => {
	it('returns the topmost mask under a continuous source point', () => {
		const model = emptyModel();
		model.masks = [
			{ objectId: 1, color: '#ff0000', mask: mask(4, 4, [[2, 1]]), selected: false },
			{ objectId: 2, color: '#00ff00', mask: mask(4, 4, [[2, 1], [3, 3]]), selected: false }
		];
		expect(maskAt(model, 2.9, 1.2)).toBe(2);
		expect(maskAt(model, 3.5, 3.99)).toBe(2);
		expect(maskAt(model, 0.5, 0.5)).toBeNull();
		expect(maskAt(model, -1, 0)).toBeNull();
	});
});
