import { describe, expect, it } from 'vitest';
import { readEvent } from './event-payloads';

describe('project event payloads', () => {
	it('an annotations.updated event names the lowest to the highest frame it changed', () => {
		expect(readEvent('annotations.updated', { media_id: 3, object_ids: [7, 8], frames: [12, 4, 9] })).toEqual({
			type: 'annotations.updated',
			mediaId: 3,
			objectIds: [7, 8],
			range: { start: 4, end: 12 }
		});
		// No frames named: any frame may have changed.
		expect(readEvent('annotations.updated', { media_id: 3 })).toMatchObject({ objectIds: [], range: null });
	});

	it('fields of the wrong type read as missing, and unknown event types as nothing', () => {
		expect(readEvent('media.deleted', { media_id: '3', name: 4 })).toEqual({ type: 'media.deleted', mediaId: null, name: null });
		expect(readEvent('job.progress', { job_id: 5, done: 2, total: 9, frame: 2, frames: [1] })).toEqual({
			type: 'job.progress',
			jobId: 5,
			done: 2,
			total: 9,
			frame: 2,
			hull: null
		});
		expect(readEvent('job.finished', { job_id: 5, kind: 'propagate', status: 'failed', error: 'out of memory' })).toMatchObject({ done: null, total: null, error: 'out of memory' });
		expect(readEvent('media.renamed', { media_id: 3 })).toBeNull();
	});
});
