// SAM 2 in the studio: tiny, with random weights at 256 px (the path a checkpoint download
// cannot reach here). The mask means nothing; that it is SAM 2's, stored and drawn, does.
import { api, type Driving } from './support/api';
import { expect, poll, test, withoutObjects } from './support/fixtures';
import { carPixel, clientOfPixel, frameReady, until } from './support/studio';

let project: Driving;

test.beforeAll(async ({ driving }) => {
	project = await withoutObjects(driving);
});

test('SAM 2 says where it runs, segments a click and tracks', async ({ flow: { page } }) => {
	const mid = project.media[0].id;
	const media = (path: string) => api(`/projects/${project.id}/media/${mid}${path}`);
	await page.goto(`/projects/${project.id}/studio?media=${mid}`);
	await frameReady(page, 'frame 0');
	await expect(page.getByTestId('compute'), 'no compute line under the OpenCV engine').toHaveCount(0);
	await expect(page.getByTestId('model-summary'), 'the picker says what the model is').toHaveText(/no weights: GrabCut clicks/);
	await page.getByTestId('model-select').selectOption('sam2.1_hiera_tiny_random');
	await expect(page.getByTestId('compute')).toHaveText(/^\s*Runs on cpu, (bf16 autocast|float32)\s*$/);
	await expect(page.getByTestId('model-summary')).toHaveText(/random weights, for tests/);
	await page.keyboard.press('n');
	const at = await clientOfPixel(page, await carPixel(page));
	await page.mouse.click(at.x, at.y);
	const id = await until(
		page,
		'SAM 2 to answer the click (the model loads on first use)',
		() => window.__vss.studio.prompts.length === 1 && window.__vss.studio.prompts[0].id !== null && (window.__vss.studio.prompts[0].object_id as number),
		undefined,
		60_000
	);
	const stored = (await media('/annotations?frame=0')).find((a: { object_id: number }) => a.object_id === id);
	expect(stored?.area, `a SAM 2 mask stored for the click: ${JSON.stringify(stored)}`).toBeGreaterThan(0);
	await until(page, 'the mask on screen', (id) => window.__vss.studio.frameMasks.some((a: { object_id: number }) => a.object_id === id), id);
	await page.getByLabel('Direction').selectOption('forward');
	if (!(await page.getByText('only next').locator('input').isChecked())) await page.getByText('only next').click();
	await page.getByLabel('Number of frames').fill('5');
	await page.getByTestId('track-button').click();
	await expect(page.getByTestId('job-progress'), 'SAM 2 tracking').toHaveAttribute('data-status', 'completed', { timeout: 120_000 });
	const ranges = async () => JSON.stringify((await media('/annotations/summary')).find((e: { object_id: number }) => e.object_id === id)?.ranges);
	expect(await ranges(), 'SAM 2 tracked ranges').toBe('[[0,5]]');
	await page.keyboard.press('Control+z');
	await poll(ranges, { message: 'Ctrl+Z of the SAM 2 tracking' }).toBe('[[0,0]]');
	await page.keyboard.press('Control+z');
	await poll(async () => (await media('/prompts')).length, { message: 'Ctrl+Z of the SAM 2 click' }).toBe(0);
	await page.getByTestId('model-select').selectOption('opencv');
	await expect(page.getByTestId('compute'), 'no compute line under the OpenCV engine again').toHaveCount(0);
});
