import { api } from '$lib/api/client';
import type { AutoAnnotateRequest, Detectors, ModelInfo } from '$lib/api/types';
import type { FrameRange, ProjectEvent } from '../event-payloads';
import type { ProjectState } from '../project.svelte';
import { attempt, toasts } from '../toasts.svelte';
import type { JobProgress } from './tracking-job.svelte';

/** The server's words for a gated model without a token (the catalogue's reason says them too). */
export const GATED = 'needs a Hugging Face token with access';

/** What auto-annotation and concept prompts need of the studio. */
export interface AutoAnnotateHost {
	readonly pid: number;
	readonly currentId: number | null;
	readonly frame: number;
	readonly modelKey: string | null;
	readonly project: ProjectState;
	readonly catalogue: { models: ModelInfo[] };
	readonly maskCache: { reload(range: FrameRange): Promise<boolean> };
	/** A job ended: the counts, the object list and the timeline are read again. */
	jobEnded(mediaId: number | null): void;
}

const FINISHED = ['completed', 'failed', 'canceled'];
/** SAM 3's own default: instances it is at least even odds on. */
const CONCEPT_THRESHOLD = 0.5;

/**
 * Finding objects by name: a concept prompt on the shown frame (SAM 3: every instance becomes an
 * object), and auto-annotation of the whole video as a job (a detector every N frames, tracks
 * linked into objects) with its progress and cancel.
 */
export class AutoAnnotate {
	concept = $state('person');
	/** The objects' label; null: the project's label named like the concept (made if missing). */
	labelId = $state<number | null>(null);
	every = $state(5);
	threshold = $state(0.25);
	detector = $state('auto');
	masks = $state<'model' | 'box'>('model');
	detectors = $state<Detectors | null>(null);
	job = $state<(JobProgress & { objects: number | null }) | null>(null);
	running = $derived(this.job !== null && (this.job.status === 'queued' || this.job.status === 'running'));
	percent = $derived(this.job && this.job.total > 0 ? Math.round((this.job.done / this.job.total) * 100) : 0);

	finding = $state(false);
	/** SAM 3 as the catalogue lists it (the real model first): available, or why not. */
	sam3 = $derived(this.sam3Entry());

	private unsubscribe: () => void;
	/** The last frame whose masks were read while the job writes them. */
	private lastWritten: number | null = null;

	constructor(private readonly host: AutoAnnotateHost) {
		this.unsubscribe = host.project.events.on((event) => this.onEvent(event));
	}

	async loadDetectors(): Promise<void> {
		const detectors = await attempt(() => api.detectors());
		if (detectors) this.detectors = detectors;
	}

	/** Starts auto-annotation of the open video; its progress and end arrive as job events. */
	async start(): Promise<void> {
		const mediaId = this.host.currentId;
		if (mediaId === null || this.running) return;
		const body: AutoAnnotateRequest = {
			concept: this.concept.trim() || null,
			label_id: this.labelId,
			every: this.every,
			threshold: this.threshold,
			detector: this.detector,
			masks: this.masks,
			model: this.masks === 'model' ? this.host.modelKey : null
		};
		const job = await attempt(() => api.autoAnnotate(this.host.pid, mediaId, body));
		if (!job) return;
		this.job = { id: job.id, mediaId, status: job.status, done: job.progress_done, total: job.progress_total, objects: null };
		this.lastWritten = null;
		// A label named like the concept may have been made.
		void this.host.project.reloadLabels();
	}

	async cancel(): Promise<void> {
		const id = this.job?.id;
		if (id !== undefined) await attempt(() => api.cancelJob(id));
	}

	/** Finds every instance of `text` on the shown frame with SAM 3; each becomes an object. */
	async find(text: string): Promise<number | null> {
		const mediaId = this.host.currentId;
		if (mediaId === null || this.finding) return null;
		this.finding = true;
		try {
			const found = await attempt(() => api.findConcept(this.host.pid, mediaId, this.host.frame, { text, label_id: this.labelId, threshold: CONCEPT_THRESHOLD }));
			if (!found) return null;
			toasts.show(found.objects.length ? `Found ${found.objects.length} × “${found.text}” on frame ${found.frame_index}` : `No “${found.text}” found on this frame`, found.objects.length ? 'success' : 'info');
			void this.host.project.reloadLabels();
			this.host.jobEnded(mediaId);
			return found.objects.length;
		} finally {
			this.finding = false;
		}
	}

	private onEvent(event: ProjectEvent): void {
		if (!this.job || !('jobId' in event) || event.jobId !== this.job.id) return;
		if (event.type === 'job.progress') {
			if (FINISHED.includes(this.job.status)) return; // a progress event that lost the race with the end
			this.job = { ...this.job, status: 'running', done: event.done, total: event.total };
			// Writing masks (the events then name the frames written): they fill in as they come.
			if (event.hull && event.frame !== null && this.job.mediaId === this.host.currentId) {
				const from = this.lastWritten ?? event.hull[0];
				this.lastWritten = event.frame;
				void this.host.maskCache.reload({ start: Math.min(from, event.frame), end: Math.max(from, event.frame) });
			}
		} else if (event.type === 'job.finished') void this.finished(event.status, event.error, event.done, event.total);
	}

	private async finished(status: JobProgress['status'], error: string | null, done: number | null, total: number | null): Promise<void> {
		if (!this.job || FINISHED.includes(this.job.status)) return;
		const { id, mediaId } = this.job;
		this.job = { ...this.job, status, done: done ?? this.job.done, total: total ?? this.job.total };
		const answer = await api.getJob(id).catch(() => null);
		const result = answer && answer.kind === 'auto-annotate' ? answer.params.result : null;
		if (this.job?.id === id) this.job = { ...this.job, objects: result ? result.object_ids.length : null };
		if (status === 'failed') toasts.show(`Auto-annotation failed: ${error ?? 'unknown error'}`, 'error', 10000);
		else if (status === 'canceled') toasts.show('Auto-annotation canceled; the frames already written are kept');
		else toasts.show(result?.object_ids.length ? `Auto-annotation made ${result.object_ids.length} object(s)` : 'Auto-annotation found nothing to track', 'success');
		this.host.jobEnded(mediaId);
	}

	private sam3Entry(): ModelInfo | null {
		const models = this.host.catalogue.models.filter((m) => m.engine === 'sam3');
		return models.find((m) => m.available) ?? models[0] ?? null;
	}

	destroy(): void {
		this.unsubscribe();
	}
}
