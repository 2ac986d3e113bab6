import { describe, expect, it, vi } from 'vitest';
import type { LabelPublic, ObjectPublic } from '$lib/api/types';
import { KeypointEditor, type KeypointHost } from './keypoints.svelte';

// What the server holds: the last frame saved per (object, frame).
const saved = new Map<string, { x: number; y: number; visibility: number }[]>();
vi.mock('$lib/api/client', () => ({
	api: {
		getKeypoints: async (_p: number, _m: number, oid: number, frame: number) => {
			const points = saved.get(`${oid}:${frame}`);
			return { object_id: oid, names: [], edges: [], frames: points ? [{ frame_index: frame, source: 'key', points }] : [] };
		},
		putFrameKeypoints: async (_p: number, _m: number, oid: number, frame: number, points: { x: number; y: number; visibility: number }[]) => {
			saved.set(`${oid}:${frame}`, points);
			return {};
		}
	}
}));

const tool: LabelPublic = {
	id: 1,
	project_id: 1,
	name: 'tool',
	color: '#ff0000',
	structure: { keypoints: ['tip', 'joint', 'end'], edges: [['tip', 'joint']], parts: [] }
};
const obj = { id: 7, media_id: 3, label_id: 1, track_id: 1, name: null } as ObjectPublic;

async function editor(): Promise<KeypointEditor> {
	saved.clear();
	const host: KeypointHost = { pid: 1, currentId: 3, frame: 4, selectedObject: obj, project: { labels: [tool] } };
	const kp = new KeypointEditor(host);
	await kp.load();
	return kp;
}

const flush = () => new Promise((r) => setTimeout(r, 0));

describe('keypoint mode', () => {
	it('names the next unplaced point, places points in order and saves the frame', async () => {
		const kp = await editor();
		expect(kp.nextName).toBe('tip');
		expect(kp.edges).toEqual([[0, 1]]);
		kp.place(10, 20);
		kp.place(30, 40);
		expect(kp.nextName).toBe('end');
		await flush();
		expect(saved.get('7:4')?.map((p) => p.visibility)).toEqual([2, 2, 0]);
		kp.place(50, 60);
		expect(kp.nextName).toBeNull();
		expect(kp.place(1, 1)).toBe(false);
	});

	it('moves a point, toggles the last one occluded, and undoes and redoes each edit', async () => {
		const kp = await editor();
		kp.place(10, 20);
		kp.move(0, 12, 22);
		kp.toggleOccluded();
		expect(kp.points[0]).toEqual({ x: 12, y: 22, visibility: 1 });
		kp.undo();
		expect(kp.points[0]).toEqual({ x: 12, y: 22, visibility: 2 });
		kp.undo();
		kp.undo();
		expect(kp.points[0].visibility).toBe(0);
		expect(kp.canUndo).toBe(false);
		kp.redo();
		expect(kp.points[0]).toEqual({ x: 10, y: 20, visibility: 2 });
		await flush();
		expect(saved.get('7:4')?.[0]).toEqual({ x: 10, y: 20, visibility: 2 });
	});
});
