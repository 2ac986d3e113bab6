import { describe as suite, expect, it } from 'vitest';
import type { HistoryEventPublic } from '$lib/api/teams';
import { describe } from './describe';

const event = (fields: Partial<HistoryEventPublic>): HistoryEventPublic => ({
	id: 1, media_id: 1, object_id: null, job_id: null, frame_index: null, user_id: 2, username: 'ann',
	action: 'object.create', detail: null, created_at: '2026-12-04T21:00:00Z', ...fields
});

suite('history lines', () => {
	it('name who changed which object on which frame', () => {
		expect(describe(event({ action: 'mask.update', object_id: 3, frame_index: 12 }))).toBe('ann changed the mask of object 3 on frame 12');
	});
	it('quote a rejection', () => {
		expect(describe(event({ username: 'rita', action: 'review.reject', frame_index: 2, detail: 'cut off' }))).toBe('rita rejected on frame 2: “cut off”');
	});
	it('name the assignee', () => {
		expect(describe(event({ username: 'rita', action: 'assignment.create', detail: 'bob' }))).toBe('rita assigned the item to bob');
	});
	it('keep an action it does not know as it is', () => {
		expect(describe(event({ action: 'keypoint.create' }))).toBe('ann keypoint.create');
	});
});
