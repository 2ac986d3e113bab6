/**
 * The studio's one state object: the canvas, timeline, media list and toolbars all read it, and
 * every change that reaches the server goes through its methods (and, if undoable, the stack).
 */
import { SvelteMap, SvelteSet } from 'svelte/reactivity';
import { api, urls } from '$lib/api/client';
import { ApiError } from '$lib/api/errors';
import type {
	AnnotationPublic,
	DistributiveOmit,
	ImportSummary,
	JobPublic,
	MediaPublic,
	ModelInfo,
	ObjectPublic,
	PromptCreate,
	PromptPublic
} from '$lib/api/types';
import type { ImportFormat } from '$lib/api/client';
import type { PromptMarker } from '$lib/canvas/model';
import { decodeRle, type BinaryMask, type CocoRle } from '$lib/canvas/rle';
import { deleteObjectCommand, IdAliases, promptToCreate, type IdRef, type Restored } from './commands';
import type { ProjectEventData, ProjectEventType } from './events.svelte';
import type { ProjectState } from './project.svelte';
import {
	applyMasks,
	clampFrame,
	clearObjectFrame,
	nextUnannotated,
	playbackFrame,
	summaryFrames,
	summaryKeyFrames,
	withoutObject,
	type ObjectFrames
} from './timeline';
import { attempt, toasts } from './toasts.svelte';
import { Irreversible, UndoHistories, type Command, type UndoStack } from './undo';

/** The label last chosen in a project, per browser: a reload keeps it. */
const labelKey = (projectId: number) => `vss.label.${projectId}`;

function rememberLabel(projectId: number, labelId: number): void {
	try {
		globalThis.localStorage?.setItem(labelKey(projectId), String(labelId));
	} catch {
		// Storage full or refused (private mode): the choice only lasts until the reload.
	}
}

function rememberedLabel(projectId: number): number | null {
	try {
		const value = Number(globalThis.localStorage?.getItem(labelKey(projectId)) ?? NaN);
		return Number.isInteger(value) ? value : null;
	} catch {
		return null;
	}
}

/**
 * Once done, a step whose object or prompt is gone from the server (deleted in another tab) can
 * no longer be undone or redone: its 404 becomes Irreversible, so the history drops the step with
 * a message and the steps under it stay reachable. A first `do` that fails keeps its own error.
 */
function unlessGone(command: Command): Command {
	let done = false;
	const guard = (run: () => Promise<void> | void) => async () => {
		try {
			await run();
			done = true;
		} catch (error) {
			if (done && error instanceof ApiError && error.status === 404) {
				throw new Irreversible(`${error.detail}: it was deleted meanwhile (in another tab?), so “${command.label}” is dropped from the undo history`);
			}
			throw error;
		}
	};
	return { label: command.label, do: guard(command.do), undo: guard(command.undo) };
}

export type TrackDirection = 'forward' | 'backward' | 'both';

export interface JobProgress {
	id: number;
	mediaId: number | null;
	status: JobPublic['status'];
	done: number;
	total: number;
}

type PendingPrompt = PromptMarker & { key: number };

/** Masks are fetched for the frames around the one shown: this many before it and after it. */
const MASKS_BEHIND = 2;
const MASKS_AHEAD = 8;
/** An annotations.updated range up to this long is re-read at once; a longer one only goes stale. */
const RELOAD_AT_ONCE = 16;
/** A tracking job's first progress event re-reads the frames it wrote before, up to this many. */
const FIRST_PROGRESS_RELOAD = 64;

/** Undo depth per media item, and how many media items keep their history. */
const UNDO_DEPTH = 200;
const UNDO_MEDIA = 20;

export const SINGLE_FRAME = 'This video has a single frame: there is nothing to track';

const FINISHED: JobPublic['status'][] = ['completed', 'failed', 'canceled'];

export interface ModelDownload {
	jobId: number;
	key: string;
	done: number;
	total: number;
}

export class StudioState {
	media = $state<MediaPublic[]>([]);
	models = $state<ModelInfo[]>([]);
	/** Where SAM 2 computes (the server's /health): shown under the model when it is a SAM 2 one. */
	compute = $state<{ device: string; precision: string } | null>(null);
	modelKey = $state<string | null>(null);
	download = $state<ModelDownload | null>(null);
	downloading = $derived(this.download?.key ?? null);
	currentId = $state<number | null>(null);
	frame = $state(0);
	objects = $state<ObjectPublic[]>([]);
	/** All prompts of the current media item (every frame). */
	prompts = $state<PromptPublic[]>([]);
	pending = $state<PendingPrompt[]>([]);
	hidden = new SvelteSet<number>();
	selectedObjectId = $state<number | null>(null);
	selectedLabelId = $state<number | null>(null);
	/**
	 * frame -> masks, for the frames fetched so far (around the frames shown, and the frames a
	 * tracking job finished); values are replaced, never mutated, so decoded masks are cached by identity.
	 */
	masks = new SvelteMap<number, AnnotationPublic[]>();
	/** Per object: the frames with a mask and the key frames of the whole video, without mask data. */
	// Raw: replaced whole, never mutated, and read frame by frame by the timeline (no deep proxies).
	summary = $state.raw<ObjectFrames[]>([]);
	job = $state<JobProgress | null>(null);
	playing = $state(false);
	/** Bumped whenever masks change: cache-busts the server's annotated previews. */
	maskVersion = $state(0);
	undoState = $state({ canUndo: false, canRedo: false, undoLabel: '', redoLabel: '' });
	busy = $state(0);

	/** Undo histories of the media items opened last; `undo` is the open item's. */
	private histories = new UndoHistories<number | null>(UNDO_MEDIA, UNDO_DEPTH, (stack) => {
		if (stack === this.undo) this.showUndoState();
	});
	undo: UndoStack = this.histories.of(null);
	private objectIds = new IdAliases();
	private promptIds = new IdAliases();
	private decoded = new WeakMap<AnnotationPublic, BinaryMask>();
	private pendingKey = 1;
	/** Frames whose cached masks are known to be current (the others are fetched when shown). */
	// eslint-disable-next-line svelte/prefer-svelte-reactivity -- bookkeeping that nothing renders
	private fresh = new Set<number>();
	private summaryTimer: ReturnType<typeof setTimeout> | null = null;
	private downloadTimer: ReturnType<typeof setTimeout> | null = null;
	/** download-model jobs that finished, by id: the end can arrive before the POST's answer. */
	// eslint-disable-next-line svelte/prefer-svelte-reactivity -- bookkeeping that nothing renders
	private finishedDownloads = new Map<number, ProjectEventData>();
	private unsubscribe: (() => void) | null = null;
	private refreshTimer: ReturnType<typeof setTimeout> | null = null;
	private playHandle = 0;

	current = $derived(this.media.find((m) => m.id === this.currentId) ?? null);
	frameCount = $derived(this.current ? Math.max(1, this.current.num_frames) : 1);
	isVideo = $derived(this.current?.kind === 'video');
	framePrompts = $derived(this.prompts.filter((p) => p.frame_index === this.frame));
	frameMasks = $derived(this.masks.get(this.frame) ?? []);
	keyFrames = $derived(
		// eslint-disable-next-line svelte/prefer-svelte-reactivity -- a throwaway inside a derived value
		[...new Set([...this.prompts.map((p) => p.frame_index), ...summaryKeyFrames(this.summary)])].sort((a, b) => a - b)
	);
	annotatedFrames = $derived(summaryFrames(this.summary));
	todo = $derived(this.media.filter((m) => m.annotated_frames === 0));
	done = $derived(this.media.filter((m) => m.annotated_frames > 0));
	selectedObject = $derived(this.objects.find((o) => o.id === this.selectedObjectId) ?? null);

	constructor(readonly project: ProjectState) {
		this.unsubscribe = project.events.on((type, data) => this.onEvent(type, data));
	}

	private showUndoState(): void {
		this.undoState = {
			canUndo: this.undo.canUndo,
			canRedo: this.undo.canRedo,
			undoLabel: this.undo.undoLabel ?? '',
			redoLabel: this.undo.redoLabel ?? ''
		};
	}

	get pid(): number {
		return this.project.id;
	}

	// --- loading -----------------------------------------------------------------------------

	/** Opens the studio on `initialMediaId` (at `initialFrame`, as a reload's address asks), else on work to do. */
	async load(initialMediaId: number | null, initialFrame = 0): Promise<void> {
		const [media, models, jobs, health] = await Promise.all([
			api.listMedia(this.pid),
			api.models().catch(() => [] as ModelInfo[]),
			api.activeJobs(this.pid).catch(() => [] as JobPublic[]),
			api.health().catch(() => null)
		]);
		this.compute = health ? { device: health.device, precision: health.precision } : null;
		// A tracking job started before this page opened (or in another tab) keeps its progress bar.
		const running = jobs.find((j) => j.kind === 'propagate');
		if (running) {
			this.job = { id: running.id, mediaId: running.media_id, status: running.status, done: running.progress_done, total: running.progress_total };
		}
		this.media = media;
		this.models = models;
		this.modelKey = models.find((m) => m.default && m.available)?.key ?? models.find((m) => m.available)?.key ?? null;
		const remembered = rememberedLabel(this.pid);
		this.selectedLabelId = (this.project.labels.find((l) => l.id === remembered) ?? this.project.labels[0])?.id ?? null;
		const ready = media.filter((m) => m.status === 'ready');
		const first = ready.find((m) => m.id === initialMediaId) ?? this.todo.find((m) => m.status === 'ready') ?? ready[0];
		if (first) await this.openMedia(first.id, first.id === initialMediaId ? initialFrame : 0);
	}

	/** Shows `mediaId` (or nothing) with nothing of it loaded yet, and its own undo history. */
	private resetView(mediaId: number | null): void {
		this.stop();
		this.currentId = mediaId;
		this.objects = [];
		this.prompts = [];
		this.pending = [];
		this.masks.clear();
		this.fresh.clear();
		this.summary = [];
		this.hidden.clear();
		this.selectedObjectId = null;
		// Each item keeps its own history: back on an image, Ctrl+Z undoes what was done there.
		this.undo = this.histories.of(mediaId);
		this.showUndoState();
	}

	async openMedia(mediaId: number, frame = 0): Promise<void> {
		this.resetView(mediaId);
		this.frame = clampFrame(frame, this.frameCount);
		const item = this.current;
		if (!item || item.status !== 'ready') return;
		this.busy++;
		try {
			const [empty, noPrompts] = [this.objects, this.prompts];
			const [objects, prompts, summary] = await Promise.all([
				api.listObjects(this.pid, mediaId),
				api.listPrompts(this.pid, mediaId),
				api.annotationSummary(this.pid, mediaId),
				this.ensureMasks(this.frame)
			]);
			if (this.currentId !== mediaId) return;
			this.summary = summary;
			// Lists read for another tab's change meanwhile (syncObjects) are newer than these.
			if (this.prompts === noPrompts) this.prompts = prompts;
			if (this.objects !== empty) return;
			this.objects = objects;
			this.selectedObjectId = objects[0]?.id ?? null;
		} catch (error) {
			toasts.error(error);
		} finally {
			this.busy--;
		}
	}

	/** The masks of `frames` are now exactly `annotations`: cache them and update the timeline. */
	private setMasks(annotations: AnnotationPublic[], frames: number[]): void {
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
		this.maskVersion++;
	}

	/** Puts one object's new mask on one frame (the answer to a prompt, a restored mask). */
	private putMask(objectId: number, frame: number, annotation: AnnotationPublic | null): void {
		const others = (this.masks.get(frame) ?? []).filter((a) => a.object_id !== objectId);
		const list = annotation ? [...others, annotation].sort((a, b) => a.object_id - b.object_id) : others;
		if (list.length) this.masks.set(frame, list);
		else this.masks.delete(frame);
		this.summary = annotation ? applyMasks(this.summary, [annotation]) : clearObjectFrame(this.summary, objectId, frame);
		this.maskVersion++;
	}

	/** Fetches the masks of frames `start`..`end` (inclusive) of the open media item; false if that failed. */
	async reloadMasks(range: { start: number; end: number }): Promise<boolean> {
		const mediaId = this.currentId;
		if (mediaId === null) return false;
		const annotations = await attempt(() => api.listAnnotations(this.pid, mediaId, range));
		if (!annotations || this.currentId !== mediaId) return false;
		const frames: number[] = [];
		for (let f = range.start; f <= range.end; f++) {
			frames.push(f);
			this.fresh.add(f);
		}
		this.setMasks(annotations, frames);
		return true;
	}

	/** Makes sure the masks of `frame` (and a few frames around it) are fetched. */
	async ensureMasks(frame: number): Promise<void> {
		if (this.current?.status !== 'ready' || this.fresh.has(frame)) return;
		const start = Math.max(0, frame - MASKS_BEHIND);
		const end = Math.min(this.frameCount - 1, frame + MASKS_AHEAD);
		// Marked before the answer, so stepping through the window does not ask again meanwhile.
		const asked: number[] = [];
		for (let f = start; f <= end; f++) {
			if (!this.fresh.has(f)) asked.push(f);
			this.fresh.add(f);
		}
		const mediaId = this.currentId;
		const ok = await this.reloadMasks({ start, end });
		if (!ok && this.currentId === mediaId) for (const f of asked) this.fresh.delete(f);
	}

	/**
	 * Masks of `range` (or of every frame) changed on the server: the cached ones go stale (they
	 * stay on screen until re-read), the shown frame is re-read now and the timeline summary soon.
	 */
	private invalidateMasks(range: { start: number; end: number } | null): void {
		for (const f of [...this.fresh]) {
			if (!range || (f >= range.start && f <= range.end)) this.fresh.delete(f);
		}
		this.scheduleSummary();
		if (!this.playing) void this.ensureMasks(this.frame);
	}

	async reloadSummary(): Promise<void> {
		const mediaId = this.currentId;
		if (mediaId === null || this.current?.status !== 'ready') return;
		const summary = await attempt(() => api.annotationSummary(this.pid, mediaId));
		if (summary && this.currentId === mediaId) this.summary = summary;
	}

	private scheduleSummary(): void {
		if (this.summaryTimer) clearTimeout(this.summaryTimer);
		this.summaryTimer = setTimeout(() => {
			this.summaryTimer = null;
			void this.reloadSummary();
		}, 250);
	}

	async reloadMedia(): Promise<void> {
		const media = await attempt(() => api.listMedia(this.pid));
		if (media) this.media = media;
	}

	async reloadObjects(): Promise<void> {
		const mediaId = this.currentId;
		if (mediaId === null) return;
		const known = this.objects;
		const objects = await attempt(() => api.listObjects(this.pid, mediaId));
		// A list read while this tab changed its own may not show that change yet; the refresh
		// that follows every change reads it again.
		if (objects && this.currentId === mediaId && this.objects === known) this.showObjects(objects);
	}

	/**
	 * Shows the object list as the server has it. Objects that went (deleted in another tab) go
	 * with their masks and prompts, and no undo step names them any more; if one was selected,
	 * nothing is: the next click makes a new object rather than going to one the person did not pick.
	 */
	private showObjects(objects: ObjectPublic[]): void {
		const known = this.objects;
		// eslint-disable-next-line svelte/prefer-svelte-reactivity -- a local lookup, not state
		const listed = new Set(objects.map((o) => o.id));
		const gone = known.filter((o) => !listed.has(o.id)).map((o) => o.id);
		const selectedGone = this.selectedObjectId !== null && gone.includes(this.selectedObjectId);
		for (const id of gone) {
			for (const p of this.prompts) if (p.object_id === id) this.promptIds.vanished(p.id);
			this.objectIds.vanished(id);
			this.dropObjectLocally(id);
		}
		const relabelled = objects.some((o) => known.some((k) => k.id === o.id && k.label_id !== o.label_id));
		this.objects = objects;
		if (relabelled) this.maskVersion++;
		if (selectedGone) this.selectedObjectId = null;
		else if (this.selectedObjectId === null && !known.length) this.selectedObjectId = objects[0]?.id ?? null;
	}

	/**
	 * Another tab made, relabelled or deleted objects here: reads the object list and every prompt
	 * again, so new masks are drawn in their labels' colours with their markers (see showObjects
	 * for what went). One reading at a time; events arriving meanwhile, or a change made here
	 * while it was under way, ask for one more afterwards.
	 */
	private syncing: Promise<void> | null = null;
	private syncAgain = false;
	private syncObjects(): void {
		if (this.syncing) {
			this.syncAgain = true;
			return;
		}
		const mediaId = this.currentId;
		if (mediaId === null) return;
		this.syncing = (async () => {
			const [known, knownPrompts] = [this.objects, this.prompts];
			const [objects, prompts] = await Promise.all([api.listObjects(this.pid, mediaId), api.listPrompts(this.pid, mediaId)]).catch(() => [null, null]);
			if (!objects || !prompts || this.currentId !== mediaId) return;
			// Lists read while this tab changed its own may not show that change yet.
			if (this.objects !== known || this.prompts !== knownPrompts) {
				this.syncAgain = true;
				return;
			}
			// eslint-disable-next-line svelte/prefer-svelte-reactivity -- a local lookup, not state
			const listed = new Set(prompts.map((p) => p.id));
			for (const p of knownPrompts) if (!listed.has(p.id)) this.promptIds.vanished(p.id);
			this.showObjects(objects);
			this.prompts = prompts;
			// An import in another tab can bring labels this page has not seen: their colours.
			if (objects.some((o) => !this.project.label(o.label_id))) await this.project.reloadLabels();
		})().finally(() => {
			this.syncing = null;
			if (this.syncAgain) {
				this.syncAgain = false;
				this.syncObjects();
			}
		});
	}

	/** Whether the object list knows this object (a mask of an unknown one comes from another tab). */
	knowsObject(objectId: number): boolean {
		return this.objects.some((o) => o.id === objectId);
	}

	/** Refreshes media counts (to do / annotated) a moment after a burst of edits. */
	private scheduleRefresh(): void {
		if (this.refreshTimer) clearTimeout(this.refreshTimer);
		this.refreshTimer = setTimeout(() => {
			this.refreshTimer = null;
			void this.reloadMedia();
			void this.reloadObjects();
		}, 400);
	}

	decodedMask(annotation: AnnotationPublic): BinaryMask {
		let mask = this.decoded.get(annotation);
		if (!mask) {
			mask = decodeRle(annotation.rle as CocoRle);
			this.decoded.set(annotation, mask);
		}
		return mask;
	}

	labelColor(objectId: number): string {
		const obj = this.objects.find((o) => o.id === objectId);
		return this.project.label(obj?.label_id)?.color ?? '#ff0000';
	}

	/**
	 * Starts a checkpoint download job. Its progress and end arrive as job events on every open
	 * project stream; only while the stream is down does a slow check of the job stand in.
	 */
	async downloadModel(key: string): Promise<void> {
		if (this.download) return;
		try {
			const job = await api.downloadModel(key);
			this.download = { jobId: job.id, key, done: job.progress_done, total: job.progress_total };
			toasts.show(`Downloading ${key}…`);
			const early = this.finishedDownloads.get(job.id);
			if (early) this.finishDownload(String(early.status) as JobPublic['status'], early.error);
			else if (FINISHED.includes(job.status)) this.finishDownload(job.status, job.error);
			else this.watchDownload(job.id);
		} catch (error) {
			this.download = null;
			toasts.error(error);
		}
	}

	private watchDownload(jobId: number): void {
		const check = async () => {
			if (this.download?.jobId !== jobId) return;
			if (!this.project.events.connected) {
				const job = await api.getJob(jobId).catch(() => null);
				if (job && FINISHED.includes(job.status)) {
					this.finishDownload(job.status, job.error);
					return;
				}
			}
			this.downloadTimer = setTimeout(check, 15_000);
		};
		this.downloadTimer = setTimeout(check, 15_000);
	}

	private finishDownload(status: JobPublic['status'], error: unknown): void {
		const key = this.download?.key ?? 'the model';
		if (this.downloadTimer) clearTimeout(this.downloadTimer);
		this.download = null;
		if (status === 'completed') toasts.show(`${key} is ready`, 'success');
		else toasts.show(`Download of ${key} ${status}: ${typeof error === 'string' ? error : ''}`, 'error', 10000);
		void this.reloadModels();
	}

	async reloadModels(): Promise<void> {
		const models = await attempt(() => api.models());
		if (models) this.models = models;
	}

	// --- navigation ----------------------------------------------------------------------------

	setFrame(frame: number): void {
		this.frame = clampFrame(frame, this.frameCount);
		void this.ensureMasks(this.frame);
	}

	step(delta: number): void {
		if (this.isVideo) this.setFrame(this.frame + delta);
		else this.stepMedia(Math.sign(delta));
	}

	stepMedia(delta: number): void {
		const ready = this.media.filter((m) => m.status === 'ready');
		const i = ready.findIndex((m) => m.id === this.currentId);
		const next = ready[i + delta];
		if (next) void this.openMedia(next.id);
	}

	/** U: the next frame without masks in this video, else the next media item still to do. */
	nextUnannotated(): void {
		if (this.isVideo) {
			const f = nextUnannotated(this.frame, this.frameCount, this.annotatedFrames);
			if (f !== null) {
				this.setFrame(f);
				return;
			}
		}
		const next = this.todo.find((m) => m.id !== this.currentId && m.status === 'ready');
		if (next) void this.openMedia(next.id);
		else toasts.show('Everything is annotated');
	}

	// --- playback ------------------------------------------------------------------------------

	togglePlay(): void {
		if (this.playing) this.stop();
		else this.play();
	}

	play(): void {
		if (!this.isVideo || this.frameCount < 2) return;
		if (this.frame >= this.frameCount - 1) this.frame = 0;
		this.playing = true;
		const fps = this.current?.fps || 25;
		let startFrame = this.frame;
		let startTime = performance.now();
		const tick = (now: number) => {
			if (!this.playing) return;
			const { frame, ended } = playbackFrame(startFrame, now - startTime, fps, this.frameCount);
			if (frame !== this.frame) {
				// The view only shows a frame once its preview is decoded; if the network is slower
				// than the video, restart the clock from the frame actually shown instead of skipping.
				if (this.previewReady?.(frame) ?? true) this.frame = frame;
				else {
					startFrame = this.frame;
					startTime = now;
				}
			}
			if (ended) this.stop();
			else this.playHandle = requestAnimationFrame(tick);
		};
		this.playHandle = requestAnimationFrame(tick);
	}

	/** Set by the view: whether the annotated preview of a frame is loaded (preloads it if not). */
	previewReady: ((frame: number) => boolean) | null = null;

	stop(): void {
		cancelAnimationFrame(this.playHandle);
		if (!this.playing) return;
		this.playing = false;
		void this.ensureMasks(this.frame);
	}

	annotatedUrl(frame: number): string | null {
		if (this.currentId === null) return null;
		const hidden = [...this.hidden].join(',');
		return urls.annotatedFrame(this.pid, this.currentId, frame, this.maskVersion) + (hidden ? `&hidden=${hidden}` : '');
	}

	frameUrl(frame: number): string | null {
		return this.currentId === null ? null : urls.frame(this.pid, this.currentId, frame);
	}

	// --- objects -------------------------------------------------------------------------------

	private requireMedia(): number {
		if (this.currentId === null || this.current?.status !== 'ready') throw new Error('Open a ready media item first');
		return this.currentId;
	}

	private requireLabel(): number {
		const id = this.selectedLabelId ?? this.project.labels[0]?.id;
		if (id === undefined || id === null) throw new Error('Create a label first (Labels page)');
		return id;
	}

	/**
	 * N: a new object with the selected label, selected for the next clicks. Undoable. Clicks
	 * made while it is being created go to it (see addPrompt), not to the object selected before.
	 */
	newObject(): Promise<number | null> {
		const mediaId = this.currentId;
		const promise = this.createObject();
		this.creating = { mediaId, promise };
		void promise.finally(() => {
			if (this.creating?.promise === promise) this.creating = null;
		});
		return promise;
	}

	/** The object being created for `creating.mediaId` (by N or a first click), if any. */
	private creating: { mediaId: number | null; promise: Promise<number | null> } | null = null;

	private async createObject(): Promise<number | null> {
		try {
			const mediaId = this.requireMedia();
			const labelId = this.requireLabel();
			let ref: IdRef | null = null;
			const command: Command = {
				label: 'New object',
				do: async () => {
					const obj = await api.createObject(this.pid, mediaId, labelId);
					if (ref === null) ref = this.objectIds.fresh(obj.id);
					else this.objectIds.moved(ref, obj.id);
					if (this.currentId !== mediaId) return; // another media item was opened meanwhile
					this.objects = [...this.objects.filter((o) => o.id !== obj.id), obj];
					this.selectedObjectId = obj.id;
				},
				undo: async () => {
					const id = ref!.id;
					await api.deleteObject(this.pid, mediaId, id);
					this.objectIds.dropped(ref!);
					if (this.currentId === mediaId) this.dropObjectLocally(id);
				}
			};
			await this.execute(mediaId, command);
			this.scheduleRefresh();
			return (ref as IdRef | null)?.id ?? null;
		} catch (error) {
			toasts.error(error);
			return null;
		}
	}

	/** Runs a step and records it in the history of `mediaId` (not necessarily the open item). */
	private execute(mediaId: number, command: Command): Promise<void> {
		return this.histories.of(mediaId).execute(unlessGone(command));
	}

	private dropObjectLocally(id: number): void {
		this.objects = this.objects.filter((o) => o.id !== id);
		this.prompts = this.prompts.filter((p) => p.object_id !== id);
		for (const [f, list] of [...this.masks.entries()]) {
			if (list.some((a) => a.object_id === id)) {
				const rest = list.filter((a) => a.object_id !== id);
				if (rest.length) this.masks.set(f, rest);
				else this.masks.delete(f);
			}
		}
		this.summary = withoutObject(this.summary, id);
		this.maskVersion++;
		if (this.selectedObjectId === id) this.selectedObjectId = this.objects.at(-1)?.id ?? null;
	}

	/** Deletes an object with its masks. Undo recreates it, replays its prompts and restores its masks. */
	async deleteObject(objectId: number): Promise<void> {
		try {
			const mediaId = this.requireMedia();
			const obj = this.objects.find((o) => o.id === objectId);
			if (!obj) return;
			const pid = this.pid;
			await this.execute(
				mediaId,
				deleteObjectCommand({
					objectId,
					labelId: obj.label_id,
					trackId: obj.track_id,
					prompts: this.prompts.filter((p) => p.object_id === objectId).map((p) => ({ ...p })),
					server: {
						masksOf: (id) => api.listAnnotations(pid, mediaId, { object_id: id }),
						deleteObject: (id) => api.deleteObject(pid, mediaId, id).then(() => undefined),
						// Its own track id back, unless another object took it meanwhile.
						createObject: (labelId, trackId) =>
							api.createObject(pid, mediaId, labelId, trackId).catch((error: unknown) => {
								if (error instanceof ApiError && error.status === 409) return api.createObject(pid, mediaId, labelId);
								throw error;
							}),
						addPrompt: (prompt) => api.addPrompt(pid, mediaId, { ...prompt, model: this.modelKey }),
						putMasks: (masks) => api.putAnnotations(pid, mediaId, masks)
					},
					objectIds: this.objectIds,
					promptIds: this.promptIds,
					onDeleted: (id) => {
						if (this.currentId === mediaId) this.dropObjectLocally(id);
					},
					onRestored: (restored) => this.restoreObjectLocally(restored)
				})
			);
			this.scheduleRefresh();
		} catch (error) {
			toasts.error(error);
		}
	}

	private restoreObjectLocally({ object, prompts, masks }: Restored): void {
		if (this.currentId !== object.media_id) return;
		// A refresh may have listed the new object (or prompt) already while the undo ran.
		this.objects = [...this.objects.filter((o) => o.id !== object.id), object];
		for (const { prompt, annotation } of prompts) {
			if (prompt) {
				this.prompts = [...this.prompts.filter((p) => p.id !== prompt.id), prompt];
				this.putMask(object.id, prompt.frame_index, annotation);
			}
		}
		// Cached frames get their mask back now; the others are read when shown.
		for (const m of masks) if (this.masks.has(m.frame_index) || this.fresh.has(m.frame_index)) this.putMask(object.id, m.frame_index, m);
		this.summary = applyMasks(this.summary, masks);
		this.selectedObjectId = object.id;
	}

	async relabelObject(objectId: number, labelId: number): Promise<void> {
		try {
			const mediaId = this.requireMedia();
			const obj = this.objects.find((o) => o.id === objectId);
			if (!obj || obj.label_id === labelId) return;
			const before = obj.label_id;
			const ref = this.objectIds.ref(objectId);
			const apply = async (label: number) => {
				const id = ref.id;
				const updated = await api.updateObject(this.pid, mediaId, id, label);
				if (this.currentId !== mediaId) return;
				this.objects = this.objects.map((o) => (o.id === id ? updated : o));
				this.maskVersion++;
			};
			await this.execute(mediaId, { label: 'Relabel object', do: () => apply(labelId), undo: () => apply(before) });
		} catch (error) {
			toasts.error(error);
		}
	}

	toggleHidden(objectId: number): void {
		if (this.hidden.has(objectId)) this.hidden.delete(objectId);
		else this.hidden.add(objectId);
	}

	/** The label for new objects; kept for this project across reloads. */
	selectLabel(labelId: number): void {
		this.selectedLabelId = labelId;
		rememberLabel(this.pid, labelId);
	}

	/**
	 * Digit keys and label buttons: the label for new objects, and for the selected object too
	 * (undoable); right after N, that is the object being created, not the one selected before.
	 */
	async chooseLabel(labelId: number): Promise<void> {
		this.selectLabel(labelId);
		if (this.creating && this.creating.mediaId === this.currentId) await this.creating.promise;
		const obj = this.selectedObject;
		if (obj) await this.relabelObject(obj.id, labelId);
	}

	// --- prompts -------------------------------------------------------------------------------

	/** A click or a box: shows a pending marker at once, then the server's mask replaces it. */
	async addPrompt(prompt: DistributiveOmit<PromptCreate, 'object_id' | 'frame_index'>): Promise<void> {
		let mediaId: number;
		try {
			mediaId = this.requireMedia();
		} catch (error) {
			toasts.error(error);
			return;
		}
		const frame = this.frame;
		const key = this.pendingKey++;
		const marker: PendingPrompt = {
			key,
			id: null,
			objectId: this.selectedObjectId ?? -1,
			color: this.project.label(this.selectedLabelId)?.color ?? '#ffffff',
			kind: prompt.kind ?? 'point',
			positive: prompt.positive ?? true,
			x: prompt.kind === 'box' ? prompt.x0! : prompt.x!,
			y: prompt.kind === 'box' ? prompt.y0! : prompt.y!,
			x1: prompt.kind === 'box' ? prompt.x1 : undefined,
			y1: prompt.kind === 'box' ? prompt.y1 : undefined
		};
		this.pending = [...this.pending, marker];
		try {
			// A click made while an object is being created (N, or the first click of a quick pair
			// on a frame without objects) goes to that object once it exists.
			let objectId = this.creating?.mediaId === mediaId ? await this.creating.promise : this.selectedObjectId;
			if (objectId === null || !this.objects.some((o) => o.id === objectId)) {
				objectId = await this.newObject();
				if (objectId === null) return;
			}
			const objectRef = this.objectIds.ref(objectId);
			let promptRef: IdRef | null = null;
			const body = { ...prompt, frame_index: frame };
			await this.execute(mediaId, {
				label: prompt.kind === 'box' ? 'Add box' : prompt.positive === false ? 'Add negative point' : 'Add point',
				do: async () => {
					const oid = objectRef.id;
					const result = await api.addPrompt(this.pid, mediaId, { ...body, object_id: oid, model: this.modelKey });
					if (!result.prompt) return;
					if (promptRef === null) promptRef = this.promptIds.fresh(result.prompt.id);
					else this.promptIds.moved(promptRef, result.prompt.id);
					if (this.currentId !== mediaId) return; // the answer came after another media item was opened
					// A reload of the list (another tab's object) may have listed it already.
					this.prompts = [...this.prompts.filter((p) => p.id !== result.prompt!.id), result.prompt];
					this.putMask(oid, frame, result.annotation);
				},
				undo: async () => {
					const pid = promptRef!.id;
					const result = await api.deletePrompt(this.pid, mediaId, pid);
					this.promptIds.dropped(promptRef!);
					if (this.currentId !== mediaId) return;
					this.prompts = this.prompts.filter((p) => p.id !== pid);
					this.putMask(objectRef.id, frame, result.annotation);
				}
			});
			this.scheduleRefresh();
		} catch (error) {
			toasts.error(error);
		} finally {
			this.pending = this.pending.filter((p) => p.key !== key);
		}
	}

	/** Right-click on a marker: removes the prompt and shows the recomputed mask. Undoable. */
	async removePrompt(promptId: number): Promise<void> {
		const original = this.prompts.find((p) => p.id === promptId);
		if (!original) return;
		try {
			const mediaId = this.requireMedia();
			const saved = { ...original };
			const promptRef = this.promptIds.ref(saved.id);
			const objectRef = this.objectIds.ref(saved.object_id);
			await this.execute(mediaId, {
				label: 'Remove prompt',
				do: async () => {
					const id = promptRef.id;
					const result = await api.deletePrompt(this.pid, mediaId, id);
					this.promptIds.dropped(promptRef);
					if (this.currentId !== mediaId) return;
					this.prompts = this.prompts.filter((p) => p.id !== id);
					this.putMask(objectRef.id, saved.frame_index, result.annotation);
				},
				undo: async () => {
					const oid = objectRef.id;
					const result = await api.addPrompt(this.pid, mediaId, { ...promptToCreate(saved), object_id: oid, model: this.modelKey });
					if (result.prompt) this.promptIds.moved(promptRef, result.prompt.id);
					if (this.currentId !== mediaId) return;
					if (result.prompt) this.prompts = [...this.prompts.filter((p) => p.id !== result.prompt!.id), result.prompt];
					this.putMask(oid, saved.frame_index, result.annotation);
				}
			});
			this.scheduleRefresh();
		} catch (error) {
			toasts.error(error);
		}
	}

	async undoLast(): Promise<void> {
		try {
			await this.undo.undo();
			this.scheduleRefresh();
		} catch (error) {
			toasts.error(error);
		}
	}

	async redoLast(): Promise<void> {
		try {
			await this.undo.redo();
			this.scheduleRefresh();
		} catch (error) {
			toasts.error(error);
		}
	}

	// --- tracking ------------------------------------------------------------------------------

	async track(direction: TrackDirection, numFrames: number | null): Promise<void> {
		try {
			const mediaId = this.requireMedia();
			if (!this.isVideo) throw new Error('Tracking is for videos; images need no tracking');
			if (this.frameCount < 2) {
				toasts.show(SINGLE_FRAME);
				return;
			}
			if (this.job && (this.job.status === 'queued' || this.job.status === 'running')) {
				throw new Error('A tracking job is already running: wait or cancel it');
			}
			const job = await api.propagate(this.pid, mediaId, {
				start_frame: this.frame,
				direction,
				num_frames: numFrames,
				model: this.modelKey
			});
			this.job = { id: job.id, mediaId, status: job.status, done: job.progress_done, total: job.progress_total };
			this.lastProgressFrame = null;
			this.ownJobs.add(job.id);
			// A short job can end before its POST is answered.
			const early = this.earlyFinished.get(job.id);
			if (early) this.jobFinished(early);
		} catch (error) {
			toasts.error(error);
		}
	}

	async cancelJob(): Promise<void> {
		if (!this.job) return;
		const id = this.job.id;
		await attempt(() => api.cancelJob(id));
	}

	/** Tracking jobs this studio started: their undo belongs to its history (not another tab's). */
	// eslint-disable-next-line svelte/prefer-svelte-reactivity -- bookkeeping that nothing renders
	private ownJobs = new Set<number>();
	/** Tracking jobs whose end arrived before the POST that started them was answered. */
	// eslint-disable-next-line svelte/prefer-svelte-reactivity -- bookkeeping that nothing renders
	private earlyFinished = new Map<number, ProjectEventData>();

	private jobFinished(data: ProjectEventData): void {
		if (!this.job || this.job.id !== data.job_id) return;
		this.earlyFinished.delete(this.job.id);
		const status = String(data.status) as JobPublic['status'];
		this.job = { ...this.job, status, done: Number(data.done ?? this.job.done), total: Number(data.total ?? this.job.total) };
		if (status === 'failed') toasts.show(`Tracking failed: ${String(data.error ?? 'unknown error')}`, 'error', 10000);
		else if (status === 'canceled') toasts.show('Tracking canceled; the frames already tracked are kept (Ctrl+Z removes them)');
		else if (this.job.total === 0) toasts.show('Nothing to track: no frames that way from this frame (or only key frames)');
		else toasts.show('Tracking finished', 'success');
		if (this.job.mediaId !== null && this.ownJobs.has(this.job.id) && this.job.done > 0) {
			this.histories.of(this.job.mediaId).record(this.trackCommand(this.job.id, this.job.mediaId));
		}
		if (this.job.mediaId === this.currentId) void this.reloadSummary();
		void this.reloadMedia();
		void this.reloadObjects();
	}

	/**
	 * A finished tracking job as an undoable command: the server kept the masks it replaced, so
	 * undo puts them back and removes the ones it created; redo puts the tracked ones back.
	 */
	private trackCommand(jobId: number, mediaId: number): Command {
		const apply = async (undone: boolean) => {
			try {
				await (undone ? api.undoJob(jobId) : api.redoJob(jobId));
			} catch (error) {
				// The server keeps the changes of a video's last tracking jobs only.
				if (error instanceof ApiError && error.status === 410) throw new Irreversible(error.message);
				throw error;
			}
			if (undone && this.job?.id === jobId) this.job = null;
			if (this.currentId !== mediaId) return;
			this.invalidateMasks(null);
			await this.reloadSummary();
		};
		return { label: 'Track', do: () => apply(false), undo: () => apply(true) };
	}

	private lastProgressReload = 0;
	private lastProgressFrame: number | null = null;

	private onEvent(type: ProjectEventType, data: ProjectEventData): void {
		const mediaId = typeof data.media_id === 'number' ? data.media_id : null;
		if (type === 'media.ready') {
			void this.reloadMedia();
			return;
		}
		if (this.onDownloadEvent(type, data)) return;
		if (type === 'job.progress' && this.job && data.job_id === this.job.id) {
			this.job = { ...this.job, status: 'running', done: Number(data.done ?? 0), total: Number(data.total ?? 0) };
			if (this.job.mediaId !== this.currentId) return;
			// Masks fill in while the job runs: fetch only the frames written since the last
			// progress event (the server throttles these events), else the summary once a second.
			// The first event fetches what the job wrote so far (`frames`: the lowest and highest),
			// or, if that is much (the page opened on a running job), marks it to be read when shown.
			if (typeof data.frame === 'number') {
				let [from, to] = [this.lastProgressFrame ?? data.frame, data.frame];
				const hull = Array.isArray(data.frames) && data.frames.length === 2 ? (data.frames as number[]) : null;
				if (this.lastProgressFrame === null && hull) {
					if (hull[1] - hull[0] < FIRST_PROGRESS_RELOAD) [from, to] = hull;
					else this.invalidateMasks({ start: hull[0], end: hull[1] });
				}
				this.lastProgressFrame = data.frame;
				void this.reloadMasks({ start: Math.min(from, to), end: Math.max(from, to) });
			} else {
				const now = performance.now();
				if (now - this.lastProgressReload > 1000) {
					this.lastProgressReload = now;
					this.invalidateMasks(null);
				}
			}
			return;
		}
		if (type === 'job.finished' && data.kind === 'propagate' && typeof data.job_id === 'number') {
			if (this.job && data.job_id === this.job.id) this.jobFinished(data);
			else {
				this.earlyFinished.set(data.job_id, data);
				if (this.earlyFinished.size > 20) this.earlyFinished.delete(this.earlyFinished.keys().next().value!);
			}
			return;
		}
		if (type === 'media.deleted') {
			if (mediaId !== null) this.mediaDeleted(mediaId, typeof data.name === 'string' ? data.name : null);
			return;
		}
		if (type === 'objects.updated') {
			if (mediaId !== null && mediaId === this.currentId) this.syncObjects();
			return;
		}
		if (type === 'annotations.updated' && mediaId !== null && mediaId === this.currentId) {
			const named = Array.isArray(data.object_ids) ? (data.object_ids as number[]) : [];
			const frames = Array.isArray(data.frames) ? (data.frames as number[]) : null;
			const range = frames && frames.length ? { start: Math.min(...frames), end: Math.max(...frames) } : null;
			// One frame: a click or a removed prompt (here or in another tab), whose marker to show.
			if (named.some((id) => !this.knowsObject(id)) || (named.length && range && range.start === range.end)) this.syncObjects();
			if (range && range.end - range.start < RELOAD_AT_ONCE) void this.reloadMasks(range);
			else if (range || !this.job || this.job.status !== 'running') this.invalidateMasks(range);
		}
	}

	/** A media item was deleted (in the gallery, another tab): forget it; if it is open, say so and close it. */
	private mediaDeleted(mediaId: number, name: string | null): void {
		const item = this.media.find((m) => m.id === mediaId);
		this.media = this.media.filter((m) => m.id !== mediaId);
		this.histories.drop(mediaId);
		if (this.currentId !== mediaId) return;
		this.resetView(null);
		toasts.show(`“${name ?? item?.name ?? 'This media item'}” was deleted (in the gallery or another tab), with its annotations. Choose another item on the left.`, 'error', 0);
	}

	/** Model downloads belong to no project; their events reach every open project stream. */
	private onDownloadEvent(type: ProjectEventType, data: ProjectEventData): boolean {
		const jobId = typeof data.job_id === 'number' ? data.job_id : null;
		if (jobId === null) return false;
		if (type === 'job.progress' && this.download?.jobId === jobId) {
			this.download = { ...this.download, done: Number(data.done ?? 0), total: Number(data.total ?? 0) };
			return true;
		}
		if (type === 'job.finished' && data.kind === 'download-model') {
			this.finishedDownloads.set(jobId, data);
			if (this.download?.jobId === jobId) this.finishDownload(String(data.status) as JobPublic['status'], data.error);
			else void this.reloadModels(); // another tab's download: the model list changed
			return true;
		}
		return false;
	}

	/**
	 * Imports an annotation file into the open media item, then re-reads what it can change:
	 * labels, objects, the timeline and the masks. Resolves to the server's summary, or null.
	 */
	/** Import a file into the open media item; `replace` deletes its objects (prompts, masks) first. */
	async importAnnotations(format: ImportFormat, file: File, frame?: number, replace = false): Promise<ImportSummary | null> {
		try {
			const mediaId = this.requireMedia();
			this.busy++;
			try {
				const result = await api.importAnnotations(this.pid, mediaId, format, file, frame, replace);
				// The history's steps name objects and prompts that are gone: nothing is left to undo.
				if (replace) this.histories.drop(mediaId);
				if (this.currentId === mediaId) {
					if (replace) {
						this.undo = this.histories.of(mediaId);
						this.showUndoState();
						this.prompts = []; // they went with their objects; an import makes none
					}
					await Promise.all([this.project.reloadLabels(), this.reloadObjects(), this.reloadSummary()]);
					// As on opening a media item: clicks go to an existing object, not a new one.
					if (!this.objects.some((o) => o.id === this.selectedObjectId)) this.selectedObjectId = this.objects[0]?.id ?? null;
					this.invalidateMasks(null);
					this.scheduleRefresh();
				}
				return result;
			} finally {
				this.busy--;
			}
		} catch (error) {
			toasts.error(error);
			return null;
		}
	}

	/** The canvas's prompt markers for the current frame: server prompts plus pending clicks. */
	markers(): PromptMarker[] {
		const out: PromptMarker[] = [];
		for (const p of this.framePrompts) {
			if (this.hidden.has(p.object_id)) continue;
			const color = this.labelColor(p.object_id);
			if (p.kind === 'box') {
				out.push({ id: p.id, objectId: p.object_id, color, kind: 'box', positive: true, x: p.x0 ?? 0, y: p.y0 ?? 0, x1: p.x1 ?? 0, y1: p.y1 ?? 0 });
			} else {
				out.push({ id: p.id, objectId: p.object_id, color, kind: 'point', positive: p.positive, x: p.x ?? 0, y: p.y ?? 0 });
			}
		}
		for (const p of this.pending) out.push(p);
		return out;
	}

	destroy(): void {
		this.stop();
		this.unsubscribe?.();
		for (const timer of [this.refreshTimer, this.summaryTimer, this.downloadTimer]) if (timer) clearTimeout(timer);
	}
}
