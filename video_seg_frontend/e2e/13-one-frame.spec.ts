// A one-frame video: nothing to track, and the studio says so instead of starting a job.
import { oneFrameClip, post, remove, upload } from './support/api';
import { expect, test, leave } from './support/fixtures';
import { frameReady } from './support/studio';

let projectId = 0;
let mediaId = 0;

test.beforeAll(async () => {
	projectId = (await post('/projects', { name: 'One frame', media_type: 'video' })).id;
	await post(`/projects/${projectId}/labels`, { name: 'car' });
	[{ id: mediaId }] = await upload(projectId, [{ name: 'one-frame.mp4', bytes: oneFrameClip(), type: 'video/mp4' }]);
});
test.afterAll(async ({ flow }) => {
	await leave(flow.page);
	await remove(`/projects/${projectId}`);
});

test('a one-frame video offers nothing to track', async ({ flow: { page } }) => {
	await page.goto(`/projects/${projectId}/studio?media=${mediaId}`);
	await frameReady(page, 'the one-frame video to load');
	await page.getByTestId('single-frame').waitFor();
	await expect(page.getByTestId('track-button'), 'no Track button for a single frame').toHaveCount(0);
	await page.getByTestId('studio-canvas').hover();
	await page.keyboard.press('t');
	await page.getByText('This video has a single frame: there is nothing to track').first().waitFor();
	await expect(page.getByTestId('job-progress'), 'T starts no tracking job on a single frame').toHaveCount(0);
});
