// Studio, bringing annotations in and starting over: a CVAT import (and a refused one), the
// shortcut list, and a fresh start after an undone deletion.
import type { Page } from '@playwright/test';
import { api, carAndSuv, cvatSquareTrack, type Driving } from './support/api';
import { closeToasts, expect, poll, shot, test, withoutObjects, type ConsoleErrors } from './support/fixtures';
import { carPixel, clientOfPixel, frameReady, painted, readStudio, until } from './support/studio';

test.describe.configure({ mode: 'serial' });

let page: Page;
let errors: ConsoleErrors;
let project: Driving;

const studio = <T>(fn: (s: Window['__vss']['studio']) => T) => readStudio(page, fn);

test.beforeAll(async ({ flow, driving }) => {
	({ page, errors } = flow);
	project = await withoutObjects(driving);
	await carAndSuv(project.id, project.media[0], project.labels);
	await page.goto(`/projects/${project.id}/studio?media=${project.media[0].id}&frame=7`);
	await frameReady(page, 'frame 7 to load');
});

test('import a CVAT for video track, refusals show as toasts', async () => {
	const { width, height } = await studio((s) => ({ width: s.current.width as number, height: s.current.height as number }));
	const objectsBefore = await studio((s) => s.objects.map((o: { id: number }) => o.id));
	await page.getByTestId('import-panel').locator('summary').click();
	await page.getByLabel('Import format').selectOption('cvat_video');
	// A broken file: the server's 422 sentence is shown.
	await page.getByTestId('import-file').setInputFiles({ name: 'broken.xml', mimeType: 'application/xml', buffer: Buffer.from('<annotations') });
	await page.getByTestId('import-button').click();
	const toast = page.getByTestId('toast-error').first();
	await toast.waitFor();
	const text = (await toast.textContent()) ?? '';
	expect(text.trim().length > 10 && !/^\s*422/.test(text), `a refusal in words: ${text}`).toBe(true);
	errors.expected(/422/);
	await toast.getByRole('button', { name: 'Dismiss' }).click();
	await page.getByTestId('import-file').setInputFiles({ name: 'annotations.xml', mimeType: 'application/xml', buffer: Buffer.from(cvatSquareTrack(width, height)) });
	await page.getByTestId('import-button').click();
	await page.getByTestId('import-result').waitFor();
	const created = await until(
		page,
		'the imported object in the object list',
		(ids) => window.__vss.studio.objects.find((o: { id: number }) => !ids.includes(o.id)) ?? null,
		objectsBefore
	);
	const labels = await api(`/projects/${project.id}/labels`);
	const sign = labels.find((l: { name: string }) => l.name === 'sign');
	expect(sign && created.label_id === sign.id, 'the imported object carries the new label "sign"').toBe(true);
	await page.getByLabel(`Label of object ${created.track_id}`).locator('option', { hasText: 'sign' }).waitFor({ state: 'attached' });
	await page.getByTestId('label-selector').getByText('sign').waitFor();
	await until(
		page,
		'the imported key frame on the timeline',
		(id) => {
			const entry = window.__vss.studio.summary.find((e: { object_id: number }) => e.object_id === id);
			return entry && JSON.stringify(entry.key_frames) === '[0]' && JSON.stringify(entry.ranges) === '[[0,0]]';
		},
		created.id
	);
	await page.evaluate(() => window.__vss.studio.setFrame(0));
	await until(page, 'the imported mask on frame 0', (id) => window.__vss.studio.frameMasks.some((m: { object_id: number; area: number }) => m.object_id === id && m.area > 0), created.id);
	await page.getByTestId('timeline-key').first().waitFor();
	// Toasts cover the panel's lower part: clear them for the screenshot.
	await closeToasts(page);
	await page.getByTestId('import-result').scrollIntoViewIfNeeded();
	await expect(page.locator('.toast')).toHaveCount(0);
	await frameReady(page);
	await painted(page);
	await shot(page, 'import.png');
});

test('the shortcut list', async () => {
	await page.keyboard.press('?');
	await expect(page.getByTestId('shortcut-help')).toBeVisible();
	await expect(page.getByTestId('shortcut-help').locator('tr').first()).toContainText('positive point');
	await shot(page, 'shortcuts.png');
	await page.keyboard.press('Escape');
	await expect(page.getByTestId('shortcut-help')).toBeHidden();
});

test('start over after an undone deletion, the next click still segments', async () => {
	// SQLite hands a freed id out again: after every object is gone, the next new object
	// gets the id of one whose deletion was undone earlier, and its clicks must go to it.
	const objects = () => studio<{ id: number; track: number }[]>((s) => s.objects.map((o: { id: number; track_id: number }) => ({ id: o.id, track: o.track_id })));
	const first = (await objects()).reduce((a, b) => (b.id < a.id ? b : a));
	const n = (await objects()).length;
	await page.getByRole('button', { name: `Delete object ${first.track}` }).click();
	await poll(async () => (await objects()).length, { message: 'the deletion' }).toBe(n - 1);
	await page.keyboard.press('Control+z');
	// Listed as soon as it exists (another reading of the list may show it): the undo has ended when it can be redone.
	await until(page, 'undo of the deletion', (n) => window.__vss.studio.objects.length === n && window.__vss.studio.undoState.canRedo, n);
	for (const o of await objects()) {
		await page.getByRole('button', { name: `Delete object ${o.track}` }).click();
		await poll(async () => (await objects()).some((x) => x.id === o.id), { message: `the deletion of object ${o.track}` }).toBe(false);
	}
	await page.evaluate(() => window.__vss.studio.setFrame(0));
	await frameReady(page, 'frame 0 to load');
	const click = await clientOfPixel(page, await carPixel(page));
	await page.mouse.click(click.x, click.y);
	await until(page, 'the click on the new object to segment', () => {
		const s = window.__vss.studio;
		return s.prompts.length === 1 && s.frameMasks.some((m: { object_id: number }) => m.object_id === s.objects[0]?.id);
	});
	expect(await objects(), 'one new object').toHaveLength(1);
	await expect(page.getByTestId('toast-error'), 'no error toast after the click').toHaveCount(0);
});
