/** The backend's REST API, for what a flow sets up or checks behind the browser's back. */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { backendUrl, LABEL_COLOR, python, video } from './env';
import { poll } from './poll';

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
export async function upload(projectId: number, files: (string | { name: string; bytes: BlobPart; type: string })[]): Promise<Json[]> {
	const form = new FormData();
	for (const f of files) {
		if (typeof f === 'string') form.append('files', new Blob([readFileSync(f)], { type: 'video/mp4' }), basename(f));
		else form.append('files', new Blob([f.bytes], { type: f.type }), f.name);
	}
	const created: Json[] = await api(`/projects/${projectId}/media`, { method: 'POST', body: form });
	await poll(async () => (await Promise.all(created.map((m) => api(`/projects/${projectId}/media/${m.id}`)))).map((m) => m.status), {
			message: 'the uploads to be ready',
			timeout: 120_000
		})
		.toEqual(created.map(() => 'ready'));
	return created;
}

/** A video project named as the README shows it, with the labels car (green) and person. */
export interface Driving {
	id: number;
	labels: Json[];
	media: Json[];
}

export async function drivingProject(videos: string[] = ['08_driving.mp4']): Promise<Driving> {
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

/** The two objects of the first clicks in the studio, made through the API: the car (two points) and the SUV (a box). */
export async function carAndSuv(projectId: number, media: { id: number; width: number; height: number }, labels: { id: number }[]): Promise<number[]> {
	const base = `/projects/${projectId}/media/${media.id}`;
	const car = await post(`${base}/objects`, { label_id: labels[0].id });
	const target = { x: Math.floor(media.width * 0.435), y: Math.floor(media.height * 0.74) };
	for (const [dx, dy] of [[0, 0], [9, -4]]) {
		await post(`${base}/prompts`, { object_id: car.id, frame_index: 0, kind: 'point', positive: true, x: target.x + dx + 0.5, y: target.y + dy + 0.5 });
	}
	const suv = await post(`${base}/objects`, { label_id: labels[1].id });
	const [w, h] = [media.width, media.height];
	await post(`${base}/prompts`, { object_id: suv.id, frame_index: 0, kind: 'box', positive: true, x0: Math.round(w * 0.548), y0: Math.round(h * 0.683), x1: Math.round(w * 0.609), y1: Math.round(h * 0.776) });
	return [car.id, suv.id];
}

let clipBytes: Buffer | null = null;

/** A one-frame, 64x48 grey H.264 clip, made with PyAV (once a worker): the smallest video the backend accepts. */
export function oneFrameClip(): Buffer {
	if (clipBytes) return clipBytes;
	const dir = mkdtempSync(join(tmpdir(), 'vss-one-frame-'));
	const clip = join(dir, 'one-frame.mp4');
	const make = [
		'import sys, av, numpy as np',
		'with av.open(sys.argv[1], "w") as out:',
		'    s = out.add_stream("libx264", rate=25); s.width, s.height, s.pix_fmt = 64, 48, "yuv420p"',
		'    frame = av.VideoFrame.from_ndarray(np.full((48, 64, 3), 128, np.uint8), format="rgb24")',
		'    for packet in s.encode(frame): out.mux(packet)',
		'    for packet in s.encode(): out.mux(packet)'
	].join('\n');
	execFileSync(python, ['-c', make, clip]);
	clipBytes = readFileSync(clip);
	rmSync(dir, { recursive: true, force: true });
	return clipBytes;
}
