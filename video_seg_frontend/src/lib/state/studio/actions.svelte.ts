/**
 * The studio's action mode: it steps through an item's keyframe seconds; at each, the persons
 * (objects with a mask on that frame) are labelled with the actions they do, one person at a
 * time, and the previous second's actions can be copied with one key. Labels are the signed-in
 * annotator's own (each replica labels independently) and are saved as they are ticked.
 */
import { actionsApi, type ActionClass, type Keyframes } from '$lib/api/actions';
import type { AnnotationPublic, ObjectPublic } from '$lib/api/types';
import { toasts } from '../toasts.svelte';

/** What action mode reads and moves in the studio. */
export interface ActionModeHost {
	readonly pid: number;
	readonly currentId: number | null;
	readonly frame: number;
	readonly frameMasks: AnnotationPublic[];
	readonly objects: ObjectPublic[];
	selectedObjectId: number | null;
	setFrame(frame: number): void;
}

const key = (objectId: number, frame: number) => `${objectId}:${frame}`;

export class ActionMode {
	on = $state(false);
	/** The item the mode was entered on: opening another item leaves it. */
	mediaId = $state<number | null>(null);
	vocabulary = $state<ActionClass[]>([]);
	timing = $state<Keyframes | null>(null);
	/** `${object}:${frame}` -> the actions ticked (this annotator's). */
	labels = $state<Record<string, number[]>>({});
	person = $state<number | null>(null);

	active = $derived.by(() => this.on && this.mediaId === this.host.currentId);
	keyframes = $derived(this.timing?.keyframes ?? []);
	index = $derived.by(() => this.keyframes.findIndex((k) => k.frame_index === this.host.frame));
	keyframe = $derived(this.index >= 0 ? this.keyframes[this.index] : null);
	/** Persons on the keyframe shown, in track order. */
	persons = $derived.by(() => {
		const visible = this.host.frameMasks.filter((m) => m.area > 0).map((m) => m.object_id);
		return this.host.objects.filter((o) => visible.includes(o.id)).sort((a, b) => a.track_id - b.track_id);
	});
	ticked = $derived(this.person !== null && this.keyframe ? (this.labels[key(this.person, this.keyframe.frame_index)] ?? null) : null);
	/** The person's actions at the previous keyframe, which C copies. */
	previous = $derived.by(() => {
		if (this.person === null || this.index < 1) return null;
		return this.labels[key(this.person, this.keyframes[this.index - 1].frame_index)] ?? null;
	});

	constructor(private readonly host: ActionModeHost) {}

	get projectId(): number {
		return this.host.pid;
	}

	/** The item's objects (persons to merge into) and the frame shown (where a split starts). */
	get objects(): ObjectPublic[] {
		return this.host.objects;
	}

	get frame(): number {
		return this.host.frame;
	}

	/** After persons were split or merged on the server: their labels moved with them. */
	async reloadLabels(): Promise<void> {
		if (this.mediaId === null) return;
		try {
			const labels = await actionsApi.labels(this.host.pid, this.mediaId);
			this.labels = Object.fromEntries(labels.map((l) => [key(l.object_id, l.frame_index), l.actions]));
		} catch (error) {
			toasts.error(error);
		}
	}

	/** Loads the vocabulary, keyframes and this annotator's labels, then shows the first keyframe at or after the frame shown. */
	async enter(): Promise<void> {
		const mid = this.host.currentId;
		if (mid === null) return;
		try {
			const [vocabulary, timing, labels] = await Promise.all([
				actionsApi.vocabulary(this.host.pid),
				actionsApi.keyframes(this.host.pid, mid),
				actionsApi.labels(this.host.pid, mid)
			]);
			if (vocabulary.length === 0) {
				toasts.error('This project has no actions yet: add or import them on the Labels page');
				return;
			}
			this.vocabulary = vocabulary;
			this.timing = timing;
			this.labels = Object.fromEntries(labels.map((l) => [key(l.object_id, l.frame_index), l.actions]));
			this.on = true;
			this.mediaId = mid;
			const next = timing.keyframes.findIndex((k) => k.frame_index >= this.host.frame);
			this.goto(next < 0 ? 0 : next);
		} catch (error) {
			toasts.error(error);
		}
	}

	leave(): void {
		this.on = false;
	}

	goto(index: number): void {
		const target = this.keyframes[Math.max(0, Math.min(this.keyframes.length - 1, index))];
		if (!target) return;
		this.host.setFrame(target.frame_index);
		this.person = null;
	}

	nextSecond(delta: number): void {
		// Off a keyframe (the frame was moved by hand): to the nearest one in that direction.
		if (this.index < 0) {
			const frame = this.host.frame;
			const ahead = delta > 0 ? this.keyframes.findIndex((k) => k.frame_index > frame) : this.keyframes.findLastIndex((k) => k.frame_index < frame);
			if (ahead >= 0) this.goto(ahead);
			return;
		}
		this.goto(this.index + delta);
	}

	/** The person to label: the first one when none is chosen yet (the persons are read once the frame's masks are in). */
	current(): number | null {
		if (this.person === null || !this.persons.some((p) => p.id === this.person)) this.choose(this.persons[0]?.id ?? null);
		return this.person;
	}

	choose(objectId: number | null): void {
		this.person = objectId;
		if (objectId !== null) this.host.selectedObjectId = objectId;
	}

	nextPerson(delta: number): void {
		const persons = this.persons;
		if (persons.length === 0) return;
		const at = persons.findIndex((p) => p.id === this.person);
		const next = at < 0 ? 0 : (at + delta + persons.length) % persons.length;
		this.choose(persons[next].id);
	}

	toggleSlot(index: number): void {
		const action = this.vocabulary[index];
		if (action) void this.toggle(action.action_id);
	}

	/** Ticks or unticks an action for the person; ticking an exclusive one unticks the others of its group. */
	async toggle(actionId: number): Promise<void> {
		const person = this.current();
		const frame = this.keyframe?.frame_index;
		if (person === null || frame === undefined) {
			toasts.show(frame === undefined ? 'Not on a keyframe: press → for the next one' : 'No person with a mask here to label yet');
			return;
		}
		const before = this.labels[key(person, frame)] ?? [];
		const action = this.vocabulary.find((a) => a.action_id === actionId);
		let after: number[];
		if (before.includes(actionId)) after = before.filter((a) => a !== actionId);
		else {
			const excluded = action?.exclusive ? this.vocabulary.filter((a) => a.exclusive && a.group === action.group).map((a) => a.action_id) : [];
			after = [...before.filter((a) => !excluded.includes(a)), actionId].sort((a, b) => a - b);
		}
		await this.save(person, frame, after, before);
	}

	/** C: the person's actions of the previous second, here. */
	async copyPrevious(): Promise<void> {
		const person = this.current();
		const frame = this.keyframe?.frame_index;
		const previous = this.previous;
		if (person === null || frame === undefined) return;
		if (previous === null) {
			toasts.show('Nothing to copy: this person has no actions at the previous second');
			return;
		}
		await this.save(person, frame, [...previous], this.labels[key(person, frame)] ?? []);
	}

	/** Saves go one after another: two ticks in quick succession sent at once could both find no
	 * label on the server and both insert one, and an earlier answer could overwrite a later tick. */
	private saving: Promise<void> = Promise.resolve();
	private latest: Record<string, number> = {};

	private save(person: number, frame: number, after: number[], before: number[]): Promise<void> {
		const mid = this.host.currentId;
		if (mid === null) return Promise.resolve();
		const k = key(person, frame);
		const turn = (this.latest[k] = (this.latest[k] ?? 0) + 1);
		this.labels = { ...this.labels, [k]: after };
		this.saving = this.saving.then(async () => {
			try {
				const saved = await actionsApi.setLabel(this.host.pid, mid, person, frame, after);
				if (this.latest[k] === turn) this.labels = { ...this.labels, [k]: saved.actions };
			} catch (error) {
				if (this.latest[k] === turn) this.labels = { ...this.labels, [k]: before };
				toasts.error(error);
			}
		});
		return this.saving;
	}

	actionsOf(person: number): number[] {
		const frame = this.keyframe?.frame_index;
		return frame === undefined ? [] : (this.labels[key(person, frame)] ?? []);
	}
}
