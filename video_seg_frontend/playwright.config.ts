/**
 * End-to-end: Debian's Chromium drives the built studio served by the real backend (OpenCV
 * engine, a temp data dir, a free port), one spec per flow a person goes through.
 *
 * Run: npm run build && npm run e2e      (VSS_PYTHON, CHROMIUM_PATH, E2E_HEADED override defaults)
 * Browsers are never downloaded: Chromium comes from apt (apt-get install -y chromium).
 */
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defineConfig } from '@playwright/test';
import { buildDir, chromiumPath, contextOptions, frontendDir, python, repoDir } from './e2e/support/env';
import { freePort } from './e2e/support/ports';

// The runner picks the port and data dir once; its workers load this file again and inherit them.
process.env.VSS_E2E_PORT ??= String(await freePort());
process.env.VSS_E2E_DATA ??= mkdtempSync(join(tmpdir(), 'vss-e2e-'));
const port = process.env.VSS_E2E_PORT;
const dataDir = process.env.VSS_E2E_DATA;
const base = `http://127.0.0.1:${port}`;
process.env.VSS_E2E_BASE = base;
const logDir = join(frontendDir, 'e2e-output');
mkdirSync(logDir, { recursive: true });

export default defineConfig({
	testDir: 'e2e',
	testMatch: '*.spec.ts',
	// Two cores: the backend, the browser and one flow at a time.
	workers: 1,
	fullyParallel: false,
	forbidOnly: !!process.env.CI,
	retries: 0,
	// SAM 2 loads on its first click and tracking runs on a CPU: flows take up to a minute or two.
	timeout: 240_000,
	expect: { timeout: 30_000 },
	reporter: [['list']],
	outputDir: 'test-results',
	globalSetup: './e2e/support/global-setup.ts',
	globalTeardown: './e2e/support/global-teardown.ts',
	use: {
		baseURL: base,
		...contextOptions,
		trace: 'retain-on-failure',
		screenshot: 'only-on-failure',
		launchOptions: {
			executablePath: chromiumPath,
			headless: !process.env.E2E_HEADED,
			args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-quic', '--no-first-run', '--disable-component-update', '--disable-sync']
		}
	},
	webServer: {
		command: `exec "${python}" -m video_seg_backend > "${join(logDir, 'backend.log')}" 2>&1`,
		cwd: repoDir,
		url: `${base}/api/v1/health`,
		reuseExistingServer: false,
		timeout: 60_000,
		env: {
			VSS_DATA_DIR: dataDir,
			VSS_PORT: port,
			VSS_HOST: '127.0.0.1',
			VSS_FRONTEND_DIR: buildDir,
			VSS_OFFLINE: '1',
			HF_HUB_OFFLINE: '1',
			// A checkpoint folder that cannot exist keeps the OpenCV engine the default.
			VSS_CHECKPOINT_DIR: join(dataDir, 'no-checkpoints'),
			// SAM 2.1 tiny with random weights, at 256 px (~25x faster than 1024 on a CPU): the SAM 2
			// path of the studio, which a checkpoint download cannot reach here. Never the default.
			VSS_ALLOW_RANDOM_WEIGHTS: '1',
			VSS_SAM2_IMAGE_SIZE: '256'
		}
	}
});
