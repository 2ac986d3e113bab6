/**
 * The studio's keyboard and mouse shortcuts: one table that the key handler runs and the help
 * dialog lists, so a shortcut cannot exist without its line in the help, or the other way round.
 */

/** What the studio's shortcuts do. */
export interface ShortcutActions {
	undo(): void;
	redo(): void;
	step(delta: number): void;
	togglePlay(): void;
	nextUnannotated(): void;
	newObject(): void;
	track(): void;
	/** The next frame to review (review queue), and accepting the frame shown. */
	nextReview(): void;
	acceptReview(): void;
	toggleHelp(): void;
	/** The label with this index (0 for key 1). */
	chooseLabel(index: number): void;
	/** Action mode on or off (its own keys are in components/actions/action-keys.ts). */
	toggleActions?(): void;
	/** Keypoint mode on or off, and the last placed point occluded or visible. */
	toggleKeypoints(): void;
	toggleOccluded(): void;
}

/** The keys of an event as the table reads them. */
export type KeyPress = Pick<KeyboardEvent, 'key' | 'ctrlKey' | 'metaKey' | 'shiftKey'>;

export interface Shortcut {
	keys: string;
	what: string;
	/** For keyboard shortcuts: whether the press is this one (Ctrl stands for Cmd too). */
	matches?: (e: KeyPress, ctrl: boolean) => boolean;
	run?: (act: ShortcutActions, e: KeyPress) => void;
}

const isZ = (key: string) => key === 'z' || key === 'Z';
const plain = (keys: string[]) => (e: KeyPress, ctrl: boolean) => !ctrl && keys.includes(e.key);

export const SHORTCUTS: Shortcut[] = [
	{ keys: 'Click', what: 'positive point (creates an object if none is selected)' },
	{ keys: 'Ctrl+click / right click', what: 'negative point' },
	{ keys: 'Drag', what: 'box' },
	{ keys: 'Right click on a point', what: 'remove that prompt' },
	{ keys: 'Wheel / Alt+drag / middle drag', what: 'zoom at cursor / pan' },
	{ keys: 'Alt+double click', what: 'fit the frame' },
	{
		keys: '1 … 9',
		what: 'choose label (and relabel the selected object)',
		matches: (e, ctrl) => !ctrl && /^[1-9]$/.test(e.key),
		run: (act, e) => act.chooseLabel(Number(e.key) - 1)
	},
	{
		keys: '← / →',
		what: 'previous / next frame (video) or media (images)',
		matches: (e, ctrl) => plain(['ArrowLeft', 'ArrowRight'])(e, ctrl) && !e.shiftKey,
		run: (act, e) => act.step(e.key === 'ArrowLeft' ? -1 : 1)
	},
	{
		keys: 'Shift+← / Shift+→',
		what: '10 frames back / forward',
		matches: (e, ctrl) => plain(['ArrowLeft', 'ArrowRight'])(e, ctrl) && e.shiftKey,
		run: (act, e) => act.step(e.key === 'ArrowLeft' ? -10 : 10)
	},
	{ keys: 'Space', what: 'play / pause', matches: plain([' ']), run: (act) => act.togglePlay() },
	{ keys: 'U', what: 'next unannotated frame or media', matches: plain(['u', 'U']), run: (act) => act.nextUnannotated() },
	{ keys: 'N', what: 'new object', matches: plain(['n', 'N']), run: (act) => act.newObject() },
	{ keys: 'T', what: 'track from this frame', matches: plain(['t', 'T']), run: (act) => act.track() },
	{ keys: 'R', what: 'next frame to review (least confident first)', matches: plain(['r', 'R']), run: (act) => act.nextReview() },
	{ keys: 'A', what: 'accept the masks of this frame (it leaves the review queue)', matches: plain(['a', 'A']), run: (act) => act.acceptReview() },
	{ keys: 'V', what: "action mode: label persons' actions second by second", matches: plain(['v', 'V']), run: (act) => act.toggleActions?.() },
	{ keys: 'K', what: 'keypoint mode: click places the next point, drag moves one', matches: plain(['k', 'K']), run: (act) => act.toggleKeypoints() },
	{ keys: 'O', what: 'keypoint mode: the last point occluded / visible', matches: plain(['o', 'O']), run: (act) => act.toggleOccluded() },
	{ keys: 'Ctrl+Z', what: 'undo', matches: (e, ctrl) => ctrl && isZ(e.key) && !e.shiftKey, run: (act) => act.undo() },
	{
		keys: 'Ctrl+Y / Ctrl+Shift+Z',
		what: 'redo',
		matches: (e, ctrl) => ctrl && (e.key === 'y' || (isZ(e.key) && e.shiftKey)),
		run: (act) => act.redo()
	},
	{ keys: '?', what: 'this list', matches: plain(['?']), run: (act) => act.toggleHelp() }
];

/** Runs the shortcut a key press stands for; true if there was one (the browser's default is then prevented). */
export function runShortcut(e: KeyPress, act: ShortcutActions): boolean {
	const ctrl = e.ctrlKey || e.metaKey;
	const shortcut = SHORTCUTS.find((s) => s.matches?.(e, ctrl));
	if (!shortcut) return false;
	shortcut.run?.(act, e);
	return true;
}

/** Inputs that take typed text (or arrows, for a select): their keys are not shortcuts. */
const NOT_TYPED = ['checkbox', 'radio', 'button', 'submit', 'reset', 'file', 'color'];

/** Whether a key pressed on `target` belongs to it rather than to the studio's shortcuts. */
export function keyBelongsTo(target: HTMLElement | null, key: string): boolean {
	if (!target) return false;
	if (target.isContentEditable || target.tagName === 'TEXTAREA' || target.tagName === 'SELECT') return true;
	if (!(target instanceof HTMLInputElement)) return false;
	// Space and Enter on a focused checkbox or button keep their own meaning.
	return !NOT_TYPED.includes(target.type) || key === ' ' || key === 'Enter';
}
