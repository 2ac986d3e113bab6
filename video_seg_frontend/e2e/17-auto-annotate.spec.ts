// Auto-annotation of a people clip (DAVIS hockey) from the studio: the offline HOG person detector
// every 5 frames, the boxes linked into tracks, each track an object listed with its label; a second
// run canceled from its panel; and the concept box on a frame (SAM 3, here its random test model).
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import type { Page } from '@playwright/test';
import { api, post, remove, upload } from './support/api';
import { python, repoDir } from './support/env';
import { expect, leave, test } from './support/fixtures';
import { frameReady, until } from './support/studio';

test.describe.configure({ mode: 'serial' });

const HOCKEY = resolve(repoDir, '../shared/data/vos/hockey/JPEGImages');
let page: Page;
let projectId = 0;
let mediaId = 0;

/** The hockey frames as an H.264 clip (PyAV), as a person would upload a video. Encoded in a child
 * process the event loop waits on, not blocks on: a blocked loop cannot retire a kept-alive
 * connection the server has meanwhile closed, and fetch then writes the next request into it. */
async function hockeyClip(): Promise<Buffer> {
	const dir = mkdtempSync(join(tmpdir(), 'vss-hockey-'));
	const clip = join(dir, 'hockey.mp4');
	const make = [
		'import sys, glob, av, numpy as np',
		'from PIL import Image',
		'frames = sorted(glob.glob(sys.argv[2] + "/*.jpg"))',
		'with av.open(sys.argv[1], "w") as out:',
		'    s = out.add_stream("libx264", rate=24); s.width, s.height, s.pix_fmt = 854, 480, "yuv420p"; s.options = {"crf": "12"}',
		'    for f in frames:',
		'        for packet in s.encode(av.VideoFrame.from_ndarray(np.asarray(Image.open(f).convert("RGB")), format="rgb24")): out.mux(packet)',
		'    for packet in s.encode(): out.mux(packet)'
	].join('\n');
	await promisify(execFile)(python, ['-c', make, clip, HOCKEY]);
	const bytes = readFileSync(clip);
	rmSync(dir, { recursive: true, force: true });
	return bytes;
}

test.beforeAll(async ({ flow }) => {
	({ page } = flow);
	const bytes = await hockeyClip();
	projectId = (await post('/projects', { name: 'People', media_type: 'video' })).id;
	[{ id: mediaId }] = await upload(projectId, [{ name: 'hockey.mp4', bytes, type: 'video/mp4' }]);
	await page.goto(`/projects/${projectId}/studio?media=${mediaId}`);
	await frameReady(page, 'the hockey clip to load');
});
test.afterAll(async () => {
	await leave(page);
	await remove(`/projects/${projectId}`);
});

test('auto-annotate finds the hockey player and lists the objects', async () => {
	await page.getByTestId('auto-annotate').locator('summary').click();
	await expect(page.getByTestId('auto-detector').locator('option[value="hog-person"]'), 'the offline detector is offered').toHaveCount(1);
	await page.getByTestId('auto-concept').fill('person');
	await page.getByTestId('auto-detector').selectOption('hog-person');
	await page.getByTestId('auto-every').fill('5');
	await page.getByTestId('auto-masks').selectOption('box');
	await page.getByTestId('auto-start').click();
	await expect(page.getByTestId('auto-progress'), 'the auto-annotation job to complete').toHaveAttribute('data-status', 'completed', { timeout: 180_000 });

	const objects = await api(`/projects/${projectId}/media/${mediaId}/objects`);
	expect(objects.length, 'HOG finds the hockey player on some frames').toBeGreaterThan(0);
	await expect(page.getByTestId('object-list').locator('li:not(.muted)'), 'every object listed').toHaveCount(objects.length);
	await expect(page.getByTestId('auto-progress')).toContainText(`${objects.length} object(s)`);
	const labels = await api(`/projects/${projectId}/labels`);
	expect(labels.map((l: { name: string }) => l.name), 'a label named like the concept').toEqual(['person']);
	await expect(page.getByLabel(`Label of object ${objects[0].track_id}`)).toHaveValue(String(labels[0].id));
	// The timeline shows the tracked frames: masks exist beyond the detection frames.
	await until(page, 'tracked frames on the timeline', () => window.__vss.studio.annotatedFrames.size >= 5, undefined, 30_000);
});

test('a second run can be canceled from its panel and adds no object', async () => {
	const before = (await api(`/projects/${projectId}/media/${mediaId}/objects`)).length;
	await page.getByTestId('auto-every').fill('1');
	await page.getByTestId('auto-start').click();
	await page.getByTestId('auto-cancel').click();
	await expect(page.getByTestId('auto-progress')).toHaveAttribute('data-status', 'canceled', { timeout: 60_000 });
	expect((await api(`/projects/${projectId}/media/${mediaId}/objects`)).length, 'canceled while detecting: nothing added').toBe(before);
});

test('the concept box on a frame asks SAM 3 and says what it found', async () => {
	const before = (await api(`/projects/${projectId}/media/${mediaId}/objects`)).length;
	// The e2e server allows random weights: SAM 3's tiny random model answers (the real one is gated).
	const models = await api('/models');
	expect(models.filter((m: { engine: string; available: boolean }) => m.engine === 'sam3' && m.available).map((m: { key: string }) => m.key)).toEqual(['sam3_random']);
	await expect(page.getByTestId('concept-unavailable')).toHaveCount(0);
	// Typed key by key: "n" in the box is a letter, not the New object shortcut.
	await page.getByTestId('concept-input').pressSequentially('person');
	await expect(page.getByTestId('object-list').locator('li:not(.muted)')).toHaveCount(before);
	await page.getByTestId('concept-input').press('Enter');
	const said = page.getByText(/Found \d+ × “person” on frame \d+|No “person” found on this frame/).first();
	await said.waitFor();
	const found = Number((await said.textContent())?.match(/Found (\d+)/)?.[1] ?? 0);
	const after = await api(`/projects/${projectId}/media/${mediaId}/objects`);
	expect(after.length, 'one object per instance the studio reported').toBe(before + found);
	await expect(page.getByTestId('object-list').locator('li:not(.muted)'), 'the instances found are listed').toHaveCount(after.length);
});
