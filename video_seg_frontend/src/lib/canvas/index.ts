/**
 * The segmentation canvas: model (plain data the studio sets), view (drawing) and controller
 * (pointer input -> prompt events). Framework-free; a Svelte component only mounts it.
 */
import { CanvasController, type CanvasEvents } from './controller';
import { cssToSource, sourceToCss, type Point } from './coords';
import { emptyModel, maskAt, type CanvasModel } from './model';
import { CanvasView } from './view';

export type { CanvasEvents } from './controller';
export type { CanvasModel, MaskLayer, PromptMarker } from './model';

export class SegmentationCanvas {
	readonly model: CanvasModel = emptyModel();
	readonly view: CanvasView;
	readonly controller: CanvasController;
	private readonly resizeObserver: ResizeObserver;
	private readonly onDprChange = () => this.resize();
	private dprQuery: MediaQueryList | null = null;

	constructor(canvas: HTMLCanvasElement, events: CanvasEvents) {
		this.view = new CanvasView(canvas, () => this.model, () => ({ dragBox: this.controller.dragBox }));
		this.controller = new CanvasController(this.view, () => this.model, events);
		this.resizeObserver = new ResizeObserver(() => this.resize());
		this.resizeObserver.observe(canvas);
		this.watchDpr();
		this.resize();
	}

	/** Replaces what is shown; a new frame size refits the view. */
	update(patch: Partial<CanvasModel>): void {
		const sizeChanged =
			(patch.width !== undefined && patch.width !== this.model.width) ||
			(patch.height !== undefined && patch.height !== this.model.height);
		Object.assign(this.model, patch);
		if (sizeChanged) this.view.fit();
		this.view.requestDraw();
	}

	fit(): void {
		this.view.fit();
		this.view.requestDraw();
	}

	/** Object id of the mask under a client point (used by tests and the status bar). */
	maskAtClient(clientX: number, clientY: number): number | null {
		const p = this.controller.toSource({ clientX, clientY });
		return maskAt(this.model, p.x, p.y);
	}

	/** Client coordinates of the centre of a source pixel (for tests that click a known pixel). */
	clientOfSource(p: Point): Point {
		const rect = this.view.canvas.getBoundingClientRect();
		const css = sourceToCss(this.view.view, p);
		return { x: css.x + rect.left, y: css.y + rect.top };
	}

	sourceOfClient(clientX: number, clientY: number): Point {
		const rect = this.view.canvas.getBoundingClientRect();
		return cssToSource(this.view.view, { x: clientX - rect.left, y: clientY - rect.top });
	}

	destroy(): void {
		this.resizeObserver.disconnect();
		this.dprQuery?.removeEventListener('change', this.onDprChange);
		this.controller.destroy();
	}

	private resize(): void {
		this.view.measure();
		this.view.draw();
		this.watchDpr();
	}

	// Moving the window to another screen changes the dpr without resizing the element.
	private watchDpr(): void {
		this.dprQuery?.removeEventListener('change', this.onDprChange);
		this.dprQuery = window.matchMedia(`(resolution: ${window.devicePixelRatio}dppx)`);
		this.dprQuery.addEventListener('change', this.onDprChange);
	}
}
