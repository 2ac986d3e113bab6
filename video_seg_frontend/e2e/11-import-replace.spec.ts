// Studio, importing a corrected file again: "replace" swaps the objects after a confirmation.
import { api, cvatSquareTrack, type Driving } from './support/api';
import { closeToasts, expect, test, withoutObjects } from './support/fixtures';
import { carPixel, clientOfPixel, frameReady, until } from './support/studio';

let project: Driving;

test.beforeAll(async ({ driving }) => {
	project = await withoutObjects(driving);
});

test('importing with "replace" swaps the objects after a confirmation', async ({ flow: { page } }) => {
	const mid = project.media[0].id;
	const objects = () => api(`/projects/${project.id}/media/${mid}/objects`);
	await page.goto(`/projects/${project.id}/studio?media=${mid}`);
	await frameReady(page);
	// An object of the person's, with a click, on this video first.
	await page.getByTestId('studio-canvas').hover();
	await page.keyboard.press('n');
	const at = await clientOfPixel(page, await carPixel(page));
	await page.mouse.click(at.x, at.y);
	await until(page, 'the click', () => window.__vss.studio.prompts.length > 0);
	const { width, height } = project.media[0];
	const panel = page.getByTestId('import-panel');
	if (!(await panel.evaluate((d) => (d as HTMLDetailsElement).open))) await panel.locator('summary').click();
	await page.getByLabel('Import format').selectOption('cvat_video');
	await page.getByTestId('import-replace').check();
	await page.getByTestId('import-file').setInputFiles({ name: 'again.xml', mimeType: 'application/xml', buffer: Buffer.from(cvatSquareTrack(width, height)) });
	await page.getByTestId('import-button').click();
	const dialog = page.getByTestId('confirm-dialog').filter({ hasText: 'Replace the objects?' });
	await expect(dialog).toBeVisible();
	expect((await objects()).length, 'the objects stay until the confirmation').toBeGreaterThanOrEqual(1);
	await dialog.getByTestId('confirm-button').click();
	await page.getByTestId('import-result').getByText('objects replaced').waitFor();
	const after = await objects();
	expect(after, "after replacing, only the file's one object").toHaveLength(1);
	await until(
		page,
		'the studio to list only the imported object',
		(id) => window.__vss.studio.objects.length === 1 && window.__vss.studio.objects[0].id === id && window.__vss.studio.prompts.length === 0,
		after[0].id
	);
	await expect(page.getByTestId('undo'), 'undo offers no steps on objects that were replaced').toBeDisabled();
	await page.getByTestId('import-replace').uncheck();
	await closeToasts(page);
});
