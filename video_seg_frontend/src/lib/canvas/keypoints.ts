/**
 * The keypoint layer: a canvas over the segmentation canvas that draws an object's skeleton (edges,
 * then points, occluded ones hollow) and, in keypoint mode, turns a click into "place the next point"
 * and a drag on a point into "move it". Framework-free; it reads the base canvas's view for zoom/pan.
 */
import { cssToSource, sourceToCss, type Point, type View } from './coords';

export interface KeypointDrawing {
	points: { x: number; y: number; visibility: number }[];
	edges: [number, number][];
	names: string[];
	color: string;
	active: boolean;
	current: number | null;
}

export interface KeypointEvents {
	place(p: Point): void;
	move(index: number, p: Point): void;
	/** Wheel and other input the layer does not use, handed to the canvas below. */
	passWheel(e: WheelEvent): void;
}

/** How near (CSS px) a press must be to a point to grab it. */
const GRAB = 9;
const RADIUS = 5;

export class KeypointLayer {
	private drag: { index: number; at: Point } | null = null;
	private drawing: KeypointDrawing | null = null;
	private frame = 0;

	constructor(
		readonly canvas: HTMLCanvasElement,
		private readonly viewOf: () => { view: View; dpr: number },
		private readonly events: KeypointEvents
	) {
		canvas.addEventListener('pointerdown', this.onDown);
		canvas.addEventListener('pointermove', this.onMove);
		canvas.addEventListener('pointerup', this.onUp);
		canvas.addEventListener('wheel', this.onWheel, { passive: false });
		// Zoom and pan change under the layer without telling it: draw every frame while shown.
		const loop = () => {
			this.draw();
			this.frame = requestAnimationFrame(loop);
		};
		this.frame = requestAnimationFrame(loop);
	}

	show(drawing: KeypointDrawing | null): void {
		this.drawing = drawing;
		this.canvas.style.pointerEvents = drawing?.active ? 'auto' : 'none';
	}

	/** Index of the placed point within GRAB CSS px of a CSS position, or null. */
	hit(css: Point): number | null {
		const d = this.drawing;
		if (!d) return null;
		const { view } = this.viewOf();
		let best: number | null = null;
		let bestDist = GRAB;
		d.points.forEach((p, i) => {
			if (p.visibility === 0) return;
			const c = sourceToCss(view, p);
			const dist = Math.hypot(c.x - css.x, c.y - css.y);
			if (dist <= bestDist) [best, bestDist] = [i, dist];
		});
		return best;
	}

	destroy(): void {
		cancelAnimationFrame(this.frame);
		this.canvas.removeEventListener('pointerdown', this.onDown);
		this.canvas.removeEventListener('pointermove', this.onMove);
		this.canvas.removeEventListener('pointerup', this.onUp);
		this.canvas.removeEventListener('wheel', this.onWheel);
	}

	private css(e: PointerEvent | MouseEvent): Point {
		const rect = this.canvas.getBoundingClientRect();
		return { x: e.clientX - rect.left, y: e.clientY - rect.top };
	}

	private readonly onDown = (e: PointerEvent) => {
		if (e.button !== 0 || !this.drawing?.active) return;
		const css = this.css(e);
		const index = this.hit(css);
		if (index !== null) {
			this.drag = { index, at: cssToSource(this.viewOf().view, css) };
			this.canvas.setPointerCapture?.(e.pointerId);
		} else {
			this.events.place(cssToSource(this.viewOf().view, css));
		}
	};

	private readonly onMove = (e: PointerEvent) => {
		if (!this.drag) return;
		this.drag.at = cssToSource(this.viewOf().view, this.css(e));
	};

	private readonly onUp = () => {
		const drag = this.drag;
		this.drag = null;
		if (drag) this.events.move(drag.index, drag.at);
	};

	private readonly onWheel = (e: WheelEvent) => {
		e.preventDefault();
		this.events.passWheel(e);
	};

	private draw(): void {
		const { view, dpr } = this.viewOf();
		const rect = this.canvas.getBoundingClientRect();
		const w = Math.max(1, Math.round(rect.width * dpr));
		const h = Math.max(1, Math.round(rect.height * dpr));
		if (this.canvas.width !== w || this.canvas.height !== h) [this.canvas.width, this.canvas.height] = [w, h];
		const ctx = this.canvas.getContext('2d');
		if (!ctx) return;
		ctx.setTransform(1, 0, 0, 1, 0, 0);
		ctx.clearRect(0, 0, w, h);
		const d = this.drawing;
		if (!d) return;
		ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
		const at = (i: number) => {
			const p = this.drag?.index === i ? this.drag.at : d.points[i];
			return sourceToCss(view, p);
		};
		ctx.strokeStyle = d.color;
		ctx.lineWidth = 2;
		for (const [a, b] of d.edges) {
			if (!d.points[a]?.visibility || !d.points[b]?.visibility) continue;
			const [pa, pb] = [at(a), at(b)];
			ctx.beginPath();
			ctx.moveTo(pa.x, pa.y);
			ctx.lineTo(pb.x, pb.y);
			ctx.stroke();
		}
		d.points.forEach((p, i) => {
			if (!p.visibility) return;
			const c = at(i);
			ctx.beginPath();
			ctx.arc(c.x, c.y, i === d.current ? RADIUS + 2 : RADIUS, 0, 2 * Math.PI);
			ctx.fillStyle = p.visibility === 1 ? 'rgba(0,0,0,0.4)' : d.color;
			ctx.fill();
			ctx.strokeStyle = '#fff';
			ctx.lineWidth = 1.5;
			ctx.stroke();
			if (d.active) {
				ctx.fillStyle = '#fff';
				ctx.font = '11px sans-serif';
				ctx.fillText(d.names[i] ?? '', c.x + 7, c.y - 7);
			}
		});
	}
}
