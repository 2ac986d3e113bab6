import { urls } from '$lib/api/client';
import { EVENT_TYPES, readEvent, type ProjectEvent, type ReceivedEvent } from './event-payloads';

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
				let data: ReceivedEvent;
				try {
					// The listener's type is the one the stream named; the payload repeats it.
					data = { ...(JSON.parse((e as MessageEvent<string>).data || '{}') as object), type } as ReceivedEvent;
				} catch {
					return;
				}
				this.deliver(data);
			});
		}
		this.source = source;
	}

	/** Hands one message of the stream, read into its typed event, to every subscriber. */
	deliver(data: ReceivedEvent): void {
		const event = readEvent(data);
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
