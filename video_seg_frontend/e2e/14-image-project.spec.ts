// An image project: each image keeps its own undo history.
import { api, post, remove, upload } from './support/api';
import { backendUrl, LABEL_COLOR } from './support/env';
import { expect, poll, test, leave } from './support/fixtures';
import { carPixel, clientOfPixel, frameReady, until } from './support/studio';

let projectId = 0;
let first = 0;

test.beforeAll(async ({ driving }) => {
	projectId = (await post('/projects', { name: 'Stills', media_type: 'image' })).id;
	await post(`/projects/${projectId}/labels`, { name: 'car', color: LABEL_COLOR });
	// Two stills of the driving video (frames 0 and 60), as the server serves its frames.
	const frame = async (f: number) => new Uint8Array(await (await fetch(`${backendUrl()}/api/v1/projects/${driving.id}/media/${driving.media[0].id}/frames/${f}`)).arrayBuffer());
	const uploaded = await upload(
		projectId,
		await Promise.all([0, 60].map(async (f) => ({ name: `still-${f}.jpg`, bytes: await frame(f), type: 'image/jpeg' })))
	);
	first = uploaded.find((m) => m.name === 'still-0.jpg').id;
});
test.afterAll(async ({ flow }) => {
	await leave(flow.page);
	await remove(`/projects/${projectId}`);
});

test('back on an image after →, Ctrl+Z undoes the click made there', async ({ flow: { page } }) => {
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
