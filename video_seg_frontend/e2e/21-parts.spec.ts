// Part regions: a tool (the dark car of the driving clip) clicked in the studio, then its three
// parts (shaft, wrist, gripper) added with "+ part" and clicked, listed under it and drawn in their
// own colours over it; tracked with it, every part's mask stays inside the tool's on every frame,
// and the COCO export names them "tool/shaft" ... with the tool as their parent.
import { execFileSync } from 'node:child_process';
import type { Page } from '@playwright/test';
import { api, post, remove, upload } from './support/api';
import { python, video } from './support/env';
import { expect, leave, poll, shot, test } from './support/fixtures';
import { carPixel, clientOfPixel, frameReady, until, withAndWithoutOverlays, type Pixel } from './support/studio';

test.describe.configure({ mode: 'serial' });

const PARTS = ['shaft', 'wrist', 'gripper'];
const TRACKED = 10;
let page: Page;
let projectId = 0;
let mediaId = 0;
type Obj = { id: number; track_id: number; parent_id: number | null; part: string | null };
const objects = (): Promise<Obj[]> => api(`/projects/${projectId}/media/${mediaId}/objects`);

test.beforeAll(async ({ flow }) => {
	page = flow.page;
	projectId = (await post('/projects', { name: 'Parts', media_type: 'video' })).id;
	const label = await post(`/projects/${projectId}/labels`, { name: 'tool', color: '#00ff00' });
	const structure = await fetch(`${process.env.VSS_E2E_BASE}/api/v1/projects/${projectId}/labels/${label.id}/structure`, {
		method: 'PUT',
		headers: { 'content-type': 'application/json' },
		body: JSON.stringify({ parts: PARTS })
	});
	expect(structure.status).toBe(200);
	[{ id: mediaId }] = await upload(projectId, [video]);
});
test.afterAll(async () => {
	await leave(page);
	await remove(`/projects/${projectId}`);
});

/** How much the overlay moves a pixel's blue channel against green (the label's colour is green). */
const blueShift = async (at: Pixel): Promise<number> => {
	const [tinted, plain] = await withAndWithoutOverlays(page, at);
	return tinted[2] - tinted[1] - (plain[2] - plain[1]);
};

/** A pixel well inside the object's mask on this frame (2 px from its edge), away from the click markers near `car`. */
const inside = (objectId: number, car: Pixel): Promise<Pixel> =>
	page.evaluate(
		({ objectId, car }) => {
			const studio = window.__vss.studio;
			const mask = studio.decodedMask(studio.frameMasks.find((a: { object_id: number }) => a.object_id === objectId));
			const on = (x: number, y: number) => mask.data[y * mask.width + x] > 0;
			for (let y = 2; y < mask.height - 2; y++) {
				for (let x = 2; x < mask.width - 2; x++) {
					if (Math.hypot(x - car.x, y - car.y) < 20) continue;
					if ([-2, 0, 2].every((dy) => [-2, 0, 2].every((dx) => on(x + dx, y + dy)))) return { x, y };
				}
			}
			throw new Error(`no inner pixel in object ${objectId}'s mask`);
		},
		{ objectId, car }
	);

test('a tool and its three parts clicked, listed under it, drawn in their own colours', async () => {
	await page.goto(`/projects/${projectId}/studio?media=${mediaId}`);
	await frameReady(page, 'the video to load');
	const car = await carPixel(page);
	const at = (dx: number, dy: number) => clientOfPixel(page, { x: car.x + dx, y: car.y + dy });
	// The tool: two clicks on the car (a first click makes the object).
	for (const [dx, dy] of [[0, 0], [9, -4]]) {
		const p = await at(dx, dy);
		await page.mouse.click(p.x, p.y);
	}
	await poll(async () => (await objects()).length, { message: 'the tool made by the first click' }).toBe(1);
	await until(page, 'the tool mask', () => window.__vss.studio.frameMasks.some((a: { area: number }) => a.area > 0));
	const list = page.getByTestId('object-list');
	const clicks = [[0, 0], [9, -4], [4, -2]];
	for (const [i, part] of PARTS.entries()) {
		await list.getByLabel('Add a part to object 1').selectOption(part);
		await expect(list.getByTestId('part-row').nth(i), `${part} listed under the tool`).toContainText(part);
		const p = await at(clicks[i][0], clicks[i][1]);
		await page.mouse.click(p.x, p.y);
		await poll(async () => (await objects()).find((o) => o.part === part && o.parent_id !== null)?.id, { message: `${part} made` }).toBeDefined();
		const partId = (await objects()).find((o) => o.part === part)!.id;
		await until(page, `${part}'s mask`, (id) => window.__vss.studio.frameMasks.some((a: { object_id: number; area: number }) => a.object_id === id && a.area > 0), partId);
		if (i === 0) {
			// The shaft is drawn over the tool in its own colour (azure, turned from the label's green):
			// the overlay makes the pixel bluer than green, where the tool's green alone makes it
			// about 100 levels greener.
			const probe = await clientOfPixel(page, await inside(partId, car));
			await poll(() => blueShift(probe), { message: 'the shaft drawn in its own colour' }).toBeGreaterThan(5);
		}
	}
	// The list: the tool, then its parts in the label's order, indented; no parts left to add.
	const rows = await list.locator('li').evaluateAll((els) => els.map((e) => [e.getAttribute('data-testid'), e.textContent?.replace(/\s+/g, ' ').trim()]));
	expect(rows.map(([kind]) => kind)).toEqual(['object-row', 'part-row', 'part-row', 'part-row']);
	PARTS.forEach((part, i) => expect(rows[i + 1][1]).toContain(part));
	await expect(list.getByLabel('Add a part to object 1')).toHaveCount(0);
	const swatches = await list.getByTestId('part-row').locator('.swatch').evaluateAll((els) => els.map((e) => getComputedStyle(e).backgroundColor));
	expect(new Set(swatches).size, 'three part colours').toBe(3);
	await shot(page, 'parts.png');
	// Hiding the tool hides its parts; showing it shows them again.
	const toolRow = list.getByTestId('object-row');
	await toolRow.getByRole('button', { name: 'Toggle visibility' }).click();
	await expect(list.locator('li.hidden-obj')).toHaveCount(4);
	await until(page, 'no mask drawn', () => window.__vss.canvas.model.masks.length === 0);
	await toolRow.getByRole('button', { name: 'Toggle visibility' }).click();
	await expect(list.locator('li.hidden-obj')).toHaveCount(0);
});

test('tracked with the tool, every part stays inside it on every frame; the export names them', async () => {
	await page.getByLabel('Direction').selectOption('forward');
	await page.getByText('only next').click();
	await page.getByLabel('Number of frames').fill(String(TRACKED));
	await page.getByTestId('track-button').click();
	await expect(page.getByTestId('job-progress'), 'the tracking job to complete').toHaveAttribute('data-status', 'completed', { timeout: 120_000 });
	const masks = await api(`/projects/${projectId}/media/${mediaId}/annotations?start=0&end=${TRACKED}`);
	const objs = await objects();
	// Checked by Python with pycocotools, as a training script would read them.
	const check = `import json, sys
from pycocotools import mask as m
data = json.load(sys.stdin)
parent = {o["id"]: o["parent_id"] for o in data["objects"]}
masks = {(a["object_id"], a["frame_index"]): m.decode({"size": a["rle"]["size"], "counts": a["rle"]["counts"].encode()}).astype(bool) for a in data["masks"]}
out = []
for (oid, frame), mask in sorted(masks.items()):
    if parent[oid] is None: continue
    whole = masks.get((parent[oid], frame))
    out.append([frame, int(mask.sum()), -1 if whole is None else int((mask & ~whole).sum())])
print(json.dumps(out))`;
	const rows: [number, number, number][] = JSON.parse(execFileSync(python, ['-c', check], { input: JSON.stringify({ objects: objs, masks }) }).toString());
	expect(rows.length, 'three parts on every tracked frame').toBe(PARTS.length * (TRACKED + 1));
	for (const [frame, area, outside] of rows) {
		expect(outside, `frame ${frame}: part pixels outside the tool`).toBe(0);
		expect(area, `frame ${frame}: a part mask`).toBeGreaterThan(0);
	}
	const zip = await fetch(`${process.env.VSS_E2E_BASE}/api/v1/projects/${projectId}/export?format=coco`);
	const read = `import io, json, sys, zipfile
data = json.loads(zipfile.ZipFile(io.BytesIO(sys.stdin.buffer.read())).read("annotations/instances_default.json"))
names = {c["id"]: c["name"] for c in data["categories"]}
print(json.dumps(sorted({(names[a["category_id"]], json.dumps(a.get("attributes", {}), sort_keys=True, separators=(",", ":"))) for a in data["annotations"]})))`;
	const seen: [string, string][] = JSON.parse(execFileSync(python, ['-c', read], { input: Buffer.from(await zip.arrayBuffer()) }).toString());
	const tool = objs.find((o) => o.parent_id === null)!;
	expect(seen).toEqual([
		['tool', '{}'],
		...PARTS.map((p) => [`tool/${p}`, JSON.stringify({ parent_id: tool.track_id, part: p })] as [string, string]).sort()
	]);
});

test('deleting the tool deletes its parts; undo brings all four back with their masks', async () => {
	const before = await objects();
	const maskCount = async () => (await api(`/projects/${projectId}/media/${mediaId}/annotations?start=0&end=${TRACKED}`)).length;
	const masksBefore = await maskCount();
	await page.getByRole('button', { name: 'Delete object 1' }).click();
	await poll(async () => (await objects()).length, { message: 'the tool and its parts deleted' }).toBe(0);
	await expect(page.getByTestId('object-list').locator('li[data-testid]')).toHaveCount(0);
	await page.getByRole('button', { name: /Undo/ }).click();
	await poll(async () => (await objects()).map((o) => [o.track_id, o.part]), { message: 'all four back', timeout: 60_000 }).toEqual(
		before.map((o) => [o.track_id, o.part])
	);
	const after = await objects();
	const tool = after.find((o) => o.parent_id === null)!;
	expect(after.filter((o) => o.parent_id === tool.id).map((o) => o.part)).toEqual(PARTS);
	await poll(maskCount, { message: 'their masks restored' }).toBe(masksBefore);
	await expect(page.getByTestId('object-list').getByTestId('part-row')).toHaveCount(3);
});
