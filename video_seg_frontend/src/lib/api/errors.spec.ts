import { describe, expect, it } from 'vitest';
import { ApiError, detailOf, messageOf } from './errors';

describe('detailOf', () => {
	it('returns the server sentence', () => {
		expect(detailOf({ detail: 'Media not found' }, 'x')).toBe('Media not found');
	});
	it('joins validation errors with their field', () => {
		const body = { detail: [{ loc: ['body', 'name'], msg: 'String should have at least 1 character' }] };
		expect(detailOf(body, 'x')).toBe('name: String should have at least 1 character');
	});
	it('falls back when the body is not JSON', () => {
		expect(detailOf(null, '502 Bad Gateway')).toBe('502 Bad Gateway');
	});
	it('messageOf prefers the API detail', () => {
		expect(messageOf(new ApiError(409, 'Label is in use'))).toBe('Label is in use');
	});
});
