/**
 * The studio's calls for working as a team: sign-in, assignments and their review, history,
 * progress and consensus. Typed over the generated schema like the rest of the client.
 */
import { client, unwrap } from './client';
import type { components } from './schema';

type Schemas = components['schemas'];
export type UserPublic = Schemas['UserPublic'];
export type AuthMode = Schemas['AuthMode'];
export type AssignmentPublic = Schemas['AssignmentPublic'];
export type AssignmentState = Schemas['AssignmentState'];
export type CommentPublic = Schemas['CommentPublic'];
export type AnnotatorProgress = Schemas['AnnotatorProgress'];
export type HistoryEventPublic = Schemas['HistoryEventPublic'];
export type ConsensusItem = Schemas['ConsensusItem'];
export type ConsensusPublic = Schemas['ConsensusPublic'];
export type MemberPublic = Schemas['MemberPublic'];

const P = (project_id: number) => ({ path: { project_id } });
const M = (project_id: number, media_id: number) => ({ path: { project_id, media_id } });
const A = (project_id: number, assignment_id: number) => ({ path: { project_id, assignment_id } });

export const teamsApi = {
	mode: () => unwrap(client.GET('/api/v1/auth/mode')),
	/** OAuth2's password form; the answer also sets the HttpOnly cookie every later request sends. */
	login: (username: string, password: string) =>
		unwrap(
			client.POST('/api/v1/auth/login', {
				body: { username, password, scope: '' },
				bodySerializer: (body) => new URLSearchParams(body as Record<string, string>),
				headers: { 'content-type': 'application/x-www-form-urlencoded' }
			})
		),
	logout: () => unwrap(client.POST('/api/v1/auth/logout')),
	changePassword: (current_password: string, new_password: string) =>
		unwrap(client.POST('/api/v1/auth/password', { body: { current_password, new_password } })),

	members: (pid: number) => unwrap(client.GET('/api/v1/projects/{project_id}/members', { params: P(pid) })),
	assign: (pid: number, mid: number, user_ids: number[], replica = false) =>
		unwrap(
			client.POST('/api/v1/projects/{project_id}/media/{media_id}/assignments', {
				params: M(pid, mid),
				body: { user_ids, replica }
			})
		),
	assignments: (pid: number, query: { state?: AssignmentState; media_id?: number; mine?: boolean } = {}) =>
		unwrap(client.GET('/api/v1/projects/{project_id}/assignments', { params: { ...P(pid), query } })),
	start: (pid: number, aid: number) =>
		unwrap(client.POST('/api/v1/projects/{project_id}/assignments/{assignment_id}/start', { params: A(pid, aid) })),
	submit: (pid: number, aid: number) =>
		unwrap(client.POST('/api/v1/projects/{project_id}/assignments/{assignment_id}/submit', { params: A(pid, aid) })),
	accept: (pid: number, aid: number, comment?: string, frame_index?: number) =>
		unwrap(
			client.POST('/api/v1/projects/{project_id}/assignments/{assignment_id}/accept', {
				params: A(pid, aid),
				body: comment ? { comment, frame_index } : {}
			})
		),
	reject: (pid: number, aid: number, comment: string, frame_index?: number) =>
		unwrap(
			client.POST('/api/v1/projects/{project_id}/assignments/{assignment_id}/reject', {
				params: A(pid, aid),
				body: { comment, frame_index }
			})
		),
	comments: (pid: number, aid: number) =>
		unwrap(client.GET('/api/v1/projects/{project_id}/assignments/{assignment_id}/comments', { params: A(pid, aid) })),
	comment: (pid: number, aid: number, text: string, frame_index?: number) =>
		unwrap(
			client.POST('/api/v1/projects/{project_id}/assignments/{assignment_id}/comments', {
				params: A(pid, aid),
				body: { text, frame_index }
			})
		),
	progress: (pid: number) => unwrap(client.GET('/api/v1/projects/{project_id}/progress', { params: P(pid) })),
	history: (pid: number, mid: number, limit = 200) =>
		unwrap(client.GET('/api/v1/projects/{project_id}/media/{media_id}/history', { params: { ...M(pid, mid), query: { limit } } })),
	consensusReport: (pid: number, threshold: number) =>
		unwrap(client.GET('/api/v1/projects/{project_id}/consensus', { params: { ...P(pid), query: { threshold } } })),
	consensus: (pid: number, mid: number) =>
		unwrap(client.GET('/api/v1/projects/{project_id}/media/{media_id}/consensus', { params: M(pid, mid) }))
};
