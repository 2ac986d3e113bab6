import { describe, expect, it, vi } from 'vitest';
import type { ReviewQueue } from '$lib/api/types';

/** The server's queue: frames 40 (two objects), 7 and 12, most doubtful first; accept removes a frame. */
const server = vi.hoisted(() => ({
	queue: {
		below: 0.2,
		remaining: 3,
		reviewed: 0,
		frames: [
			{ frame_index: 40, confidence: 0.02, objects: [{ object_id: 2, confidence: 0.02 }, { object_id: 1, confidence: 0.1 }] },
			{ frame_index: 7, confidence: 0.05, objects: [{ object_id: 1, confidence: 0.05 }] },
			{ frame_index: 12, confidence: 0.15, objects: [{ object_id: 2, confidence: 0.15 }] }
		]
	} as ReviewQueue,
	accepted: [] as number[]
}));

vi.mock('$lib/api/client', () => ({
	api: {
		reviewQueue: async () => structuredClone(server.queue),
		acceptReview: async (_pid: number, _mid: number, frame: number) => {
			server.accepted.push(frame);
			server.queue.frames = server.queue.frames.filter((f) => f.frame_index !== frame);
			return structuredClone(server.queue);
		}
	}
}));

const { ReviewQueueState } = await import('./review-queue.svelte');

function studio(frame = 0) {
	const host = { pid: 1, currentId: 5 as number | null, frame, setFrame: (f: number) => (host.frame = f), stop: () => {} };
	return host;
}

describe('review queue', () => {
	it('R goes through the frames in order of doubt and starts again after the last', async () => {
		const host = studio();
		const review = new ReviewQueueState(host);
		await review.reload();
		expect(review.remaining).toBe(3);
		const seen = [0, 1, 2, 3].map(() => (review.goNext(), host.frame));
		expect(seen).toEqual([40, 7, 12, 40]);
	});

	it('shades each object on its own doubtful frames', async () => {
		const review = new ReviewQueueState(studio());
		await review.reload();
		expect(review.byObject.get(1)).toEqual([40, 7]);
		expect(review.byObject.get(2)).toEqual([40, 12]);
	});

	it('A accepts the frame shown only; the next R goes on from the rest', async () => {
		const host = studio(7);
		const review = new ReviewQueueState(host);
		await review.reload();
		await review.acceptShown();
		expect(server.accepted).toEqual([7]);
		expect(review.frames.map((f) => f.frame_index)).toEqual([40, 12]);
		host.frame = 3; // not in the queue: nothing to accept there
		await review.acceptShown();
		expect(server.accepted).toEqual([7]);
		review.goNext();
		expect(host.frame).toBe(40);
	});
});
