/**
 * Turns pointer input on the canvas into prompt events and view changes.
 *
 * - left click: positive point; Ctrl/Cmd+click or right click: negative point
 * - left drag: box
 * - right click on a prompt marker: remove that prompt
 * - wheel: zoom at the cursor; middle drag or Alt+drag: pan; double click with Alt: fit
 */
import { boxFromCorners, clientToCss, cssToSource, insideSource, panBy, sourceToCss, zoomAt, type Point } from './coords';
import { PROMPT_HIT_RADIUS, type CanvasModel } from './model';
import type { CanvasView } from './view';

export interface CanvasEvents {
	point: (p: Point, positive: boolean) => void;
	box: (box: { x0: number; y0: number; x1: number; y1: number }) => void;
	removePrompt: (promptId: number) => void;
	/** Source position under the pointer (for the status bar), null when outside the frame. */
	hover?: (p: Point | null) => void;
}

/** CSS pixels the pointer may move before a click becomes a box drag. */
const DRAG_THRESHOLD = 5;

export class CanvasController {
	dragBox: { x0: number; y0: number; x1: number; y1: number } | null = null;
	enabled = true;
	private down: { button: number; css: Point; source: Point; ctrl: boolean; pan: boolean } | null = null;
	private readonly abort = new AbortController();

	constructor(
		private readonly view: CanvasView,
		private readonly model: () => CanvasModel,
		private readonly events: CanvasEvents
	) {
		const el = view.canvas;
		const opts = { signal: this.abort.signal };
		el.addEventListener('pointerdown', (e) => this.onDown(e), opts);
		el.addEventListener('pointermove', (e) => this.onMove(e), opts);
		el.addEventListener('pointerup', (e) => this.onUp(e), opts);
		el.addEventListener('pointercancel', () => this.cancel(), opts);
		el.addEventListener('contextmenu', (e) => e.preventDefault(), opts);
		el.addEventListener('wheel', (e) => this.onWheel(e), { signal: this.abort.signal, passive: false });
		el.addEventListener('dblclick', (e) => {
			if (e.altKey) {
				view.fit();
				view.requestDraw();
			}
		}, opts);
	}

	destroy(): void {
		this.abort.abort();
	}

	/** Continuous source coordinates under a pointer event, exact at any zoom, pan and dpr. */
	toSource(e: { clientX: number; clientY: number }): Point {
		const css = clientToCss(this.view.canvas.getBoundingClientRect(), e.clientX, e.clientY);
		return cssToSource(this.view.view, css);
	}

	/** The prompt marker within hit distance of a CSS point, nearest first. */
	promptAtCss(css: Point): number | null {
		let best: { id: number; d: number } | null = null;
		for (const p of this.model().prompts) {
			if (p.id === null) continue;
			const c = sourceToCss(this.view.view, { x: p.x, y: p.y });
			const d = Math.hypot(c.x - css.x, c.y - css.y);
			if (d <= PROMPT_HIT_RADIUS && (!best || d < best.d)) best = { id: p.id, d };
		}
		return best?.id ?? null;
	}

	private onDown(e: PointerEvent): void {
		if (!this.enabled) return;
		const css = clientToCss(this.view.canvas.getBoundingClientRect(), e.clientX, e.clientY);
		const pan = e.button === 1 || (e.button === 0 && e.altKey);
		this.down = { button: e.button, css, source: cssToSource(this.view.view, css), ctrl: e.ctrlKey || e.metaKey, pan };
		this.view.canvas.setPointerCapture(e.pointerId);
		e.preventDefault();
	}

	private onMove(e: PointerEvent): void {
		const css = clientToCss(this.view.canvas.getBoundingClientRect(), e.clientX, e.clientY);
		const source = cssToSource(this.view.view, css);
		const m = this.model();
		this.events.hover?.(insideSource(m, source) ? source : null);
		const d = this.down;
		if (!d) return;
		if (d.pan) {
			this.view.setView(panBy(this.view.view, css.x - d.css.x, css.y - d.css.y));
			d.css = css;
			return;
		}
		if (d.button !== 0) return;
		if (this.dragBox || Math.hypot(css.x - d.css.x, css.y - d.css.y) > DRAG_THRESHOLD) {
			this.dragBox = boxFromCorners(m, d.source, source);
			this.view.requestDraw();
		}
	}

	private onUp(e: PointerEvent): void {
		const d = this.down;
		this.down = null;
		if (!d || d.pan) return;
		const css = clientToCss(this.view.canvas.getBoundingClientRect(), e.clientX, e.clientY);
		const m = this.model();
		if (this.dragBox) {
			const box = this.dragBox;
			this.dragBox = null;
			this.view.requestDraw();
			if (box.x1 - box.x0 >= 2 && box.y1 - box.y0 >= 2) this.events.box(box);
			return;
		}
		const source = cssToSource(this.view.view, css);
		if (d.button === 2) {
			const hit = this.promptAtCss(css);
			if (hit !== null) {
				this.events.removePrompt(hit);
				return;
			}
			if (insideSource(m, source)) this.events.point(source, false);
			return;
		}
		if (d.button === 0 && insideSource(m, source)) this.events.point(source, !d.ctrl);
	}

	private cancel(): void {
		this.down = null;
		this.dragBox = null;
		this.view.requestDraw();
	}

	private onWheel(e: WheelEvent): void {
		e.preventDefault();
		const css = clientToCss(this.view.canvas.getBoundingClientRect(), e.clientX, e.clientY);
		// Trackpads send many small deltas, mouse wheels few large ones: scale by the delta.
		const factor = Math.exp(-e.deltaY * (e.deltaMode === 1 ? 0.05 : 0.0015));
		this.view.setView(zoomAt(this.view.view, factor, css));
	}
}
