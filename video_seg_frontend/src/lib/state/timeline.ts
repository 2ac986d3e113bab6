/** Merges frame indices into inclusive [start, end] runs, for the timeline's tracked ranges. */
export function frameRanges(frames: Iterable<number>): [number, number][] {
	const sorted = [...new Set(frames)].sort((a, b) => a - b);
	const ranges: [number, number][] = [];
	for (const f of sorted) {
		const last = ranges.at(-1);
		if (last && f === last[1] + 1) last[1] = f;
		else ranges.push([f, f]);
	}
	return ranges;
}

/** Clamps a frame index into [0, count - 1]. */
export function clampFrame(frame: number, count: number): number {
	return Math.max(0, Math.min(Math.max(0, count - 1), Math.round(frame)));
}

/** The first frame after `from` (wrapping around) that is not in `done`, or null if all are. */
export function nextUnannotated(from: number, count: number, done: Set<number>): number | null {
	for (let step = 1; step <= count; step++) {
		const f = (from + step) % count;
		if (!done.has(f)) return f;
	}
	return null;
}

/** The frame a clock at `elapsedMs` since `startFrame` shows at `fps`, and whether it ended. */
export function playbackFrame(startFrame: number, elapsedMs: number, fps: number, count: number): { frame: number; ended: boolean } {
	const frame = startFrame + Math.floor((elapsedMs / 1000) * fps);
	return frame >= count - 1 ? { frame: count - 1, ended: true } : { frame, ended: false };
}
