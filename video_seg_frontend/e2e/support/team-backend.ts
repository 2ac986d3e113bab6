/**
 * A backend of its own for a team flow: sign-in on (VSS_AUTH=on), an admin made with the CLI, its
 * own data dir and free port. The shared e2e backend stays single-user: accounts made there would
 * switch every later spec into sign-in mode.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { buildDir, frontendDir, python, repoDir } from './env';
import { poll } from './poll';
import { freePort } from './ports';

type Json = any; // eslint-disable-line @typescript-eslint/no-explicit-any -- answers are checked field by field

export class TeamBackend {
	private constructor(
		readonly base: string,
		private readonly dataDir: string,
		private readonly process: ChildProcess
	) {}

	static async start(admin: { username: string; password: string }): Promise<TeamBackend> {
		const port = await freePort();
		const dataDir = mkdtempSync(join(tmpdir(), 'vss-e2e-team-'));
		// As playwright.config.ts starts the shared one, plus sign-in.
		const env = {
			...process.env,
			VSS_DATA_DIR: dataDir,
			VSS_PORT: String(port),
			VSS_HOST: '127.0.0.1',
			VSS_AUTH: 'on',
			VSS_FRONTEND_DIR: buildDir,
			VSS_OFFLINE: '1',
			HF_HUB_OFFLINE: '1',
			VSS_CHECKPOINT_DIR: join(dataDir, 'no-checkpoints')
		};
		execFileSync(python, ['-m', 'video_seg_backend', 'create-admin', '--username', admin.username], {
			cwd: repoDir,
			env: { ...env, VSS_ADMIN_PASSWORD: admin.password },
			stdio: 'pipe'
		});
		const log = openSync(join(frontendDir, 'e2e-output', 'team-backend.log'), 'w');
		const child = spawn(python, ['-m', 'video_seg_backend'], { cwd: repoDir, env, stdio: ['ignore', log, log] });
		const backend = new TeamBackend(`http://127.0.0.1:${port}`, dataDir, child);
		await poll(async () => (await fetch(`${backend.base}/api/v1/health`).catch(() => null))?.status ?? 0, {
			message: 'the team backend to answer',
			timeout: 60_000
		}).toBe(200);
		return backend;
	}

	async stop(): Promise<void> {
		if (this.process.exitCode === null) {
			const exited = new Promise((resolve) => this.process.once('exit', resolve));
			this.process.kill('SIGTERM');
			// An event stream a browser left open must not hold the run: after 10 s, no more waiting.
			const late = setTimeout(() => this.process.kill('SIGKILL'), 10_000);
			await exited;
			clearTimeout(late);
		}
		rmSync(this.dataDir, { recursive: true, force: true });
	}

	/** A signed-in caller of the REST API, for what a flow sets up or checks behind the browser's back. */
	async signIn(username: string, password: string): Promise<TeamApi> {
		const form = new URLSearchParams({ username, password });
		const answer = await fetch(`${this.base}/api/v1/auth/login`, { method: 'POST', body: form });
		if (!answer.ok) throw new Error(`sign-in of ${username}: ${answer.status} ${await answer.text()}`);
		return new TeamApi(this.base, (await answer.json()).access_token);
	}
}

export class TeamApi {
	constructor(
		private readonly base: string,
		private readonly token: string
	) {}

	async call(path: string, init: RequestInit = {}): Promise<Json> {
		const headers = { authorization: `Bearer ${this.token}`, ...(init.headers ?? {}) };
		const response = await fetch(`${this.base}/api/v1${path}`, { ...init, headers });
		if (!response.ok) throw new Error(`${init.method ?? 'GET'} ${path}: ${response.status} ${await response.text()}`);
		return response.status === 204 ? null : response.json();
	}

	post = (path: string, body: unknown) => this.call(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
	put = (path: string) => this.call(path, { method: 'PUT' });

	/** Uploads copies of a video under the given names and waits until each is ready. */
	async uploadVideo(projectId: number, path: string, names: string[]): Promise<Json[]> {
		const form = new FormData();
		for (const name of names) form.append('files', new Blob([readFileSync(path)], { type: 'video/mp4' }), name || basename(path));
		const created: Json[] = await this.call(`/projects/${projectId}/media`, { method: 'POST', body: form });
		await poll(async () => (await Promise.all(created.map((m) => this.call(`/projects/${projectId}/media/${m.id}`)))).map((m) => m.status), {
			message: 'the uploads to be ready',
			timeout: 120_000
		}).toEqual(created.map(() => 'ready'));
		return created;
	}
}
