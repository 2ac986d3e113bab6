// Studio, going from one video to the next: the next one opens fitted.
import { drivingProject, remove } from './support/api';
import { test } from './support/fixtures';
import { frameReady, until } from './support/studio';

let project: Awaited<ReturnType<typeof drivingProject>>;

test.beforeAll(async () => {
	project = await drivingProject(['08_driving.mp4', 'second.mp4']);
});
test.afterAll(() => remove(`/projects/${project.id}`));

test('the next video opens fitted, not zoomed like the last one', async ({ page }) => {
	const [first, second] = project.media;
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
