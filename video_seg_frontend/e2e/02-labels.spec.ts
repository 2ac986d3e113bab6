// The labels page: add, rename, recolour, refusals, and deleting a label still in use.
import type { Page } from '@playwright/test';
import { api, oneFrameClip, post, remove, upload } from './support/api';
import { LABEL_COLOR } from './support/env';
import { closeToasts, expect, poll, leave, shot, test, type ConsoleErrors } from './support/fixtures';

test.describe.configure({ mode: 'serial' });

let page: Page;
let errors: ConsoleErrors;
let projectId = 0;
type Label = { id: number; name: string; color: string };
const labels = (): Promise<Label[]> => api(`/projects/${projectId}/labels`);

test.beforeAll(async ({ flow }) => {
	({ page, errors } = flow);
	projectId = (await post('/projects', { name: 'Driving demo', media_type: 'video' })).id;
});
test.afterAll(async () => {
	await leave(page);
	await remove(`/projects/${projectId}`);
});

test('add, rename and recolour', async () => {
	await page.goto(`/projects/${projectId}/labels`);
	await page.getByPlaceholder('Label name, e.g. car').fill('vehicle');
	await page.getByLabel('New label colour').fill(LABEL_COLOR);
	await page.getByRole('button', { name: 'Add label' }).click();
	await page.getByTestId('label-row').first().waitFor();
	const name = page.getByLabel('Name of vehicle');
	await name.fill('car');
	await name.press('Enter');
	await poll(async () => (await labels()).map((l) => [l.name, l.color]), { message: 'the label rename to reach the server', timeout: 5000 })
		.toEqual([['car', LABEL_COLOR]]);
	await page.getByPlaceholder('Label name, e.g. car').fill('person');
	await page.getByRole('button', { name: 'Add label' }).click();
	await page.getByTestId('label-row').nth(1).waitFor();
	// A refused rename (empty, or another label's name) shows the label's name again.
	const carField = page.getByTestId('label-row').first().locator('input.name');
	for (const refused of ['', 'person']) {
		await carField.fill(refused);
		await carField.press('Enter');
		await expect(carField, `the field to show "car" again after renaming it to "${refused}"`).toHaveValue('car', { timeout: 5000 });
	}
	errors.expected(/409/);
	await carField.blur();
	await closeToasts(page);
	await shot(page, 'labels.png');
});

test('server errors show as toasts with the server message', async () => {
	await closeToasts(page);
	await page.getByPlaceholder('Label name, e.g. car').fill('car');
	await page.getByRole('button', { name: 'Add label' }).click();
	await expect(page.getByTestId('toast-error').first()).toContainText(/already exists/);
	// A 409 is expected here: it is the one console error this test provokes on purpose.
	errors.expected(/409/);
});

test('deleting a label in use offers to delete its objects too', async () => {
	// The smallest video there is: what matters is an object that uses the label.
	const [media] = await upload(projectId, [{ name: 'one-frame.mp4', bytes: oneFrameClip(), type: 'video/mp4' }]);
	const car = (await labels()).find((l) => l.name === 'car')!;
	await post(`/projects/${projectId}/media/${media.id}/objects`, { label_id: car.id });
	await page.reload();
	await closeToasts(page);
	const [used] = await api(`/projects/${projectId}/media/${media.id}/objects`);
	const label = (await labels()).find((l) => l.id === used.label_id)!;
	const row = page.getByTestId('label-row').filter({ has: page.getByLabel(`Name of ${label.name}`, { exact: true }) });
	await row.getByRole('button', { name: 'Delete' }).click();
	await page.getByTestId('confirm-dialog').filter({ hasText: 'Delete label?' }).getByTestId('confirm-button').click();
	const second = page.getByTestId('confirm-dialog').filter({ hasText: 'Label in use' });
	await expect(second).toBeVisible();
	await expect(second).toContainText(/used by \d+ object/);
	await expect(second).not.toContainText(/force/);
	await expect(page.getByTestId('toast-error'), 'the refusal showed an error toast').toHaveCount(0);
	errors.expected(/409/);
	await second.getByTestId('confirm-button').click();
	await expect(row).toHaveCount(0);
	expect((await labels()).some((l) => l.id === label.id), 'the label is still on the server').toBe(false);
	expect((await api(`/projects/${projectId}/media/${media.id}/objects`)).some((o: { label_id: number }) => o.label_id === label.id), 'its objects are still there').toBe(false);
});
