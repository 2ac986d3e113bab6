/**
 * What the canvas shows, as plain data. The studio state fills it; the canvas never owns
 * annotations and never calls the server.
 */
import type { BinaryMask } from './rle';

export interface MaskLayer {
	objectId: number;
	/** #rrggbb of the object's label. */
	color: string;
	mask: BinaryMask;
	selected: boolean;
	/** A part region: drawn over the whole objects, whose outlines are drawn again on top of it. */
	part?: boolean;
}

export interface PromptMarker {
	/** Server id, or null for a pending marker the server has not answered yet. */
	id: number | null;
	objectId: number;
	color: string;
	kind: 'point' | 'box';
	positive: boolean;
	x: number;
	y: number;
	x1?: number;
	y1?: number;
}

export interface CanvasModel {
	image: CanvasImageSource | null;
	/** Source size of the frame (the masks have the same size). */
	width: number;
	height: number;
	masks: MaskLayer[];
	prompts: PromptMarker[];
	/** Masks and prompts are hidden while the server's annotated previews play. */
	showOverlays: boolean;
}

export function emptyModel(): CanvasModel {
	return { image: null, width: 0, height: 0, masks: [], prompts: [], showOverlays: true };
}

/** Radius of a prompt dot in CSS pixels, and how close a right-click must be to remove it. */
export const PROMPT_RADIUS = 6;
export const PROMPT_HIT_RADIUS = 10;

/** "#rrggbb" -> [r, g, b]. */
export function hexToRgb(hex: string): [number, number, number] {
	const m = /^#?([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(hex);
	if (!m) return [255, 0, 0];
	return [parseInt(m[1], 16), parseInt(m[2], 16), parseInt(m[3], 16)];
}

/**
 * RGBA pixels of a mask: a translucent fill in the label colour and an opaque outline on mask
 * pixels that touch the outside (4-neighbourhood), so touching objects stay distinguishable.
 */
export function maskToRgba(mask: BinaryMask, color: string, fillAlpha = 110, outlineAlpha = 255): Uint8ClampedArray<ArrayBuffer> {
	const { width, height, data } = mask;
	const [r, g, b] = hexToRgb(color);
	const out = new Uint8ClampedArray(width * height * 4);
	for (let y = 0; y < height; y++) {
		for (let x = 0; x < width; x++) {
			const i = y * width + x;
			if (!data[i]) continue;
			const edge =
				x === 0 ||
				y === 0 ||
				x === width - 1 ||
				y === height - 1 ||
				!data[i - 1] ||
				!data[i + 1] ||
				!data[i - width] ||
				!data[i + width];
			const o = i * 4;
			out[o] = r;
			out[o + 1] = g;
			out[o + 2] = b;
			out[o + 3] = edge ? outlineAlpha : fillAlpha;
		}
	}
	return out;
}

/** The id of the topmost visible mask covering a source pixel, or null. */
export function maskAt(model: CanvasModel, x: number, y: number): number | null {
	const px = Math.floor(x);
	const py = Math.floor(y);
	for (let i = model.masks.length - 1; i >= 0; i--) {
		const { mask, objectId } = model.masks[i];
		if (px < 0 || py < 0 || px >= mask.width || py >= mask.height) continue;
		if (mask.data[py * mask.width + px]) return objectId;
	}
	return null;
}
