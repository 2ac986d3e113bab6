/**
 * The pages of the suite: the studio exposes its state as window.__vss only to pages that ask
 * for it (window.__VSS_TEST__), and every console error fails the flow unless the flow provoked
 * it on purpose and says so (`errors.expected(/409/)`).
 */
import { join } from 'node:path';
import { test as base, expect, type Browser, type BrowserContext, type Page } from '@playwright/test';
import { api, drivingProject, remove, type Driving } from './api';
import { contextOptions, screenshotsDir } from './env';

export class ConsoleErrors {
	readonly seen: string[] = [];

	watch(page: Page): void {
		page.on('console', (msg) => {
			if (msg.type() === 'error') this.seen.push(`${msg.text()} @ ${msg.location()?.url ?? ''}`);
		});
		page.on('pageerror', (error) => this.seen.push(`pageerror: ${error.message}`));
	}

	/** Forgets one error the flow provoked on purpose (a refused request the page reports). */
	expected(pattern: RegExp): void {
		const i = this.seen.findIndex((e) => pattern.test(e));
		if (i >= 0) this.seen.splice(i, 1);
	}

	/** Forgets every error matching: requests a race makes fail, which the page absorbs by design. */
	raced(pattern: RegExp): void {
		for (let i = this.seen.findIndex((e) => pattern.test(e)); i >= 0; i = this.seen.findIndex((e) => pattern.test(e))) this.seen.splice(i, 1);
	}

	none(): void {
		expect(this.seen, `console errors:\n${this.seen.join('\n')}`).toEqual([]);
	}
}

const markTest = () => {
	(window as unknown as { __VSS_TEST__: boolean }).__VSS_TEST__ = true;
};

/** The browser page the flows drive, with its context and its console's errors. */
export interface Flow {
	context: BrowserContext;
	page: Page;
	errors: ConsoleErrors;
}

async function openFlow(browser: Browser): Promise<Flow> {
	const context = await browser.newContext({ ...contextOptions, baseURL: process.env.VSS_E2E_BASE });
	await context.addInitScript(markTest);
	// As the config's expect timeout: a step that waits longer says so.
	context.setDefaultTimeout(30_000);
	const page = await context.newPage();
	const errors = new ConsoleErrors();
	errors.watch(page);
	return { context, page, errors };
}

/**
 * The driving video is decoded once per worker, in a "Driving demo" project with the labels car
 * and person; each flow that uses it starts with `withoutObjects(driving)`, so flows do not
 * depend on each other, and do not pay for an upload each.
 */
export async function withoutObjects(driving: Driving): Promise<Driving> {
	for (const media of driving.media) {
		const base = `/projects/${driving.id}/media/${media.id}/objects`;
		for (const o of await api(base)) await remove(`${base}/${o.id}`);
	}
	return driving;
}

/** Off the project's pages, so that nothing they still read is answered 404 once it is deleted. */
export async function leave(page: Page): Promise<void> {
	await page.goto('about:blank');
}

/**
 * One page per worker, as a person keeps one tab: each flow starts by going to its page (a new
 * browser context per flow costs a renderer start, seconds on a busy 2-core machine). A step
 * fails on any console error its flow did not provoke on purpose; a failure starts a new worker,
 * so the next flow gets a fresh page.
 */
export const test = base.extend<{ consoleClean: void }, { driving: Driving; flow: Flow }>({
	driving: [
		// eslint-disable-next-line no-empty-pattern -- a worker fixture that needs no other
		async ({}, use) => {
			const project = await drivingProject();
			await use(project);
			await remove(`/projects/${project.id}`);
		},
		{ scope: 'worker' }
	],
	flow: [
		async ({ browser }, use) => {
			const flow = await openFlow(browser);
			await use(flow);
			await flow.context.close();
		},
		{ scope: 'worker' }
	],
	consoleClean: [
		async ({ flow }, use) => {
			await use();
			flow.errors.none();
		},
		{ auto: true }
	]
});

export { expect };
export { poll } from './poll';

/** A README screenshot: one pixel per CSS pixel (1440x900) whatever the device pixel ratio. */
export const shot = (page: Page, name: string) => page.screenshot({ path: join(screenshotsDir, name), scale: 'css' });

/** Closes every toast (they cover the panels' lower part). */
export const closeToasts = (page: Page) => page.locator('.toast button.close').evaluateAll((buttons) => buttons.forEach((b) => (b as HTMLElement).click()));
