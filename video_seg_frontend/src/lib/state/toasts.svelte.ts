import { messageOf } from '$lib/api/errors';

export interface Toast {
	id: number;
	kind: 'error' | 'info' | 'success';
	message: string;
}

/** Transient messages in the corner; every server error lands here with the server's sentence. */
class Toasts {
	items = $state<Toast[]>([]);
	private nextId = 1;

	show(message: string, kind: Toast['kind'] = 'info', timeoutMs = 5000): void {
		const id = this.nextId++;
		this.items.push({ id, kind, message });
		if (timeoutMs > 0) setTimeout(() => this.dismiss(id), timeoutMs);
	}

	error(error: unknown): void {
		this.show(messageOf(error), 'error', 8000);
	}

	dismiss(id: number): void {
		this.items = this.items.filter((t) => t.id !== id);
	}
}

export const toasts = new Toasts();

/** Runs an async action and turns a failure into an error toast; resolves to undefined then. */
export async function attempt<T>(action: () => Promise<T>): Promise<T | undefined> {
	try {
		return await action();
	} catch (error) {
		toasts.error(error);
		return undefined;
	}
}
