import { api } from '$lib/api/client';
import type { LabelPublic, ProjectPublic } from '$lib/api/types';
import { ProjectEvents } from './events.svelte';
import { attempt } from './toasts.svelte';

/** The open project: its record, labels and event stream, shared by all its pages. */
export class ProjectState {
	project = $state<ProjectPublic | null>(null);
	labels = $state<LabelPublic[]>([]);
	notFound = $state(false);
	readonly events: ProjectEvents;

	constructor(readonly id: number) {
		this.events = new ProjectEvents(id);
	}

	async load(): Promise<void> {
		try {
			[this.project, this.labels] = await Promise.all([api.getProject(this.id), api.listLabels(this.id)]);
		} catch (error) {
			this.notFound = true;
			throw error;
		}
		this.events.open();
	}

	async reloadProject(): Promise<void> {
		const project = await attempt(() => api.getProject(this.id));
		if (project) this.project = project;
	}

	async reloadLabels(): Promise<void> {
		const labels = await attempt(() => api.listLabels(this.id));
		if (labels) this.labels = labels;
	}

	label(id: number | null | undefined): LabelPublic | undefined {
		return this.labels.find((l) => l.id === id);
	}

	close(): void {
		this.events.close();
	}
}

/** Distinct, readable label colours offered for new labels. */
export const LABEL_PALETTE = [
	'#e6194b', '#3cb44b', '#ffe119', '#4363d8', '#f58231', '#911eb4', '#46f0f0', '#f032e6',
	'#bcf60c', '#fabebe', '#008080', '#e6beff', '#9a6324', '#800000', '#aaffc3', '#000075'
];

export function nextLabelColor(used: string[]): string {
	return LABEL_PALETTE.find((c) => !used.includes(c)) ?? LABEL_PALETTE[used.length % LABEL_PALETTE.length];
}
