/**
 * A bounded undo/redo stack of commands. A command is a pair of async actions: `do` applies it
 * (and is called again on redo), `undo` reverts it. Commands are executed one at a time in the
 * order they were asked for, so fast Ctrl+Z presses never interleave server calls.
 *
 * A command whose `do` fails is not recorded; an `undo` or `redo` that fails leaves the stacks as
 * they were, so the person can retry. Recording a new command clears the redo stack. `clear()`
 * (another media item was opened) also drops the commands still in flight: they finish on the
 * server but are not recorded, and an undo or redo asked for before it does nothing.
 */

export interface Command {
	/** Short description shown in tooltips ("Add point", "Delete object 3"). */
	label: string;
	do: () => Promise<void> | void;
	undo: () => Promise<void> | void;
}

export class UndoStack {
	private done: Command[] = [];
	private undone: Command[] = [];
	private queue: Promise<unknown> = Promise.resolve();
	private listeners = new Set<() => void>();
	/** Bumped by clear(): work asked for before it belongs to a history that is gone. */
	private epoch = 0;

	constructor(readonly limit = 100) {
		if (limit < 1) throw new Error('UndoStack limit must be at least 1');
	}

	get canUndo(): boolean {
		return this.done.length > 0;
	}

	get canRedo(): boolean {
		return this.undone.length > 0;
	}

	get undoLabel(): string | undefined {
		return this.done.at(-1)?.label;
	}

	get redoLabel(): string | undefined {
		return this.undone.at(-1)?.label;
	}

	get size(): number {
		return this.done.length;
	}

	/** Called after every change of the stacks (for a UI that is not reactive by itself). */
	subscribe(listener: () => void): () => void {
		this.listeners.add(listener);
		return () => this.listeners.delete(listener);
	}

	/** Runs `command.do` and records it. */
	execute(command: Command): Promise<void> {
		const epoch = this.epoch;
		return this.enqueue(async () => {
			await command.do();
			if (epoch !== this.epoch) return;
			this.done.push(command);
			if (this.done.length > this.limit) this.done.splice(0, this.done.length - this.limit);
			this.undone = [];
		});
	}

	/** Records a command whose effect already happened (no `do` call now). */
	record(command: Command): void {
		this.done.push(command);
		if (this.done.length > this.limit) this.done.splice(0, this.done.length - this.limit);
		this.undone = [];
		this.notify();
	}

	/** Reverts the last command; resolves to false when there was nothing to undo. */
	undo(): Promise<boolean> {
		const epoch = this.epoch;
		return this.enqueue(async () => {
			const command = this.done.at(-1);
			if (!command || epoch !== this.epoch) return false;
			await command.undo();
			if (epoch !== this.epoch) return true;
			this.done.pop();
			this.undone.push(command);
			return true;
		});
	}

	/** Re-applies the last undone command; resolves to false when there was nothing to redo. */
	redo(): Promise<boolean> {
		const epoch = this.epoch;
		return this.enqueue(async () => {
			const command = this.undone.at(-1);
			if (!command || epoch !== this.epoch) return false;
			await command.do();
			if (epoch !== this.epoch) return true;
			this.undone.pop();
			this.done.push(command);
			return true;
		});
	}

	clear(): void {
		this.epoch++;
		this.done = [];
		this.undone = [];
		this.notify();
	}

	private enqueue<T>(task: () => Promise<T>): Promise<T> {
		const run = this.queue.then(task).finally(() => this.notify());
		// A failed task must not block the ones queued after it.
		this.queue = run.catch(() => undefined);
		return run;
	}

	private notify(): void {
		for (const listener of this.listeners) listener();
	}
}
