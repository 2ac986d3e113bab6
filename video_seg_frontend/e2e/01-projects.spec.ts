// The projects page: create, rename, long names, delete.
import type { Page } from '@playwright/test';
import { api, post, remove } from './support/api';
import { expect, poll, leave, shot, test } from './support/fixtures';

test.describe.configure({ mode: 'serial' });

let page: Page;

test.beforeAll(({ flow }) => ({ page } = flow));
let projectId = 0;
test.afterAll(async () => {
	await leave(page);
	// Gone already, unless a step failed before deleting it.
	if (projectId) await remove(`/projects/${projectId}`);
});

test('create and rename a project', async () => {
	await page.goto('/');
	await page.getByPlaceholder('New project name').fill('Driving');
	await page.getByRole('button', { name: 'Create project' }).click();
	const card = page.getByTestId('project-card').filter({ hasText: 'Driving' });
	await card.getByRole('button', { name: 'Rename' }).click();
	const field = page.getByLabel('New name of Driving');
	await field.fill('Driving demo');
	await field.press('Enter');
	const renamed = page.getByTestId('project-card').filter({ hasText: 'Driving demo' });
	await expect(renamed).toBeVisible();
	await poll(async () => (await api('/projects')).map((p: { name: string }) => p.name), { message: 'the rename to reach the server' }).toContain('Driving demo');
	// Every button of the card lies inside it (a Delete sticking out is hidden by the next card).
	const cardBox = (await renamed.boundingBox())!;
	for (const button of await renamed.locator('.actions > *').all()) {
		const b = (await button.boundingBox())!;
		expect(b.x >= cardBox.x && b.x + b.width <= cardBox.x + cardBox.width + 0.5, `"${await button.textContent()}" sticks out of its project card`).toBe(true);
	}
	await shot(page, 'projects.png');
	await renamed.getByRole('link', { name: 'Open' }).click();
	await page.waitForURL(/\/projects\/\d+$/);
	projectId = Number(/projects\/(\d+)/.exec(page.url())![1]);
	await expect(page.getByTestId('project-name')).toHaveText('Driving demo');
});

test('a very long project name wraps or is cut short, the tabs stay in view', async () => {
	const name = 'Averylongprojectnamewithoutanyspaces'.repeat(5);
	const long = await post('/projects', { name, media_type: 'video' });
	const overflow = () => page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
	await page.goto('/');
	const card = page.getByTestId('project-card').filter({ hasText: name.slice(0, 30) });
	await card.waitFor();
	expect(await overflow(), 'the projects page scrolls sideways').toBeLessThanOrEqual(0);
	const [cardBox, titleBox] = [(await card.boundingBox())!, (await card.locator('.title').boundingBox())!];
	expect(titleBox.x + titleBox.width, 'the long name runs out of its card').toBeLessThanOrEqual(cardBox.x + cardBox.width);
	for (const path of ['', '/studio']) {
		await page.goto(`/projects/${long.id}${path}`);
		const tab = page.getByRole('link', { name: 'Gallery', exact: true });
		await tab.waitFor();
		const box = (await tab.boundingBox())!;
		expect(box.x + box.width, `the Gallery tab is off screen on /projects/${long.id}${path}`).toBeLessThanOrEqual(1440);
		expect(await overflow(), `/projects/${long.id}${path} scrolls sideways`).toBeLessThanOrEqual(0);
	}
	// Off the project first: a reading its pages still have under way would be answered 404.
	await page.goto('/');
	await remove(`/projects/${long.id}`);
});

test('delete a project with confirmation', async () => {
	await page.goto('/');
	const card = page.getByTestId('project-card').filter({ hasText: 'Driving demo' });
	await card.getByRole('button', { name: 'Delete' }).click();
	await page.getByTestId('confirm-button').click();
	await expect(card).toHaveCount(0);
	expect((await api('/projects')).some((p: { id: number }) => p.id === projectId), 'the project is still on the server').toBe(false);
	projectId = 0;
});
