/**
 * COCO run-length encoding, as pycocotools writes it.
 *
 * A mask of height h and width w is flattened column by column (Fortran order: pixel (x, y) is
 * at x * h + y) into alternating runs of 0s and 1s, starting with 0s. The compressed form stores
 * each run as a LEB128-like string of 6-bit digits offset by 48 ('0'), and from the third run on
 * stores the difference to the run two before (see `rleFrString` in pycocotools' maskApi.c).
 */

/** COCO RLE with compressed counts, exactly as the API returns it. */
export interface CocoRle {
	size: [number, number];
	counts: string | number[];
}

/** A decoded binary mask in row-major order (index y * width + x), 1 inside, 0 outside. */
export interface BinaryMask {
	width: number;
	height: number;
	data: Uint8Array;
}

/** Decodes the counts string into run lengths. Uses float arithmetic: runs can exceed 2^31. */
export function decodeCounts(counts: string): number[] {
	const runs: number[] = [];
	let p = 0;
	while (p < counts.length) {
		let x = 0;
		let k = 0;
		let more = true;
		while (more) {
			if (p >= counts.length) throw new Error('Truncated RLE counts string');
			const c = counts.charCodeAt(p) - 48;
			x += (c & 0x1f) * 2 ** (5 * k);
			more = (c & 0x20) !== 0;
			p++;
			k++;
			// The last digit's 0x10 bit is the sign: extend it like maskApi.c's `x |= -1 << 5*k`.
			if (!more && c & 0x10) x -= 2 ** (5 * k);
		}
		if (runs.length > 2) x += runs[runs.length - 2];
		runs.push(x);
	}
	return runs;
}

/** Encodes run lengths into the compressed counts string (inverse of `decodeCounts`). */
export function encodeCounts(runs: readonly number[]): string {
	let out = '';
	for (let i = 0; i < runs.length; i++) {
		let x = runs[i] - (i > 2 ? runs[i - 2] : 0);
		let more = true;
		while (more) {
			// Arithmetic shift on a float: floor division keeps the sign like `x >>= 5` in C.
			let c = ((x % 32) + 32) % 32;
			x = Math.floor(x / 32);
			more = c & 0x10 ? x !== -1 : x !== 0;
			if (more) c |= 0x20;
			out += String.fromCharCode(c + 48);
		}
	}
	return out;
}

/** Decodes a COCO RLE (compressed or uncompressed counts) into a row-major binary mask. */
export function decodeRle(rle: CocoRle): BinaryMask {
	const [height, width] = rle.size;
	const runs = typeof rle.counts === 'string' ? decodeCounts(rle.counts) : rle.counts;
	const total = width * height;
	const data = new Uint8Array(total);
	let pos = 0;
	let value = 0;
	for (const run of runs) {
		if (run < 0 || pos + run > total) throw new Error('RLE runs do not fit the mask size');
		if (value) {
			for (let i = pos; i < pos + run; i++) {
				const x = Math.floor(i / height);
				const y = i - x * height;
				data[y * width + x] = 1;
			}
		}
		pos += run;
		value ^= 1;
	}
	return { width, height, data };
}

/** Encodes a row-major binary mask into COCO RLE with compressed counts. */
export function encodeRle(mask: BinaryMask): CocoRle {
	const { width, height, data } = mask;
	const runs: number[] = [];
	let current = 0;
	let run = 0;
	for (let x = 0; x < width; x++) {
		for (let y = 0; y < height; y++) {
			const v = data[y * width + x] ? 1 : 0;
			if (v !== current) {
				runs.push(run);
				run = 0;
				current = v;
			}
			run++;
		}
	}
	runs.push(run);
	return { size: [height, width], counts: encodeCounts(runs) };
}

/** Number of mask pixels, straight from the runs (odd runs are 1s). */
export function rleArea(rle: CocoRle): number {
	const runs = typeof rle.counts === 'string' ? decodeCounts(rle.counts) : rle.counts;
	let area = 0;
	for (let i = 1; i < runs.length; i += 2) area += runs[i];
	return area;
}

/** Tight bounding box [x, y, w, h] of a decoded mask, or null when it is empty. */
export function maskBbox(mask: BinaryMask): [number, number, number, number] | null {
	let x0 = mask.width;
	let y0 = mask.height;
	let x1 = -1;
	let y1 = -1;
	for (let y = 0; y < mask.height; y++) {
		const row = y * mask.width;
		for (let x = 0; x < mask.width; x++) {
			if (mask.data[row + x]) {
				if (x < x0) x0 = x;
				if (x > x1) x1 = x;
				if (y < y0) y0 = y;
				if (y > y1) y1 = y;
			}
		}
	}
	return x1 < 0 ? null : [x0, y0, x1 - x0 + 1, y1 - y0 + 1];
}
