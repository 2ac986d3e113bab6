import type { AssignmentState } from '$lib/api/teams';

/** How an assignment's state reads to a person. */
export const STATE_NAMES: Record<AssignmentState, string> = {
	new: 'New',
	in_progress: 'In progress',
	submitted: 'Submitted',
	accepted: 'Accepted',
	rejected: 'Rejected'
};

export const STATES = Object.keys(STATE_NAMES) as AssignmentState[];
