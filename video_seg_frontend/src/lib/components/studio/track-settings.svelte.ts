import type { TrackDirection } from '$lib/state/studio.svelte';

/** How T and the Track button track: set in the track panel, read by the key handler too. */
export class TrackSettings {
	// Both ways by default: a click in mid-video fills the frames before it too, and a correction
	// re-tracks the stretch from the previous key frame as well as the one to the next.
	direction = $state<TrackDirection>('both');
	limitFrames = $state(false);
	numFrames = $state(30);
	/** How many frames to track, or null for the rest of the video. */
	frames = $derived(this.limitFrames ? Math.max(1, this.numFrames) : null);
	// Stop at drift: each run ends at the first mask whose confidence falls below the threshold,
	// so the person corrects there and tracks on.
	stopAtDrift = $state(false);
	stopThreshold = $state(0.3);
	/** The confidence under which tracking stops, or null to track on regardless. */
	stopBelow = $derived(this.stopAtDrift ? Math.min(1, Math.max(0, Number(this.stopThreshold) || 0)) : null);
	// Re-tracking from a correction leaves the masks another, unchanged key frame tracked with more
	// confidence; unticked, it replaces every mask it reaches.
	keepConfident = $state(true);
}
