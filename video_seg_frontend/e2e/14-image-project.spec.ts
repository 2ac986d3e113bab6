// An image project: each image keeps its own undo history.
import { execFileSync } from 'node:child_process';
import { readFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { api, post, remove, upload } from './support/api';
import { LABEL_COLOR, python, video } from './support/env';
import { expect, poll, test } from './support/fixtures';
import { carPixel, clientOfPixel, frameReady, until } from './support/studio';

let projectId = 0;
let first = 0;

test.beforeAll(async () => {
	// Two stills of the driving video (frames 0 and 60), as JPEGs.
	const dir = mkdtempSync(join(tmpdir(), 'vss-stills-'));
	const still = [
		'import sys, av',
		'with av.open(sys.argv[1]) as src:',
		'    for i, frame in enumerate(src.decode(video=0)):',
		'        if i in (0, 60): frame.to_image().save(f"{sys.argv[2]}/still-{i}.jpg", quality=90)',
		'        if i >= 60: break'
	].join('\n');
	execFileSync(python, ['-c', still, video, dir]);
	projectId = (await post('/projects', { name: 'Stills', media_type: 'image' })).id;
	await post(`/projects/${projectId}/labels`, { name: 'car', color: LABEL_COLOR });
	const uploaded = await upload(
		projectId,
		[0, 60].map((f) => ({ name: `still-${f}.jpg`, bytes: readFileSync(join(dir, `still-${f}.jpg`)), type: 'image/jpeg' }))
	);
	rmSync(dir, { recursive: true, force: true });
	first = uploaded.find((m) => m.name === 'still-0.jpg').id;
});
test.afterAll(() => remove(`/projects/${projectId}`));

test('back on an image after →, Ctrl+Z undoes the click made there', async ({ page }) => {
	const serverPrompts = async (mid: number) => (await api(`/projects/${projectId}/media/${mid}/prompts`)).length;
	await page.goto(`/projects/${projectId}/studio?media=${first}`);
	await page.getByTestId('studio-canvas').waitFor();
	await frameReady(page, 'the first image to load');
	const at = await clientOfPixel(page, await carPixel(page));
	await page.mouse.click(at.x, at.y);
	await until(page, 'the mask on the first image', () => window.__vss.studio.frameMasks.some((m: { area: number }) => m.area > 0));
	await page.keyboard.press('ArrowRight');
	await until(page, 'the next image', (id) => window.__vss.studio.currentId !== id && window.__vss.studio.current !== null, first);
	await until(page, 'the next image to have its own, empty history', () => !window.__vss.studio.undoState.canUndo);
	await page.keyboard.press('ArrowLeft');
	await until(page, 'back on the first image', (id) => window.__vss.studio.currentId === id && window.__vss.studio.prompts.length === 1, first);
	await expect(page.getByTestId('undo'), 'Undo is enabled back on the first image').toBeEnabled();
	await page.keyboard.press('Control+z');
	await poll(() => serverPrompts(first), { message: 'Ctrl+Z to remove the click on the first image' }).toBe(0);
	await until(page, 'the click and its mask to leave the view', () => window.__vss.studio.prompts.length === 0 && !window.__vss.studio.frameMasks.some((m: { area: number }) => m.area > 0));
	// Off the studio first: a reading it still has under way would be answered 404 (a console error).
	await page.goto('/');
});
