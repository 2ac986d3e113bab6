/** People of a team flow, each in a browser (context) of their own, signed in through the page. */
import type { Browser, Page } from '@playwright/test';
import { contextOptions } from './env';
import { ConsoleErrors, expect } from './fixtures';
import type { TeamBackend } from './team-backend';

export interface Person {
	page: Page;
	errors: ConsoleErrors;
	close: () => Promise<void>;
}

/** `username` opens `path` in a browser of their own and signs in on the page it sends them to. */
export async function personAt(browser: Browser, backend: TeamBackend, username: string, password: string, path: string): Promise<Person> {
	const context = await browser.newContext({ ...contextOptions, baseURL: backend.base });
	await context.addInitScript(() => ((window as unknown as { __VSS_TEST__: boolean }).__VSS_TEST__ = true));
	context.setDefaultTimeout(30_000);
	const page = await context.newPage();
	const errors = new ConsoleErrors();
	errors.watch(page);
	await page.goto(path);
	await signIn(page, username, password, path);
	return { page, errors, close: () => context.close() };
}

/** Not signed in, the studio shows the sign-in page; afterwards it goes back to `path`. */
export async function signIn(page: Page, username: string, password: string, path: string): Promise<void> {
	await expect(page).toHaveURL(/\/login\?next=/);
	await page.getByLabel('User name').fill(username);
	await page.getByLabel('Password', { exact: true }).fill(password);
	await page.getByRole('button', { name: 'Sign in' }).click();
	await expect(page).toHaveURL(new RegExp(`${path.replace(/[?]/g, '\\?')}$`));
	await expect(page.getByTestId('signed-in-user')).toHaveText(username);
}
