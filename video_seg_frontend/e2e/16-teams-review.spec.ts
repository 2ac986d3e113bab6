// Teams: two annotators and a reviewer, each in their own browser, on a backend with sign-in:
// assign -> annotate -> submit -> reject with a comment on a frame -> the annotator sees it and
// fixes -> resubmit -> accept. The reviewer's canvas is read-only, and the server refuses too.
import { test as base, type Page } from '@playwright/test';
import { LABEL_COLOR, video } from './support/env';
import { expect, poll, shot } from './support/fixtures';
import { carPixel, clientOfPixel, frameReady, readStudio, until } from './support/studio';
import { TeamBackend, type TeamApi } from './support/team-backend';
import { personAt, signIn, type Person } from './support/team-people';

const test = base;
test.describe.configure({ mode: 'serial' });

const ADMIN = { username: 'admin', password: 'admin-password-1' };
const PASSWORD = 'password-123';
const REJECTION = 'The car is only half covered here';
const COMMENT_FRAME = 6;

let backend: TeamBackend;
let admin: TeamApi;
let projectId: number;
let media: { id: number; name: string }[];
const people: Record<string, Person> = {};
const userIds: Record<string, number> = {};

const studioPath = (mediaId: number, frame = 0) => `/projects/${projectId}/studio?media=${mediaId}${frame ? `&frame=${frame}` : ''}`;

/** Clicks the car on the frame shown and waits for its mask. */
async function clickCar(page: Page, dx = 0): Promise<void> {
	await frameReady(page);
	const target = await carPixel(page);
	const at = await clientOfPixel(page, { x: target.x + dx, y: target.y });
	const before = await readStudio(page, (s) => s.prompts.length);
	await page.mouse.click(at.x, at.y);
	await until(page, 'the mask of the click', (n) => window.__vss.studio.prompts.length > n && window.__vss.studio.pending.length === 0 && window.__vss.studio.frameMasks.some((a: { area: number }) => a.area > 0), before);
}

test.beforeAll(async () => {
	test.setTimeout(180_000);
	backend = await TeamBackend.start(ADMIN);
	admin = await backend.signIn(ADMIN.username, ADMIN.password);
	const project = await admin.post('/projects', { name: 'Team demo', media_type: 'video' });
	projectId = project.id;
	await admin.post(`/projects/${projectId}/labels`, { name: 'car', color: LABEL_COLOR });
	media = await admin.uploadVideo(projectId, video, ['ann-drive.mp4', 'bob-drive.mp4']);
	for (const [username, role] of [['ann', 'annotator'], ['bob', 'annotator'], ['rita', 'reviewer']]) {
		const user = await admin.post('/users', { username, password: PASSWORD, role });
		userIds[username] = user.id;
		await admin.put(`/projects/${projectId}/members/${user.id}`);
	}
});

test.afterAll(async () => {
	for (const person of Object.values(people)) await person.close();
	await backend?.stop();
});

test('the reviewer assigns a video to each annotator on the dashboard', async ({ browser }) => {
	const rita = (people.rita = await personAt(browser, backend, 'rita', PASSWORD, `/projects/${projectId}`));
	const { page } = rita;
	for (const [index, username] of ['ann', 'bob'].entries()) {
		await page.getByTestId('assign-media').selectOption({ label: media[index].name });
		await page.getByTestId(`assign-user-${username}`).check();
		await page.getByTestId('assign-button').click();
		await expect(page.getByTestId(`progress-${username}`)).toContainText(username);
	}
	await expect(page.getByTestId('review-queue')).toContainText('Nothing is waiting for review');
	await expect(page.getByTestId('consensus')).toContainText('No replicated item is under 0.8');
	rita.errors.none();
});

test('each annotator finds the video in My work, annotates it and submits', async ({ browser }) => {
	for (const [index, username] of ['ann', 'bob'].entries()) {
		const person = (people[username] = await personAt(browser, backend, username, PASSWORD, `/projects/${projectId}`));
		const { page } = person;
		const mine = page.getByTestId('my-work');
		await expect(mine.getByTestId('work-item')).toHaveCount(1);
		await expect(mine).toContainText(media[index].name);
		await mine.getByRole('link', { name: 'Open' }).click();
		await expect(page).toHaveURL(new RegExp(`media=${media[index].id}`));
		// Opening the work starts it.
		await expect(page.getByTestId('my-assignment-state')).toHaveText('In progress');
		await clickCar(page);
		await page.getByTestId('submit-work').click();
		await expect(page.getByTestId('my-assignment-state')).toHaveText('Submitted');
		person.errors.none();
	}
});

test('the reviewer reviews read-only, rejects ann’s work with a comment on a frame and accepts bob’s', async () => {
	const { page, errors } = people.rita;
	await page.reload();
	const queue = page.getByTestId('review-queue');
	await expect(queue.getByTestId('work-item')).toHaveCount(2);
	await queue.getByTestId('work-item').filter({ hasText: 'ann-drive' }).getByRole('link', { name: 'Review' }).click();
	await expect(page.getByTestId('review-mode')).toHaveText("Reviewing ann's work (read-only).");
	await expect(page.getByTestId('label-selector')).toHaveCount(0);
	await expect(page.getByTestId('undo')).toHaveCount(0);
	// The object list shows ann's object but offers no way to add, relabel or delete one.
	await expect(page.getByTestId('object-row')).toHaveCount(1);
	await expect(page.getByTestId('new-object')).toHaveCount(0);
	await expect(page.getByRole('button', { name: /^Delete object/ })).toHaveCount(0);
	await expect(page.getByRole('combobox', { name: /^Label of object/ })).toBeDisabled();

	// A click on the canvas makes no prompt: no request leaves the page, the object keeps its one click.
	const writes: string[] = [];
	page.on('request', (r) => r.method() !== 'GET' && writes.push(`${r.method()} ${r.url()}`));
	await frameReady(page);
	const car = await clientOfPixel(page, await carPixel(page));
	await page.mouse.click(car.x, car.y);
	await page.keyboard.press('n'); // the new-object key does nothing either
	// The server refuses a reviewer's write too (the browser's cookie signs the request in).
	const refused = await page.request.post(`/api/v1/projects/${projectId}/media/${media[0].id}/objects`, { data: { label_id: 1 } });
	expect(refused.status()).toBe(403);
	expect((await refused.json()).detail).toBe('This item is under review: only its annotators and admins can change it');

	// Reject, on frame 6, with what to fix.
	await page.goto(studioPath(media[0].id, COMMENT_FRAME));
	await expect(page.getByTestId('frame-number')).toHaveText(new RegExp(`^${COMMENT_FRAME} /`));
	await page.getByTestId('review-comment').fill(REJECTION);
	await frameReady(page);
	await shot(page, 'teams-review.png');
	await page.getByTestId('reject-work').click();
	await expect(page.getByTestId('assignment-state-ann')).toHaveText('Rejected');
	expect(writes.filter((w) => !w.includes('/reject')), 'the read-only canvas sent nothing').toEqual([]);
	expect(await readStudio(page, (s) => s.prompts.length), 'ann’s one click, none of the reviewer’s').toBe(1);

	// bob's work is fine.
	await page.goto(studioPath(media[1].id));
	await expect(page.getByTestId('review-mode')).toContainText('bob');
	await page.getByTestId('accept-work').click();
	await expect(page.getByTestId('assignment-state-bob')).toHaveText('Accepted');
	errors.none();
});

test('ann sees the comment, jumps to its frame, fixes and resubmits; the reviewer accepts', async () => {
	const ann = people.ann;
	const { page } = ann;
	await page.goto(`/projects/${projectId}`);
	await expect(page.getByTestId('my-work')).toContainText('Rejected');
	await page.getByTestId('my-work').getByRole('link', { name: 'Open' }).click();
	await expect(page.getByTestId('my-assignment-state')).toHaveText('In progress');
	const comment = page.getByTestId('review-comment-item');
	await expect(comment).toContainText(REJECTION);
	await expect(comment).toContainText(`rita · frame ${COMMENT_FRAME}`);
	await comment.click();
	await expect(page.getByTestId('frame-number')).toHaveText(new RegExp(`^${COMMENT_FRAME} /`));
	// The fix: the car clicked on that frame too.
	await clickCar(page);
	await page.getByTestId('submit-work').click();
	await expect(page.getByTestId('my-assignment-state')).toHaveText('Submitted');
	ann.errors.none();

	const rita = people.rita;
	await rita.page.goto(studioPath(media[0].id));
	await expect(rita.page.getByTestId('review-mode')).toContainText('ann');
	await rita.page.getByTestId('accept-work').click();
	await expect(rita.page.getByTestId('assignment-state-ann')).toHaveText('Accepted');
	// The history panel says who did what.
	await rita.page.getByTestId('history-panel').locator('summary').click();
	const history = rita.page.getByTestId('history-entry');
	await expect(history.first()).toHaveText(/rita accepted/);
	await expect(rita.page.getByTestId('history-panel')).toContainText(`rita rejected on frame ${COMMENT_FRAME}: “${REJECTION}”`);
	await expect(rita.page.getByTestId('history-panel')).toContainText('ann submitted for review');
	rita.errors.none();

	// And ann's dashboard, from the server's side: both accepted, progress counts them.
	await ann.page.goto(`/projects/${projectId}`);
	await expect(ann.page.getByTestId('my-work')).toContainText('Accepted');
	const accepted = async () => (await admin.call(`/projects/${projectId}/progress`)).map((p: { username: string; counts: { accepted: number } }) => [p.username, p.counts.accepted]);
	await poll(accepted).toEqual([
		['ann', 1],
		['bob', 1]
	]);
});

test('a session the server ends sends ann to sign-in and back to the same frame; signing out ends it', async () => {
	const { page, errors } = people.ann;
	const path = studioPath(media[0].id, COMMENT_FRAME);
	await page.goto(path);
	await expect(page.getByTestId('my-assignment-state')).toHaveText('Accepted');
	// The admin sets a new password: every token ann holds stops working.
	await admin.call(`/users/${userIds.ann}`, { method: 'PATCH', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ password: 'password-456' }) });
	await page.getByTitle('Read the assignments again').click();
	await signIn(page, 'ann', 'password-456', path);
	await expect(page.getByTestId('frame-number')).toHaveText(new RegExp(`^${COMMENT_FRAME} /`));
	errors.raced(/401/); // the refused read the page turned into the sign-in page

	// Signed out: the sign-in page, and no page of the project without signing in again.
	await page.getByTestId('sign-out').click();
	await expect(page).toHaveURL(/\/login\?next=/);
	await expect(page.getByTestId('signed-in-user')).toHaveCount(0);
	await page.goto(`/projects/${projectId}`);
	await expect(page).toHaveURL(/\/login\?next=%2Fprojects%2F\d+$/);
	expect((await page.request.get(`/api/v1/projects/${projectId}`)).status(), 'the cookie no longer signs anyone in').toBe(401);
	errors.none();
});
