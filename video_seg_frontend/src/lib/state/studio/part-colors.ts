/**
 * A part's colour: its label's colour turned round the hue circle by its place among the label's
 * parts, so a tool's shaft, wrist and gripper differ from each other and from the tool itself while
 * keeping the label's lightness (a dark label gives dark parts).
 */
export function partColor(labelColor: string, partIndex: number, partCount: number): string {
	const match = /^#?([0-9a-f]{6})$/i.exec(labelColor.trim());
	if (!match) return labelColor;
	const value = parseInt(match[1], 16);
	const [r, g, b] = [(value >> 16) & 255, (value >> 8) & 255, value & 255].map((c) => c / 255);
	const max = Math.max(r, g, b);
	const min = Math.min(r, g, b);
	const light = (max + min) / 2;
	const delta = max - min;
	// A grey label has no hue to turn: its parts take full saturation at its lightness.
	const sat = delta === 0 ? 0.7 : delta / (1 - Math.abs(2 * light - 1));
	let hue = 0;
	if (delta !== 0) {
		if (max === r) hue = ((g - b) / delta) % 6;
		else if (max === g) hue = (b - r) / delta + 2;
		else hue = (r - g) / delta + 4;
	}
	const turned = (hue * 60 + (360 * (partIndex + 1)) / (Math.max(partCount, 1) + 1) + 360) % 360;
	return hslToHex(turned, Math.min(1, sat), Math.min(0.75, Math.max(0.3, light)));
}

function hslToHex(hue: number, sat: number, light: number): string {
	const c = (1 - Math.abs(2 * light - 1)) * sat;
	const x = c * (1 - Math.abs(((hue / 60) % 2) - 1));
	const m = light - c / 2;
	const [r, g, b] =
		hue < 60 ? [c, x, 0] : hue < 120 ? [x, c, 0] : hue < 180 ? [0, c, x] : hue < 240 ? [0, x, c] : hue < 300 ? [x, 0, c] : [c, 0, x];
	return '#' + [r, g, b].map((v) => Math.round((v + m) * 255).toString(16).padStart(2, '0')).join('');
}
