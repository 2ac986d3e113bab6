import { describe, expect, it } from 'vitest';
import { readEvent, type ReceivedEvent } from './event-payloads';

/** A message as a misbehaving server might send it: fields of the wrong type. */
const untyped = (data: Record<string, unknown>) => data as unknown as ReceivedEvent;

describe('project event payloads', () => {
	it('an annotations.updated event names the lowest to the highest frame it changed', () => {
		expect(readEvent({ type: 'annotations.updated', media_id: 3, object_ids: [7, 8], frames: [12, 4, 9] })).toEqual({
			type: 'annotations.updated',
			mediaId: 3,
			objectIds: [7, 8],
			range: { start: 4, end: 12 }
		});
		// No frames named: any frame may have changed.
		expect(readEvent({ type: 'annotations.updated', media_id: 3 })).toMatchObject({ objectIds: [], range: null });
	});

	it('fields of the wrong type read as missing, and unknown event types as nothing', () => {
		expect(readEvent(untyped({ type: 'media.deleted', media_id: '3', name: 4 }))).toEqual({ type: 'media.deleted', mediaId: null, name: null });
		expect(readEvent({ type: 'job.progress', job_id: 5, done: 2, total: 9, frame: 2, frames: [1] })).toEqual({
			type: 'job.progress',
			jobId: 5,
			done: 2,
			total: 9,
			frame: 2,
			hull: null
		});
		expect(readEvent({ type: 'job.finished', job_id: 5, kind: 'propagate', status: 'failed', error: 'out of memory' })).toMatchObject({ done: null, total: null, error: 'out of memory' });
		expect(readEvent(untyped({ type: 'media.renamed', media_id: 3 }))).toBeNull();
	});
});
