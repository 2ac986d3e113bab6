// Keypoints: a label's skeleton from a template in the label manager, then in the studio keypoint
// mode (K) with the keyboard and mouse: points placed by name, one dragged, one occluded and back
// (O, Ctrl+Z), tracked through the video, and the COCO keypoints export read back.
import { execFileSync } from 'node:child_process';
import type { Page } from '@playwright/test';
import { api, post, remove, upload } from './support/api';
import { python, video } from './support/env';
import { expect, leave, poll, shot, test } from './support/fixtures';
import { clientOf, frameReady } from './support/studio';

test.describe.configure({ mode: 'serial' });

let page: Page;
let projectId = 0;
let labelId = 0;
let mediaId = 0;
let objectId = 0;
type Frame = { frame_index: number; source: string; points: { x: number; y: number; visibility: number }[] };
const keypointFrames = async (): Promise<Frame[]> =>
	(await api(`/projects/${projectId}/media/${mediaId}/objects/${objectId}/keypoints`)).frames;

test.beforeAll(async ({ flow }) => {
	page = flow.page;
	projectId = (await post('/projects', { name: 'Tools', media_type: 'video' })).id;
	labelId = (await post(`/projects/${projectId}/labels`, { name: 'tool', color: '#2ca02c' })).id;
	[{ id: mediaId }] = await upload(projectId, [video]);
});
test.afterAll(async () => {
	await leave(page);
	await remove(`/projects/${projectId}`);
});

test('the label manager gives a label the tool template', async () => {
	await page.goto(`/projects/${projectId}/labels`);
	await page.getByRole('button', { name: /Keypoints & parts/ }).click();
	await page.getByLabel('Template for tool').selectOption('tool');
	await page.getByRole('button', { name: 'Use template' }).click();
	await expect(page.getByLabel('Keypoint 1 of tool')).toHaveValue('tip');
	await page.getByRole('button', { name: 'Save keypoints and parts' }).click();
	await poll(async () => (await api(`/projects/${projectId}/labels/${labelId}/structure`)).keypoints, {
		message: 'the structure to reach the server'
	}).toEqual(['tip', 'joint', 'shaft_end']);
	await expect(page.getByRole('button', { name: /Keypoints & parts \(3 \/ 3\)/ })).toBeVisible();
});

test('keypoint mode places the named points by click, drags, occludes and undoes', async () => {
	objectId = (await post(`/projects/${projectId}/media/${mediaId}/objects`, { label_id: labelId })).id;
	await page.goto(`/projects/${projectId}/studio?media=${mediaId}`);
	await frameReady(page, 'the video to load');
	await page.getByTestId('object-list').getByRole('button', { name: '#1' }).click();
	await page.getByTestId('studio-canvas').hover();
	await page.keyboard.press('k');
	const next = page.getByTestId('next-keypoint');
	await expect(next).toHaveText('Click to place tip');
	const where = [{ x: 400, y: 300 }, { x: 480, y: 340 }, { x: 560, y: 380 }];
	for (const [i, name] of ['joint', 'shaft_end'].entries()) {
		const at = await clientOf(page, where[i]);
		await page.mouse.click(at.x, at.y);
		await expect(next).toHaveText(`Click to place ${name}`);
	}
	const last = await clientOf(page, where[2]);
	await page.mouse.click(last.x, last.y);
	await expect(next).toHaveText('All 3 points placed');
	await poll(async () => (await keypointFrames())[0]?.points.map((p) => [Math.round(p.x), Math.round(p.y), p.visibility]), {
		message: 'the three points on the server'
	}).toEqual([[400, 300, 2], [480, 340, 2], [560, 380, 2]]);
	await page.keyboard.press('o');
	await poll(async () => (await keypointFrames())[0]?.points[2].visibility, { message: 'O to mark the last point occluded' }).toBe(1);
	await page.keyboard.press('Control+z');
	await poll(async () => (await keypointFrames())[0]?.points[2].visibility, { message: 'Ctrl+Z to make it visible again' }).toBe(2);
	// Drag the joint 30 px right.
	const joint = await clientOf(page, where[1]);
	const to = await clientOf(page, { x: 510, y: 340 });
	await page.mouse.move(joint.x, joint.y);
	await page.mouse.down();
	await page.mouse.move(to.x, to.y, { steps: 5 });
	await page.mouse.up();
	await poll(async () => Math.round((await keypointFrames())[0]?.points[1].x ?? 0), { message: 'the dragged joint' }).toBe(510);
	await shot(page, 'keypoints.png');
});

test('tracking carries the points through the video and the COCO export reads back', async () => {
	await page.getByTestId('track-keypoints').click();
	// Every frame of the clip gets points: the first a person's, the rest tracked.
	const numFrames = (await api(`/projects/${projectId}/media/${mediaId}`)).num_frames;
	await poll(async () => (await keypointFrames()).length, { message: 'every frame tracked', timeout: 120_000 }).toBe(numFrames);
	await expect(page.getByTestId('track-keypoints'), 'the panel to see the job end').toHaveText('Track keypoints', { timeout: 30_000 });
	const frames = await keypointFrames();
	expect(frames[0].source).toBe('key');
	expect(frames.slice(1).every((f) => f.source === 'tracked')).toBe(true);
	// The export as a file: unzipped and read by Python, as a training script would.
	const zip = await fetch(`${process.env.VSS_E2E_BASE}/api/v1/projects/${projectId}/export?format=coco_keypoints`);
	const bytes = Buffer.from(await zip.arrayBuffer());
	const read = `import io, json, sys, zipfile
data = json.loads(zipfile.ZipFile(io.BytesIO(sys.stdin.buffer.read())).read("annotations/person_keypoints_default.json"))
print(json.dumps([data["categories"][0]["keypoints"], data["categories"][0]["skeleton"], len(data["annotations"]), data["annotations"][0]["keypoints"][:3]]))`;
	const [names, skeleton, count, first] = JSON.parse(execFileSync(python, ['-c', read], { input: bytes }).toString());
	expect(names).toEqual(['tip', 'joint', 'shaft_end']);
	expect(skeleton).toEqual([[1, 2], [2, 3]]);
	expect(count).toBe(frames.length);
	expect(first).toEqual([400, 300, 2]);
});
