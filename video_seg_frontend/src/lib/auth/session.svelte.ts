/**
 * Who uses the studio: asked once from /auth/mode before any page draws. In a single-user studio
 * (loopback, no accounts) sign-in is not required and nothing here shows; otherwise the pages
 * wait for a signed-in user, and a 401 from any call sends the person to /login and back.
 */
import { goto } from '$app/navigation';
import { onUnauthorized } from '$lib/api/client';
import { teamsApi, type UserPublic } from '$lib/api/teams';
import { loginUrl } from './next';

export type Role = UserPublic['role'];

class AuthSession {
	/** null until /auth/mode answered (or failed: then the pages draw as they always did). */
	required = $state<boolean | null>(null);
	user = $state<UserPublic | null>(null);
	known = $derived(this.required !== null);
	/** A team member signed in: the team's panels show; in a single-user studio they stay away. */
	team = $derived(this.required === true && this.user !== null);
	isReviewer = $derived(this.user?.role === 'reviewer' || this.user?.role === 'admin');

	async load(): Promise<void> {
		try {
			const mode = await teamsApi.mode();
			this.user = mode.user ?? null;
			this.required = mode.auth_required;
		} catch {
			this.required = false; // no answer: the pages report the unreachable server themselves
		}
		onUnauthorized(() => void this.expired());
	}

	async signIn(username: string, password: string): Promise<void> {
		await teamsApi.login(username, password);
		const mode = await teamsApi.mode();
		this.user = mode.user ?? null;
		this.required = mode.auth_required;
	}

	/** Ends every session of this user; the layout's gate then shows the sign-in page (back here after). */
	async signOut(): Promise<void> {
		try {
			await teamsApi.logout();
		} finally {
			this.user = null;
		}
	}

	/** The server answered 401: remember where the person was, and ask them to sign in again. */
	async expired(): Promise<void> {
		if (this.required === false || location.pathname === '/login') return;
		this.user = null;
		this.required = true;
		await goto(loginUrl(location.pathname + location.search));
	}
}

export const auth = new AuthSession();
