import { api } from '$lib/api/client';
import type { LabelPublic, ObjectPublic } from '$lib/api/types';
import { attempt } from '../toasts.svelte';

/** One named point on the frame; visibility as COCO: 0 not labelled, 1 occluded, 2 visible. */
export interface Keypoint {
	x: number;
	y: number;
	visibility: 0 | 1 | 2;
}

/** What keypoint mode needs of the studio. */
export interface KeypointHost {
	readonly pid: number;
	readonly currentId: number | null;
	readonly frame: number;
	readonly selectedObject: ObjectPublic | null;
	readonly project: { labels: LabelPublic[] };
}

/** How many edits undo reaches back, per object and frame being edited. */
const HISTORY = 100;
const unplaced = (): Keypoint => ({ x: 0, y: 0, visibility: 0 });

/**
 * Keypoint mode (K): the selected object's points on the current frame. A click places the next
 * unplaced point, a drag moves one, O toggles occluded; every edit is saved as the whole frame and
 * undone from a bounded stack of frames (what the points were before).
 */
export class KeypointEditor {
	active = $state(false);
	points = $state<Keypoint[]>([]);
	/** Index of the point last placed or moved: the one O toggles. */
	current = $state<number | null>(null);
	source = $state<'key' | 'tracked' | null>(null);
	/** Where the loaded points belong; an edit for another object or frame is never saved over. */
	loadedFor = $state<string | null>(null);
	private undoStack: Keypoint[][] = [];
	private redoStack: Keypoint[][] = [];

	constructor(private readonly host: KeypointHost) {}

	get label(): LabelPublic | null {
		const obj = this.host.selectedObject;
		return obj ? (this.host.project.labels.find((l) => l.id === obj.label_id) ?? null) : null;
	}
	get names(): string[] {
		return this.label?.structure?.keypoints ?? [];
	}
	get edges(): [number, number][] {
		const names = this.names;
		return (this.label?.structure?.edges ?? []).map((e) => [names.indexOf(e[0]), names.indexOf(e[1])] as [number, number]);
	}
	/** The first point not yet placed on this frame, or null when all are. */
	get nextIndex(): number | null {
		const i = this.points.findIndex((p) => p.visibility === 0);
		return i < 0 ? null : i;
	}
	get nextName(): string | null {
		const i = this.nextIndex;
		return i === null ? null : (this.names[i] ?? null);
	}
	get canUndo(): boolean {
		return this.undoStack.length > 0;
	}
	get canRedo(): boolean {
		return this.redoStack.length > 0;
	}

	private key(): string | null {
		const obj = this.host.selectedObject;
		return obj && this.host.currentId !== null ? `${this.host.currentId}:${obj.id}:${this.host.frame}` : null;
	}

	toggle(): void {
		this.active = !this.active;
	}

	/** Reads the selected object's points on the current frame (none placed when it has none). */
	async load(): Promise<void> {
		const key = this.key();
		const obj = this.host.selectedObject;
		if (key === null || obj === null || this.host.currentId === null || this.names.length === 0) {
			this.points = [];
			this.loadedFor = key;
			return;
		}
		const frame = this.host.frame;
		const answer = await attempt(() => api.getKeypoints(this.host.pid, this.host.currentId!, obj.id, frame, frame));
		if (this.key() !== key) return; // another object or frame was chosen meanwhile
		const found = answer?.frames[0];
		this.points = this.names.map((_, i) => {
			const p = found?.points[i];
			return p ? { x: p.x, y: p.y, visibility: p.visibility as 0 | 1 | 2 } : unplaced();
		});
		this.source = found ? found.source : null;
		if (this.loadedFor !== key) {
			this.undoStack = [];
			this.redoStack = [];
			this.current = null;
		}
		this.loadedFor = key;
	}

	/** Places the next unplaced point at a source pixel; false when every point is placed. */
	place(x: number, y: number): boolean {
		const i = this.nextIndex;
		if (i === null) return false;
		this.edit((pts) => (pts[i] = { x, y, visibility: 2 }));
		this.current = i;
		return true;
	}

	move(i: number, x: number, y: number): void {
		if (!this.points[i] || this.points[i].visibility === 0) return;
		this.edit((pts) => (pts[i] = { ...pts[i], x, y }));
		this.current = i;
	}

	/** Occluded <-> visible for the point last placed or moved. */
	toggleOccluded(): void {
		const i = this.current;
		if (i === null || !this.points[i] || this.points[i].visibility === 0) return;
		this.edit((pts) => (pts[i] = { ...pts[i], visibility: pts[i].visibility === 1 ? 2 : 1 }));
	}

	/** Takes the point back to "not labelled" (the next click places it again). */
	clear(i: number): void {
		if (!this.points[i]) return;
		this.edit((pts) => (pts[i] = unplaced()));
	}

	undo(): void {
		const before = this.undoStack.pop();
		if (!before) return;
		this.redoStack.push(this.points.map((p) => ({ ...p })));
		this.points = before;
		void this.save();
	}

	redo(): void {
		const after = this.redoStack.pop();
		if (!after) return;
		this.undoStack.push(this.points.map((p) => ({ ...p })));
		this.points = after;
		void this.save();
	}

	/** Carries the object's points from its key frames through the video (a job on the server). */
	async track(): Promise<number | null> {
		const obj = this.host.selectedObject;
		if (!obj || this.host.currentId === null) return null;
		const job = await attempt(() => api.trackKeypoints(this.host.pid, this.host.currentId!, [obj.id]));
		return job?.id ?? null;
	}

	private edit(change: (points: Keypoint[]) => void): void {
		this.undoStack.push(this.points.map((p) => ({ ...p })));
		if (this.undoStack.length > HISTORY) this.undoStack.shift();
		this.redoStack = [];
		const next = this.points.map((p) => ({ ...p }));
		change(next);
		this.points = next;
		void this.save();
	}

	private async save(): Promise<void> {
		const obj = this.host.selectedObject;
		const key = this.key();
		if (!obj || this.host.currentId === null || key !== this.loadedFor) return;
		const saved = await attempt(() =>
			api.putFrameKeypoints(this.host.pid, this.host.currentId!, obj.id, this.host.frame, this.points.map((p) => ({ ...p })))
		);
		if (saved) this.source = 'key';
	}
}
