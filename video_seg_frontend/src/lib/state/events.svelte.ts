import { urls } from '$lib/api/client';

export type ProjectEventType = 'media.ready' | 'media.deleted' | 'annotations.updated' | 'objects.updated' | 'job.progress' | 'job.finished';
export type ProjectEventData = Record<string, unknown> & { project_id?: number; media_id?: number; job_id?: number };
type Handler = (type: ProjectEventType, data: ProjectEventData) => void;

const EVENT_TYPES: ProjectEventType[] = ['media.ready', 'media.deleted', 'annotations.updated', 'objects.updated', 'job.progress', 'job.finished'];

/**
 * One EventSource per open project. EventSource reconnects by itself and sends Last-Event-ID,
 * and the server replays what was missed, so handlers only ever see each event once.
 */
export class ProjectEvents {
	connected = $state(false);
	private source: EventSource | null = null;
	// eslint-disable-next-line svelte/prefer-svelte-reactivity -- subscribers, not state
	private handlers = new Set<Handler>();

	constructor(readonly projectId: number) {}

	open(): void {
		if (this.source) return;
		const source = new EventSource(urls.events(this.projectId));
		source.onopen = () => (this.connected = true);
		source.onerror = () => (this.connected = source.readyState === EventSource.OPEN);
		for (const type of EVENT_TYPES) {
			source.addEventListener(type, (e) => {
				let data: ProjectEventData = {};
				try {
					data = JSON.parse((e as MessageEvent<string>).data) as ProjectEventData;
				} catch {
					return;
				}
				for (const handler of this.handlers) handler(type, data);
			});
		}
		this.source = source;
	}

	on(handler: Handler): () => void {
		this.handlers.add(handler);
		return () => this.handlers.delete(handler);
	}

	close(): void {
		this.source?.close();
		this.source = null;
		this.connected = false;
		this.handlers.clear();
	}
}
