import { api } from '$lib/api/client';
import type { JobPublic, ModelInfo } from '$lib/api/types';
import type { JobFinished, ProjectEvent } from '../event-payloads';
import { attempt, toasts } from '../toasts.svelte';

export interface ModelDownload {
	jobId: number;
	key: string;
	done: number;
	total: number;
}

const FINISHED: JobPublic['status'][] = ['completed', 'failed', 'canceled'];

/** The models a click or a tracking job can use, the one chosen, and checkpoint downloads. */
export class ModelCatalogue {
	models = $state<ModelInfo[]>([]);
	/** Where SAM 2 computes (the server's /health): shown under the model when it is a SAM 2 one. */
	compute = $state<{ device: string; precision: string } | null>(null);
	key = $state<string | null>(null);
	download = $state<ModelDownload | null>(null);
	downloading = $derived(this.download?.key ?? null);
	/** Whether the chosen model is a SAM 2 one (its compute line is shown). */
	isSam2 = $derived(this.models.find((m) => m.key === this.key)?.engine === 'sam2');
	offered = $derived(this.models.filter((m) => !m.available && m.downloadable));
	/** The models clicks and tracking can use: SAM 3 answers text prompts only (the concept box). */
	clickModels = $derived(this.models.filter((m) => m.engine !== 'sam3'));

	private downloadTimer: ReturnType<typeof setTimeout> | null = null;
	/** download-model jobs that finished, by id: the end can arrive before the POST's answer. */
	// eslint-disable-next-line svelte/prefer-svelte-reactivity -- bookkeeping that nothing renders
	private finishedDownloads = new Map<number, JobFinished>();

	/** @param streamConnected whether job events arrive (else a slow check of a download stands in) */
	constructor(private readonly streamConnected: () => boolean) {}

	/** The server's models and compute device, as the studio opens: the default model is chosen. */
	show(models: ModelInfo[], health: { device: string; precision: string } | null): void {
		this.compute = health ? { device: health.device, precision: health.precision } : null;
		this.models = models;
		this.key = models.find((m) => m.default && m.available)?.key ?? models.find((m) => m.available)?.key ?? null;
	}

	async reload(): Promise<void> {
		const models = await attempt(() => api.models());
		if (models) this.models = models;
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
			if (early) this.finish(early.status, early.error);
			else if (FINISHED.includes(job.status)) this.finish(job.status, job.error);
			else this.watch(job.id);
		} catch (error) {
			this.download = null;
			toasts.error(error);
		}
	}

	/** Model downloads belong to no project; their events reach every open project stream. True if it was one. */
	onEvent(event: ProjectEvent): boolean {
		if (event.type === 'job.progress' && event.jobId !== null && this.download?.jobId === event.jobId) {
			this.download = { ...this.download, done: event.done, total: event.total };
			return true;
		}
		if (event.type === 'job.finished' && event.jobId !== null && event.kind === 'download-model') {
			this.finishedDownloads.set(event.jobId, event);
			if (this.download?.jobId === event.jobId) this.finish(event.status, event.error);
			else void this.reload(); // another tab's download: the model list changed
			return true;
		}
		return false;
	}

	/** Events may have been lost: a download shown as running is checked once. */
	async resync(): Promise<void> {
		const jobId = this.download?.jobId;
		if (jobId === undefined) return void this.reload();
		const job = await api.getJob(jobId).catch(() => null);
		if (job && this.download?.jobId === jobId && FINISHED.includes(job.status)) this.finish(job.status, job.error);
	}

	private watch(jobId: number): void {
		const check = async () => {
			if (this.download?.jobId !== jobId) return;
			if (!this.streamConnected()) {
				const job = await api.getJob(jobId).catch(() => null);
				if (job && FINISHED.includes(job.status)) {
					this.finish(job.status, job.error);
					return;
				}
			}
			this.downloadTimer = setTimeout(check, 15_000);
		};
		this.downloadTimer = setTimeout(check, 15_000);
	}

	private finish(status: JobPublic['status'], error: string | null | undefined): void {
		const key = this.download?.key ?? 'the model';
		if (this.downloadTimer) clearTimeout(this.downloadTimer);
		this.download = null;
		if (status === 'completed') toasts.show(`${key} is ready`, 'success');
		else toasts.show(`Download of ${key} ${status}: ${typeof error === 'string' ? error : ''}`, 'error', 10000);
		void this.reload();
	}

	destroy(): void {
		if (this.downloadTimer) clearTimeout(this.downloadTimer);
	}
}
