/** The actions API (vocabulary, keyframes, action labels), over the same typed client. */
import { client, unwrap } from './client';
import type { components } from './schema';

type Schemas = components['schemas'];
export type ActionClass = Schemas['ActionClassPublic'];
export type ActionClassCreate = Schemas['ActionClassCreate'];
export type ActionLabel = Schemas['ActionLabelPublic'];
export type Keyframes = Schemas['KeyframesPublic'];
export type Agreement = Schemas['AgreementPublic'];
export type QcItem = Schemas['QcItem'];

const P = (project_id: number) => ({ path: { project_id } });
const M = (project_id: number, media_id: number) => ({ path: { project_id, media_id } });

export const actionsApi = {
	vocabulary: (pid: number) => unwrap(client.GET('/api/v1/projects/{project_id}/actions', { params: P(pid) })),
	createAction: (pid: number, body: ActionClassCreate) =>
		unwrap(client.POST('/api/v1/projects/{project_id}/actions', { params: P(pid), body })),
	deleteAction: (pid: number, pk: number) =>
		unwrap(client.DELETE('/api/v1/projects/{project_id}/actions/{action_pk}', { params: { path: { project_id: pid, action_pk: pk } } })),
	/** An AVA label map (.pbtxt) or CSV; `replace` swaps the whole vocabulary. */
	importVocabulary: (pid: number, file: File, replace = false) => {
		const form = new FormData();
		form.append('file', file, file.name);
		return unwrap(
			client.POST('/api/v1/projects/{project_id}/actions/import', {
				params: { ...P(pid), query: { replace } },
				body: { file: file.name },
				bodySerializer: () => form
			})
		);
	},
	keyframes: (pid: number, mid: number) =>
		unwrap(client.GET('/api/v1/projects/{project_id}/media/{media_id}/keyframes', { params: M(pid, mid) })),
	/** The signed-in annotator's own labels on the item. */
	labels: (pid: number, mid: number) =>
		unwrap(client.GET('/api/v1/projects/{project_id}/media/{media_id}/action-labels', { params: M(pid, mid) })),
	/** Agreement of the item's annotators (409 with fewer than two). */
	agreement: (pid: number, mid: number) =>
		unwrap(client.GET('/api/v1/projects/{project_id}/media/{media_id}/action-agreement', { params: M(pid, mid) })),
	/** Items labelled by two or more annotators whose kappa is under `threshold`, worst first. */
	qc: (pid: number, threshold: number) =>
		unwrap(client.GET('/api/v1/projects/{project_id}/action-qc', { params: { ...P(pid), query: { threshold } } })),
	/** Reviewers: accept the labels by majority vote per action. */
	merge: (pid: number, mid: number) =>
		unwrap(client.POST('/api/v1/projects/{project_id}/media/{media_id}/action-agreement/merge', { params: M(pid, mid) })),
	/** A person the tracker merged with another: a new person takes its masks and labels from `frame_index` on. */
	splitPerson: (pid: number, mid: number, object_id: number, frame_index: number) =>
		unwrap(
			client.POST('/api/v1/projects/{project_id}/media/{media_id}/persons/{object_id}/split', {
				params: { path: { project_id: pid, media_id: mid, object_id } },
				body: { frame_index }
			})
		),
	/** One person the tracker lost and found again: `object_id` joins `into_object_id` and is deleted. */
	mergePerson: (pid: number, mid: number, object_id: number, into_object_id: number) =>
		unwrap(
			client.POST('/api/v1/projects/{project_id}/media/{media_id}/persons/{object_id}/merge', {
				params: { path: { project_id: pid, media_id: mid, object_id } },
				body: { into_object_id }
			})
		),
	setLabel: (pid: number, mid: number, object_id: number, frame_index: number, actions: number[]) =>
		unwrap(
			client.PUT('/api/v1/projects/{project_id}/media/{media_id}/action-labels', {
				params: M(pid, mid),
				body: { object_id, frame_index, actions }
			})
		)
};
