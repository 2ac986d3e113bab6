/**
 * The studio's calls to the backend: a typed openapi-fetch client over the generated schema, so
 * a renamed path or field breaks `npm run check`, not the user. Every failure becomes an ApiError
 * carrying the server's `detail` sentence.
 */
import createClient from 'openapi-fetch';
import { ApiError, detailOf } from './errors';
import type { paths } from './schema';
import type {
	AnnotationIn,
	AutoAnnotateRequest,
	ConceptRequest,
	ExportFormat,
	ImportFormat,
	LabelStructure,
	MediaPublic,
	PointIn,
	PromptCreate,
	PropagateRequest
} from './types';

export type { ExportFormat, ImportFormat };

export const API_BASE = '/api/v1';

export const client = createClient<paths>({ baseUrl: '' });

/** Called when the server answers 401 (signed out or token expired): the sign-in gate sets it. */
let unauthorized: (() => void) | null = null;
export function onUnauthorized(handler: (() => void) | null): void {
	unauthorized = handler;
}

interface Answer<T> {
	data?: T;
	error?: unknown;
	response: Response;
}

/** Unwraps an openapi-fetch answer: the data, or an ApiError with the server's sentence. */
export async function unwrap<T>(call: Promise<Answer<T>>): Promise<T> {
	let answer: Answer<T>;
	try {
		answer = await call;
	} catch {
		throw new ApiError(0, 'The server cannot be reached. Is the backend running?');
	}
	const { data, error, response } = answer;
	if (response.status === 401) unauthorized?.();
	if (!response.ok) throw new ApiError(response.status, detailOf(error, `${response.status} ${response.statusText}`));
	return data as T;
}

const P = (project_id: number) => ({ path: { project_id } });
const M = (project_id: number, media_id: number) => ({ path: { project_id, media_id } });

export const api = {
	health: () => unwrap(client.GET('/api/v1/health')),
	models: () => unwrap(client.GET('/api/v1/models')),
	downloadModel: (key: string) => unwrap(client.POST('/api/v1/models/{key}/download', { params: { path: { key } } })),

	listProjects: () => unwrap(client.GET('/api/v1/projects')),
	getProject: (pid: number) => unwrap(client.GET('/api/v1/projects/{project_id}', { params: P(pid) })),
	createProject: (name: string, media_type: 'image' | 'video') =>
		unwrap(client.POST('/api/v1/projects', { body: { name, media_type } })),
	renameProject: (pid: number, name: string) =>
		unwrap(client.PATCH('/api/v1/projects/{project_id}', { params: P(pid), body: { name } })),
	deleteProject: (pid: number) => unwrap(client.DELETE('/api/v1/projects/{project_id}', { params: P(pid) })),

	listLabels: (pid: number) => unwrap(client.GET('/api/v1/projects/{project_id}/labels', { params: P(pid) })),
	createLabel: (pid: number, name: string, color: string) =>
		unwrap(client.POST('/api/v1/projects/{project_id}/labels', { params: P(pid), body: { name, color } })),
	updateLabel: (pid: number, lid: number, patch: { name?: string; color?: string }) =>
		unwrap(
			client.PATCH('/api/v1/projects/{project_id}/labels/{label_id}', {
				params: { path: { project_id: pid, label_id: lid } },
				body: patch
			})
		),
	/** Deletes a label; one in use is refused (409) unless `force`, which deletes its objects too. */
	deleteLabel: (pid: number, lid: number, force = false) =>
		unwrap(
			client.DELETE('/api/v1/projects/{project_id}/labels/{label_id}', {
				params: { path: { project_id: pid, label_id: lid }, query: force ? { force } : {} }
			})
		),

	listMedia: (pid: number) => unwrap(client.GET('/api/v1/projects/{project_id}/media', { params: P(pid) })),
	getMedia: (pid: number, mid: number) =>
		unwrap(client.GET('/api/v1/projects/{project_id}/media/{media_id}', { params: M(pid, mid) })),
	deleteMedia: (pid: number, mid: number) =>
		unwrap(client.DELETE('/api/v1/projects/{project_id}/media/{media_id}', { params: M(pid, mid) })),

	listObjects: (pid: number, mid: number) =>
		unwrap(client.GET('/api/v1/projects/{project_id}/media/{media_id}/objects', { params: M(pid, mid) })),
	/** A new object; `track_id` asks for that track id (409 if another object of the media has it). */
	createObject: (pid: number, mid: number, label_id: number, track_id?: number) =>
		unwrap(
			client.POST('/api/v1/projects/{project_id}/media/{media_id}/objects', {
				params: M(pid, mid),
				body: track_id === undefined ? { label_id } : { label_id, track_id }
			})
		),
	/** A part region of `parent_id`, named from its label's parts; it takes the parent's label. */
	createPart: (pid: number, mid: number, parent_id: number, part: string, track_id?: number) =>
		unwrap(
			client.POST('/api/v1/projects/{project_id}/media/{media_id}/objects', {
				params: M(pid, mid),
				body: track_id === undefined ? { parent_id, part } : { parent_id, part, track_id }
			})
		),
	updateObject: (pid: number, mid: number, oid: number, label_id: number) =>
		unwrap(
			client.PATCH('/api/v1/projects/{project_id}/media/{media_id}/objects/{object_id}', {
				params: { path: { project_id: pid, media_id: mid, object_id: oid } },
				body: { label_id }
			})
		),
	deleteObject: (pid: number, mid: number, oid: number) =>
		unwrap(
			client.DELETE('/api/v1/projects/{project_id}/media/{media_id}/objects/{object_id}', {
				params: { path: { project_id: pid, media_id: mid, object_id: oid } }
			})
		),

	listPrompts: (pid: number, mid: number, frame?: number) =>
		unwrap(
			client.GET('/api/v1/projects/{project_id}/media/{media_id}/prompts', {
				params: { ...M(pid, mid), query: { frame } }
			})
		),
	addPrompt: (pid: number, mid: number, prompt: PromptCreate) =>
		unwrap(client.POST('/api/v1/projects/{project_id}/media/{media_id}/prompts', { params: M(pid, mid), body: prompt })),
	deletePrompt: (pid: number, mid: number, prid: number) =>
		unwrap(
			client.DELETE('/api/v1/projects/{project_id}/media/{media_id}/prompts/{prompt_id}', {
				params: { path: { project_id: pid, media_id: mid, prompt_id: prid } }
			})
		),

	listAnnotations: (pid: number, mid: number, query: { frame?: number; start?: number; end?: number; object_id?: number }) =>
		unwrap(
			client.GET('/api/v1/projects/{project_id}/media/{media_id}/annotations', {
				params: { ...M(pid, mid), query }
			})
		),
	/** Stores masks as given (all or none); answers the stored masks. */
	putAnnotations: (pid: number, mid: number, masks: AnnotationIn[]) =>
		unwrap(client.PUT('/api/v1/projects/{project_id}/media/{media_id}/annotations', { params: M(pid, mid), body: masks })),
	/** Per object: frame ranges with a mask and key frames, without mask data (for the timeline). */
	annotationSummary: (pid: number, mid: number) =>
		unwrap(client.GET('/api/v1/projects/{project_id}/media/{media_id}/annotations/summary', { params: M(pid, mid) })),
	/** Imports an annotation file (CVAT for video or images XML, DAVIS PNG/ZIP, COCO JSON) into one media item. */
	importAnnotations: (pid: number, mid: number, format: ImportFormat, file: File, frame?: number, replace = false) => {
		const form = new FormData();
		form.append('file', file, file.name);
		return unwrap(
			client.POST('/api/v1/projects/{project_id}/media/{media_id}/import', {
				params: { ...M(pid, mid), query: { format, frame, replace } },
				body: { file: file.name },
				bodySerializer: () => form
			})
		);
	},

	/** Frames whose tracked masks are doubtful (confidence under `below`), most doubtful first. */
	reviewQueue: (pid: number, mid: number, below?: number) =>
		unwrap(client.GET('/api/v1/projects/{project_id}/media/{media_id}/review-queue', { params: { ...M(pid, mid), query: { below } } })),
	/** All the project's frames to review, most doubtful first, and each media item's share. */
	projectReviewQueue: (pid: number, limit?: number) =>
		unwrap(client.GET('/api/v1/projects/{project_id}/review-queue', { params: { ...P(pid), query: { limit } } })),
	/** Accepts a frame's tracked masks as right; answers the queue that is left. */
	acceptReview: (pid: number, mid: number, frame_index: number, below?: number) =>
		unwrap(
			client.POST('/api/v1/projects/{project_id}/media/{media_id}/review-queue/accept', {
				params: { ...M(pid, mid), query: { below } },
				body: { frame_index }
			})
		),

	// Keypoints: a label's structure, an object's points per frame, tracking them (keypoints/ in the backend).
	labelTemplates: () => unwrap(client.GET('/api/v1/label-templates')),
	putLabelStructure: (pid: number, lid: number, body: LabelStructure) =>
		unwrap(
			client.PUT('/api/v1/projects/{project_id}/labels/{label_id}/structure', {
				params: { path: { project_id: pid, label_id: lid } },
				body
			})
		),
	getKeypoints: (pid: number, mid: number, oid: number, start?: number, end?: number) =>
		unwrap(
			client.GET('/api/v1/projects/{project_id}/media/{media_id}/objects/{object_id}/keypoints', {
				params: { path: { project_id: pid, media_id: mid, object_id: oid }, query: { start, end } }
			})
		),
	putFrameKeypoints: (pid: number, mid: number, oid: number, frame: number, points: PointIn[]) =>
		unwrap(
			client.PUT('/api/v1/projects/{project_id}/media/{media_id}/objects/{object_id}/keypoints/{frame_index}', {
				params: { path: { project_id: pid, media_id: mid, object_id: oid, frame_index: frame } },
				body: { points, source: 'key' }
			})
		),
	deleteKeypoints: (pid: number, mid: number, oid: number, start: number, end: number) =>
		unwrap(
			client.DELETE('/api/v1/projects/{project_id}/media/{media_id}/objects/{object_id}/keypoints', {
				params: { path: { project_id: pid, media_id: mid, object_id: oid }, query: { start, end } }
			})
		),
	trackKeypoints: (pid: number, mid: number, objectIds: number[]) =>
		unwrap(
			client.POST('/api/v1/projects/{project_id}/media/{media_id}/keypoints/track', {
				params: M(pid, mid),
				body: { object_ids: objectIds, start_frame: 0 }
			})
		),
	propagate: (pid: number, mid: number, body: PropagateRequest) =>
		unwrap(client.POST('/api/v1/projects/{project_id}/media/{media_id}/propagate', { params: M(pid, mid), body })),
	activeJobs: (pid: number) =>
		unwrap(client.GET('/api/v1/projects/{project_id}/jobs', { params: { ...P(pid), query: { active: true } } })),
	getJob: (jid: number) => unwrap(client.GET('/api/v1/jobs/{job_id}', { params: { path: { job_id: jid } } })),
	detectors: () => unwrap(client.GET('/api/v1/detectors')),
	autoAnnotate: (pid: number, mid: number, body: AutoAnnotateRequest) =>
		unwrap(client.POST('/api/v1/projects/{project_id}/media/{media_id}/auto-annotate', { params: M(pid, mid), body })),
	findConcept: (pid: number, mid: number, frame: number, body: ConceptRequest) =>
		unwrap(
			client.POST('/api/v1/projects/{project_id}/media/{media_id}/frames/{frame_index}/concept', {
				params: { path: { project_id: pid, media_id: mid, frame_index: frame } },
				body
			})
		),
	/** Builds the export ZIP on the server as a job; ``urls.jobFile`` downloads it once completed. */
	startExport: (pid: number, body: { format: ExportFormat; include_frames: boolean; include_png_masks: boolean; include_annotator: boolean }) =>
		unwrap(client.POST('/api/v1/projects/{project_id}/exports', { params: P(pid), body })),
	cancelJob: (jid: number) => unwrap(client.POST('/api/v1/jobs/{job_id}/cancel', { params: { path: { job_id: jid } } })),
	/** Undo a finished tracking job (its replaced masks back, its new ones gone); 410 once too old. */
	undoJob: (jid: number) => unwrap(client.POST('/api/v1/jobs/{job_id}/undo', { params: { path: { job_id: jid } } })),
	redoJob: (jid: number) => unwrap(client.POST('/api/v1/jobs/{job_id}/redo', { params: { path: { job_id: jid } } }))
};

const mediaPath = (pid: number, mid: number) => `/projects/${pid}/media/${mid}`;

export const urls = {
	thumbnail: (pid: number, mid: number) => `${API_BASE}${mediaPath(pid, mid)}/thumbnail`,
	file: (pid: number, mid: number) => `${API_BASE}${mediaPath(pid, mid)}/file`,
	frame: (pid: number, mid: number, i: number) => `${API_BASE}${mediaPath(pid, mid)}/frames/${i}`,
	annotatedFrame: (pid: number, mid: number, i: number, version = 0) =>
		`${API_BASE}${mediaPath(pid, mid)}/frames/${i}/annotated?v=${version}`,
	events: (pid: number) => `${API_BASE}/projects/${pid}/events`,
	export: (pid: number, format: ExportFormat, includeFrames = false) =>
		`${API_BASE}/projects/${pid}/export?format=${format}${includeFrames ? '&include_frames=true' : ''}`,
	jobFile: (jid: number) => `${API_BASE}/jobs/${jid}/file`,
	uploadMedia: (pid: number) => `${API_BASE}/projects/${pid}/media`
};


export interface UploadHandle {
	promise: Promise<MediaPublic[]>;
	abort: () => void;
}

/**
 * Uploads files as multipart field "files" with XMLHttpRequest, which (unlike fetch) reports
 * upload progress. `onProgress` receives a fraction in [0, 1].
 */
export function uploadMedia(pid: number, files: File[], onProgress: (fraction: number) => void): UploadHandle {
	const xhr = new XMLHttpRequest();
	const promise = new Promise<MediaPublic[]>((resolve, reject) => {
		const form = new FormData();
		for (const file of files) form.append('files', file, file.name);
		xhr.open('POST', urls.uploadMedia(pid));
		xhr.responseType = 'json';
		xhr.upload.onprogress = (e) => {
			if (e.lengthComputable) onProgress(e.loaded / e.total);
		};
		xhr.onload = () => {
			if (xhr.status >= 200 && xhr.status < 300) {
				onProgress(1);
				const body = xhr.response as MediaPublic[] | MediaPublic;
				resolve(Array.isArray(body) ? body : [body]);
			} else {
				reject(new ApiError(xhr.status, detailOf(xhr.response, `Upload failed (${xhr.status})`)));
			}
		};
		xhr.onerror = () => reject(new ApiError(0, 'Upload failed: the server cannot be reached'));
		xhr.onabort = () => reject(new ApiError(0, 'Upload canceled'));
		xhr.send(form);
	});
	return { promise, abort: () => xhr.abort() };
}
