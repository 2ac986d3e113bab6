/**
 * Draws one object's row under the timeline on a small canvas: on the frames with a mask, a bar
 * in the object's colour as high as the mask is large (relative to its largest); the frames
 * without one striped grey; key frames as ticks. A canvas, not a
 * DOM element per range, so a fragmented track on a 2,000-frame video costs one draw, not
 * thousands of nodes.
 */
export interface RowPaint {
	ranges: readonly number[][];
	keyFrames: readonly number[];
	/** Bar height (0..1] of each frame of `ranges`, in order: the mask's relative size. */
	heights: readonly number[];
	count: number;
	color: string;
	/** Frames whose tracked mask is in doubt (the review queue): shaded over the bar. */
	doubtful?: readonly number[];
}

/** Frames without a mask: grey stripes, which no label colour can be mistaken for. */
export const GAP_COLOR = '#2c313c';
export const GAP_STRIPE = '#5b6372';
export const KEY_COLOR = '#ffffff';
/** Over a frame whose tracked mask is in doubt: a warm band no label colour is drawn as. */
export const DOUBT_COLOR = 'rgba(255, 92, 64, 0.75)';
/** Above a frame's bar, where the mask is smaller than the object's largest. */
export const MASKED_BACKGROUND = '#11141a';

export function paintRow(canvas: HTMLCanvasElement, row: RowPaint): void {
	const dpr = window.devicePixelRatio || 1;
	const width = Math.max(1, Math.round(canvas.clientWidth * dpr));
	const height = Math.max(1, Math.round(canvas.clientHeight * dpr));
	if (canvas.width !== width) canvas.width = width;
	if (canvas.height !== height) canvas.height = height;
	const ctx = canvas.getContext('2d');
	if (!ctx) return;
	const x = (f: number) => (f / Math.max(1, row.count)) * width;
	ctx.clearRect(0, 0, width, height);
	ctx.fillStyle = GAP_COLOR;
	ctx.fillRect(0, 0, width, height);
	ctx.strokeStyle = GAP_STRIPE;
	ctx.lineWidth = dpr;
	ctx.beginPath();
	const step = 5 * dpr;
	for (let sx = -height; sx < width; sx += step) {
		ctx.moveTo(sx, height);
		ctx.lineTo(sx + height, 0);
	}
	ctx.stroke();
	// At least one device pixel wide, so a single tracked frame of a long video still shows.
	const span = (a: number, b: number): [number, number] => [Math.floor(x(a)), Math.max(1, Math.ceil(x(b + 1)) - Math.floor(x(a)))];
	ctx.fillStyle = MASKED_BACKGROUND;
	for (const [a, b] of row.ranges) {
		const [left, w] = span(a, b);
		ctx.fillRect(left, 0, w, height);
	}
	// Each frame's bar rises from the bottom as high as its mask is large.
	ctx.fillStyle = row.color;
	let i = 0;
	for (const [a, b] of row.ranges) {
		for (let f = a; f <= b; f++) {
			const [left, w] = span(f, f);
			const h = Math.max(1, Math.round((row.heights[i++] ?? 1) * height));
			ctx.fillRect(left, height - h, w, h);
		}
	}
	// The upper half of a doubtful frame's cell: the bar below still shows the mask's size.
	ctx.fillStyle = DOUBT_COLOR;
	for (const f of row.doubtful ?? []) {
		const [left, w] = span(f, f);
		ctx.fillRect(left, 0, w, Math.max(1, Math.round(height / 2)));
	}
	ctx.fillStyle = KEY_COLOR;
	const tick = Math.max(1, Math.round(dpr));
	for (const f of row.keyFrames) ctx.fillRect(Math.round(x(f + 0.5) - tick / 2), 0, tick, height);
}

/** A Svelte action: paints the row now, on every change, and when the canvas is resized. */
export function rowCanvas(canvas: HTMLCanvasElement, row: RowPaint) {
	let current = row;
	const observer = new ResizeObserver(() => paintRow(canvas, current));
	observer.observe(canvas);
	paintRow(canvas, current);
	return {
		update(next: RowPaint) {
			current = next;
			paintRow(canvas, current);
		},
		destroy() {
			observer.disconnect();
		}
	};
}
