// Review queue: a tracking job that ends with doubtful frames says so (track panel, toast); the
// timeline shades them per object; R jumps to the next one in order of doubt, A accepts the frame
// shown and the counter shows what is left.
import type { Page } from '@playwright/test';
import { api, carAndSuv, type Driving } from './support/api';
import { closeToasts, expect, test, withoutObjects } from './support/fixtures';
import { frameReady, readStudio, until } from './support/studio';

test.describe.configure({ mode: 'serial' });

let page: Page;
let project: Driving;
let mediaId = 0;

type Queue = { below: number; remaining: number; frames: { frame_index: number; confidence: number; objects: { object_id: number }[] }[] };
const queue = (): Promise<Queue> => api(`/projects/${project.id}/media/${mediaId}/review-queue`);
const shownFrame = () => readStudio(page, (s) => s.frame as number);

test.beforeAll(async ({ flow, driving }) => {
	({ page } = flow);
	project = await withoutObjects(driving);
	mediaId = project.media[0].id;
	await carAndSuv(project.id, project.media[0], project.labels);
	await page.goto(`/projects/${project.id}/studio?media=${mediaId}`);
	await frameReady(page, 'the first frame to load');
});

test('a tracking job that leaves doubtful frames says how many, in the panel and a toast', async () => {
	await page.getByLabel('Direction').selectOption('forward');
	await expect(page.getByTestId('keep-confident'), 'surer masks of other key frames stay unless unticked').toBeChecked();
	const request = page.waitForRequest((r) => r.method() === 'POST' && r.url().endsWith('/propagate'));
	await page.getByTestId('track-button').click();
	expect((await request).postDataJSON()).toMatchObject({ direction: 'forward', keep_confident: true });
	await expect(page.getByTestId('job-progress'), 'the tracking job to complete').toHaveAttribute('data-status', 'completed', { timeout: 180_000 });
	const left = await queue();
	expect(left.remaining, 'the driving clip tracked with the OpenCV engine leaves frames in doubt').toBeGreaterThanOrEqual(2);
	const words = `${left.remaining} frames to review`;
	await expect(page.getByTestId('job-summary')).toContainText(words);
	await expect(page.locator('.toast').filter({ hasText: words })).toBeVisible();
	await expect(page.getByTestId('review-counter')).toContainText(words);
	await closeToasts(page);
});

test('the timeline shades the doubtful frames on their objects rows', async () => {
	const left = await queue();
	const doubtful = new Map<number, number>();
	for (const f of left.frames) for (const o of f.objects) doubtful.set(o.object_id, (doubtful.get(o.object_id) ?? 0) + 1);
	for (const [objectId, count] of doubtful) {
		await expect(page.locator(`[data-testid="timeline-object-row"][data-object-id="${objectId}"]`)).toHaveAttribute('data-doubtful-frames', String(count));
	}
});

test('R goes to the frames to review, most doubtful first; A accepts one and the counter counts down', async () => {
	const before = await queue();
	const [first, second] = before.frames.map((f) => f.frame_index);
	await page.getByTestId('frame-number').click();
	await page.keyboard.press('r');
	await until(page, 'the most doubtful frame', (f) => window.__vss.studio.frame === f, first);
	await page.keyboard.press('r');
	await until(page, 'the next frame in order of doubt', (f) => window.__vss.studio.frame === f, second);
	expect(await shownFrame()).toBe(second);

	await page.keyboard.press('a');
	const remaining = before.remaining - 1;
	await expect(page.getByTestId('review-counter')).toHaveAttribute('data-remaining', String(remaining));
	await expect(page.getByTestId('review-counter')).toContainText(`${remaining} frame${remaining === 1 ? '' : 's'} to review`);
	const after = await queue();
	expect(after.frames.map((f) => f.frame_index)).toEqual(before.frames.map((f) => f.frame_index).filter((f) => f !== second));
	// The accepted frame is no longer a stop: R from it goes on to the rest of the queue.
	await page.keyboard.press('r');
	await until(page, 'the most doubtful frame left', (f) => window.__vss.studio.frame === f, after.frames[0].frame_index);
});

test('the gallery says how many frames wait for review and opens the most doubtful one', async () => {
	type ProjectQueue = { remaining: number; media: { media_id: number; remaining: number; frame_index: number }[] };
	const whole = (await api(`/projects/${project.id}/review-queue`)) as ProjectQueue;
	const left = await queue();
	const share = whole.media.find((m) => m.media_id === mediaId);
	expect(share?.remaining, "the video's share of the project's queue is its own queue").toBe(left.remaining);
	await page.goto(`/projects/${project.id}/gallery`);
	const n = whole.remaining;
	await expect(page.getByTestId('project-to-review')).toContainText(`${n} frame${n === 1 ? '' : 's'} to review in ${whole.media.length} video`);
	const tile = page.getByTestId('media-tile').filter({ has: page.locator(`a[href*="media=${mediaId}&"]`) });
	await expect(tile.getByTestId('media-to-review')).toHaveText(`${left.remaining} to review`);
	await tile.getByTestId('media-to-review').click();
	await frameReady(page, 'the studio at the most doubtful frame');
	await until(page, 'the most doubtful frame', (f) => window.__vss.studio.frame === f, left.frames[0].frame_index);
});
