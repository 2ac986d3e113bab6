import { beforeEach, describe, expect, it, vi } from 'vitest';
import type { AssignmentPublic, CommentPublic, UserPublic } from '$lib/api/teams';

/** The server's assignments and comments, in memory; transitions as the backend's state machine. */
const server = vi.hoisted(() => ({
	assignments: [] as AssignmentPublic[],
	comments: [] as CommentPublic[],
	calls: [] as string[]
}));

vi.mock('$lib/api/teams', () => {
	const move = (id: number, state: AssignmentPublic['state']) => {
		const a = server.assignments.find((x) => x.id === id)!;
		a.state = state;
		return { ...a };
	};
	return {
		teamsApi: {
			assignments: async (_pid: number, q: { media_id?: number }) => (server.calls.push(`list ${q.media_id}`), server.assignments).filter((a) => a.media_id === q.media_id).map((a) => ({ ...a })),
			comments: async (_pid: number, aid: number) => server.comments.filter((c) => c.assignment_id === aid),
			start: async (_pid: number, id: number) => (server.calls.push(`start ${id}`), move(id, 'in_progress')),
			submit: async (_pid: number, id: number) => (server.calls.push(`submit ${id}`), move(id, 'submitted')),
			accept: async (_pid: number, id: number) => (server.calls.push(`accept ${id}`), move(id, 'accepted')),
			reject: async (_pid: number, id: number, text: string, frame?: number) => {
				server.calls.push(`reject ${id}`);
				server.comments.push({ id: server.comments.length + 1, assignment_id: id, author: 'rita', frame_index: frame ?? null, text, created_at: '' });
				return move(id, 'rejected');
			},
			comment: async () => null
		}
	};
});

const { ReviewState } = await import('./review.svelte');

const user = (id: number, username: string, role: UserPublic['role']) => ({ id, username, role, full_name: null, is_active: true, created_at: '' }) as UserPublic;
const ANN = user(2, 'ann', 'annotator');
const RITA = user(3, 'rita', 'reviewer');
const ADMIN = user(1, 'admin', 'admin');
const assignment = (id: number, user_id: number, username: string, state: AssignmentPublic['state']): AssignmentPublic => ({
	id, project_id: 1, media_id: 7, user_id, username, state, replica: false, created_at: '', updated_at: ''
});

const as = (me: UserPublic | null) => new ReviewState({ pid: 1, user: () => me });

beforeEach(() => {
	server.assignments = [assignment(10, ANN.id, 'ann', 'new')];
	server.comments = [];
	server.calls = [];
});

describe('review state', () => {
	it('opening one’s own new work starts it, and never makes the canvas read-only', async () => {
		const review = as(ANN);
		await review.open(7);
		expect(server.calls).toEqual(['list 7', 'start 10']);
		expect(review.mine?.state).toBe('in_progress');
		expect(review.readOnly).toBe(false);
		expect(await review.submit()).toBe(true);
		expect(review.mine?.state).toBe('submitted');
		expect(review.readOnly, 'the annotator may still fix what they handed in').toBe(false);
	});

	it('a reviewer judging submitted work gets a read-only canvas until they decide', async () => {
		server.assignments[0].state = 'submitted';
		const review = as(RITA);
		await review.open(7);
		expect(review.reviewing?.id).toBe(10);
		expect(review.readOnly).toBe(true);
		expect(await review.reject('cut off', 4)).toBe(true);
		expect(review.assignments[0].state).toBe('rejected');
		expect(review.readOnly).toBe(false);
		expect(server.calls, 'a reviewer never starts someone else’s work').toEqual(['list 7', 'reject 10']);
	});

	it('work not yet handed in is not under review', async () => {
		server.assignments[0].state = 'in_progress';
		const review = as(ADMIN);
		await review.open(7);
		expect(review.reviewing).toBeNull();
		expect(review.readOnly).toBe(false);
	});

	it('after a rejection the annotator resumes the work and reads the comment on its frame', async () => {
		server.assignments[0].state = 'submitted';
		const rita = as(RITA);
		await rita.open(7);
		await rita.reject('the wheel is missing', 12);
		const review = as(ANN);
		await review.open(7);
		expect(review.mine?.state).toBe('in_progress');
		expect(review.comments.map((c) => [c.frame_index, c.text])).toEqual([[12, 'the wheel is missing']]);
	});

	it('a single-user studio (no user) asks the server nothing', async () => {
		const review = as(null);
		await review.open(7);
		expect(review.assignments).toEqual([]);
		expect(server.calls).toEqual([]);
	});
});
