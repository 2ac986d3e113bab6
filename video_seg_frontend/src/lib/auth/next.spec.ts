import { describe, expect, it } from 'vitest';
import { loginUrl, safeNext } from './next';

describe('sign-in redirects', () => {
	it('remembers the page, query included', () => {
		const url = loginUrl('/projects/3/studio?media=7&frame=12');
		expect(url).toBe('/login?next=%2Fprojects%2F3%2Fstudio%3Fmedia%3D7%26frame%3D12');
		expect(safeNext(new URL(url, 'http://x').searchParams.get('next'))).toBe('/projects/3/studio?media=7&frame=12');
	});

	it('has nothing to remember for the start page or the sign-in page', () => {
		expect(loginUrl('/')).toBe('/login');
		expect(loginUrl('/login?next=%2Fa')).toBe('/login');
	});

	it('never sends a person to another site', () => {
		for (const bad of ['//evil.example/x', 'https://evil.example', '/\\evil.example', 'javascript:alert(1)', null, '']) {
			expect(safeNext(bad)).toBe('/');
		}
	});
});
