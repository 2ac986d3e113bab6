import { describe, expect, it } from 'vitest';
import { Irreversible, UndoHistories, UndoStack, type Command } from './undo';

/** A command that appends/removes `value` from a shared log, like adding a prompt would. */
function push(list: number[], value: number, delayMs = 0): Command {
	const wait = () => new Promise((r) => setTimeout(r, delayMs));
	return {
		label: `push ${value}`,
		do: async () => {
			await wait();
			list.push(value);
		},
		undo: async () => {
			await wait();
			const i = list.lastIndexOf(value);
			list.splice(i, 1);
		}
	};
}

describe('UndoStack', () => {
	it('undoes and redoes in order', async () => {
		const list: number[] = [];
		const stack = new UndoStack();
		await stack.execute(push(list, 1));
		await stack.execute(push(list, 2));
		expect(list).toEqual([1, 2]);
		expect(await stack.undo()).toBe(true);
		expect(list).toEqual([1]);
		expect(stack.redoLabel).toBe('push 2');
		expect(await stack.redo()).toBe(true);
		expect(list).toEqual([1, 2]);
		await stack.undo();
		await stack.undo();
		expect(list).toEqual([]);
		expect(await stack.undo()).toBe(false);
		expect(stack.canUndo).toBe(false);
		expect(stack.canRedo).toBe(true);
	});

	it('drops the redo history when a new command is recorded', async () => {
		const list: number[] = [];
		const stack = new UndoStack();
		await stack.execute(push(list, 1));
		await stack.undo();
		await stack.execute(push(list, 3));
		expect(stack.canRedo).toBe(false);
		expect(await stack.redo()).toBe(false);
		expect(list).toEqual([3]);
	});

	it('keeps only the newest `limit` commands', async () => {
		const list: number[] = [];
		const stack = new UndoStack(3);
		for (let i = 0; i < 5; i++) await stack.execute(push(list, i));
		expect(stack.size).toBe(3);
		while (await stack.undo());
		expect(list).toEqual([0, 1]);
	});

	it('does not record a command whose do failed', async () => {
		const stack = new UndoStack();
		await expect(
			stack.execute({ label: 'bad', do: () => Promise.reject(new Error('409 Conflict')), undo: () => {} })
		).rejects.toThrow('409');
		expect(stack.canUndo).toBe(false);
	});

	it('keeps the command on the undo stack when undo fails, so it can be retried', async () => {
		const stack = new UndoStack();
		let fail = true;
		let undone = 0;
		await stack.execute({
			label: 'flaky',
			do: () => {},
			undo: () => {
				if (fail) throw new Error('server down');
				undone++;
			}
		});
		await expect(stack.undo()).rejects.toThrow('server down');
		expect(stack.canUndo).toBe(true);
		fail = false;
		expect(await stack.undo()).toBe(true);
		expect(undone).toBe(1);
	});

	it('serialises rapid presses: slow server calls never interleave', async () => {
		const list: number[] = [];
		const stack = new UndoStack();
		await Promise.all([stack.execute(push(list, 1, 20)), stack.execute(push(list, 2, 1))]);
		expect(list).toEqual([1, 2]);
		await Promise.all([stack.undo(), stack.undo(), stack.redo()]);
		expect(list).toEqual([1]);
	});

	it('records an already applied command and notifies subscribers', async () => {
		const stack = new UndoStack();
		let changes = 0;
		stack.subscribe(() => changes++);
		let undone = false;
		stack.record({ label: 'x', do: () => {}, undo: () => void (undone = true) });
		await stack.undo();
		expect(undone).toBe(true);
		expect(changes).toBe(2);
	});

	it('clear() while a command runs: it finishes but is not recorded', async () => {
		const list: number[] = [];
		const stack = new UndoStack();
		await stack.execute(push(list, 1));
		const running = stack.execute(push(list, 2, 20));
		const undoAsked = stack.undo();
		stack.clear();
		await running;
		expect(await undoAsked).toBe(false);
		expect(list).toEqual([1, 2]);
		expect(stack.canUndo).toBe(false);
		expect(stack.canRedo).toBe(false);
	});

	it('clear() while an undo runs: the undone command is not offered for redo', async () => {
		const list: number[] = [];
		const stack = new UndoStack();
		await stack.execute(push(list, 1, 10));
		const undoing = stack.undo();
		await new Promise((r) => setTimeout(r, 1)); // the undo is under way
		stack.clear();
		await undoing;
		expect(list).toEqual([]);
		expect(stack.canRedo).toBe(false);
	});
});

describe('UndoHistories', () => {
	const command = (log: string[], name: string): Command => ({ label: name, do: () => void log.push(`do ${name}`), undo: () => void log.push(`undo ${name}`) });

	it('keeps one history per media item, so going back restores it', async () => {
		const log: string[] = [];
		const histories = new UndoHistories<number>(3, 10);
		await histories.of(1).execute(command(log, 'a'));
		await histories.of(2).execute(command(log, 'b'));
		expect(histories.of(2).undoLabel).toBe('b');
		expect(await histories.of(1).undo()).toBe(true);
		expect(log).toEqual(['do a', 'do b', 'undo a']);
		expect(histories.of(1).canRedo).toBe(true);
	});

	it('is bounded: the item used longest ago loses its history', async () => {
		const log: string[] = [];
		const changed: UndoStack[] = [];
		const histories = new UndoHistories<number>(2, 10, (s) => changed.push(s));
		await histories.of(1).execute(command(log, 'a'));
		await histories.of(2).execute(command(log, 'b'));
		histories.of(1); // used again: 2 is now the oldest
		await histories.of(3).execute(command(log, 'c'));
		expect(histories.has(2)).toBe(false);
		expect(histories.of(1).canUndo).toBe(true);
		expect(histories.of(2).canUndo).toBe(false);
		expect(changed.length).toBeGreaterThan(0);
		histories.drop(1);
		expect(histories.of(1).canUndo).toBe(false);
	});
});

describe('Irreversible', () => {
	it('a command that can no longer be undone is dropped, so the ones before it still can', async () => {
		const list: number[] = [];
		const stack = new UndoStack();
		await stack.execute(push(list, 1));
		await stack.execute({ label: 'Track', do: () => undefined, undo: () => Promise.reject(new Irreversible('too old')) });
		await expect(stack.undo()).rejects.toThrow('too old');
		expect(stack.undoLabel).not.toBe('Track');
		expect(stack.canRedo).toBe(false);
		await stack.undo();
		expect(list).toEqual([]);
	});

	it('an ordinary failure keeps the command for a retry', async () => {
		const stack = new UndoStack();
		await stack.execute({ label: 'Track', do: () => undefined, undo: () => Promise.reject(new Error('offline')) });
		await expect(stack.undo()).rejects.toThrow('offline');
		expect(stack.undoLabel).toBe('Track');
	});
});
