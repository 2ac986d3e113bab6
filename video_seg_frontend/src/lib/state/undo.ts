/**
 * A bounded undo/redo stack of commands. A command is a pair of async actions: `do` applies it
 * (and is called again on redo), `undo` reverts it. Commands are executed one at a time in the
 * order they were asked for, so fast Ctrl+Z presses never interleave server calls.
 *
 * A command whose `do` fails is not recorded; an `undo` or `redo` that fails leaves the stacks as
 * they were, so the person can retry, unless it failed for good (`Irreversible`): then the
 * command is dropped. Recording a new command clears the redo stack. `clear()`
 * (another media item was opened) also drops the commands still in flight: they finish on the
 * server but are not recorded, and an undo or redo asked for before it does nothing.
 */

/**
 * Thrown by a command's undo (or redo) when it can no longer be done at all (the server forgot
 * what it needs): the stack drops the command, so the commands before it can still be undone,
 * and the error still reaches the caller to be shown.
 */
export class Irreversible extends Error {
	constructor(message: string) {
		super(message);
		this.name = 'Irreversible';
	}
}

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
		return this.step(
			() => this.done,
			() => this.undone,
			(command) => command.undo()
		);
	}

	/** Re-applies the last undone command; resolves to false when there was nothing to redo. */
	redo(): Promise<boolean> {
		return this.step(
			() => this.undone,
			() => this.done,
			(command) => command.do()
		);
	}

	/**
	 * Runs the top command of one stack and moves it to the other. The stacks are read through
	 * getters: `clear` and `execute` replace them while a step waits its turn. An Irreversible
	 * failure drops the command, so the steps under it stay reachable.
	 */
	private step(from: () => Command[], to: () => Command[], run: (command: Command) => unknown): Promise<boolean> {
		const epoch = this.epoch;
		return this.enqueue(async () => {
			const command = from().at(-1);
			if (!command || epoch !== this.epoch) return false;
			try {
				await run(command);
			} catch (error) {
				if (error instanceof Irreversible && epoch === this.epoch && from().at(-1) === command) from().pop();
				throw error;
			}
			if (epoch !== this.epoch) return true;
			from().pop();
			to().push(command);
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

/**
 * One undo stack per media item, for the `capacity` items opened last: going back to an image or
 * video brings back its history, while the memory stays bounded (a stack of an item left long
 * ago is dropped, its commands still in flight finish unrecorded). Commands are recorded on the
 * stack of the item they change, even if the person moved on before they finished.
 */
export class UndoHistories<K> {
	private stacks = new Map<K, UndoStack>();

	constructor(
		readonly capacity: number,
		readonly limit: number,
		private readonly onChange: (stack: UndoStack) => void = () => {}
	) {
		if (capacity < 1) throw new Error('UndoHistories capacity must be at least 1');
	}

	/** The stack of `key`, made if needed; it becomes the one used last. */
	of(key: K): UndoStack {
		let stack = this.stacks.get(key);
		if (stack) this.stacks.delete(key);
		else {
			const made = new UndoStack(this.limit);
			made.subscribe(() => this.onChange(made));
			stack = made;
		}
		this.stacks.set(key, stack);
		while (this.stacks.size > this.capacity) {
			const [oldest, dropped] = this.stacks.entries().next().value!;
			this.stacks.delete(oldest);
			dropped.clear();
		}
		return stack;
	}

	/** Forgets the history of `key` (the item was deleted). */
	drop(key: K): void {
		this.stacks.get(key)?.clear();
		this.stacks.delete(key);
	}

	has(key: K): boolean {
		return this.stacks.has(key);
	}
}
