/**
 * A select picked with the mouse gives the focus back, so the next shortcut (→, T, N…) works
 * instead of going to the select; a select reached with the keyboard keeps it.
 */
export function releaseAfterPointerPick(select: HTMLSelectElement) {
	let pointer = false;
	const down = () => (pointer = true);
	const key = () => (pointer = false);
	const change = () => {
		if (pointer) select.blur();
		pointer = false;
	};
	const abort = new AbortController();
	select.addEventListener('pointerdown', down, { signal: abort.signal });
	select.addEventListener('keydown', key, { signal: abort.signal });
	select.addEventListener('change', change, { signal: abort.signal });
	return { destroy: () => abort.abort() };
}
