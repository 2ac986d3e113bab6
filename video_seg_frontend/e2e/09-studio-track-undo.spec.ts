// Studio, a tracking job in the undo history: Ctrl+Z removes its masks and keeps the click.
import { api, type Driving } from './support/api';
import { expect, poll, test, withoutObjects } from './support/fixtures';
import { carPixel, clientOfPixel, frameReady, until } from './support/studio';

let project: Driving;

test.beforeAll(async ({ driving }) => {
	project = await withoutObjects(driving);
});

test('Ctrl+Z undoes a tracking job (its masks go, the click stays), Ctrl+Y redoes it', async ({ flow: { page } }) => {
	const mid = project.media[0].id;
	const media = (path: string) => api(`/projects/${project.id}/media/${mid}${path}`);
	await page.goto(`/projects/${project.id}/studio?media=${mid}`);
	await frameReady(page, 'frame 0');
	const at = await clientOfPixel(page, await carPixel(page));
	await page.mouse.click(at.x, at.y);
	const id = await until(page, 'the click', () => window.__vss.studio.prompts.length === 1 && (window.__vss.studio.objects[0]?.id as number));
	await page.getByLabel('Direction').selectOption('forward');
	if (!(await page.getByText('only next').locator('input').isChecked())) await page.getByText('only next').click();
	await page.getByLabel('Number of frames').fill('10');
	await page.getByTestId('track-button').click();
	await expect(page.getByTestId('job-progress'), 'the tracking').toHaveAttribute('data-status', 'completed', { timeout: 60_000 });
	const ranges = async () => JSON.stringify((await media('/annotations/summary')).find((e: { object_id: number }) => e.object_id === id)?.ranges ?? []);
	const tracked = await ranges();
	expect(tracked, 'tracked ranges').toBe('[[0,10]]');
	await until(page, 'the tracking in the undo history', () => window.__vss.studio.undoState.undoLabel === 'Track');
	await page.keyboard.press('Control+z');
	await poll(ranges, { message: 'Ctrl+Z to remove the tracked masks' }).toBe('[[0,0]]');
	await until(
		page,
		'the timeline to show frame 0 only',
		(id) => JSON.stringify(window.__vss.studio.summary.find((e: { object_id: number }) => e.object_id === id)?.ranges) === '[[0,0]]',
		id
	);
	expect(await media('/prompts'), 'undoing the tracking keeps the click').toHaveLength(1);
	await page.keyboard.press('Control+y');
	await poll(ranges, { message: 'Ctrl+Y to bring the tracked masks back' }).toBe(tracked);
	await page.keyboard.press('Control+z');
	await poll(ranges, { message: 'Ctrl+Z again' }).toBe('[[0,0]]');
	await page.keyboard.press('Control+z');
	await poll(async () => [(await media('/prompts')).length, await ranges()], { message: 'the next Ctrl+Z to remove the click' }).toEqual([0, '[]']);
});
