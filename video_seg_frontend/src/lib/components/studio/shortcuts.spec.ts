import { describe, expect, it } from 'vitest';
import { runShortcut, SHORTCUTS, type KeyPress, type ShortcutActions } from './shortcuts';

/** Runs one key press against actions that record what they were asked to do. */
function press(key: string, mods: Partial<KeyPress> = {}): { handled: boolean; done: string[] } {
	const done: string[] = [];
	const act: ShortcutActions = {
		undo: () => done.push('undo'),
		redo: () => done.push('redo'),
		step: (d) => done.push(`step ${d}`),
		togglePlay: () => done.push('play'),
		nextUnannotated: () => done.push('next unannotated'),
		newObject: () => done.push('new object'),
		track: () => done.push('track'),
		nextReview: () => done.push('next review'),
		acceptReview: () => done.push('accept review'),
		toggleHelp: () => done.push('help'),
		chooseLabel: (i) => done.push(`label ${i}`),
		toggleActions: () => done.push('actions'),
		toggleKeypoints: () => done.push('keypoints'),
		toggleOccluded: () => done.push('occluded')
	};
	const handled = runShortcut({ key, ctrlKey: false, metaKey: false, shiftKey: false, ...mods }, act);
	return { handled, done };
}

describe('studio shortcuts', () => {
	it('each key does what the help list says', () => {
		expect(press('ArrowLeft').done).toEqual(['step -1']);
		expect(press('ArrowRight').done).toEqual(['step 1']);
		expect(press('ArrowLeft', { shiftKey: true }).done).toEqual(['step -10']);
		expect(press('ArrowRight', { shiftKey: true }).done).toEqual(['step 10']);
		expect(press(' ').done).toEqual(['play']);
		expect(press('k').done).toEqual(['keypoints']);
		expect(press('O', { shiftKey: true }).done).toEqual(['occluded']);
		expect(press('u').done).toEqual(['next unannotated']);
		expect(press('N', { shiftKey: true }).done).toEqual(['new object']);
		expect(press('t').done).toEqual(['track']);
		expect(press('r').done).toEqual(['next review']);
		expect(press('A', { shiftKey: true }).done).toEqual(['accept review']);
		expect(press('3').done).toEqual(['label 2']);
		expect(press('?', { shiftKey: true }).done).toEqual(['help']);
		expect(press('v').done).toEqual(['actions']);
	});

	it('Ctrl+Z undoes; Ctrl+Y, Ctrl+Shift+Z and Cmd+Shift+Z redo', () => {
		expect(press('z', { ctrlKey: true }).done).toEqual(['undo']);
		expect(press('y', { ctrlKey: true }).done).toEqual(['redo']);
		expect(press('Z', { ctrlKey: true, shiftKey: true }).done).toEqual(['redo']);
		expect(press('z', { metaKey: true, shiftKey: true }).done).toEqual(['redo']);
	});

	it('other Ctrl combinations and unknown keys are left to the browser', () => {
		for (const [key, mods] of [
			['c', { ctrlKey: true }],
			['t', { ctrlKey: true }],
			['ArrowLeft', { metaKey: true }],
			['0', {}],
			['x', {}]
		] as const) {
			expect(press(key, mods)).toEqual({ handled: false, done: [] });
		}
	});

	it('every keyboard shortcut is in the help list, with what it does', () => {
		const keyed = SHORTCUTS.filter((s) => s.matches);
		expect(keyed.map((s) => s.keys)).toEqual(['1 … 9', '← / →', 'Shift+← / Shift+→', 'Space', 'U', 'N', 'T', 'R', 'A', 'V', 'K', 'O', 'Ctrl+Z', 'Ctrl+Y / Ctrl+Shift+Z', '?']);
		for (const s of SHORTCUTS) expect(s.what.length).toBeGreaterThan(2);
	});
});
