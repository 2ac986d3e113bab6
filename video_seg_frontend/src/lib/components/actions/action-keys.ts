/**
 * Keys of the studio's action mode: one table, which the key handler runs and the action panel
 * lists. Actions are bound to digits, then letters that the mode's own keys do not use, in the
 * vocabulary's order.
 */
import type { KeyPress } from '$lib/components/studio/shortcuts';

/** Keys bound to the vocabulary's actions, in order (the 1st action on 1, the 11th on Q). */
export const ACTION_SLOT_KEYS = ['1', '2', '3', '4', '5', '6', '7', '8', '9', '0', 'q', 'w', 'e', 'r', 'y', 'i', 'o', 'p', 's', 'd', 'f', 'g', 'h', 'j', 'k', 'l', 'z', 'x', 'b', 'm'];

export interface ActionKeyHandlers {
	toggleSlot(index: number): void;
	nextPerson(delta: number): void;
	nextSecond(delta: number): void;
	copyPrevious(): void;
	leave(): void;
}

export interface ActionKey {
	keys: string;
	what: string;
	matches: (e: KeyPress) => boolean;
	run: (act: ActionKeyHandlers, e: KeyPress) => void;
}

const plain = (e: KeyPress) => !e.ctrlKey && !e.metaKey;

export const ACTION_KEYS: ActionKey[] = [
	{
		keys: '1 … 0, Q …',
		what: 'tick / untick the action shown beside the key',
		matches: (e) => plain(e) && ACTION_SLOT_KEYS.includes(e.key.toLowerCase()),
		run: (act, e) => act.toggleSlot(ACTION_SLOT_KEYS.indexOf(e.key.toLowerCase()))
	},
	{ keys: 'Tab / Shift+Tab', what: 'next / previous person', matches: (e) => plain(e) && e.key === 'Tab', run: (act, e) => act.nextPerson(e.shiftKey ? -1 : 1) },
	{
		keys: 'Enter or → / ←',
		what: 'next / previous keyframe second',
		matches: (e) => plain(e) && ['Enter', 'ArrowRight', 'ArrowLeft'].includes(e.key),
		run: (act, e) => act.nextSecond(e.key === 'ArrowLeft' ? -1 : 1)
	},
	{ keys: 'C', what: "copy this person's actions from the previous second", matches: (e) => plain(e) && (e.key === 'c' || e.key === 'C'), run: (act) => act.copyPrevious() },
	{ keys: 'V / Esc', what: 'leave action mode', matches: (e) => plain(e) && ['v', 'V', 'Escape'].includes(e.key), run: (act) => act.leave() }
];

/** Runs the action-mode key a press stands for; true if there was one. */
export function runActionKey(e: KeyPress, act: ActionKeyHandlers): boolean {
	const key = ACTION_KEYS.find((k) => k.matches(e));
	if (!key) return false;
	key.run(act, e);
	return true;
}
