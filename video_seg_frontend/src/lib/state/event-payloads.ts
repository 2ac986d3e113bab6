/**
 * What each project event carries, read in this one place. The payloads are typed by the backend's
 * OpenAPI document (`StudioEventPayload`, generated), so a renamed field fails the build here; the
 * values are still checked at run time, since a stream is data from outside the page.
 */
import type { JobStatus, MediaPublic, StudioEventPayload } from '$lib/api/types';

export const EVENT_TYPES = ['media.ready', 'media.deleted', 'annotations.updated', 'objects.updated', 'job.progress', 'job.finished', 'resync'] as const satisfies readonly StudioEventPayload['type'][];
export type ProjectEventType = (typeof EVENT_TYPES)[number];
/** A stream message as received: its type, and the payload's fields, any of which may be missing. */
export type ReceivedEvent = StudioEventPayload extends infer P ? (P extends { type: infer T } ? Partial<Omit<P, 'type'>> & { type: T } : never) : never;

export interface FrameRange {
	start: number;
	end: number;
}

export type ProjectEvent =
	| { type: 'media.ready'; mediaId: number | null; status: MediaPublic['status']; error: string | null; numFrames: number | null }
	| { type: 'media.deleted'; mediaId: number | null; name: string | null }
	/** `range`: the lowest to the highest frame named, or null for "any frame". */
	| { type: 'annotations.updated'; mediaId: number | null; objectIds: number[]; range: FrameRange | null }
	| { type: 'objects.updated'; mediaId: number | null }
	/** `frame`: the last frame a tracking job wrote; `hull`: the lowest and highest it wrote so far. */
	| { type: 'job.progress'; jobId: number | null; done: number; total: number; frame: number | null; hull: [number, number] | null }
	| { type: 'job.finished'; jobId: number | null; kind: string | null; status: JobStatus; done: number | null; total: number | null; error: string | null }
	/** The server dropped events for this subscriber (its queue overflowed): what is shown may be stale. */
	| { type: 'resync' };

export type JobFinished = Extract<ProjectEvent, { type: 'job.finished' }>;
export type JobProgress = Extract<ProjectEvent, { type: 'job.progress' }>;

const int = (value: unknown): number | null => (typeof value === 'number' ? value : null);
const text = (value: unknown): string | null => (typeof value === 'string' ? value : null);
const numberOr = (value: unknown, fallback: number | null): number | null => (value === undefined || value === null ? fallback : Number(value));
const numbers = (value: unknown): number[] | null => (Array.isArray(value) ? (value as number[]) : null);

/** The studio's event for a stream message, or null for a type this studio does not know. */
export function readEvent(data: ReceivedEvent): ProjectEvent | null {
	switch (data.type) {
		case 'media.ready':
			return { type: data.type, mediaId: int(data.media_id), status: data.status as MediaPublic['status'], error: text(data.error), numFrames: numberOr(data.num_frames, null) };
		case 'media.deleted':
			return { type: data.type, mediaId: int(data.media_id), name: text(data.name) };
		case 'annotations.updated': {
			const frames = numbers(data.frames);
			const range = frames && frames.length ? { start: Math.min(...frames), end: Math.max(...frames) } : null;
			return { type: data.type, mediaId: int(data.media_id), objectIds: numbers(data.object_ids) ?? [], range };
		}
		case 'objects.updated':
			return { type: data.type, mediaId: int(data.media_id) };
		case 'job.progress': {
			const hull = numbers(data.frames);
			return {
				type: data.type,
				jobId: int(data.job_id),
				done: Number(data.done ?? 0),
				total: Number(data.total ?? 0),
				frame: int(data.frame),
				hull: hull && hull.length === 2 ? [hull[0], hull[1]] : null
			};
		}
		case 'job.finished':
			return {
				type: data.type,
				jobId: int(data.job_id),
				kind: text(data.kind),
				status: String(data.status) as JobStatus,
				done: numberOr(data.done, null),
				total: numberOr(data.total, null),
				error: text(data.error)
			};
		case 'resync':
			return { type: data.type };
		default:
			return null;
	}
}
