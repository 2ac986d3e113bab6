import type { HistoryEventPublic } from '$lib/api/teams';

const ACTIONS: Record<string, string> = {
	'object.create': 'added object',
	'object.update': 'changed object',
	'object.delete': 'deleted object',
	'prompt.create': 'clicked on object',
	'prompt.delete': 'removed a click on object',
	'mask.create': 'drew the mask of object',
	'mask.update': 'changed the mask of object',
	'mask.delete': 'removed the mask of object',
	'job.create': 'started tracking',
	'job.delete': 'removed a tracking job',
	'assignment.create': 'assigned the item to',
	'review.start': 'started work',
	'review.submit': 'submitted for review',
	'review.accept': 'accepted',
	'review.reject': 'rejected',
	'review.comment': 'commented'
};

/** One line of an item's history as a person reads it: "ann changed the mask of object 3 on frame 12". */
export function describe(h: HistoryEventPublic): string {
	const verb = ACTIONS[h.action] ?? h.action;
	const object = h.object_id !== null && verb.endsWith('object') ? ` ${h.object_id}` : '';
	const whom = h.action === 'assignment.create' && h.detail ? ` ${h.detail}` : '';
	const frame = h.frame_index !== null ? ` on frame ${h.frame_index}` : '';
	const said = h.action.startsWith('review.') && h.detail ? `: “${h.detail}”` : '';
	return `${h.username ?? 'someone'} ${verb}${object}${whom}${frame}${said}`;
}
