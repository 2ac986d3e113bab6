import { getContext, setContext } from 'svelte';
import type { ProjectState } from './project.svelte';

const PROJECT = Symbol('project');

export function setProjectContext(state: ProjectState): void {
	setContext(PROJECT, state);
}

export function getProjectContext(): ProjectState {
	const state = getContext<ProjectState | undefined>(PROJECT);
	if (!state) throw new Error('getProjectContext outside a project page');
	return state;
}
