/**
 * Coordinate transforms between the three spaces the studio deals with:
 * - source pixels: the frame as decoded by the server (x right, y down, pixel (i, j) spans
 *   [i, i+1) x [j, j+1));
 * - CSS pixels of the canvas element (what pointer events report, relative to its box);
 * - device pixels of the canvas backing store (CSS pixels x devicePixelRatio).
 *
 * A view is a uniform scale (CSS pixels per source pixel) plus a pan offset in CSS pixels.
 * Pointer events never see the device pixel ratio, so only drawing multiplies by it.
 */

export interface Point {
	x: number;
	y: number;
}

export interface Size {
	width: number;
	height: number;
}

export interface View {
	/** CSS pixels per source pixel. */
	scale: number;
	/** CSS position of source (0, 0) inside the canvas box. */
	offsetX: number;
	offsetY: number;
}

export const MIN_SCALE = 0.05;
export const MAX_SCALE = 64;

/** The view that shows the whole frame centred in the box, as large as it fits. */
export function fitView(source: Size, box: Size, margin = 0): View {
	const availW = Math.max(1, box.width - 2 * margin);
	const availH = Math.max(1, box.height - 2 * margin);
	const scale = Math.min(availW / source.width, availH / source.height);
	return {
		scale,
		offsetX: (box.width - source.width * scale) / 2,
		offsetY: (box.height - source.height * scale) / 2
	};
}

/** CSS point inside the canvas box -> continuous source coordinates. */
export function cssToSource(view: View, p: Point): Point {
	return { x: (p.x - view.offsetX) / view.scale, y: (p.y - view.offsetY) / view.scale };
}

/** Continuous source coordinates -> CSS point inside the canvas box. */
export function sourceToCss(view: View, p: Point): Point {
	return { x: p.x * view.scale + view.offsetX, y: p.y * view.scale + view.offsetY };
}

/** A client (viewport) point of a pointer event -> CSS point inside the element's box. */
export function clientToCss(rect: { left: number; top: number }, clientX: number, clientY: number): Point {
	return { x: clientX - rect.left, y: clientY - rect.top };
}

/** The source pixel that contains a continuous source point. */
export function sourcePixel(p: Point): Point {
	return { x: Math.floor(p.x), y: Math.floor(p.y) };
}

/** True when the continuous source point lies on the frame. */
export function insideSource(source: Size, p: Point): boolean {
	return p.x >= 0 && p.y >= 0 && p.x < source.width && p.y < source.height;
}

/**
 * The 2D-context transform that draws source pixels into the device-pixel backing store:
 * ctx.setTransform(a, 0, 0, d, e, f).
 */
export function deviceTransform(view: View, dpr: number): [number, number, number, number, number, number] {
	return [view.scale * dpr, 0, 0, view.scale * dpr, view.offsetX * dpr, view.offsetY * dpr];
}

/** Zooms by `factor` keeping the source point under the CSS `anchor` where it is. */
export function zoomAt(view: View, factor: number, anchor: Point): View {
	const scale = Math.min(MAX_SCALE, Math.max(MIN_SCALE, view.scale * factor));
	const under = cssToSource(view, anchor);
	return { scale, offsetX: anchor.x - under.x * scale, offsetY: anchor.y - under.y * scale };
}

/** Moves the view by a CSS-pixel delta. */
export function panBy(view: View, dx: number, dy: number): View {
	return { ...view, offsetX: view.offsetX + dx, offsetY: view.offsetY + dy };
}

/** Normalises two corners into a box (x0, y0) top-left, (x1, y1) bottom-right, clamped to the frame. */
export function boxFromCorners(source: Size, a: Point, b: Point): { x0: number; y0: number; x1: number; y1: number } {
	const clampX = (v: number) => Math.min(source.width, Math.max(0, v));
	const clampY = (v: number) => Math.min(source.height, Math.max(0, v));
	return {
		x0: clampX(Math.min(a.x, b.x)),
		y0: clampY(Math.min(a.y, b.y)),
		x1: clampX(Math.max(a.x, b.x)),
		y1: clampY(Math.max(a.y, b.y))
	};
}
