/** Where the end-to-end suite finds its backend, browser, sample video and screenshot folder. */
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const frontendDir = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const repoDir = resolve(frontendDir, '..');
export const buildDir = join(frontendDir, 'build');
/** README screenshots. */
export const screenshotsDir = join(repoDir, 'resources');
export const video = resolve(repoDir, '../shared/data/videos/08_driving.mp4');
export const python = process.env.VSS_PYTHON ?? join(repoDir, '.venv/bin/python');
export const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
/** The colour of the first label, looked for in the drawn mask. */
export const LABEL_COLOR = '#00ff00';

/** Set by playwright.config.ts in the runner, inherited by its workers. */
export const backendUrl = () => {
	const base = process.env.VSS_E2E_BASE;
	if (!base) throw new Error('VSS_E2E_BASE is unset: run the suite with `npm run e2e` (playwright.config.ts sets it)');
	return base;
};

/** Every page of the suite: README-sized, with a fractional device pixel ratio (clicks must still land on the exact source pixel). */
export const contextOptions = {
	viewport: { width: 1440, height: 900 },
	deviceScaleFactor: 1.5,
	acceptDownloads: true
};
