// The gallery: upload with progress, a refused upload, the preview dialog.
import type { Page } from '@playwright/test';
import { api, post, remove } from './support/api';
import { video } from './support/env';
import { closeToasts, expect, leave, shot, test, type ConsoleErrors } from './support/fixtures';

test.describe.configure({ mode: 'serial' });

let page: Page;
let errors: ConsoleErrors;
let projectId = 0;

test.beforeAll(async ({ flow }) => {
	({ page, errors } = flow);
	projectId = (await post('/projects', { name: 'Driving demo', media_type: 'video' })).id;
});
test.afterAll(async () => {
	await leave(page);
	await remove(`/projects/${projectId}`);
});

test('upload the video with progress, see it become ready live', async () => {
	await page.goto(`/projects/${projectId}/gallery`);
	await page.getByTestId('drop-zone').waitFor();
	await page.getByTestId('file-input').setInputFiles(video);
	await page.getByTestId('upload-row').first().waitFor();
	const tile = page.getByTestId('media-tile').first();
	// The badge flips to "ready" from the media.ready event, without a reload.
	await expect(tile, 'media.ready').toHaveAttribute('data-status', 'ready', { timeout: 120_000 });
	await tile.locator('img').evaluate((img: HTMLImageElement) =>
		img.complete && img.naturalWidth > 0 ? null : new Promise((r) => img.addEventListener('load', r, { once: true }))
	);
	const media = await api(`/projects/${projectId}/media`);
	expect(media[0].num_frames, 'a decoded video').toBeGreaterThan(10);
	await shot(page, 'gallery.png');
});

test('a refused upload says why, and Dismiss removes its row', async () => {
	await page.getByTestId('file-input').setInputFiles({ name: 'notes.mp4', mimeType: 'video/mp4', buffer: Buffer.from('not a video at all') });
	const row = page.getByTestId('upload-row').filter({ hasText: 'notes.mp4' });
	await expect(row, 'the upload to be refused').toHaveClass(/failed/);
	await expect(row, 'the failed row says why').toContainText(/video|image|format|decode|recogni/i);
	await row.getByRole('button', { name: 'Dismiss notes.mp4' }).click();
	await expect(row).toHaveCount(0);
	errors.expected(/415/);
	await closeToasts(page);
});

test('the preview dialog plays the video', async () => {
	await page.getByRole('button', { name: /Preview 08_driving/ }).click();
	await page.locator('dialog.preview video').waitFor();
	await page.getByRole('button', { name: 'Close' }).click();
});
