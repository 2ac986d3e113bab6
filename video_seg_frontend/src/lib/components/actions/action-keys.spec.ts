import { describe, expect, it } from 'vitest';
import { ACTION_SLOT_KEYS, runActionKey, type ActionKeyHandlers } from './action-keys';

function recorder() {
	const calls: string[] = [];
	const act: ActionKeyHandlers = {
		toggleSlot: (i) => calls.push(`slot ${i}`),
		nextPerson: (d) => calls.push(`person ${d}`),
		nextSecond: (d) => calls.push(`second ${d}`),
		copyPrevious: () => calls.push('copy'),
		leave: () => calls.push('leave')
	};
	return { calls, act };
}

const press = (key: string, extra: Partial<KeyboardEvent> = {}) => ({ key, ctrlKey: false, metaKey: false, shiftKey: false, ...extra });

describe('action mode keys', () => {
	it('binds digits then letters to the actions in order', () => {
		const { calls, act } = recorder();
		for (const key of ['1', '0', 'q', 'Q', 'm']) runActionKey(press(key), act);
		expect(calls).toEqual(['slot 0', 'slot 9', 'slot 10', 'slot 10', `slot ${ACTION_SLOT_KEYS.length - 1}`]);
	});

	it('steps persons and seconds, copies, leaves', () => {
		const { calls, act } = recorder();
		for (const e of [press('Tab'), press('Tab', { shiftKey: true }), press('Enter'), press('ArrowLeft'), press('c'), press('Escape')]) {
			expect(runActionKey(e, act)).toBe(true);
		}
		expect(calls).toEqual(['person 1', 'person -1', 'second 1', 'second -1', 'copy', 'leave']);
	});

	it('leaves mode keys and Ctrl combinations out of the slots', () => {
		const { calls, act } = recorder();
		for (const key of ['a', 'c', 'n', 't', 'u', 'v']) expect(ACTION_SLOT_KEYS).not.toContain(key);
		expect(runActionKey(press('z', { ctrlKey: true }), act)).toBe(false);
		expect(runActionKey(press('F5'), act)).toBe(false);
		expect(calls).toEqual([]);
	});
});
