import { SvelteMap } from 'svelte/reactivity';
import { api } from '$lib/api/client';
import type { ReviewFrame } from '$lib/api/types';
import { attempt, toasts } from '../toasts.svelte';

/** What the review queue reads of the studio and moves in it. */
export interface ReviewHost {
	readonly pid: number;
	readonly currentId: number | null;
	readonly frame: number;
	setFrame(frame: number): void;
	stop(): void;
}

/**
 * The open video's frames to review (tracked masks of low confidence), most doubtful first:
 * R goes to the next one, A accepts the frame shown, a correction removes it on the server.
 * Also what the last tracking job said when it ended (an object lost, frames to review).
 */
export class ReviewQueueState {
	frames = $state<ReviewFrame[]>([]);
	remaining = $derived(this.frames.length);
	/** Per object: its frames in the queue, for the timeline's shading. */
	byObject = $derived.by(() => {
		const out = new SvelteMap<number, number[]>();
		for (const f of this.frames) for (const o of f.objects) out.set(o.object_id, [...(out.get(o.object_id) ?? []), f.frame_index]);
		return out;
	});
	/** The last finished tracking job's summary ("cyclist #1 lost at frame 171; 12 frames to review"). */
	jobSummary = $state<string | null>(null);

	private loading = 0;
	// eslint-disable-next-line svelte/prefer-svelte-reactivity -- bookkeeping that nothing renders
	private summarized = new Set<number>();

	constructor(private readonly host: ReviewHost) {}

	/** Reads the queue of the open media item again (after tracking, a correction, another tab). */
	async reload(): Promise<void> {
		const mediaId = this.host.currentId;
		const call = ++this.loading;
		if (mediaId === null) {
			this.frames = [];
			return;
		}
		const queue = await api.reviewQueue(this.host.pid, mediaId).catch(() => null);
		if (queue && call === this.loading && mediaId === this.host.currentId) this.frames = queue.frames;
	}

	/** The frame to review after the one shown, in order of doubt (the first one from elsewhere). */
	nextFrame(): number | null {
		if (this.frames.length === 0) return null;
		const at = this.frames.findIndex((f) => f.frame_index === this.host.frame);
		return this.frames[(at + 1) % this.frames.length].frame_index;
	}

	/** R: go to the next frame to review. */
	goNext(): void {
		const frame = this.nextFrame();
		if (frame === null) {
			toasts.show('Nothing to review: no tracked frame is in doubt');
			return;
		}
		this.host.stop();
		this.host.setFrame(frame);
	}

	/** A: the masks on the frame shown are right; it leaves the queue. */
	async acceptShown(): Promise<void> {
		const mediaId = this.host.currentId;
		const frame = this.host.frame;
		if (mediaId === null) return;
		if (!this.frames.some((f) => f.frame_index === frame)) {
			toasts.show(`Frame ${frame} is not in the review queue`);
			return;
		}
		const queue = await attempt(() => api.acceptReview(this.host.pid, mediaId, frame));
		if (queue && mediaId === this.host.currentId) this.frames = queue.frames;
	}

	/** A tracking job ended: says what it found (lost objects, frames to review) once per job. */
	async jobFinished(jobId: number): Promise<void> {
		if (this.summarized.has(jobId)) return;
		this.summarized.add(jobId);
		const job = await api.getJob(jobId).catch(() => null);
		if (!job || job.kind !== 'propagate') return;
		const summary = job.params.result?.summary ?? null;
		this.jobSummary = summary;
		if (summary) toasts.show(summary, 'info', 10000);
		await this.reload();
	}
}
