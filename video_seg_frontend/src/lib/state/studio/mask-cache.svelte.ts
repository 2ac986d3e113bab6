import { SvelteMap } from 'svelte/reactivity';
import { api } from '$lib/api/client';
import type { AnnotationPublic } from '$lib/api/types';
import { decodeRle, type BinaryMask, type CocoRle } from '$lib/canvas/rle';
import type { FrameRange } from '../event-payloads';
import { applyMasks, clearObjectFrame, withoutObject, type ObjectFrames } from '../timeline';
import { attempt } from '../toasts.svelte';

/** Masks are fetched for the frames around the one shown: this many before it and after it. */
const MASKS_BEHIND = 2;
const MASKS_AHEAD = 8;

/** What the cache needs to know of the studio: which item and frame are shown. */
export interface MaskCacheHost {
	readonly pid: number;
	readonly currentId: number | null;
	/** Whether the open item is ready (a media item still decoding has no masks to read). */
	readonly ready: boolean;
	readonly frameCount: number;
	readonly frame: number;
	readonly playing: boolean;
}

/**
 * The open media item's masks: frame -> masks for the frames fetched so far (around the frames
 * shown, and the frames a tracking job wrote), and the per-object timeline summary.
 */
export class MaskCache {
	/** Values are replaced, never mutated, so decoded masks are cached by identity. */
	masks = new SvelteMap<number, AnnotationPublic[]>();
	/** Per object: the frames with a mask and the key frames of the whole video, without mask data. */
	// Raw: replaced whole, never mutated, and read frame by frame by the timeline (no deep proxies).
	summary = $state.raw<ObjectFrames[]>([]);
	/** Bumped whenever masks change: cache-busts the server's annotated previews. */
	version = $state(0);

	private decoded = new WeakMap<AnnotationPublic, BinaryMask>();
	/** Frames whose cached masks are known to be current (the others are fetched when shown). */
	// eslint-disable-next-line svelte/prefer-svelte-reactivity -- bookkeeping that nothing renders
	private fresh = new Set<number>();
	private summaryTimer: ReturnType<typeof setTimeout> | null = null;

	constructor(private readonly host: MaskCacheHost) {}

	/** Forgets everything: another media item is shown. */
	clear(): void {
		this.masks.clear();
		this.fresh.clear();
		this.summary = [];
	}

	/** The masks of `frames` are now exactly `annotations`: cache them and update the timeline. */
	set(annotations: AnnotationPublic[], frames: number[]): void {
		// eslint-disable-next-line svelte/prefer-svelte-reactivity -- a local grouping, not state
		const byFrame = new Map<number, AnnotationPublic[]>();
		for (const a of annotations) {
			const list = byFrame.get(a.frame_index);
			if (list) list.push(a);
			else byFrame.set(a.frame_index, [a]);
		}
		for (const f of frames) {
			const list = byFrame.get(f);
			if (list) this.masks.set(f, list);
			else this.masks.delete(f);
		}
		this.summary = applyMasks(this.summary, annotations, frames);
		this.version++;
	}

	/** Puts one object's new mask on one frame (the answer to a prompt, a restored mask). */
	put(objectId: number, frame: number, annotation: AnnotationPublic | null): void {
		const others = (this.masks.get(frame) ?? []).filter((a) => a.object_id !== objectId);
		const list = annotation ? [...others, annotation].sort((a, b) => a.object_id - b.object_id) : others;
		if (list.length) this.masks.set(frame, list);
		else this.masks.delete(frame);
		this.summary = annotation ? applyMasks(this.summary, [annotation]) : clearObjectFrame(this.summary, objectId, frame);
		this.version++;
	}

	/** An object went: its masks leave every cached frame and the timeline. */
	dropObject(objectId: number): void {
		for (const [f, list] of [...this.masks.entries()]) {
			if (list.some((a) => a.object_id === objectId)) {
				const rest = list.filter((a) => a.object_id !== objectId);
				if (rest.length) this.masks.set(f, rest);
				else this.masks.delete(f);
			}
		}
		this.summary = withoutObject(this.summary, objectId);
		this.version++;
	}

	/** An object came back (an undone deletion) with `masks`: cached frames get theirs now, the others when shown. */
	restoreObject(objectId: number, masks: AnnotationPublic[]): void {
		for (const m of masks) if (this.masks.has(m.frame_index) || this.fresh.has(m.frame_index)) this.put(objectId, m.frame_index, m);
		this.summary = applyMasks(this.summary, masks);
	}

	/** Fetches the masks of frames `start`..`end` (inclusive) of the open media item; false if that failed. */
	async reload(range: FrameRange): Promise<boolean> {
		const mediaId = this.host.currentId;
		if (mediaId === null) return false;
		const annotations = await attempt(() => api.listAnnotations(this.host.pid, mediaId, range));
		if (!annotations || this.host.currentId !== mediaId) return false;
		const frames: number[] = [];
		for (let f = range.start; f <= range.end; f++) {
			frames.push(f);
			this.fresh.add(f);
		}
		this.set(annotations, frames);
		return true;
	}

	/** Makes sure the masks of `frame` (and a few frames around it) are fetched. */
	async ensure(frame: number): Promise<void> {
		if (!this.host.ready || this.fresh.has(frame)) return;
		const start = Math.max(0, frame - MASKS_BEHIND);
		const end = Math.min(this.host.frameCount - 1, frame + MASKS_AHEAD);
		// Marked before the answer, so stepping through the window does not ask again meanwhile.
		const asked: number[] = [];
		for (let f = start; f <= end; f++) {
			if (!this.fresh.has(f)) asked.push(f);
			this.fresh.add(f);
		}
		const mediaId = this.host.currentId;
		const ok = await this.reload({ start, end });
		if (!ok && this.host.currentId === mediaId) for (const f of asked) this.fresh.delete(f);
	}

	/**
	 * Masks of `range` (or of every frame) changed on the server: the cached ones go stale (they
	 * stay on screen until re-read), the shown frame is re-read now and the timeline summary soon.
	 */
	invalidate(range: FrameRange | null): void {
		for (const f of [...this.fresh]) {
			if (!range || (f >= range.start && f <= range.end)) this.fresh.delete(f);
		}
		this.scheduleSummary();
		if (!this.host.playing) void this.ensure(this.host.frame);
	}

	async reloadSummary(): Promise<void> {
		const mediaId = this.host.currentId;
		if (mediaId === null || !this.host.ready) return;
		const summary = await attempt(() => api.annotationSummary(this.host.pid, mediaId));
		if (summary && this.host.currentId === mediaId) this.summary = summary;
	}

	private scheduleSummary(): void {
		if (this.summaryTimer) clearTimeout(this.summaryTimer);
		this.summaryTimer = setTimeout(() => {
			this.summaryTimer = null;
			void this.reloadSummary();
		}, 250);
	}

	decode(annotation: AnnotationPublic): BinaryMask {
		let mask = this.decoded.get(annotation);
		if (!mask) {
			mask = decodeRle(annotation.rle as CocoRle);
			this.decoded.set(annotation, mask);
		}
		return mask;
	}

	destroy(): void {
		if (this.summaryTimer) clearTimeout(this.summaryTimer);
	}
}
