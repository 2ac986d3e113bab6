// Actions: an AVA label map imported on the labels page, then persons labelled second by second
// in the studio's action mode with the keyboard (ticks, next person, next second, copy the
// previous second), and the AVA export that holds what was ticked.
import { execFileSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from '@playwright/test';
import { api, post, remove, type Driving } from './support/api';
import { backendUrl, python, repoDir } from './support/env';
import { expect, poll, shot, test, withoutObjects, type ConsoleErrors } from './support/fixtures';
import { AVA_LABEL_MAP, CARRY, SIT, STAND, TALK } from './support/ava';
import { frameReady } from './support/studio';

test.describe.configure({ mode: 'serial' });

let page: Page;
let errors: ConsoleErrors;
let project: Driving;
let mid = 0;
const persons: number[] = [];

/** Two persons as boxes on the keyframes 0, 24 and 48 (1 Hz at 24 fps), in CVAT for video 1.1. */
function personTracks(): string {
	const box = (x0: number, y0: number, x1: number, y1: number) => `${x0},${y0};${x1},${y0};${x1},${y1};${x0},${y1}`;
	const track = (id: number, points: string) =>
		`<track id="${id}" label="person" source="manual">` +
		[0, 24, 48].map((f) => `<polygon frame="${f}" keyframe="1" outside="0" occluded="0" points="${points}" z_order="0"/>`).join('') +
		`<polygon frame="49" keyframe="1" outside="1" occluded="0" points="${points}" z_order="0"/></track>`;
	return `<?xml version="1.0" encoding="utf-8"?><annotations><version>1.1</version>
<meta><task><id>1</id><name>driving</name><size>124</size><mode>interpolation</mode>
<labels><label><name>person</name><color>#e6194b</color><type>any</type><attributes/></label></labels>
<original_size><width>1280</width><height>720</height></original_size></task></meta>
${track(0, box(100, 200, 300, 600))}${track(1, box(800, 150, 1000, 650))}</annotations>`;
}

async function myLabels(): Promise<string[]> {
	const rows = await api(`/projects/${project.id}/media/${mid}/action-labels`);
	return rows.map((r: { object_id: number; frame_index: number; actions: number[] }) => `${persons.indexOf(r.object_id) + 1}@${r.frame_index}:${r.actions.join('+')}`).sort();
}

test.beforeAll(async ({ flow, driving }) => {
	({ page, errors } = flow);
	project = await withoutObjects(driving);
	mid = project.media[0].id;
	const form = new FormData();
	form.append('file', new Blob([personTracks()], { type: 'application/xml' }), 'persons.xml');
	await api(`/projects/${project.id}/media/${mid}/import?format=cvat_video`, { method: 'POST', body: form });
	const objects = await api(`/projects/${project.id}/media/${mid}/objects`);
	persons.push(...objects.sort((a: { track_id: number }, b: { track_id: number }) => a.track_id - b.track_id).map((o: { id: number }) => o.id));
	expect(persons.length, 'two persons imported').toBe(2);
});

test('import an AVA label map on the labels page, add and delete an action', async () => {
	await page.goto(`/projects/${project.id}/labels`);
	const vocabulary = page.getByTestId('action-vocabulary');
	await vocabulary.getByLabel('Import action label map').setInputFiles({ name: 'ava_action_list_v2.2.pbtxt', mimeType: 'text/plain', buffer: Buffer.from(AVA_LABEL_MAP) });
	await expect(vocabulary.getByTestId('action-row')).toHaveCount(5);
	await expect(vocabulary.getByTestId('action-row').nth(1)).toContainText('sit');
	await expect(vocabulary.getByTestId('action-row').nth(1)).toContainText('PERSON_MOVEMENT · exclusive');
	await vocabulary.getByLabel('New action name').fill('wave');
	await vocabulary.getByRole('button', { name: 'Add action' }).click();
	await expect(vocabulary.getByTestId('action-row')).toHaveCount(6);
	await expect(vocabulary.getByTestId('action-row').last()).toContainText('80');
	await vocabulary.getByRole('button', { name: 'Delete wave' }).click();
	await expect(vocabulary.getByTestId('action-row')).toHaveCount(5);
});

test('label persons second by second with the keyboard, then export AVA', async () => {
	await page.goto(`/projects/${project.id}/studio?media=${mid}`);
	await frameReady(page);
	await page.keyboard.press('v');
	const panel = page.getByTestId('action-panel');
	await expect(panel.getByTestId('action-second')).toContainText('Second 0');
	await expect(panel.getByTestId('action-person')).toHaveCount(2);
	await expect(panel.getByTestId('action-person').first()).toHaveClass(/chosen/);

	// Second 0: person 1 stands and carries; Tab; person 2 sits.
	await page.keyboard.press('3');
	await page.keyboard.press('4');
	await poll(myLabels, { message: 'the first ticks saved' }).toEqual([`1@0:${STAND}+${CARRY}`]);
	await page.keyboard.press('Tab');
	await page.keyboard.press('2');
	await expect(panel.getByTestId('action-person').nth(1)).toContainText('sit');
	// Second 1: C copies person 1's actions; sitting then replaces standing (one pose at a time).
	await page.keyboard.press('Enter');
	await expect(panel.getByTestId('action-second')).toContainText('Second 1');
	await expect(page.getByTestId('frame-number')).toContainText('24 /');
	await expect(panel.getByTestId('action-copy')).toContainText('stand, carry/hold (an object)');
	await page.keyboard.press('c');
	await poll(myLabels, { message: 'the copy saved' }).toContain(`1@24:${STAND}+${CARRY}`);
	await page.keyboard.press('2');
	await page.keyboard.press('Tab');
	await page.keyboard.press('c');
	// Second 2: person 1 talks.
	await page.keyboard.press('ArrowRight');
	await expect(panel.getByTestId('action-second')).toContainText('Second 2');
	await expect(panel.getByTestId('action-person').first(), 'the first person chosen once the frame is in').toHaveClass(/chosen/);
	await page.keyboard.press('5');
	await poll(myLabels, { message: 'every tick saved' }).toEqual(
		[`1@0:${STAND}+${CARRY}`, `2@0:${SIT}`, `1@24:${SIT}+${CARRY}`, `2@24:${SIT}`, `1@48:${TALK}`].sort()
	);
	await expect(panel.getByTestId('action-tick').nth(4)).toBeChecked();
	await shot(page, 'actions.png');

	// The AVA export holds one row per person-action, at the source's seconds.
	const response = await fetch(`${backendUrl()}/api/v1/projects/${project.id}/export?format=ava`);
	expect(response.status).toBe(200);
	const read = 'import io, sys, zipfile; print(zipfile.ZipFile(io.BytesIO(sys.stdin.buffer.read())).read("annotations.csv").decode())';
	const csv = execFileSync(python, ['-c', read], { input: Buffer.from(await response.arrayBuffer()) }).toString();
	const rows = csv.trim().split('\n').map((line) => line.split(','));
	expect(rows.map((r) => `${r[1]}:${r[6]}`)).toEqual(['0:12', '0:17', '0:11', '1:11', '1:17', '1:11', '2:79']);
	expect(rows[0].slice(2, 6)).toEqual(['0.078', '0.278', '0.234', '0.833']); // the box 100,200-300,600 of 1280x720
	// Agreement needs a second annotator (replicas, signed in): alone, the panel says so.
	await panel.getByText('Agreement').click();
	await expect(panel.locator('.agreement')).toContainText('needs action labels from at least 2 annotators');
	errors.expected(/409/);
	await page.keyboard.press('Escape');
	await expect(panel).toBeHidden();
});

test('split a person at a second, then merge the two back into one', async () => {
	const objects = async (): Promise<{ id: number; track_id: number }[]> => api(`/projects/${project.id}/media/${mid}/objects`);
	const labelled = `1@24:${SIT}+${CARRY}`;
	await page.goto(`/projects/${project.id}/studio?media=${mid}&frame=24`);
	await frameReady(page);
	await page.keyboard.press('v');
	const panel = page.getByTestId('action-panel');
	await expect(panel.getByTestId('action-second')).toContainText('Second 1');
	await expect(panel.getByTestId('action-person').first()).toHaveClass(/chosen/);
	// The tracker "followed someone else" from second 1 on: a new person takes the rest of the track.
	await panel.getByTestId('person-split').click();
	await poll(async () => (await objects()).length, { message: 'a new person made by the split' }).toBe(3);
	const added = (await objects()).find((o) => !persons.includes(o.id))!;
	const moved = await api(`/projects/${project.id}/media/${mid}/action-labels`);
	expect(moved.filter((r: { object_id: number }) => r.object_id === added.id).map((r: { frame_index: number }) => r.frame_index)).toEqual([24, 48]);
	expect(await myLabels()).not.toContain(labelled); // person 1's labels from second 1 on went with the new person
	// It was the same person after all: merge the new one back; the labels come home.
	await panel.getByTestId('action-person').filter({ hasText: `#${added.track_id}` }).click();
	await panel.getByTestId('person-merge-into').selectOption(String(persons[0]));
	await panel.getByTestId('person-merge').click();
	await poll(async () => (await objects()).length, { message: 'the two persons are one again' }).toBe(2);
	await poll(myLabels, { message: 'labels back on person 1' }).toContain(labelled);
	await page.keyboard.press('Escape');
});

test('frames chosen together in the gallery open as one video (issue 19)', async () => {
	const sequence = join(repoDir, '../shared/data/vos/surf/JPEGImages');
	const frames = readdirSync(sequence).filter((name) => name.endsWith('.jpg')).slice(0, 12).map((name) => join(sequence, name));
	const target = (await post('/projects', { name: 'Frames', media_type: 'video' })).id;
	try {
		await page.goto(`/projects/${target}/gallery`);
		await page.getByTestId('file-input').setInputFiles(frames);
		await poll(async () => (await api(`/projects/${target}/media`)).map((m: { num_frames: number; status: string; width: number }) => [m.num_frames, m.status, m.width]), {
			message: 'one video of 12 frames',
			timeout: 30_000
		}).toEqual([[12, 'ready', 854]]);
	} finally {
		await page.goto('about:blank');
		await remove(`/projects/${target}`);
	}
});
