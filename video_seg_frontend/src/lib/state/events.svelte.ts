import { urls } from '$lib/api/client';
import { EVENT_TYPES, readEvent, type ProjectEvent } from './event-payloads';

export type { ProjectEvent, ProjectEventType } from './event-payloads';
type Handler = (event: ProjectEvent) => void;

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
				let data: Record<string, unknown> = {};
				try {
					data = JSON.parse((e as MessageEvent<string>).data || '{}') as Record<string, unknown>;
				} catch {
					return;
				}
				this.deliver(type, data);
			});
		}
		this.source = source;
	}

	/** Hands one message of the stream, read into its typed event, to every subscriber. */
	deliver(type: string, data: Record<string, unknown>): void {
		const event = readEvent(type, data);
		if (event) for (const handler of this.handlers) handler(event);
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
