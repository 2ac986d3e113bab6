/**
 * Draws a CanvasModel into a <canvas>: the frame, the masks and the prompt markers, at the
 * current zoom/pan, sharp at any device pixel ratio (the backing store is CSS size x dpr).
 */
import { deviceTransform, fitView, sourceToCss, type View } from './coords';
import { maskToRgba, PROMPT_RADIUS, type CanvasModel, type MaskLayer } from './model';
import type { BinaryMask } from './rle';

export class CanvasView {
	view: View = { scale: 1, offsetX: 0, offsetY: 0 };
	/** CSS size of the canvas box. */
	cssWidth = 0;
	cssHeight = 0;
	dpr = 1;
	/** True until the person zooms or pans; then a resize keeps their view. */
	private fitted = true;
	private readonly ctx: CanvasRenderingContext2D;
	// Mask bitmaps are cached per decoded mask and colour: redrawing on pan/zoom stays cheap.
	private bitmaps = new WeakMap<BinaryMask, { color: string; selected: boolean; canvas: HTMLCanvasElement }>();
	private outlines = new WeakMap<BinaryMask, { color: string; canvas: HTMLCanvasElement }>();
	private frameRequested = false;

	constructor(
		readonly canvas: HTMLCanvasElement,
		private readonly model: () => CanvasModel,
		private readonly overlay: () => { dragBox: { x0: number; y0: number; x1: number; y1: number } | null }
	) {
		const ctx = canvas.getContext('2d');
		if (!ctx) throw new Error('Canvas 2D is not available in this browser');
		this.ctx = ctx;
	}

	/** Reads the element's CSS size and the device pixel ratio; resizes the backing store. */
	measure(): void {
		const rect = this.canvas.getBoundingClientRect();
		this.cssWidth = rect.width;
		this.cssHeight = rect.height;
		this.dpr = window.devicePixelRatio || 1;
		const w = Math.max(1, Math.round(rect.width * this.dpr));
		const h = Math.max(1, Math.round(rect.height * this.dpr));
		if (this.canvas.width !== w || this.canvas.height !== h) {
			this.canvas.width = w;
			this.canvas.height = h;
		}
		if (this.fitted) this.fit();
	}

	fit(): void {
		const m = this.model();
		if (m.width > 0 && this.cssWidth > 0) {
			this.view = fitView({ width: m.width, height: m.height }, { width: this.cssWidth, height: this.cssHeight }, 8);
		}
		this.fitted = true;
	}

	setView(view: View): void {
		this.view = view;
		this.fitted = false;
		this.requestDraw();
	}

	/** Coalesces redraws into one per animation frame. */
	requestDraw(): void {
		if (this.frameRequested) return;
		this.frameRequested = true;
		requestAnimationFrame(() => {
			this.frameRequested = false;
			this.draw();
		});
	}

	draw(): void {
		const { ctx, canvas } = this;
		const m = this.model();
		ctx.setTransform(1, 0, 0, 1, 0, 0);
		ctx.clearRect(0, 0, canvas.width, canvas.height);
		if (!m.width) return;
		ctx.setTransform(...deviceTransform(this.view, this.dpr));
		// Past 1:1 the person wants to see pixels, not a blur: masks are per pixel.
		ctx.imageSmoothingEnabled = this.view.scale < 1;
		if (m.image) ctx.drawImage(m.image, 0, 0, m.width, m.height);
		if (m.showOverlays) {
			ctx.imageSmoothingEnabled = false;
			// Parts over whole objects, and the wholes' outlines over the parts: a shaft shows in its
			// own colour inside the tool's outline.
			const parts = m.masks.filter((l) => l.part);
			for (const layer of m.masks) if (!layer.part) ctx.drawImage(this.bitmap(layer), 0, 0, m.width, m.height);
			for (const layer of parts) ctx.drawImage(this.bitmap(layer), 0, 0, m.width, m.height);
			if (parts.length) for (const layer of m.masks) if (!layer.part) ctx.drawImage(this.outline(layer), 0, 0, m.width, m.height);
		}
		// Markers keep a constant on-screen size: draw them in CSS pixels.
		ctx.setTransform(this.dpr, 0, 0, this.dpr, 0, 0);
		if (m.showOverlays) this.drawPrompts(m);
		const box = this.overlay().dragBox;
		if (box) {
			const a = sourceToCss(this.view, { x: box.x0, y: box.y0 });
			const b = sourceToCss(this.view, { x: box.x1, y: box.y1 });
			ctx.setLineDash([6, 4]);
			ctx.strokeStyle = '#ffffff';
			ctx.lineWidth = 1.5;
			ctx.strokeRect(a.x, a.y, b.x - a.x, b.y - a.y);
			ctx.setLineDash([]);
		}
	}

	private drawPrompts(m: CanvasModel): void {
		const { ctx } = this;
		for (const p of m.prompts) {
			const c = sourceToCss(this.view, { x: p.x, y: p.y });
			if (p.kind === 'box' && p.x1 !== undefined && p.y1 !== undefined) {
				const d = sourceToCss(this.view, { x: p.x1, y: p.y1 });
				ctx.strokeStyle = p.color;
				ctx.lineWidth = 2;
				ctx.setLineDash(p.id === null ? [4, 3] : []);
				ctx.strokeRect(c.x, c.y, d.x - c.x, d.y - c.y);
				ctx.setLineDash([]);
				continue;
			}
			ctx.beginPath();
			ctx.arc(c.x, c.y, PROMPT_RADIUS, 0, Math.PI * 2);
			ctx.fillStyle = p.positive ? '#22c55e' : '#ef4444';
			ctx.globalAlpha = p.id === null ? 0.6 : 1;
			ctx.fill();
			ctx.lineWidth = 2;
			ctx.strokeStyle = '#ffffff';
			if (p.id === null) ctx.setLineDash([3, 2]);
			ctx.stroke();
			ctx.setLineDash([]);
			ctx.globalAlpha = 1;
			// + or - inside the dot
			ctx.beginPath();
			ctx.moveTo(c.x - 3, c.y);
			ctx.lineTo(c.x + 3, c.y);
			if (p.positive) {
				ctx.moveTo(c.x, c.y - 3);
				ctx.lineTo(c.x, c.y + 3);
			}
			ctx.lineWidth = 1.5;
			ctx.stroke();
		}
	}

	private outline(layer: MaskLayer): HTMLCanvasElement {
		const cached = this.outlines.get(layer.mask);
		if (cached && cached.color === layer.color) return cached.canvas;
		const canvas = cached?.canvas ?? document.createElement('canvas');
		canvas.width = layer.mask.width;
		canvas.height = layer.mask.height;
		const ctx = canvas.getContext('2d');
		if (ctx) ctx.putImageData(new ImageData(maskToRgba(layer.mask, layer.color, 0, 255), layer.mask.width, layer.mask.height), 0, 0);
		this.outlines.set(layer.mask, { color: layer.color, canvas });
		return canvas;
	}

	private bitmap(layer: MaskLayer): HTMLCanvasElement {
		const cached = this.bitmaps.get(layer.mask);
		if (cached && cached.color === layer.color && cached.selected === layer.selected) return cached.canvas;
		const canvas = cached?.canvas ?? document.createElement('canvas');
		canvas.width = layer.mask.width;
		canvas.height = layer.mask.height;
		const ctx = canvas.getContext('2d');
		if (ctx) {
			const rgba = maskToRgba(layer.mask, layer.color, layer.selected ? 140 : 100, 255);
			ctx.putImageData(new ImageData(rgba, layer.mask.width, layer.mask.height), 0, 0);
		}
		this.bitmaps.set(layer.mask, { color: layer.color, selected: layer.selected, canvas });
		return canvas;
	}
}
