import { describe, expect, it } from 'vitest';
import { partColor } from './part-colors';

describe('partColor', () => {
	it('gives each of three parts its own colour, none the label’s', () => {
		const colors = [0, 1, 2].map((i) => partColor('#00ff00', i, 3));
		expect(new Set([...colors, '#00ff00']).size).toBe(4);
		for (const c of colors) expect(c).toMatch(/^#[0-9a-f]{6}$/);
	});

	it('turns the hue by a quarter circle per part of three', () => {
		// green (120°) + 90° = 210°, + 180° = 300° (magenta), + 270° = 30°
		expect(partColor('#00ff00', 1, 3)).toBe('#ff00ff');
		expect(partColor('#ff0000', 0, 1)).toBe('#00ffff');
	});

	it('is the same colour for the same part every time, and leaves a malformed colour as it is', () => {
		expect(partColor('#3366cc', 2, 4)).toBe(partColor('#3366cc', 2, 4));
		expect(partColor('red', 0, 3)).toBe('red');
	});

	it('gives a grey label coloured parts', () => {
		expect(partColor('#808080', 0, 2)).not.toBe('#808080');
	});
});
