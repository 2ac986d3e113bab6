// The project overview: export every format as a ZIP.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { carAndSuv, type Driving } from './support/api';
import { python } from './support/env';
import { expect, shot, test, withoutObjects } from './support/fixtures';

let project: Driving;

test.beforeAll(async ({ driving }) => {
	project = await withoutObjects(driving);
	await carAndSuv(project.id, project.media[0], project.labels);
});

test('export every format as a ZIP', async ({ flow: { page } }) => {
	await page.goto(`/projects/${project.id}`);
	await page.getByTestId('export').waitFor();
	await expect(page.getByTestId('project-name')).toHaveText('Driving demo');
	await shot(page, 'dashboard.png');
	for (const label of ['COCO', 'YouTube-VIS', 'DAVIS', 'CVAT for video 1.1', 'CVAT for images 1.1']) {
		await page.getByText(label, { exact: true }).click();
		const [download] = await Promise.all([page.waitForEvent('download', { timeout: 60_000 }), page.getByTestId('export-button').click()]);
		const head = readFileSync((await download.path())!).subarray(0, 2).toString('latin1');
		expect(head, `${label} export is a ZIP`).toBe('PK');
		// Built on the server as an export job, then fetched as that job's file.
		expect(download.url()).toMatch(/\/api\/v1\/jobs\/\d+\/file$/);
		expect(download.suggestedFilename()).toMatch(/^Driving_demo_\w+\.zip$/);
	}
	// With the frames: the ZIP holds every image the COCO annotations name.
	await page.getByText('COCO', { exact: true }).click();
	await page.getByTestId('include-frames').check();
	const [download] = await Promise.all([page.waitForEvent('download', { timeout: 60_000 }), page.getByTestId('export-button').click()]);
	const check = [
		'import json, sys, zipfile',
		'z = zipfile.ZipFile(sys.argv[1])',
		'names = set(z.namelist())',
		'coco = json.loads(z.read("annotations/instances_default.json"))',
		'missing = [i["file_name"] for i in coco["images"] if "images/default/" + i["file_name"] not in names]',
		'print(len(coco["images"]), len(missing))'
	].join('\n');
	const [images, missing] = execFileSync(python, ['-c', check, (await download.path())!], { encoding: 'utf8' }).trim().split(' ').map(Number);
	expect(images, 'COCO with frames: images listed').toBeGreaterThan(10);
	expect(missing, `COCO with frames: images missing from the ZIP (of ${images})`).toBe(0);
	await page.getByTestId('include-frames').uncheck();
});
