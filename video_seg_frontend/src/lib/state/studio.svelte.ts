/**
 * The studio's one state object: the canvas, timeline, media list and panels all read it, and
 * every change that reaches the server goes through its methods (and, if undoable, the stack).
 * It is composed of parts, each one concern: the mask cache, the object list, the edits, the
 * tracking job, the model catalogue and playback (in ./studio/); this class opens media items,
 * navigates, keeps the undo histories and routes the project's events to the parts.
 */
import { api, urls, type ImportFormat } from '$lib/api/client';
import type { AnnotationPublic, DistributiveOmit, ImportSummary, JobPublic, MediaPublic, ModelInfo, PromptCreate } from '$lib/api/types';
import type { PromptMarker } from '$lib/canvas/model';
import type { BinaryMask } from '$lib/canvas/rle';
import { unlessGone } from './commands';
import type { ProjectEvent } from './event-payloads';
import type { ProjectState } from './project.svelte';
import { rememberLabel, rememberedLabel } from './studio/label-memory';
import { MaskCache } from './studio/mask-cache.svelte';
import { ModelCatalogue } from './studio/model-catalogue.svelte';
import { ObjectEdits } from './studio/object-edits';
import { ObjectList } from './studio/object-list.svelte';
import { Playback } from './studio/playback.svelte';
import { TrackingJob, type TrackDirection } from './studio/tracking-job.svelte';
import { clampFrame, nextUnannotated, summaryFrames, summaryKeyFrames } from './timeline';
import { attempt, toasts } from './toasts.svelte';
import { UndoHistories, type Command, type UndoStack } from './undo';

export type { ModelDownload } from './studio/model-catalogue.svelte';
export type { JobProgress, TrackDirection } from './studio/tracking-job.svelte';

/** An annotations.updated range up to this long is re-read at once; a longer one only goes stale. */
const RELOAD_AT_ONCE = 16;

/** Undo depth per media item, and how many media items keep their history. */
const UNDO_DEPTH = 200;
const UNDO_MEDIA = 20;

export const SINGLE_FRAME = 'This video has a single frame: there is nothing to track';

export class StudioState {
	media = $state<MediaPublic[]>([]);
	currentId = $state<number | null>(null);
	frame = $state(0);
	selectedLabelId = $state<number | null>(null);
	undoState = $state({ canUndo: false, canRedo: false, undoLabel: '', redoLabel: '' });
	busy = $state(0);

	readonly maskCache = new MaskCache(this);
	readonly list = new ObjectList(this);
	readonly edits = new ObjectEdits(this);
	readonly tracking = new TrackingJob(this);
	readonly catalogue: ModelCatalogue;
	readonly playback = new Playback(this);

	/** Undo histories of the media items opened last; `undo` is the open item's. */
	private histories = new UndoHistories<number | null>(UNDO_MEDIA, UNDO_DEPTH, (stack) => {
		if (stack === this.undo) this.showUndoState();
	});
	undo: UndoStack = this.histories.of(null);
	private unsubscribe: () => void;
	private refreshTimer: ReturnType<typeof setTimeout> | null = null;

	current = $derived(this.media.find((m) => m.id === this.currentId) ?? null);
	ready = $derived(this.current?.status === 'ready');
	frameCount = $derived(this.current ? Math.max(1, this.current.num_frames) : 1);
	isVideo = $derived(this.current?.kind === 'video');
	fps = $derived(this.current?.fps ?? 0);
	framePrompts = $derived(this.list.prompts.filter((p) => p.frame_index === this.frame));
	frameMasks = $derived(this.maskCache.masks.get(this.frame) ?? []);
	keyFrames = $derived(
		// eslint-disable-next-line svelte/prefer-svelte-reactivity -- a throwaway inside a derived value
		[...new Set([...this.list.prompts.map((p) => p.frame_index), ...summaryKeyFrames(this.summary)])].sort((a, b) => a - b)
	);
	annotatedFrames = $derived(summaryFrames(this.summary));
	todo = $derived(this.media.filter((m) => m.annotated_frames === 0));
	done = $derived(this.media.filter((m) => m.annotated_frames > 0));

	constructor(readonly project: ProjectState) {
		this.catalogue = new ModelCatalogue(() => project.events.connected);
		this.unsubscribe = project.events.on((event) => this.onEvent(event));
	}

	// --- what the parts hold, read under the names the views and tests use ----------------------

	get pid(): number {
		return this.project.id;
	}
	/** frame -> masks, for the frames fetched so far. */
	get masks() {
		return this.maskCache.masks;
	}
	get summary() {
		return this.maskCache.summary;
	}
	get maskVersion(): number {
		return this.maskCache.version;
	}
	get objects() {
		return this.list.objects;
	}
	/** All prompts of the current media item (every frame). */
	get prompts() {
		return this.list.prompts;
	}
	get pending() {
		return this.list.pending;
	}
	get hidden() {
		return this.list.hidden;
	}
	get selectedObjectId(): number | null {
		return this.list.selectedId;
	}
	set selectedObjectId(id: number | null) {
		this.list.selectedId = id;
	}
	get selectedObject() {
		return this.list.selected;
	}
	get job() {
		return this.tracking.job;
	}
	get compute() {
		return this.catalogue.compute;
	}
	get modelKey(): string | null {
		return this.catalogue.key;
	}
	get playing(): boolean {
		return this.playback.playing;
	}
	/** Set by the view: whether the annotated preview of a frame is loaded (preloads it if not). */
	get previewReady() {
		return this.playback.previewReady;
	}
	set previewReady(ready: ((frame: number) => boolean) | null) {
		this.playback.previewReady = ready;
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
		this.catalogue.show(models, health);
		// A tracking job started before this page opened (or in another tab) keeps its progress bar.
		const running = jobs.find((j) => j.kind === 'propagate');
		if (running) this.tracking.adopt(running);
		this.media = media;
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
		this.list.clear();
		this.maskCache.clear();
		// Each item keeps its own history: back on an image, Ctrl+Z undoes what was done there.
		this.undo = this.histories.of(mediaId);
		this.showUndoState();
	}

	async openMedia(mediaId: number, frame = 0): Promise<void> {
		this.resetView(mediaId);
		this.frame = clampFrame(frame, this.frameCount);
		if (!this.ready) return;
		const list = this.list;
		this.busy++;
		try {
			const [empty, noPrompts] = [list.objects, list.prompts];
			const [objects, prompts, summary] = await Promise.all([
				api.listObjects(this.pid, mediaId),
				api.listPrompts(this.pid, mediaId),
				api.annotationSummary(this.pid, mediaId),
				this.maskCache.ensure(this.frame)
			]);
			if (this.currentId !== mediaId) return;
			this.maskCache.summary = summary;
			// Lists read for another tab's change meanwhile (list.sync) are newer than these.
			if (list.prompts === noPrompts) list.prompts = prompts;
			if (list.objects !== empty) return;
			list.objects = objects;
			list.selectedId = objects[0]?.id ?? null;
		} catch (error) {
			toasts.error(error);
		} finally {
			this.busy--;
		}
	}

	async reloadMedia(): Promise<void> {
		const media = await attempt(() => api.listMedia(this.pid));
		if (media) this.media = media;
	}

	/** Refreshes media counts (to do / annotated) a moment after a burst of edits. */
	changed(): void {
		if (this.refreshTimer) clearTimeout(this.refreshTimer);
		this.refreshTimer = setTimeout(() => {
			this.refreshTimer = null;
			void this.reloadMedia();
			void this.list.reload();
		}, 400);
	}

	// --- navigation and playback -----------------------------------------------------------------

	setFrame(frame: number): void {
		this.frame = clampFrame(frame, this.frameCount);
		void this.maskCache.ensure(this.frame);
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

	togglePlay(): void {
		this.playback.toggle();
	}

	stop(): void {
		this.playback.stop();
	}

	/** Playback stopped: the masks of the frame it stopped on are fetched (they are not while playing). */
	stopped(): void {
		void this.maskCache.ensure(this.frame);
	}

	annotatedUrl(frame: number): string | null {
		if (this.currentId === null) return null;
		const hidden = [...this.list.hidden].join(',');
		return urls.annotatedFrame(this.pid, this.currentId, frame, this.maskVersion) + (hidden ? `&hidden=${hidden}` : '');
	}

	frameUrl(frame: number): string | null {
		return this.currentId === null ? null : urls.frame(this.pid, this.currentId, frame);
	}

	// --- objects, prompts and undo -----------------------------------------------------------------

	requireMedia(): number {
		if (this.currentId === null || !this.ready) throw new Error('Open a ready media item first');
		return this.currentId;
	}

	requireLabel(): number {
		const id = this.selectedLabelId ?? this.project.labels[0]?.id;
		if (id === undefined || id === null) throw new Error('Create a label first (Labels page)');
		return id;
	}

	/** Runs a step and records it in the history of `mediaId` (not necessarily the open item). */
	execute(mediaId: number, command: Command): Promise<void> {
		return this.histories.of(mediaId).execute(unlessGone(command));
	}

	/** Puts a finished step (a tracking job) in the history of `mediaId`. */
	record(mediaId: number, command: Command): void {
		this.histories.of(mediaId).record(command);
	}

	private showUndoState(): void {
		this.undoState = {
			canUndo: this.undo.canUndo,
			canRedo: this.undo.canRedo,
			undoLabel: this.undo.undoLabel ?? '',
			redoLabel: this.undo.redoLabel ?? ''
		};
	}

	newObject(): Promise<number | null> {
		return this.edits.newObject();
	}

	addPrompt(prompt: DistributiveOmit<PromptCreate, 'object_id' | 'frame_index'>): Promise<void> {
		return this.edits.addPrompt(prompt);
	}

	removePrompt(promptId: number): Promise<void> {
		return this.edits.removePrompt(promptId);
	}

	newPart(parentId: number, part: string): Promise<number | null> {
		return this.edits.newPart(parentId, part);
	}

	deleteObject(objectId: number): Promise<void> {
		return this.edits.deleteObject(objectId);
	}

	relabelObject(objectId: number, labelId: number): Promise<void> {
		return this.edits.relabelObject(objectId, labelId);
	}

	toggleHidden(objectId: number): void {
		this.list.toggleHidden(objectId);
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
		await this.edits.settled();
		const obj = this.selectedObject;
		if (obj) await this.relabelObject(obj.id, labelId);
	}

	async undoLast(): Promise<void> {
		try {
			await this.undo.undo();
			this.changed();
		} catch (error) {
			toasts.error(error);
		}
	}

	async redoLast(): Promise<void> {
		try {
			await this.undo.redo();
			this.changed();
		} catch (error) {
			toasts.error(error);
		}
	}

	knowsObject(objectId: number): boolean {
		return this.list.knows(objectId);
	}

	labelColor(objectId: number): string {
		return this.list.labelColor(objectId);
	}

	decodedMask(annotation: AnnotationPublic): BinaryMask {
		return this.maskCache.decode(annotation);
	}

	/** The canvas's prompt markers for the current frame: server prompts plus pending clicks. */
	markers(): PromptMarker[] {
		return this.list.markers(this.frame);
	}

	// --- tracking and import -----------------------------------------------------------------------

	async track(direction: TrackDirection, numFrames: number | null, stopBelow: number | null = null, keepConfident = true): Promise<void> {
		try {
			const mediaId = this.requireMedia();
			if (!this.isVideo) throw new Error('Tracking is for videos; images need no tracking');
			if (this.frameCount < 2) {
				toasts.show(SINGLE_FRAME);
				return;
			}
			await this.tracking.start(mediaId, { start_frame: this.frame, direction, num_frames: numFrames, model: this.modelKey, stop_below: stopBelow, keep_confident: keepConfident });
		} catch (error) {
			toasts.error(error);
		}
	}

	cancelJob(): Promise<void> {
		return this.tracking.cancel();
	}

	/** A tracking job ended: the counts, the object list and (if it is open) the timeline are read again. */
	jobEnded(mediaId: number | null): void {
		if (mediaId === this.currentId) void this.maskCache.reloadSummary();
		void this.reloadMedia();
		void this.list.reload();
	}

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
						this.list.prompts = []; // they went with their objects; an import makes none
					}
					await Promise.all([this.project.reloadLabels(), this.list.reload(), this.maskCache.reloadSummary()]);
					// As on opening a media item: clicks go to an existing object, not a new one.
					if (!this.objects.some((o) => o.id === this.selectedObjectId)) this.selectedObjectId = this.objects[0]?.id ?? null;
					this.maskCache.invalidate(null);
					this.changed();
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

	// --- events --------------------------------------------------------------------------------

	private onEvent(event: ProjectEvent): void {
		if (event.type === 'media.ready') return void this.reloadMedia();
		if (event.type === 'resync') return this.resync();
		if (this.catalogue.onEvent(event)) return;
		switch (event.type) {
			case 'job.progress':
				this.tracking.onProgress(event);
				return;
			case 'job.finished':
				if (event.kind === 'propagate') this.tracking.onFinished(event);
				return;
			case 'media.deleted':
				if (event.mediaId !== null) this.mediaDeleted(event.mediaId, event.name);
				return;
			case 'objects.updated':
				if (event.mediaId !== null && event.mediaId === this.currentId) this.list.sync();
				return;
			case 'annotations.updated': {
				if (event.mediaId === null || event.mediaId !== this.currentId) return;
				const { objectIds, range } = event;
				// One frame: a click or a removed prompt (here or in another tab), whose marker to show.
				if (objectIds.some((id) => !this.list.knows(id)) || (objectIds.length && range && range.start === range.end)) this.list.sync();
				if (range && range.end - range.start < RELOAD_AT_ONCE) void this.maskCache.reload(range);
				else if (range || !this.job || this.job.status !== 'running') this.maskCache.invalidate(range);
			}
		}
	}

	/**
	 * The server dropped events meant for this page (its queue overflowed): everything shown is
	 * read again. A reconnect needs none of this: the server replays what the page missed.
	 */
	private resync(): void {
		void this.reloadMedia();
		void this.catalogue.resync();
		void this.tracking.resync();
		if (this.currentId === null || !this.ready) return;
		this.list.sync();
		this.maskCache.invalidate(null);
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

	destroy(): void {
		this.stop();
		this.unsubscribe();
		if (this.refreshTimer) clearTimeout(this.refreshTimer);
		this.maskCache.destroy();
		this.catalogue.destroy();
	}
}
