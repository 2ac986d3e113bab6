// Actions with a team (issue 17 item 7), on a backend with sign-in: a people clip (DAVIS hockey,
// frames at 12 fps) assigned to two annotators as replicas; each auto-annotates the person (HOG,
// offline) and ticks actions at three keyframe seconds with the keyboard, disagreeing at one; the
// reviewer finds the item in the QC list with its kappa, accepts by majority; the AVA export holds it.
import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';
import { test as base, type Page } from '@playwright/test';
import { python, repoDir } from './support/env';
import { expect, poll } from './support/fixtures';
import { frameReady } from './support/studio';
import { AVA_LABEL_MAP, CARRY, SIT, STAND } from './support/ava';
import { TeamBackend, type TeamApi } from './support/team-backend';
import { personAt, type Person } from './support/team-people';

const test = base;
test.describe.configure({ mode: 'serial' });

const ADMIN = { username: 'admin', password: 'admin-password-1' };
const PASSWORD = 'password-123';
const HOCKEY = resolve(repoDir, '../shared/data/vos/hockey/JPEGImages');
// HOG finds the player on frames 10-65; at 12 fps the keyframes 12, 24 and 36 (seconds 1-3) have him.
const FPS = 12;
// Keys per second (1 … 5 are the five actions in id order). ann and bob differ at second 2 only.
const KEYS: Record<string, string[][]> = {
	ann: [['3'], ['2'], ['3', '4']],
	bob: [['3'], ['3'], ['3', '4']]
};
const TICKED: Record<string, string[]> = {
	ann: [`12:${STAND}`, `24:${SIT}`, `36:${STAND}+${CARRY}`],
	bob: [`12:${STAND}`, `24:${STAND}`, `36:${STAND}+${CARRY}`]
};

let backend: TeamBackend;
let admin: TeamApi;
let projectId = 0;
let mediaId = 0;
const people: Record<string, Person> = {};

/** The hockey frames as a DAVIS-layout ZIP, as tests/test_api_image_sequences.py sends them. */
function hockeyZip(): Buffer {
	const make = [
		'import glob, io, os, sys, zipfile',
		'buf = io.BytesIO()',
		'with zipfile.ZipFile(buf, "w") as z:',
		'    for f in sorted(glob.glob(sys.argv[1] + "/*.jpg")): z.write(f, "JPEGImages/480p/hockey/" + os.path.basename(f))',
		'sys.stdout.buffer.write(buf.getvalue())'
	].join('\n');
	return execFileSync(python, ['-c', make, HOCKEY], { maxBuffer: 64 << 20 });
}

/** What the signed-in person's own labels say: "frame:action+action" per keyframe. */
async function ownLabels(page: Page): Promise<string[]> {
	const rows = await (await page.request.get(`/api/v1/projects/${projectId}/media/${mediaId}/action-labels`)).json();
	return rows.map((r: { frame_index: number; actions: number[] }) => `${r.frame_index}:${r.actions.join('+')}`);
}

test.beforeAll(async () => {
	test.setTimeout(180_000);
	backend = await TeamBackend.start(ADMIN);
	admin = await backend.signIn(ADMIN.username, ADMIN.password);
	projectId = (await admin.post('/projects', { name: 'Hockey actions', media_type: 'video' })).id;
	await admin.post(`/projects/${projectId}/labels`, { name: 'person', color: '#e6194b' });
	const labelMap = new FormData();
	labelMap.append('file', new Blob([AVA_LABEL_MAP], { type: 'text/plain' }), 'ava_action_list_v2.2.pbtxt');
	await admin.call(`/projects/${projectId}/actions/import`, { method: 'POST', body: labelMap });
	const upload = new FormData();
	upload.append('files', new Blob([hockeyZip()], { type: 'application/zip' }), 'hockey.zip');
	upload.append('fps', String(FPS));
	[{ id: mediaId }] = await admin.call(`/projects/${projectId}/media`, { method: 'POST', body: upload });
	await poll(async () => (await admin.call(`/projects/${projectId}/media/${mediaId}`)).status, { message: 'the clip to be ready', timeout: 60_000 }).toBe('ready');
	for (const [username, role] of [['ann', 'annotator'], ['bob', 'annotator'], ['rita', 'reviewer']]) {
		const user = await admin.post('/users', { username, password: PASSWORD, role });
		await admin.put(`/projects/${projectId}/members/${user.id}`);
	}
});

test.afterAll(async () => {
	for (const person of Object.values(people)) await person.close();
	await backend?.stop();
});

test('the reviewer assigns the clip to two annotators as replicas', async ({ browser }) => {
	const rita = (people.rita = await personAt(browser, backend, 'rita', PASSWORD, `/projects/${projectId}`));
	const { page } = rita;
	await page.getByTestId('assign-media').selectOption({ label: 'hockey.zip' });
	await page.getByTestId('assign-user-ann').check();
	await page.getByTestId('assign-user-bob').check();
	await page.getByLabel('independent replicas').check();
	await page.getByTestId('assign-button').click();
	await expect(page.getByTestId('progress-bob')).toContainText('bob');
	await expect(page.getByTestId('action-qc')).toContainText('No item labelled by two or more annotators is under κ 0.6');
	rita.errors.none();
});

test('each annotator auto-annotates the person and labels three seconds with the keyboard', async ({ browser }) => {
	test.setTimeout(240_000);
	for (const username of ['ann', 'bob']) {
		const person = (people[username] = await personAt(browser, backend, username, PASSWORD, `/projects/${projectId}`));
		const { page } = person;
		await page.getByTestId('my-work').getByRole('link', { name: 'Open' }).click();
		await expect(page.getByTestId('my-assignment-state')).toHaveText('In progress');
		await frameReady(page, 'the hockey clip to load');

		// Persons: the offline HOG detector, box masks. A replica sees only the persons they made.
		await page.getByTestId('auto-annotate').locator('summary').click();
		await page.getByTestId('auto-concept').fill('person');
		await page.getByTestId('auto-detector').selectOption('hog-person');
		await page.getByTestId('auto-every').fill('5');
		await page.getByTestId('auto-masks').selectOption('box');
		await page.getByTestId('auto-start').click();
		await expect(page.getByTestId('auto-progress'), 'the auto-annotation job to complete').toHaveAttribute('data-status', 'completed', { timeout: 120_000 });
		const objects = await (await page.request.get(`/api/v1/projects/${projectId}/media/${mediaId}/objects`)).json();
		expect(objects.length, `${username} sees the one person HOG tracked for them, not the other replica's`).toBe(1);

		// Action mode from a fresh page (no panel control keeps the focus): second 0 has nobody yet.
		await page.reload();
		await frameReady(page);
		await page.keyboard.press('v');
		const panel = page.getByTestId('action-panel');
		await expect(panel.getByTestId('action-second')).toContainText('Second 0');
		for (const [second, keys] of KEYS[username].entries()) {
			await page.keyboard.press('Enter');
			await expect(panel.getByTestId('action-second')).toContainText(`Second ${second + 1}`);
			await expect(page.getByTestId('frame-number')).toContainText(`${(second + 1) * FPS} /`);
			await expect(panel.getByTestId('action-person')).toHaveCount(1);
			await expect(panel.getByTestId('action-person').first(), 'the person chosen once the frame is in').toHaveClass(/chosen/);
			for (const key of keys) await page.keyboard.press(key);
			await poll(async () => (await ownLabels(page)).length, { message: `second ${second + 1} saved` }).toBe(second + 1);
		}
		await poll(() => ownLabels(page), { message: `${username}'s ticks saved` }).toEqual(TICKED[username]);
		await page.keyboard.press('Escape');
		await page.getByTestId('submit-work').click();
		await expect(page.getByTestId('my-assignment-state')).toHaveText('Submitted');
		person.errors.none();
	}
});

test('the reviewer sees the kappa in the QC list, accepts by majority and the AVA export holds it', async () => {
	const { page, errors } = people.rita;
	await page.goto(`/projects/${projectId}`);
	const qc = page.getByTestId('action-qc');
	// Hand-computed over the 3 matched person-seconds: Fleiss' kappa per action stand -0.2, sit -0.2,
	// carry 1, mean 0.2; Cohen's kappa of the pair 0, 0, 1, mean 1/3.
	await expect(qc.getByTestId('action-qc-item')).toHaveCount(1);
	await expect(qc.getByTestId('action-qc-item')).toContainText('hockey.zip');
	await expect(qc.getByTestId('action-qc-item')).toContainText('ann, bob');
	await expect(qc.getByTestId('action-qc-kappa')).toHaveText('0.200');
	await qc.getByLabel('Kappa threshold').fill('0.1');
	await qc.getByRole('button', { name: 'Show' }).click();
	await expect(qc).toContainText('No item labelled by two or more annotators is under κ 0.1');
	await qc.getByLabel('Kappa threshold').fill('0.6');
	await qc.getByRole('button', { name: 'Show' }).click();
	await qc.getByRole('link', { name: 'Open' }).click();
	await expect(page).toHaveURL(new RegExp(`studio\\?media=${mediaId}$`));
	await frameReady(page);

	await page.keyboard.press('v');
	const panel = page.getByTestId('action-panel');
	await panel.getByText('Agreement').click();
	await expect(panel.getByTestId('action-kappa')).toHaveText("Fleiss' κ 0.20 · ann, bob");
	await expect(panel.locator('.agreement tr')).toContainText('κ 0.33');
	await expect(panel.locator('.agreement tr')).toContainText('box IoU 1.00 · 3 matched, 0 alone');
	await panel.getByRole('button', { name: 'Accept by majority' }).click();
	await expect(page.getByText('Accepted: 3 person-seconds by majority')).toBeVisible();

	// The AVA export: where ann and bob agree, one row per person-action; at second 2 they do not.
	const response = await page.request.get(`/api/v1/projects/${projectId}/export?format=ava`);
	expect(response.status()).toBe(200);
	const read = 'import io, sys, zipfile; print(zipfile.ZipFile(io.BytesIO(sys.stdin.buffer.read())).read("annotations.csv").decode())';
	const csv = execFileSync(python, ['-c', read], { input: await response.body() }).toString();
	const rows = csv.trim().split('\n').map((line) => line.split(','));
	expect(rows.map((r) => `${r[0]},${Number(r[1])}:${r[6]}`)).toEqual([`hockey,1:${STAND}`, `hockey,3:${STAND}`, `hockey,3:${CARRY}`]);
	// The box is the person's mask box at that keyframe, normalised to the 854x480 frame.
	// The merge keeps the first annotator's (ann's) person: the first one made, track 1.
	const [person] = (await admin.call(`/projects/${projectId}/media/${mediaId}/objects`)).sort((a: { track_id: number }, b: { track_id: number }) => a.track_id - b.track_id);
	expect(rows.map((r) => r[7]), "the person id is the merged person's track id").toEqual(Array(3).fill(String(person.track_id)));
	for (const [index, row] of rows.entries()) {
		const frame = Number(row[1]) * FPS;
		const [mask] = await admin.call(`/projects/${projectId}/media/${mediaId}/annotations?frame=${frame}`).then((all: { object_id: number }[]) => all.filter((a) => a.object_id === person.id));
		const [x, y, w, h] = mask.bbox;
		const expected = [x / 854, y / 480, (x + w) / 854, (y + h) / 480];
		row.slice(2, 6).forEach((value, k) => expect(Number(value), `row ${index} coordinate ${k}`).toBeCloseTo(expected[k], 2));
	}
	errors.none();
});
