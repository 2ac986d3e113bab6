/** The backend's REST API, for what a flow sets up or checks behind the browser's back. */
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { expect } from '@playwright/test';
import { backendUrl, LABEL_COLOR, video } from './env';

type Json = any; // eslint-disable-line @typescript-eslint/no-explicit-any -- answers are checked field by field

export async function api(path: string, init?: RequestInit): Promise<Json> {
	const response = await fetch(`${backendUrl()}/api/v1${path}`, init);
	if (!response.ok) throw new Error(`${init?.method ?? 'GET'} ${path}: ${response.status} ${await response.text()}`);
	return response.status === 204 ? null : response.json();
}

export const post = (path: string, body: unknown) =>
	api(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

export const remove = (path: string) => fetch(`${backendUrl()}/api/v1${path}`, { method: 'DELETE' });

/** Uploads files (a path on disk, or bytes with a name) and waits until each is ready. */
export async function upload(projectId: number, files: (string | { name: string; bytes: Uint8Array; type: string })[]): Promise<Json[]> {
	const form = new FormData();
	for (const f of files) {
		if (typeof f === 'string') form.append('files', new Blob([readFileSync(f)], { type: 'video/mp4' }), basename(f));
		else form.append('files', new Blob([f.bytes], { type: f.type }), f.name);
	}
	const created: Json[] = await api(`/projects/${projectId}/media`, { method: 'POST', body: form });
	await expect
		.poll(async () => (await Promise.all(created.map((m) => api(`/projects/${projectId}/media/${m.id}`)))).map((m) => m.status), {
			message: 'the uploads to be ready',
			timeout: 120_000
		})
		.toEqual(created.map(() => 'ready'));
	return created;
}

/** A video project named as the README shows it, with the labels car (green) and person. */
export async function drivingProject(videos: string[] = ['08_driving.mp4']): Promise<{ id: number; labels: Json[]; media: Json[] }> {
	const project = await post('/projects', { name: 'Driving demo', media_type: 'video' });
	const labels = [await post(`/projects/${project.id}/labels`, { name: 'car', color: LABEL_COLOR }), await post(`/projects/${project.id}/labels`, { name: 'person', color: '#e6194b' })];
	const media = await upload(
		project.id,
		videos.map((name) => (name === '08_driving.mp4' ? video : { name, bytes: readFileSync(video), type: 'video/mp4' }))
	);
	return { id: project.id, labels, media };
}

/** A CVAT for video 1.1 file with one key-framed square of the label "sign" on frame 0. */
export function cvatSquareTrack(width: number, height: number): string {
	const square = [[100, 100], [300, 100], [300, 250], [100, 250]].map(([x, y]) => `${x},${y}`).join(';');
	return `<?xml version="1.0" encoding="utf-8"?>
<annotations>
  <version>1.1</version>
  <meta><task><id>1</id><name>driving</name><size>124</size><mode>interpolation</mode>
    <labels><label><name>sign</name><color>#ffaa00</color><type>any</type><attributes/></label></labels>
    <original_size><width>${width}</width><height>${height}</height></original_size></task></meta>
  <track id="0" label="sign" source="manual">
    <polygon frame="0" keyframe="1" outside="0" occluded="0" points="${square}" z_order="0"/>
    <polygon frame="1" keyframe="1" outside="1" occluded="0" points="${square}" z_order="0"/>
  </track>
</annotations>
`;
}
