/** Reading the studio page: its state (window.__vss, exposed to test pages) and its canvas. */
import type { Page } from '@playwright/test';

/* eslint-disable @typescript-eslint/no-explicit-any -- the page's own objects, read as the page has them */
declare global {
	interface Window {
		__vss: { studio: any; canvas: any };
		__VSS_TEST__?: boolean;
		__sawPending?: boolean;
	}
}
/* eslint-enable @typescript-eslint/no-explicit-any */

export interface Pixel {
	x: number;
	y: number;
}

/**
 * Waits until `fn` (run in the page, on every animation frame) is truthy and resolves to its
 * value; on a timeout, says what it waited for.
 */
export async function until<T, A = undefined>(page: Page, what: string, fn: (arg: A) => T, arg?: A, timeout?: number): Promise<T> {
	try {
		const handle = await page.waitForFunction(fn as unknown as (arg: unknown) => T, arg as unknown, { timeout });
		return (await handle.jsonValue()) as T;
	} catch (error) {
		throw new Error(`Timed out waiting for ${what}: ${(error as Error).message.split('\n')[0]}`);
	}
}

/** The frame (or image) under the masks is decoded. */
export const frameReady = (page: Page, what = 'the frame to load') =>
	until(page, what, () => {
		const img = window.__vss?.canvas?.model?.image;
		return !!img && img.complete && img.naturalWidth > 0;
	});

/** The dark car in the middle lane of 08_driving.mp4's first frame (its still, for the image project). */
export const carPixel = (page: Page): Promise<Pixel> =>
	page.evaluate(() => ({ x: Math.floor(window.__vss.studio.current.width * 0.435), y: Math.floor(window.__vss.studio.current.height * 0.74) }));

/** Where on screen a source point is, at the current zoom and pan. */
export const clientOf = (page: Page, source: Pixel): Promise<Pixel> => page.evaluate((p) => window.__vss.canvas.clientOfSource(p), source);

/** The screen point of the centre of a source pixel. */
export const clientOfPixel = (page: Page, pixel: Pixel): Promise<Pixel> => clientOf(page, { x: pixel.x + 0.5, y: pixel.y + 0.5 });

/** Canvas pixel (RGBA) under a client point, read from the device-pixel backing store. */
export const canvasPixel = (page: Page, at: Pixel): Promise<number[]> =>
	page.evaluate(({ x, y }) => {
		const canvas = document.querySelector('[data-testid="studio-canvas"]') as HTMLCanvasElement;
		const rect = canvas.getBoundingClientRect();
		const sx = Math.floor((x - rect.left) * (canvas.width / rect.width));
		const sy = Math.floor((y - rect.top) * (canvas.height / rect.height));
		return Array.from(canvas.getContext('2d')!.getImageData(sx, sy, 1, 1).data);
	}, at);

/** Two animation frames: whatever the last change asked to draw is on screen. */
export const painted = (page: Page) => page.evaluate(() => new Promise<void>((r) => requestAnimationFrame(() => requestAnimationFrame(() => r()))));

/** The canvas pixel at `at` as drawn with the overlays (masks, outlines) and without them: [tinted, plain]. */
export async function withAndWithoutOverlays(page: Page, at: Pixel): Promise<[number[], number[]]> {
	await painted(page);
	const tinted = await canvasPixel(page, at);
	const overlays = (show: boolean) =>
		page.evaluate((show) => {
			window.__vss.canvas.model.showOverlays = show;
			window.__vss.canvas.view.draw();
		}, show);
	await overlays(false);
	const plain = await canvasPixel(page, at);
	await overlays(true);
	return [tinted, plain];
}

/** Reads the studio state: `fn` runs in the page on window.__vss.studio (it may close over nothing). */
export const readStudio = <T>(page: Page, fn: (studio: Window['__vss']['studio']) => T): Promise<T> =>
	page.evaluate(`(${fn.toString()})(window.__vss.studio)`) as Promise<T>;
