/** The label last chosen in a project, per browser: a reload keeps it. */
const labelKey = (projectId: number) => `vss.label.${projectId}`;

export function rememberLabel(projectId: number, labelId: number): void {
	try {
		globalThis.localStorage?.setItem(labelKey(projectId), String(labelId));
	} catch {
		// Storage full or refused (private mode): the choice only lasts until the reload.
	}
}

export function rememberedLabel(projectId: number): number | null {
	try {
		const value = Number(globalThis.localStorage?.getItem(labelKey(projectId)) ?? NaN);
		return Number.isInteger(value) ? value : null;
	} catch {
		return null;
	}
}
