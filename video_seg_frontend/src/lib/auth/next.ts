/** Where the sign-in page sends a person afterwards: back to the page they were on. */

/** The sign-in page, remembering the page to come back to. */
export function loginUrl(next: string): string {
	return next && next !== '/' && !next.startsWith('/login') ? `/login?next=${encodeURIComponent(next)}` : '/login';
}

/** Only a path of this studio, never another site ("//evil.example") nor the sign-in page itself. */
export function safeNext(next: string | null): string {
	return next && next.startsWith('/') && !next.startsWith('//') && !next.startsWith('/\\') && !next.startsWith('/login') ? next : '/';
}
