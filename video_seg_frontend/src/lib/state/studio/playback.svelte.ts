import { playbackFrame } from '../timeline';

/** What playback moves: the studio's frame, within the open video. */
export interface PlaybackHost {
	frame: number;
	readonly frameCount: number;
	readonly isVideo: boolean;
	readonly fps: number;
	/** Playback stopped on the frame shown: its masks are fetched (they are not while playing). */
	stopped(): void;
}

/** Plays the open video at its frame rate, one animation frame at a time. */
export class Playback {
	playing = $state(false);
	/** Set by the view: whether the annotated preview of a frame is loaded (preloads it if not). */
	previewReady: ((frame: number) => boolean) | null = null;
	private handle = 0;

	constructor(private readonly host: PlaybackHost) {}

	toggle(): void {
		if (this.playing) this.stop();
		else this.play();
	}

	play(): void {
		const host = this.host;
		if (!host.isVideo || host.frameCount < 2) return;
		if (host.frame >= host.frameCount - 1) host.frame = 0;
		this.playing = true;
		const fps = host.fps || 25;
		let startFrame = host.frame;
		let startTime = performance.now();
		const tick = (now: number) => {
			if (!this.playing) return;
			const { frame, ended } = playbackFrame(startFrame, now - startTime, fps, host.frameCount);
			if (frame !== host.frame) {
				// The view only shows a frame once its preview is decoded; if the network is slower
				// than the video, restart the clock from the frame actually shown instead of skipping.
				if (this.previewReady?.(frame) ?? true) host.frame = frame;
				else {
					startFrame = host.frame;
					startTime = now;
				}
			}
			if (ended) this.stop();
			else this.handle = requestAnimationFrame(tick);
		};
		this.handle = requestAnimationFrame(tick);
	}

	stop(): void {
		cancelAnimationFrame(this.handle);
		if (!this.playing) return;
		this.playing = false;
		this.host.stopped();
	}
}
