// Regenerates src/lib/api/schema.d.ts from the backend's OpenAPI document.
// With the backend's Python environment present, openapi.json is refreshed from the app factory
// first; without it (a front-end-only checkout) the committed openapi.json is used as is.
import { execFileSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const repo = resolve(root, '..');
const python = process.env.VSS_PYTHON ?? resolve(repo, '.venv/bin/python');
const specPath = resolve(root, 'openapi.json');

if (existsSync(python)) {
	const code = 'import json; from video_seg_backend.main import create_app; print(json.dumps(create_app().openapi(), indent=1))';
	const spec = execFileSync(python, ['-c', code], { cwd: repo, encoding: 'utf8', env: { ...process.env, VSS_DATA_DIR: resolve(root, '.svelte-kit', 'openapi-data') } });
	writeFileSync(specPath, spec);
	console.log(`openapi.json refreshed from ${python}`);
} else if (!existsSync(specPath)) {
	console.error('No backend Python and no committed openapi.json: cannot generate the API client');
	process.exit(1);
}

execFileSync(resolve(root, 'node_modules/.bin/openapi-typescript'), [specPath, '-o', resolve(root, 'src/lib/api/schema.d.ts')], {
	stdio: 'inherit'
});
