import { api } from '$lib/api/client';
import { ApiError } from '$lib/api/errors';
import type { JobPublic } from '$lib/api/types';
import type { JobFinished, JobProgress as JobProgressEvent } from '../event-payloads';
import { attempt, toasts } from '../toasts.svelte';
import { Irreversible, type Command } from '../undo';
import type { MaskCache } from './mask-cache.svelte';

export type TrackDirection = 'forward' | 'backward' | 'both';

export interface JobProgress {
	id: number;
	mediaId: number | null;
	status: JobPublic['status'];
	done: number;
	total: number;
}

/** A tracking job's first progress event re-reads the frames it wrote before, up to this many. */
const FIRST_PROGRESS_RELOAD = 64;

/** What a tracking job touches in the studio. */
export interface TrackingHost {
	readonly pid: number;
	readonly currentId: number | null;
	readonly maskCache: MaskCache;
	/** Puts a finished job of this studio's in the undo history of its media item. */
	record(mediaId: number, command: Command): void;
	/** A job ended: the counts and the object list may have changed. */
	jobEnded(mediaId: number | null): void;
}

/** The tracking job shown in the track panel (this tab's, or one running when the page opened). */
export class TrackingJob {
	job = $state<JobProgress | null>(null);
	running = $derived(this.job !== null && (this.job.status === 'queued' || this.job.status === 'running'));
	percent = $derived(this.job && this.job.total > 0 ? Math.round((this.job.done / this.job.total) * 100) : 0);

	/** Tracking jobs this studio started: their undo belongs to its history (not another tab's). */
	// eslint-disable-next-line svelte/prefer-svelte-reactivity -- bookkeeping that nothing renders
	private own = new Set<number>();
	/** Tracking jobs whose end arrived before the POST that started them was answered. */
	// eslint-disable-next-line svelte/prefer-svelte-reactivity -- bookkeeping that nothing renders
	private earlyFinished = new Map<number, JobFinished>();
	private lastProgressReload = 0;
	private lastProgressFrame: number | null = null;

	constructor(private readonly host: TrackingHost) {}

	/** Shows a job that was already running when the page opened. */
	adopt(running: JobPublic): void {
		this.job = { id: running.id, mediaId: running.media_id, status: running.status, done: running.progress_done, total: running.progress_total };
	}

	async start(mediaId: number, request: { start_frame: number; direction: TrackDirection; num_frames: number | null; model: string | null; stop_below?: number | null; keep_confident: boolean }): Promise<void> {
		if (this.running) throw new Error('A tracking job is already running: wait or cancel it');
		const job = await api.propagate(this.host.pid, mediaId, request);
		this.job = { id: job.id, mediaId, status: job.status, done: job.progress_done, total: job.progress_total };
		this.lastProgressFrame = null;
		this.own.add(job.id);
		// A short job can end before its POST is answered.
		const early = this.earlyFinished.get(job.id);
		if (early) this.finished(early);
	}

	async cancel(): Promise<void> {
		if (!this.job) return;
		const id = this.job.id;
		await attempt(() => api.cancelJob(id));
	}

	/** True if the event was this job's progress. */
	onProgress(event: JobProgressEvent): boolean {
		if (!this.job || event.jobId !== this.job.id) return false;
		this.job = { ...this.job, status: 'running', done: event.done, total: event.total };
		if (this.job.mediaId !== this.host.currentId) return true;
		const masks = this.host.maskCache;
		// Masks fill in while the job runs: fetch only the frames written since the last
		// progress event (the server throttles these events), else the summary once a second.
		// The first event fetches what the job wrote so far (`hull`: the lowest and highest),
		// or, if that is much (the page opened on a running job), marks it to be read when shown.
		if (event.frame !== null) {
			let [from, to] = [this.lastProgressFrame ?? event.frame, event.frame];
			const hull = event.hull;
			if (this.lastProgressFrame === null && hull) {
				if (hull[1] - hull[0] < FIRST_PROGRESS_RELOAD) [from, to] = hull;
				else masks.invalidate({ start: hull[0], end: hull[1] });
			}
			this.lastProgressFrame = event.frame;
			void masks.reload({ start: Math.min(from, to), end: Math.max(from, to) });
		} else {
			const now = performance.now();
			if (now - this.lastProgressReload > 1000) {
				this.lastProgressReload = now;
				masks.invalidate(null);
			}
		}
		return true;
	}

	/** A tracking job ended (this one, or one whose start has not been answered yet). */
	onFinished(event: JobFinished): void {
		if (event.jobId === null) return;
		if (this.job && event.jobId === this.job.id) this.finished(event);
		else {
			this.earlyFinished.set(event.jobId, event);
			if (this.earlyFinished.size > 20) this.earlyFinished.delete(this.earlyFinished.keys().next().value!);
		}
	}

	/** Events may have been lost: a job shown as running is checked, and finished if it ended. */
	async resync(): Promise<void> {
		if (!this.job || !this.running) return;
		const job = await api.getJob(this.job.id).catch(() => null);
		if (!job || this.job?.id !== job.id || !['completed', 'failed', 'canceled'].includes(job.status)) return;
		this.finished({ type: 'job.finished', jobId: job.id, kind: job.kind, status: job.status, done: job.progress_done, total: job.progress_total, error: job.error ?? null });
	}

	private finished(event: JobFinished): void {
		if (!this.job || this.job.id !== event.jobId) return;
		this.earlyFinished.delete(this.job.id);
		const status = event.status;
		this.job = { ...this.job, status, done: event.done ?? this.job.done, total: event.total ?? this.job.total };
		if (status === 'failed') toasts.show(`Tracking failed: ${event.error ?? 'unknown error'}`, 'error', 10000);
		else if (status === 'canceled') toasts.show('Tracking canceled; the frames already tracked are kept (Ctrl+Z removes them)');
		else if (this.job.total === 0) toasts.show('Nothing to track: no frames that way from this frame (or only key frames)');
		else toasts.show('Tracking finished', 'success');
		if (this.job.mediaId !== null && this.own.has(this.job.id) && this.job.done > 0) {
			this.host.record(this.job.mediaId, this.command(this.job.id, this.job.mediaId));
		}
		this.host.jobEnded(this.job.mediaId);
	}

	/**
	 * A finished tracking job as an undoable command: the server kept the masks it replaced, so
	 * undo puts them back and removes the ones it created; redo puts the tracked ones back.
	 */
	private command(jobId: number, mediaId: number): Command {
		const apply = async (undone: boolean) => {
			try {
				await (undone ? api.undoJob(jobId) : api.redoJob(jobId));
			} catch (error) {
				// The server keeps the changes of a video's last tracking jobs only.
				if (error instanceof ApiError && error.status === 410) throw new Irreversible(error.message);
				throw error;
			}
			if (undone && this.job?.id === jobId) this.job = null;
			if (this.host.currentId !== mediaId) return;
			this.host.maskCache.invalidate(null);
			await this.host.maskCache.reloadSummary();
		};
		return { label: 'Track', do: () => apply(false), undo: () => apply(true) };
	}
}
