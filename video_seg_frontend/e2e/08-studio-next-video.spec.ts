// Studio, going from one video to the next: the next one opens fitted.
import { readFileSync } from 'node:fs';
import { remove, upload, type Driving } from './support/api';
import { video } from './support/env';
import { test, withoutObjects, leave } from './support/fixtures';
import { frameReady, until } from './support/studio';

let project: Driving;
/** A second video, for this flow only. */
let second: { id: number };

test.beforeAll(async ({ driving }) => {
	project = await withoutObjects(driving);
	[second] = await upload(project.id, [{ name: 'second.mp4', bytes: readFileSync(video), type: 'video/mp4' }]);
});
test.afterAll(async ({ flow }) => {
	await leave(flow.page);
	await remove(`/projects/${project.id}/media/${second.id}`);
});

test('the next video opens fitted, not zoomed like the last one', async ({ flow: { page } }) => {
	const [first] = project.media;
	await page.goto(`/projects/${project.id}/studio?media=${first.id}`);
	await frameReady(page, 'the first video to load');
	const fitted = await page.evaluate(() => window.__vss.canvas.view.view.scale as number);
	const box = (await page.getByTestId('studio-canvas').boundingBox())!;
	await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
	await page.mouse.wheel(0, -600);
	await until(page, 'the zoom', (s) => window.__vss.canvas.view.view.scale > s * 1.5, fitted);
	await page.getByRole('button', { name: 'second.mp4' }).click();
	await until(page, 'the second video', (id) => window.__vss.studio.currentId === id, second.id);
	await frameReady(page, 'the second video to load');
	await until(page, 'the second video to be fitted', (s) => Math.abs(window.__vss.canvas.view.view.scale - s) < 1e-6, fitted);
});
