import { beforeEach, describe, expect, it, vi } from 'vitest';
import type { ModelInfo } from '$lib/api/types';
import type { ProjectEvent } from '../event-payloads';
import { toasts } from '../toasts.svelte';
import { AutoAnnotate, GATED, type AutoAnnotateHost } from './auto-annotate.svelte';

const server = vi.hoisted(() => ({
	requests: [] as unknown[],
	canceled: [] as number[],
	objectIds: [4, 5]
}));

vi.mock('$lib/api/client', () => ({
	api: {
		autoAnnotate: async (_pid: number, mediaId: number, body: unknown) => {
			server.requests.push(body);
			return { id: 7, media_id: mediaId, kind: 'auto-annotate', status: 'queued', progress_done: 0, progress_total: 16 };
		},
		cancelJob: async (id: number) => {
			server.canceled.push(id);
			return { id, status: 'running' };
		},
		getJob: async (id: number) => ({ id, kind: 'auto-annotate', status: 'completed', params: { result: { object_ids: server.objectIds } } }),
		listLabels: async () => []
	}
}));

const sam3 = (key: string, available: boolean, reason: string | null = null) =>
	({ key, engine: 'sam3', name: key, available, reason, summary: '', speed: 'slowest', gated: key === 'sam3' }) as unknown as ModelInfo;

function host(models: ModelInfo[]) {
	const handlers: ((e: ProjectEvent) => void)[] = [];
	const reloads: { start: number; end: number }[] = [];
	const ended: (number | null)[] = [];
	const h = {
		pid: 1,
		currentId: 3,
		frame: 0,
		modelKey: 'opencv',
		project: { events: { on: (fn: (e: ProjectEvent) => void) => (handlers.push(fn), () => undefined) }, reloadLabels: async () => undefined },
		catalogue: { models },
		maskCache: { reload: async (range: { start: number; end: number }) => (reloads.push(range), true) },
		jobEnded: (mediaId: number | null) => ended.push(mediaId)
	};
	const emit = (e: ProjectEvent) => handlers.forEach((fn) => fn(e));
	return { h: h as unknown as AutoAnnotateHost, emit, reloads, ended };
}

const progress = (done: number, total: number, frame: number | null, hull: [number, number] | null): ProjectEvent => ({ type: 'job.progress', jobId: 7, done, total, frame, hull });

describe('AutoAnnotate', () => {
	beforeEach(() => {
		server.requests = [];
		server.canceled = [];
	});

	it('says why SAM 3 is unavailable, in the server words, and prefers an available SAM 3', () => {
		const reason = `facebook/sam3 is gated: it ${GATED} (set HF_TOKEN).`;
		const gated = new AutoAnnotate(host([sam3('sam3', false, reason)]).h);
		expect(gated.sam3?.available).toBe(false);
		expect(gated.sam3?.reason).toContain(GATED);
		expect(new AutoAnnotate(host([sam3('sam3', false, reason), sam3('sam3_random', true)]).h).sam3?.key).toBe('sam3_random');
		expect(new AutoAnnotate(host([]).h).sam3).toBeNull();
	});

	it('asks for the job as set, follows its progress, fills masks as they are written and reports the objects', async () => {
		const { h, emit, reloads, ended } = host([]);
		const auto = new AutoAnnotate(h);
		auto.concept = '  person ';
		auto.every = 3;
		auto.masks = 'box';
		await auto.start();
		expect(server.requests).toEqual([{ concept: 'person', label_id: null, every: 3, threshold: 0.25, detector: 'auto', masks: 'box', model: null }]);
		expect(auto.running).toBe(true);

		emit(progress(5, 16, 12, null)); // detecting: no masks yet
		expect(auto.job?.done).toBe(5);
		expect(reloads).toEqual([]);
		emit(progress(18, 40, 2, [0, 2])); // writing frames 0..2
		emit(progress(21, 40, 5, [0, 5]));
		expect(reloads).toEqual([
			{ start: 0, end: 2 },
			{ start: 2, end: 5 }
		]);
		expect(auto.percent).toBe(53);

		await auto.cancel();
		expect(server.canceled).toEqual([7]);
		const shown = vi.spyOn(toasts, 'show');
		emit({ type: 'job.finished', jobId: 7, kind: 'auto-annotate', status: 'completed', done: 40, total: 40, error: null });
		await vi.waitFor(() => expect(auto.job?.objects).toBe(2));
		expect(auto.running).toBe(false);
		expect(ended).toEqual([3]);
		expect(shown).toHaveBeenCalledWith('Auto-annotation made 2 object(s)', 'success');
		emit(progress(1, 1, 0, [0, 0])); // another job's or a late event: nothing changes
		expect(auto.job?.status).toBe('completed');
	});
});
