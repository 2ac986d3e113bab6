// Studio, first clicks on a video: a point, a zoomed click, a box, undo and redo, delete and
// relabel, removing a prompt.
import type { Page } from '@playwright/test';
import type { Driving } from './support/api';
import { expect, poll, shot, test, withoutObjects } from './support/fixtures';
import { carPixel, clientOfPixel, frameReady, painted, readStudio, until, withAndWithoutOverlays, type Pixel } from './support/studio';

test.describe.configure({ mode: 'serial' });

let page: Page;
let project: Driving;
/** The car clicked first: its source pixel, and where it was on screen. */
let target: Pixel;
let click: Pixel;

const studio = <T>(fn: (s: Window['__vss']['studio']) => T) => readStudio(page, fn);

test.beforeAll(async ({ flow, driving }) => {
	({ page } = flow);
	project = await withoutObjects(driving);
});

test('a click shows a pending marker, then a mask under the click', async () => {
	await page.goto(`/projects/${project.id}/studio?media=${project.media[0].id}`);
	await page.getByTestId('studio-canvas').waitFor();
	await frameReady(page, 'the first frame to load');
	target = await carPixel(page);
	click = await clientOfPixel(page, target);
	// Record, frame by frame, whether the pending marker was on screen before the answer.
	await page.evaluate(() => {
		window.__sawPending = false;
		const watch = () => {
			if (window.__vss.canvas.model.prompts.some((p: { id: number | null }) => p.id === null)) window.__sawPending = true;
			if (!window.__vss.studio.prompts.length) requestAnimationFrame(watch);
		};
		requestAnimationFrame(watch);
	});
	await page.mouse.click(click.x, click.y);
	const masks = await until(page, 'the mask from the server', () => window.__vss.studio.frameMasks.filter((a: { area: number }) => a.area > 0).length);
	expect(masks, 'one mask').toBe(1);
	expect(await page.evaluate(() => window.__sawPending), 'a pending marker was shown while waiting').toBe(true);
	const objectId = await studio((s) => s.objects[0]?.id);
	const under = await page.evaluate(({ x, y }) => window.__vss.canvas.maskAtClient(x, y), click);
	expect(under, 'the mask covers the clicked pixel').toBe(objectId);
	const prompt = await studio((s) => s.prompts[0]);
	expect([Math.floor(prompt.x), Math.floor(prompt.y)], 'the click landed on the pixel under the pointer').toEqual([target.x, target.y]);
	// The drawn canvas moved toward the label colour (pure green) inside the mask. The
	// marker covers the click itself, so sample an interior mask pixel a little away from it
	// and compare it with the same canvas drawn without overlays.
	const probe = await page.evaluate((c) => {
		const { canvas } = window.__vss;
		const { mask } = canvas.model.masks[0];
		const at = (x: number, y: number) => mask.data[y * mask.width + x];
		for (let y = 1; y < mask.height - 1; y++) {
			for (let x = 1; x < mask.width - 1; x++) {
				if (!(at(x, y) && at(x - 1, y) && at(x + 1, y) && at(x, y - 1) && at(x, y + 1))) continue;
				const p = canvas.clientOfSource({ x: x + 0.5, y: y + 0.5 });
				const d = Math.hypot(p.x - c.x, p.y - c.y);
				if (d > 14 && d < 60) return p as Pixel;
			}
		}
		return null;
	}, click);
	expect(probe, 'an interior mask pixel near the click').not.toBeNull();
	const greenShift = async () => {
		const [tinted, plain] = await withAndWithoutOverlays(page, probe!);
		return tinted[1] - tinted[0] - (plain[1] - plain[0]);
	};
	await poll(greenShift, { message: 'the mask drawn in the label colour' }).toBeGreaterThan(20);
	await page.getByTestId('prompt-list').locator('li').first().waitFor();
});

test('clicks land on the exact source pixel after zoom and pan', async () => {
	const box = (await page.getByTestId('studio-canvas').boundingBox())!;
	await page.mouse.move(box.x + box.width * 0.4, box.y + box.height * 0.45);
	await page.mouse.wheel(0, -600);
	await page.keyboard.down('Alt');
	await page.mouse.move(box.x + box.width * 0.5, box.y + box.height * 0.5);
	await page.mouse.down();
	await page.mouse.move(box.x + box.width * 0.45, box.y + box.height * 0.52, { steps: 4 });
	await page.mouse.up();
	await page.keyboard.up('Alt');
	const fitted = await page.evaluate(() => window.__vss.canvas.view.cssWidth / window.__vss.studio.current.width);
	await poll(() => page.evaluate(() => window.__vss.canvas.view.view.scale), { message: 'the wheel to zoom' }).toBeGreaterThan(fitted * 1.5);
	const pixel = { x: target.x + 9, y: target.y - 4 };
	const p = await clientOfPixel(page, pixel);
	const count = await studio((s) => s.prompts.length);
	await page.mouse.click(p.x, p.y);
	await until(page, 'the second prompt', (n) => window.__vss.studio.prompts.length === n + 1, count);
	const added = await studio((s) => s.prompts.at(-1));
	expect([Math.floor(added.x), Math.floor(added.y)], 'the zoomed click landed on the pixel under the pointer').toEqual([pixel.x, pixel.y]);
	await page.evaluate(() => window.__vss.canvas.fit());
});

test('N makes a second object, a dragged box segments it', async () => {
	await page.keyboard.press('n');
	await until(page, 'the new object', () => window.__vss.studio.objects.length === 2);
	// Digit 2: the second label, applied to the selected (new) object.
	await page.keyboard.press('2');
	await until(page, 'the relabel by digit key', () => {
		const s = window.__vss.studio;
		return s.objects[1].label_id === s.selectedLabelId && s.objects[1].label_id !== s.objects[0].label_id;
	});
	const size = await studio((s) => ({ w: s.current.width, h: s.current.height }));
	// The white SUV in the right lane.
	const box = { x0: Math.round(size.w * 0.548), y0: Math.round(size.h * 0.683), x1: Math.round(size.w * 0.609), y1: Math.round(size.h * 0.776) };
	const a = await page.evaluate((b) => window.__vss.canvas.clientOfSource({ x: b.x0, y: b.y0 }), box);
	const b = await page.evaluate((b) => window.__vss.canvas.clientOfSource({ x: b.x1, y: b.y1 }), box);
	await page.mouse.move(a.x, a.y);
	await page.mouse.down();
	await page.mouse.move((a.x + b.x) / 2, (a.y + b.y) / 2, { steps: 3 });
	await page.mouse.move(b.x, b.y, { steps: 3 });
	await page.mouse.up();
	const second = await studio((s) => s.objects[1].id);
	await until(page, 'the box mask', (id) => window.__vss.studio.frameMasks.some((m: { object_id: number; area: number }) => m.object_id === id && m.area > 0), second);
	const prompt = await studio((s) => s.prompts.find((p: { kind: string }) => p.kind === 'box'));
	for (const k of ['x0', 'y0', 'x1', 'y1'] as const) expect(Math.abs(prompt[k] - box[k]), `box ${k} ${prompt[k]} != ${box[k]}`).toBeLessThan(1);
	const centre = await page.evaluate((b) => window.__vss.canvas.clientOfSource({ x: (b.x0 + b.x1) / 2, y: (b.y0 + b.y1) / 2 }), box);
	const under = await page.evaluate(({ x, y }) => window.__vss.canvas.maskAtClient(x, y), centre);
	expect(under, 'the box mask covers the middle of the box').toBe(second);
	await painted(page);
	await shot(page, 'studio.png');
});

test('undo and redo a prompt (Ctrl+Z, Ctrl+Y / Ctrl+Shift+Z)', async () => {
	const state = () => studio((s) => [s.prompts.length, s.frameMasks.filter((a: { area: number }) => a.area > 0).length]);
	const n = await studio((s) => s.prompts.length);
	await page.keyboard.press('Control+z');
	await poll(state, { message: 'undo to remove the box and its mask' }).toEqual([n - 1, 1]);
	await page.keyboard.press('Control+y');
	await poll(state, { message: 'redo to add them back' }).toEqual([n, 2]);
	await page.keyboard.press('Control+z');
	await poll(async () => (await state())[0], { message: 'undo again' }).toBe(n - 1);
	await page.keyboard.press('Control+Shift+z');
	await poll(state, { message: 'Ctrl+Shift+Z redo' }).toEqual([n, 2]);
});

test('delete an object and relabel one, both undoable', async () => {
	const objects = () => studio((s) => s.objects.map((o: { id: number; label_id: number; track_id: number }) => ({ id: o.id, label: o.label_id, track: o.track_id })));
	const before = await objects();
	await page.getByRole('button', { name: `Delete object ${before[1].track}` }).click();
	await poll(async () => (await objects()).length, { message: 'the object deletion' }).toBe(1);
	await page.keyboard.press('Control+z');
	await until(page, 'undo to recreate the object with its mask', () => {
		const s = window.__vss.studio;
		return s.objects.length === 2 && s.frameMasks.filter((a: { area: number }) => a.area > 0).length === 2;
	});
	const labels = project.labels;
	const person = labels.find((l) => l.name === 'person');
	await page.getByLabel(`Label of object ${before[0].track}`).selectOption(String(person.id));
	await poll(async () => (await objects())[0].label, { message: 'the relabel' }).toBe(person.id);
	await page.keyboard.press('Control+z');
	await poll(async () => (await objects())[0].label, { message: 'undo of the relabel' }).toBe(before[0].label);
	// A label button does what its digit key does: relabels the selected object, undoably.
	await page.getByTestId('object-list').getByRole('button', { name: `#${before[0].track}`, exact: true }).click();
	const selected = await studio((s) => s.selectedObject);
	expect([selected.id, selected.label_id], 'the first object (first label) is selected').toEqual([before[0].id, labels[0].id]);
	const other = labels.find((l) => l.id !== selected.label_id);
	await page.getByTestId('label-selector').getByRole('button', { name: other.name }).click();
	await poll(async () => (await objects()).find((o: { id: number }) => o.id === selected.id).label, { message: 'the relabel by label button' }).toBe(other.id);
	await page.keyboard.press('Control+z');
	await poll(async () => (await objects()).find((o: { id: number }) => o.id === selected.id).label, { message: 'undo of the relabel by button' }).toBe(selected.label_id);
});

test('right-click on a prompt removes it, undo restores it', async () => {
	const count = () => studio((s) => s.prompts.length);
	const n = await count();
	await page.mouse.click(click.x, click.y, { button: 'right' });
	await poll(count, { message: 'right-click removal' }).toBe(n - 1);
	await page.keyboard.press('Control+z');
	await poll(count, { message: 'undo of the removal' }).toBe(n);
	await until(page, 'the mask to come back', ({ x, y }) => window.__vss.canvas.maskAtClient(x, y) !== null, click);
});
