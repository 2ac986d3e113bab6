// End-to-end: a real Chromium (playwright-core, system /usr/bin/chromium) drives the built studio
// served by the real backend (OpenCV engine, temp data dir, free port). It walks the whole job a
// person does: project, label, upload, click, track, scrub, play, undo, export, delete, and fails
// on any console error. Screenshots of each page go to ../resources/ for the README.
//
// Run: npm run build && npm run e2e        (VSS_PYTHON, CHROMIUM_PATH, E2E_HEADED override defaults)
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const repo = resolve(root, '..');
const buildDir = join(root, 'build');
const screenshots = join(repo, 'resources');
const video = resolve(root, '../../shared/data/videos/08_driving.mp4');
const python = process.env.VSS_PYTHON ?? join(repo, '.venv/bin/python');
const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const LABEL_COLOR = '#00ff00';

const results = [];
let failed = 0;

async function step(name, fn) {
	const t0 = Date.now();
	try {
		await fn();
		results.push(`ok   ${name} (${Date.now() - t0} ms)`);
		console.log(`ok   ${name}`);
	} catch (error) {
		failed++;
		results.push(`FAIL ${name}: ${error?.message ?? error}`);
		console.log(`FAIL ${name}\n${error?.stack ?? error}`);
		throw error;
	}
}

function assert(condition, message) {
	if (!condition) throw new Error(message);
}

function freePort() {
	return new Promise((res, rej) => {
		const srv = createServer();
		srv.once('error', rej);
		srv.listen(0, '127.0.0.1', () => {
			const { port } = srv.address();
			srv.close(() => res(port));
		});
	});
}

async function waitFor(predicate, what, timeoutMs = 30_000, intervalMs = 200) {
	const end = Date.now() + timeoutMs;
	let last;
	while (Date.now() < end) {
		try {
			last = await predicate();
			if (last) return last;
		} catch (error) {
			last = error;
		}
		await new Promise((r) => setTimeout(r, intervalMs));
	}
	throw new Error(`Timed out waiting for ${what} (last: ${last})`);
}

async function startBackend() {
	const port = await freePort();
	const dataDir = mkdtempSync(join(tmpdir(), 'vss-e2e-'));
	const log = [];
	const proc = spawn(python, ['-m', 'video_seg_backend'], {
		cwd: repo,
		env: {
			...process.env,
			VSS_DATA_DIR: dataDir,
			VSS_PORT: String(port),
			VSS_HOST: '127.0.0.1',
			VSS_FRONTEND_DIR: buildDir,
			VSS_OFFLINE: '1',
			HF_HUB_OFFLINE: '1',
			// A checkpoint folder that cannot exist keeps the OpenCV engine the default.
			VSS_CHECKPOINT_DIR: join(dataDir, 'no-checkpoints')
		},
		stdio: ['ignore', 'pipe', 'pipe']
	});
	proc.stdout.on('data', (d) => log.push(String(d)));
	proc.stderr.on('data', (d) => log.push(String(d)));
	const base = `http://127.0.0.1:${port}`;
	try {
		await waitFor(async () => (await fetch(`${base}/api/v1/health`)).ok, 'the backend to start', 60_000, 300);
	} catch (error) {
		proc.kill();
		console.log(log.join(''));
		throw error;
	}
	return {
		base,
		log,
		stop() {
			proc.kill('SIGTERM');
			rmSync(dataDir, { recursive: true, force: true });
		}
	};
}

async function main() {
	assert(existsSync(join(buildDir, 'index.html')), 'No build/index.html: run `npm run build` first');
	assert(existsSync(video), `Test video missing: ${video}`);
	assert(existsSync(chromiumPath), `Chromium missing at ${chromiumPath}: apt-get install -y chromium`);
	mkdirSync(screenshots, { recursive: true });

	const backend = await startBackend();
	const browser = await chromium.launch({
		executablePath: chromiumPath,
		headless: !process.env.E2E_HEADED,
		args: [
			'--headless',
			'--no-sandbox',
			'--disable-gpu',
			'--disable-background-networking',
			'--disable-quic',
			'--no-first-run',
			'--disable-component-update',
			'--disable-sync'
		]
	});
	// A fractional device pixel ratio: clicks must still land on the exact source pixel.
	const context = await browser.newContext({
		baseURL: backend.base,
		viewport: { width: 1440, height: 900 },
		deviceScaleFactor: 1.5,
		acceptDownloads: true
	});
	const page = await context.newPage();
	const consoleErrors = [];
	page.on('console', (msg) => {
		if (msg.type() === 'error') consoleErrors.push(`${msg.text()} @ ${msg.location()?.url ?? ''}`);
	});
	page.on('pageerror', (error) => consoleErrors.push(`pageerror: ${error.message}`));
	const shot = (name) => page.screenshot({ path: join(screenshots, name) });

	let projectId = 0;
	let mediaId = 0;
	try {
		await step('projects page: create a project', async () => {
			await page.goto('/');
			await page.getByPlaceholder('New project name').fill('Driving demo');
			await page.getByRole('button', { name: 'Create project' }).click();
			await page.getByTestId('project-card').filter({ hasText: 'Driving demo' }).waitFor();
			await shot('projects.png');
			await page.getByTestId('project-card').filter({ hasText: 'Driving demo' }).getByRole('link', { name: 'Open' }).click();
			await page.waitForURL(/\/projects\/\d+$/);
			projectId = Number(/projects\/(\d+)/.exec(page.url())[1]);
			await page.getByTestId('project-name').filter({ hasText: 'Driving demo' }).waitFor();
		});

		await step('labels: add, rename and recolour', async () => {
			await page.getByRole('link', { name: 'Labels', exact: true }).click();
			await page.getByPlaceholder('Label name, e.g. car').fill('vehicle');
			await page.getByLabel('New label colour').fill(LABEL_COLOR);
			await page.getByRole('button', { name: 'Add label' }).click();
			await page.getByTestId('label-row').first().waitFor();
			const name = page.getByLabel('Name of vehicle');
			await name.fill('car');
			await name.press('Enter');
			await name.blur();
			await waitFor(async () => {
				const labels = await (await fetch(`${backend.base}/api/v1/projects/${projectId}/labels`)).json();
				return labels.length === 1 && labels[0].name === 'car' && labels[0].color === LABEL_COLOR;
			}, 'the label rename to reach the server', 5000);
			await page.getByPlaceholder('Label name, e.g. car').fill('person');
			await page.getByRole('button', { name: 'Add label' }).click();
			await page.getByTestId('label-row').nth(1).waitFor();
			await shot('labels.png');
		});

		await step('gallery: upload the video with progress, see it become ready live', async () => {
			await page.getByRole('link', { name: 'Gallery', exact: true }).click();
			await page.getByTestId('drop-zone').waitFor();
			await page.getByTestId('file-input').setInputFiles(video);
			await page.getByTestId('upload-row').first().waitFor();
			const tile = page.getByTestId('media-tile').first();
			await tile.waitFor({ timeout: 60_000 });
			// The badge flips to "ready" from the media.ready event, without a reload.
			await waitFor(async () => (await tile.getAttribute('data-status')) === 'ready', 'media.ready', 120_000, 500);
			await tile.locator('img').evaluate((img) =>
				img.complete && img.naturalWidth > 0 ? null : new Promise((r) => img.addEventListener('load', r, { once: true }))
			);
			const media = await (await fetch(`${backend.base}/api/v1/projects/${projectId}/media`)).json();
			mediaId = media[0].id;
			assert(media[0].num_frames > 10, `expected a decoded video, got ${media[0].num_frames} frames`);
			await shot('gallery.png');
		});

		await step('gallery: preview dialog plays the video', async () => {
			await page.getByRole('button', { name: /Preview 08_driving/ }).click();
			await page.locator('dialog.preview video').waitFor();
			await page.getByRole('button', { name: 'Close' }).click();
		});

		const frameReady = () =>
			page.evaluate(() => {
				const img = window.__vss?.canvas?.model?.image;
				return !!img && img.complete && img.naturalWidth > 0;
			});

		/** Canvas pixel (RGBA) under a client point, read from the device-pixel backing store. */
		const canvasPixel = (x, y) =>
			page.evaluate(
				({ x, y }) => {
					const canvas = document.querySelector('[data-testid="studio-canvas"]');
					const rect = canvas.getBoundingClientRect();
					const sx = Math.floor((x - rect.left) * (canvas.width / rect.width));
					const sy = Math.floor((y - rect.top) * (canvas.height / rect.height));
					return Array.from(canvas.getContext('2d').getImageData(sx, sy, 1, 1).data);
				},
				{ x, y }
			);

		let click = { x: 0, y: 0 };
		let target = { x: 0, y: 0 };
		await step('studio: a click shows a pending marker, then a mask under the click', async () => {
			await page.goto(`/projects/${projectId}/studio?media=${mediaId}`);
			await page.getByTestId('studio-canvas').waitFor();
			await waitFor(frameReady, 'the first frame to load');
			const size = await page.evaluate(() => ({ w: window.__vss.studio.current.width, h: window.__vss.studio.current.height }));
			// A car on the road, lower middle of the frame.
			target = { x: Math.floor(size.w * 0.5), y: Math.floor(size.h * 0.68) };
			click = await page.evaluate((t) => window.__vss.canvas.clientOfSource({ x: t.x + 0.5, y: t.y + 0.5 }), target);
			await page.waitForTimeout(200);
			const before = await canvasPixel(click.x, click.y);
			await page.mouse.click(click.x, click.y);
			const masks = await waitFor(
				() => page.evaluate(() => window.__vss.studio.frameMasks.filter((a) => a.area > 0).length),
				'the mask from the server'
			);
			assert(masks === 1, `expected one mask, got ${masks}`);
			const objectId = await page.evaluate(() => window.__vss.studio.objects[0]?.id);
			const under = await page.evaluate(({ x, y }) => window.__vss.canvas.maskAtClient(x, y), click);
			assert(under === objectId, `the mask does not cover the clicked pixel (mask at click: ${under}, object ${objectId})`);
			const prompt = await page.evaluate(() => window.__vss.studio.prompts[0]);
			assert(Math.floor(prompt.x) === target.x && Math.floor(prompt.y) === target.y,
				`click landed on ${prompt.x},${prompt.y}, expected pixel ${target.x},${target.y}`);
			// The drawn canvas pixel under the click moved toward the label colour (pure green).
			await page.waitForTimeout(250);
			const after = await canvasPixel(click.x, click.y);
			const greenShift = after[1] - after[0] - (before[1] - before[0]);
			assert(greenShift > 20, `canvas pixel under the click not tinted by the label: before ${before}, after ${after}`);
			await page.getByTestId('prompt-list').locator('li').first().waitFor();
		});

		await step('studio: clicks land on the exact source pixel after zoom and pan', async () => {
			const canvas = page.getByTestId('studio-canvas');
			const box = await canvas.boundingBox();
			await page.mouse.move(box.x + box.width * 0.4, box.y + box.height * 0.45);
			await page.mouse.wheel(0, -600);
			await page.keyboard.down('Alt');
			await page.mouse.move(box.x + box.width * 0.5, box.y + box.height * 0.5);
			await page.mouse.down();
			await page.mouse.move(box.x + box.width * 0.45, box.y + box.height * 0.52, { steps: 4 });
			await page.mouse.up();
			await page.keyboard.up('Alt');
			const scale = await page.evaluate(() => window.__vss.canvas.view.view.scale);
			const fitted = await page.evaluate(() => window.__vss.canvas.view.cssWidth / window.__vss.studio.current.width);
			assert(scale > fitted * 1.5, `wheel did not zoom (scale ${scale}, fit ${fitted})`);
			const pixel = { x: target.x + 7, y: target.y - 3 };
			const p = await page.evaluate((t) => window.__vss.canvas.clientOfSource({ x: t.x + 0.5, y: t.y + 0.5 }), pixel);
			const count = await page.evaluate(() => window.__vss.studio.prompts.length);
			await page.mouse.click(p.x, p.y);
			await waitFor(() => page.evaluate((n) => window.__vss.studio.prompts.length === n + 1, count), 'the second prompt');
			const added = await page.evaluate(() => window.__vss.studio.prompts.at(-1));
			assert(Math.floor(added.x) === pixel.x && Math.floor(added.y) === pixel.y,
				`zoomed click landed on ${added.x},${added.y}, expected pixel ${pixel.x},${pixel.y}`);
			await page.evaluate(() => window.__vss.canvas.fit());
			await page.waitForTimeout(200);
			await shot('studio.png');
		});

		await step('studio: undo and redo a prompt (Ctrl+Z, Ctrl+Y)', async () => {
			const count = () => page.evaluate(() => window.__vss.studio.prompts.length);
			const n = await count();
			await page.keyboard.press('Control+z');
			await waitFor(async () => (await count()) === n - 1, 'undo to remove the prompt');
			await page.keyboard.press('Control+y');
			await waitFor(async () => (await count()) === n, 'redo to add it back');
			await page.keyboard.press('Control+z');
			await waitFor(async () => (await count()) === n - 1, 'undo again');
			const masks = await page.evaluate(() => window.__vss.studio.frameMasks.filter((a) => a.area > 0).length);
			assert(masks === 1, 'the first click still has its mask after undoing the second');
		});

		await step('studio: right-click on a prompt removes it, undo restores it', async () => {
			const count = () => page.evaluate(() => window.__vss.studio.prompts.length);
			const n = await count();
			await page.mouse.click(click.x, click.y, { button: 'right' });
			await waitFor(async () => (await count()) === n - 1, 'right-click removal');
			await page.keyboard.press('Control+z');
			await waitFor(async () => (await count()) === n, 'undo of the removal');
			await waitFor(
				() => page.evaluate(({ x, y }) => window.__vss.canvas.maskAtClient(x, y) !== null, click),
				'the mask to come back'
			);
		});

		await step('studio: track the next 20 frames with live progress', async () => {
			await page.getByLabel('Direction').selectOption('forward');
			await page.getByText('only next').click();
			await page.getByLabel('Number of frames').fill('20');
			await page.getByTestId('track-button').click();
			await page.getByTestId('job-progress').waitFor();
			await waitFor(
				async () => (await page.getByTestId('job-progress').getAttribute('data-status')) === 'completed',
				'the tracking job to complete',
				120_000,
				300
			);
			await waitFor(
				() => page.evaluate(() => window.__vss.studio.annotatedFrames.size >= 15),
				'masks on the tracked frames',
				10_000
			);
			await shot('studio-tracked.png');
		});

		await step('studio: scrub the timeline, step frames, play and pause', async () => {
			const bar = await page.getByTestId('timeline').boundingBox();
			const frames = await page.evaluate(() => window.__vss.studio.frameCount);
			const goal = 10;
			await page.mouse.click(bar.x + ((goal + 0.5) / frames) * bar.width, bar.y + bar.height / 2);
			await waitFor(() => page.evaluate((g) => Math.abs(window.__vss.studio.frame - g) <= 1, goal), 'the scrub');
			await waitFor(frameReady, 'the scrubbed frame to load');
			const f = await page.evaluate(() => window.__vss.studio.frame);
			const masks = await page.evaluate(() => window.__vss.studio.frameMasks.filter((a) => a.area > 0).length);
			assert(masks === 1, `tracked frame ${f} has no mask`);
			await page.keyboard.press('ArrowRight');
			await waitFor(() => page.evaluate((g) => window.__vss.studio.frame === g + 1, f), 'ArrowRight');
			await page.keyboard.press('Shift+ArrowLeft');
			await waitFor(() => page.evaluate((g) => window.__vss.studio.frame === g - 9, f), 'Shift+ArrowLeft');
			const start = await page.evaluate(() => window.__vss.studio.frame);
			await page.keyboard.press('Space');
			await page.waitForTimeout(1200);
			await page.keyboard.press('Space');
			const end = await page.evaluate(() => ({ frame: window.__vss.studio.frame, playing: window.__vss.studio.playing }));
			assert(!end.playing && end.frame > start + 3, `playback did not advance (from ${start} to ${end.frame})`);
		});

		await step('studio: shortcut list', async () => {
			await page.keyboard.press('?');
			await page.getByTestId('shortcut-help').waitFor({ state: 'visible' });
			await shot('shortcuts.png');
			await page.keyboard.press('Escape');
		});

		await step('dashboard: export every format as a ZIP', async () => {
			await page.getByRole('link', { name: 'Overview', exact: true }).click();
			await page.getByTestId('export').waitFor();
			await shot('dashboard.png');
			for (const label of ['COCO', 'YouTube-VIS', 'DAVIS', 'CVAT for video 1.1']) {
				await page.getByText(label, { exact: true }).click();
				const [download] = await Promise.all([page.waitForEvent('download', { timeout: 60_000 }), page.getByTestId('export-button').click()]);
				const path = await download.path();
				const head = readFileSync(path).subarray(0, 2).toString('latin1');
				assert(head === 'PK', `${label} export is not a ZIP`);
			}
		});

		await step('server errors show as toasts with the server message', async () => {
			await page.goto(`/projects/${projectId}/labels`);
			await page.getByPlaceholder('Label name, e.g. car').fill('car');
			await page.getByRole('button', { name: 'Add label' }).click();
			const toast = page.getByTestId('toast-error').first();
			await toast.waitFor();
			const text = await toast.textContent();
			assert(/already exists/.test(text ?? ''), `unexpected toast: ${text}`);
			// A 409 is expected here: it is the one console error this test provokes on purpose.
			const i = consoleErrors.findIndex((e) => /409/.test(e));
			if (i >= 0) consoleErrors.splice(i, 1);
		});

		await step('projects page: delete with confirmation', async () => {
			await page.goto('/');
			const card = page.getByTestId('project-card').filter({ hasText: 'Driving demo' });
			await card.getByRole('button', { name: 'Delete' }).click();
			await page.getByTestId('confirm-button').click();
			await card.waitFor({ state: 'detached' });
		});

		await step('no console errors', async () => {
			assert(consoleErrors.length === 0, `console errors:\n${consoleErrors.join('\n')}`);
		});
	} catch {
		if (consoleErrors.length) console.log(`console errors so far:\n${consoleErrors.join('\n')}`);
		await page.screenshot({ path: join(root, 'e2e-failure.png') }).catch(() => {});
		console.log('--- backend log (tail) ---\n' + backend.log.join('').split('\n').slice(-40).join('\n'));
	} finally {
		await browser.close();
		backend.stop();
	}
	const passed = results.filter((r) => r.startsWith('ok')).length;
	console.log(`\n${passed} passed, ${failed} failed`);
	process.exit(failed ? 1 : 0);
}

main().catch((error) => {
	console.error(error);
	process.exit(1);
});
