// Studio, tracking a video: live progress, one timeline row per object, cancel, deleting a
// tracked object and undoing it, scrubbing and playback, a reload.
import type { Page } from '@playwright/test';
import { api, carAndSuv, type Driving, post } from './support/api';
import { expect, poll, shot, test, withoutObjects } from './support/fixtures';
import { frameReady, painted, readStudio, until } from './support/studio';

test.describe.configure({ mode: 'serial' });

let page: Page;
let project: Driving;
let mediaId = 0;

const studio = <T>(fn: (s: Window['__vss']['studio']) => T) => readStudio(page, fn);
type Summary = { object_id: number; ranges: [number, number][]; key_frames: number[] }[];
const summary = (): Promise<Summary> => api(`/projects/${project.id}/media/${mediaId}/annotations/summary`);
const timelineRanges = () => page.getByTestId('timeline-range').evaluateAll((els) => els.map((e) => (e as HTMLElement).title));

test.beforeAll(async ({ flow, driving }) => {
	({ page } = flow);
	project = await withoutObjects(driving);
	mediaId = project.media[0].id;
	await carAndSuv(project.id, project.media[0], project.labels);
	await page.goto(`/projects/${project.id}/studio?media=${mediaId}`);
	await frameReady(page, 'the first frame to load');
	await until(page, 'both objects with their masks', () => window.__vss.studio.frameMasks.filter((a: { area: number }) => a.area > 0).length === 2);
});

test('track the next 20 frames with live progress', async () => {
	await expect(page.getByLabel('Direction'), 'T tracks both ways by default; a correction needs both stretches re-tracked').toHaveValue('both');
	await page.getByLabel('Direction').selectOption('forward');
	await page.getByText('only next').click();
	await page.getByLabel('Number of frames').fill('20');
	await page.getByTestId('track-button').click();
	await expect(page.getByTestId('job-progress'), 'the tracking job to complete').toHaveAttribute('data-status', 'completed', { timeout: 120_000 });
	await until(page, 'masks on the tracked frames', () => window.__vss.studio.annotatedFrames.size >= 15, undefined, 10_000);
});

test('each object has its own timeline row; a click on its gap goes where it was lost', async () => {
	const [first, second] = await studio((s) => s.objects.map((o: { id: number }) => o.id));
	// Another tab tracks only the first object 30 frames further: the merged bar is then
	// full up to frame 50, and only the second object's own row shows it has no mask there.
	const job = await post(`/projects/${project.id}/media/${mediaId}/propagate`, { object_ids: [first], start_frame: 20, direction: 'forward', num_frames: 30 });
	await poll(async () => (await api(`/jobs/${job.id}`)).status, { message: 'the first object tracked further', timeout: 60_000 }).toBe('completed');
	const tracked = await summary();
	const covers = (id: number, f: number) => tracked.find((e) => e.object_id === id)!.ranges.some(([a, b]) => f >= a && f <= b);
	const probe = [30, 35, 40, 45].find((f) => covers(first, f) && !covers(second, f))!;
	expect(probe, `a frame where only the first object has a mask: ${JSON.stringify(tracked)}`).toBeDefined();
	await until(
		page,
		'the studio to see the further tracking',
		({ id, f }) => window.__vss.studio.summary.find((e: { object_id: number }) => e.object_id === id)?.ranges.some(([a, b]: number[]) => f >= a && f <= b),
		{ id: first, f: probe }
	);
	const merged = await timelineRanges();
	expect(
		merged.some((t) => {
			const [a, b] = t.match(/\d+/g)!.map(Number);
			return probe >= a && probe <= b;
		}),
		`the merged bar should be full at frame ${probe}: ${merged}`
	).toBe(true);
	const rows = page.getByTestId('timeline-object-row');
	await expect(rows, 'one timeline row per object').toHaveCount(2);
	/** The row canvas's pixel at the bottom of a frame's cell (bars rise from the bottom as high as the mask is large). */
	const rowPixel = (id: number, f: number) =>
		page.evaluate(
			({ id, f }) => {
				const canvas = document.querySelector(`[data-testid="timeline-object-row"][data-object-id="${id}"] canvas`) as HTMLCanvasElement;
				const count = window.__vss.studio.frameCount;
				const x = Math.floor(((f + 0.5) / count) * canvas.width);
				return Array.from(canvas.getContext('2d')!.getImageData(x, canvas.height - 1, 1, 1).data.slice(0, 3));
			},
			{ id, f }
		);
	const rgb = (hex: string) => [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16));
	const near = (a: number[], b: number[]) => a.every((v, i) => Math.abs(v - b[i]) < 8);
	const colorOf = (id: number) => page.evaluate((id) => window.__vss.studio.labelColor(id) as string, id);
	// No mask: dark grey stripes (#2c313c on #5b6372), not the label colour.
	const grey = (p: number[]) => Math.max(...p) < 130 && Math.max(...p) - Math.min(...p) < 30;
	expect(near(await rowPixel(first, probe), rgb(await colorOf(first))), `first object's row at frame ${probe}: ${await rowPixel(first, probe)}`).toBe(true);
	expect(grey(await rowPixel(second, probe)) && grey(await rowPixel(second, probe + 1)), `second object's row at frame ${probe} should show no mask: ${await rowPixel(second, probe)}`).toBe(true);
	expect(near(await rowPixel(second, 5), rgb(await colorOf(second))), `second object's row at frame 5: ${await rowPixel(second, 5)}`).toBe(true);
	// Where the second object was lost: the first frame of the gap around the probe.
	const lost = tracked.find((e) => e.object_id === second)!.ranges.filter(([, b]) => b < probe).at(-1)![1] + 1;
	const box = (await rows.nth(1).boundingBox())!;
	const frames = await studio((s) => s.frameCount);
	await page.mouse.click(box.x + ((probe + 0.5) / frames) * box.width, box.y + box.height / 2);
	await until(
		page,
		`the click on the gap to go to frame ${lost}, with the second object selected`,
		({ lost, second }) => window.__vss.studio.frame === lost && window.__vss.studio.selectedObjectId === second,
		{ lost, second }
	);
	await frameReady(page, `frame ${lost} to load`);
	await painted(page);
	await shot(page, 'studio-tracked.png');
	await page.evaluate(() => window.__vss.studio.setFrame(0));
});

test('Cancel stops a running tracking job and keeps what it tracked', async () => {
	await page.getByText('only next').click(); // off: the whole rest of the video
	await page.getByLabel('Direction').selectOption('both');
	// T is ignored while the direction select has focus (typing there is not a shortcut).
	await page.getByTestId('studio-canvas').hover();
	await page.locator('body').evaluate(() => document.activeElement instanceof HTMLElement && document.activeElement.blur());
	await page.keyboard.press('t');
	const progress = page.getByTestId('job-progress');
	await expect(progress, 'the job to run').toHaveAttribute('data-status', 'running');
	await page.getByTestId('cancel-job').click();
	await expect(progress, 'the job to stop').toHaveAttribute('data-status', /^(canceled|completed)$/, { timeout: 60_000 });
	await expect(progress, 'the job was canceled').toHaveAttribute('data-status', 'canceled');
	await until(page, 'the frames tracked before to stay on the timeline', () => window.__vss.studio.annotatedFrames.size >= 20, undefined, 10_000);
});

test('shortcuts work right after ticking a checkbox or picking from a select with the mouse', async () => {
	const frame = () => studio((s) => s.frame as number);
	const f = await frame();
	await page.getByText('only next').click();
	await page.getByText('only next').click();
	await page.keyboard.press('ArrowRight');
	await poll(frame, { message: '→ after a click on the checkbox' }).toBe(f + 1);
	// A mouse pick: the pointer goes down on the select, then an option is chosen.
	const direction = page.getByLabel('Direction');
	await direction.dispatchEvent('pointerdown');
	await direction.focus();
	await direction.selectOption('backward');
	await expect(direction, 'the select gave the focus back after a mouse pick').not.toBeFocused();
	await page.keyboard.press('ArrowLeft');
	await poll(frame, { message: '← after a mouse pick in a select' }).toBe(f);
	await direction.selectOption('forward');
});

test('delete an object with tracked frames, undo brings back its masks', async () => {
	const before = await summary();
	const objects = await studio((s) => s.objects.map((o: { id: number; track_id: number }) => ({ id: o.id, track: o.track_id })));
	const victim = before.find((e) => e.object_id === objects[1].id)!;
	const trackedFrames = (e: Summary[number]) => e.ranges.reduce((n, [a, b]) => n + b - a + 1, 0);
	expect(victim && trackedFrames(victim), `object ${objects[1].id} has enough tracked frames`).toBeGreaterThan(victim.key_frames.length + 10);
	const rangesBefore = await timelineRanges();
	const masksOf = async (id: number) =>
		(await api(`/projects/${project.id}/media/${mediaId}/annotations?object_id=${id}`)).map(
			(a: { frame_index: number; source: string; rle: { counts: string }; base_rle?: { counts: string } }) => `${a.frame_index}:${a.source}:${a.rle.counts}:${a.base_rle?.counts ?? ''}`
		);
	const masksBefore = await masksOf(objects[1].id);
	await page.getByRole('button', { name: `Delete object ${objects[1].track}` }).click();
	await until(page, 'the object to leave the timeline', (id) => !window.__vss.studio.summary.some((e: { object_id: number }) => e.object_id === id), objects[1].id);
	expect((await summary()).length, 'the object is gone from the server').toBe(before.length - 1);
	await page.keyboard.press('Control+z');
	// Listed as soon as it exists (another reading of the list may show it): the undo has ended when it can be redone.
	await until(page, 'undo to recreate the object', () => window.__vss.studio.objects.length === 2 && window.__vss.studio.undoState.canRedo);
	const restored = await studio((s) => ({ id: s.objects[1].id as number, track: s.objects[1].track_id as number }));
	expect(restored.track, 'undo brings the object back under its own track id').toBe(objects[1].track);
	expect(await masksOf(restored.id), 'the masks after undo').toEqual(masksBefore);
	const after = (await summary()).find((e) => e.object_id === restored.id)!;
	expect(after?.ranges, 'tracked ranges restored').toEqual(victim.ranges);
	expect(after.key_frames, 'key frames restored').toEqual(victim.key_frames);
	await until(
		page,
		'the studio timeline to show the restored ranges',
		({ id, ranges }) => JSON.stringify(window.__vss.studio.summary.find((e: { object_id: number }) => e.object_id === id)?.ranges) === JSON.stringify(ranges),
		{ id: restored.id, ranges: victim.ranges }
	);
	expect(await timelineRanges(), 'the timeline ranges after undo').toEqual(rangesBefore);
});

test('scrub the timeline, step frames, play and pause', async () => {
	const bar = (await page.getByTestId('timeline').boundingBox())!;
	const frames = await studio((s) => s.frameCount as number);
	const goal = 10;
	await page.mouse.click(bar.x + ((goal + 0.5) / frames) * bar.width, bar.y + bar.height / 2);
	await until(page, 'the scrub', (g) => Math.abs(window.__vss.studio.frame - g) <= 1, goal);
	await frameReady(page, 'the scrubbed frame to load');
	const f = await studio((s) => s.frame as number);
	// Masks are fetched for the frames around the one shown, so they may arrive just after it.
	await until(page, `both objects' masks on tracked frame ${f}`, () => window.__vss.studio.frameMasks.filter((a: { area: number }) => a.area > 0).length === 2, undefined, 10_000);
	await page.keyboard.press('ArrowRight');
	await until(page, 'ArrowRight', (g) => window.__vss.studio.frame === g + 1, f);
	await page.keyboard.press('Shift+ArrowLeft');
	await until(page, 'Shift+ArrowLeft', (g) => window.__vss.studio.frame === g - 9, f);
	const start = await studio((s) => s.frame as number);
	const timelineX = async () => (await page.getByTestId('timeline').boundingBox())!.x;
	const xPaused = await timelineX();
	await page.keyboard.press('Space');
	await until(page, 'playback to start', (s) => window.__vss.studio.playing && window.__vss.studio.frame > s, start);
	const xPlaying = await timelineX();
	expect(Math.abs(xPlaying - xPaused), 'the timeline does not move when playback starts').toBeLessThan(0.5);
	await until(page, 'playback to advance', (s) => window.__vss.studio.frame > s + 3, start);
	await page.keyboard.press('Space');
	const end = await studio((s) => ({ frame: s.frame as number, playing: s.playing as boolean }));
	expect(end.playing, 'Space pauses').toBe(false);
	expect(end.frame, `playback advanced from ${start}`).toBeGreaterThan(start + 3);
});

test('a reload reopens the same video at the same frame, with the label chosen last', async () => {
	await page.evaluate(() => window.__vss.studio.setFrame(7));
	await poll(() => new URL(page.url()).searchParams.get('frame'), { message: 'the frame in the address bar' }).toBe('7');
	// The label chosen last (not the first one) is still the one for new objects.
	const person = project.labels[1];
	await page.getByTestId('label-selector').getByRole('button', { name: person.name }).click();
	await until(page, 'the label choice', (id) => window.__vss.studio.selectedLabelId === id, person.id);
	const chosen = await studio((s) => s.selectedLabelId as number);
	expect(chosen, 'the test expects a label other than the first to be chosen').not.toBe(project.labels[0].id);
	await page.reload();
	await until(page, 'the studio after the reload', () => window.__vss?.studio?.currentId ?? null);
	const at = await studio((s) => ({ media: s.currentId as number, frame: s.frame as number, label: s.selectedLabelId as number }));
	expect([at.media, at.frame], 'media and frame after a reload').toEqual([mediaId, 7]);
	expect(at.label, 'after a reload the label for new objects is the one chosen').toBe(chosen);
	await frameReady(page, 'frame 7 to load');
});
