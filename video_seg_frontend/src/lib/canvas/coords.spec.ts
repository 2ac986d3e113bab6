import { describe, expect, it } from 'vitest';
import {
	boxFromCorners,
	clientToCss,
	cssToSource,
	deviceTransform,
	fitView,
	insideSource,
	panBy,
	sourcePixel,
	sourceToCss,
	zoomAt
} from './coords';

const frame = { width: 854, height: 480 };

describe('fitView', () => {
	it('letterboxes a wide frame in a tall box and centres it', () => {
		const view = fitView(frame, { width: 427, height: 600 });
		expect(view.scale).toBeCloseTo(0.5);
		expect(view.offsetX).toBeCloseTo(0);
		expect(view.offsetY).toBeCloseTo((600 - 240) / 2);
	});

	it('pillarboxes in a wide box', () => {
		const view = fitView(frame, { width: 2000, height: 960 });
		expect(view.scale).toBeCloseTo(2);
		expect(view.offsetX).toBeCloseTo((2000 - 1708) / 2);
		expect(view.offsetY).toBeCloseTo(0);
	});
});

describe('cssToSource / sourceToCss', () => {
	it('are inverse at any zoom and pan', () => {
		for (const view of [
			{ scale: 1, offsetX: 0, offsetY: 0 },
			{ scale: 0.37, offsetX: 12.5, offsetY: -40 },
			{ scale: 7.25, offsetX: -3000, offsetY: 221 }
		]) {
			const p = { x: 123.4, y: 56.7 };
			const back = cssToSource(view, sourceToCss(view, p));
			expect(back.x).toBeCloseTo(p.x, 9);
			expect(back.y).toBeCloseTo(p.y, 9);
		}
	});

	it('maps a click on the centre of a displayed pixel to that pixel at any window size', () => {
		for (const box of [
			{ width: 300, height: 200 },
			{ width: 1280, height: 720 },
			{ width: 3841, height: 2161 }
		]) {
			const view = fitView(frame, box);
			const target = { x: 611, y: 233 };
			const css = sourceToCss(view, { x: target.x + 0.5, y: target.y + 0.5 });
			expect(sourcePixel(cssToSource(view, css))).toEqual(target);
		}
	});

	it('maps the corners of the frame to the corners of the drawn image', () => {
		const view = fitView(frame, { width: 1000, height: 1000 });
		const topLeft = sourceToCss(view, { x: 0, y: 0 });
		const bottomRight = sourceToCss(view, { x: frame.width, y: frame.height });
		expect(topLeft.x).toBeCloseTo(0);
		expect(bottomRight.x).toBeCloseTo(1000);
		expect(bottomRight.y - topLeft.y).toBeCloseTo((480 * 1000) / 854);
	});
});

describe('clientToCss', () => {
	it('subtracts the element position (page scroll and layout)', () => {
		expect(clientToCss({ left: 250, top: 64 }, 300, 100)).toEqual({ x: 50, y: 36 });
	});
});

describe('zoomAt', () => {
	it('keeps the source point under the cursor fixed', () => {
		const view = { scale: 1.3, offsetX: 40, offsetY: 10 };
		const anchor = { x: 333, y: 222 };
		const before = cssToSource(view, anchor);
		const zoomed = zoomAt(view, 2.5, anchor);
		const after = cssToSource(zoomed, anchor);
		expect(zoomed.scale).toBeCloseTo(3.25);
		expect(after.x).toBeCloseTo(before.x, 9);
		expect(after.y).toBeCloseTo(before.y, 9);
	});

	it('clamps the scale', () => {
		expect(zoomAt({ scale: 1, offsetX: 0, offsetY: 0 }, 1e6, { x: 0, y: 0 }).scale).toBe(64);
		expect(zoomAt({ scale: 1, offsetX: 0, offsetY: 0 }, 1e-6, { x: 0, y: 0 }).scale).toBe(0.05);
	});
});

describe('panBy', () => {
	it('moves the source under a fixed CSS point by the delta divided by the scale', () => {
		const view = { scale: 4, offsetX: 0, offsetY: 0 };
		const moved = panBy(view, 40, -20);
		const p = cssToSource(moved, { x: 100, y: 100 });
		expect(p).toEqual({ x: 15, y: 30 });
	});
});

describe('deviceTransform', () => {
	it('multiplies scale and offset by the device pixel ratio, so pointer maths ignore it', () => {
		const view = { scale: 0.5, offsetX: 10, offsetY: 20 };
		expect(deviceTransform(view, 2)).toEqual([1, 0, 0, 1, 20, 40]);
		// The device pixel drawn for source pixel (100, 50) with dpr 2 is the CSS point times 2.
		const [a, , , d, e, f] = deviceTransform(view, 2);
		const css = sourceToCss(view, { x: 100, y: 50 });
		expect(100 * a + e).toBeCloseTo(css.x * 2);
		expect(50 * d + f).toBeCloseTo(css.y * 2);
	});
});

describe('insideSource and boxFromCorners', () => {
	it('bounds the frame half-open', () => {
		expect(insideSource(frame, { x: 0, y: 0 })).toBe(true);
		expect(insideSource(frame, { x: 853.99, y: 479.99 })).toBe(true);
		expect(insideSource(frame, { x: 854, y: 10 })).toBe(false);
		expect(insideSource(frame, { x: -0.01, y: 10 })).toBe(false);
	});

	it('orders and clamps a dragged box', () => {
		expect(boxFromCorners(frame, { x: 900, y: 10 }, { x: 100, y: -5 })).toEqual({ x0: 100, y0: 0, x1: 854, y1: 10 });
	});
});
