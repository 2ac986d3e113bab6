import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { buildDir, chromiumPath, screenshotsDir, video } from './env';

/** Says plainly what is missing before any browser starts. */
export default function globalSetup(): void {
	if (!existsSync(join(buildDir, 'index.html'))) throw new Error('No build/index.html: run `npm run build` first');
	if (!existsSync(video)) throw new Error(`Test video missing: ${video}`);
	if (!existsSync(chromiumPath)) throw new Error(`Chromium missing at ${chromiumPath}: apt-get install -y chromium`);
	mkdirSync(screenshotsDir, { recursive: true });
}
