import { SvelteSet } from 'svelte/reactivity';
import { api } from '$lib/api/client';
import type { ObjectPublic, PromptPublic } from '$lib/api/types';
import type { PromptMarker } from '$lib/canvas/model';
import { IdAliases, type Restored } from '../commands';
import type { ProjectState } from '../project.svelte';
import { attempt } from '../toasts.svelte';
import type { MaskCache } from './mask-cache.svelte';
import { partColor } from './part-colors';

export type PendingPrompt = PromptMarker & { key: number };

/** What the object list needs of the studio. */
export interface ObjectListHost {
	readonly pid: number;
	readonly currentId: number | null;
	readonly project: ProjectState;
	readonly maskCache: MaskCache;
}

/**
 * The open media item's objects and their prompts as the server has them, kept in step with
 * other tabs, and the handles (id aliases) that undo steps hold on them.
 */
export class ObjectList {
	objects = $state<ObjectPublic[]>([]);
	/** All prompts of the current media item (every frame). */
	prompts = $state<PromptPublic[]>([]);
	/** Clicks and boxes waiting for the server's answer. */
	pending = $state<PendingPrompt[]>([]);
	hidden = new SvelteSet<number>();
	selectedId = $state<number | null>(null);
	selected = $derived(this.objects.find((o) => o.id === this.selectedId) ?? null);
	readonly objectIds = new IdAliases();
	readonly promptIds = new IdAliases();

	private syncing: Promise<void> | null = null;
	private syncAgain = false;

	constructor(private readonly host: ObjectListHost) {}

	/** Another media item is shown: nothing of it is loaded yet. */
	clear(): void {
		this.objects = [];
		this.prompts = [];
		this.pending = [];
		this.hidden.clear();
		this.selectedId = null;
	}

	/** Whether the object list knows this object (a mask of an unknown one comes from another tab). */
	knows(objectId: number): boolean {
		return this.objects.some((o) => o.id === objectId);
	}

	/** The colour an object is drawn in: its label's, or for a part its own shade of it. */
	labelColor(objectId: number): string {
		const obj = this.objects.find((o) => o.id === objectId);
		const label = this.host.project.label(obj?.label_id);
		const color = label?.color ?? '#ff0000';
		if (!obj?.part) return color;
		const parts = label?.structure?.parts ?? [];
		const index = parts.indexOf(obj.part);
		return partColor(color, index < 0 ? parts.length : index, Math.max(parts.length, index + 1));
	}

	isPart(objectId: number): boolean {
		return this.objects.some((o) => o.id === objectId && o.parent_id != null);
	}

	/** Whole objects, each followed by its parts (in the label's part order): the list as shown. */
	nested = $derived.by(() => {
		const out: { obj: ObjectPublic; depth: 0 | 1 }[] = [];
		const whole = this.objects.filter((o) => o.parent_id == null || !this.objects.some((p) => p.id === o.parent_id));
		for (const obj of whole) {
			out.push({ obj, depth: 0 });
			const order = this.host.project.label(obj.label_id)?.structure?.parts ?? [];
			const parts = this.objects.filter((o) => o.parent_id === obj.id);
			parts.sort((a, b) => order.indexOf(a.part ?? '') - order.indexOf(b.part ?? '') || a.track_id - b.track_id);
			for (const part of parts) out.push({ obj: part, depth: 1 });
		}
		return out;
	});

	/** The part names an object can still get (its label's parts it has not got yet); none for a part. */
	freeParts(objectId: number): string[] {
		const obj = this.objects.find((o) => o.id === objectId);
		if (!obj || obj.parent_id != null) return [];
		const taken = this.objects.filter((o) => o.parent_id === objectId).map((o) => o.part);
		return (this.host.project.label(obj.label_id)?.structure?.parts ?? []).filter((p) => !taken.includes(p));
	}

	/** Lists (or relists) a prompt the server answered; a reload may have listed it already. */
	putPrompt(prompt: PromptPublic): void {
		this.prompts = [...this.prompts.filter((p) => p.id !== prompt.id), prompt];
	}

	async reload(): Promise<void> {
		const mediaId = this.host.currentId;
		if (mediaId === null) return;
		const known = this.objects;
		const objects = await attempt(() => api.listObjects(this.host.pid, mediaId));
		// A list read while this tab changed its own may not show that change yet; the refresh
		// that follows every change reads it again.
		if (objects && this.host.currentId === mediaId && this.objects === known) this.show(objects);
	}

	/**
	 * Shows the object list as the server has it. Objects that went (deleted in another tab) go
	 * with their masks and prompts, and no undo step names them any more; if one was selected,
	 * nothing is: the next click makes a new object rather than going to one the person did not pick.
	 */
	show(objects: ObjectPublic[]): void {
		const known = this.objects;
		// eslint-disable-next-line svelte/prefer-svelte-reactivity -- a local lookup, not state
		const listed = new Set(objects.map((o) => o.id));
		const gone = known.filter((o) => !listed.has(o.id)).map((o) => o.id);
		const selectedGone = this.selectedId !== null && gone.includes(this.selectedId);
		for (const id of gone) {
			for (const p of this.prompts) if (p.object_id === id) this.promptIds.vanished(p.id);
			this.objectIds.vanished(id);
			this.drop(id);
		}
		const relabelled = objects.some((o) => known.some((k) => k.id === o.id && k.label_id !== o.label_id));
		this.objects = objects;
		if (relabelled) this.host.maskCache.version++;
		if (selectedGone) this.selectedId = null;
		else if (this.selectedId === null && !known.length) this.selectedId = objects[0]?.id ?? null;
	}

	/**
	 * Another tab made, relabelled or deleted objects here: reads the object list and every prompt
	 * again, so new masks are drawn in their labels' colours with their markers (see show for
	 * what went). One reading at a time; events arriving meanwhile, or a change made here while
	 * it was under way, ask for one more afterwards.
	 */
	sync(): void {
		if (this.syncing) {
			this.syncAgain = true;
			return;
		}
		const mediaId = this.host.currentId;
		if (mediaId === null) return;
		const pid = this.host.pid;
		this.syncing = (async () => {
			const [known, knownPrompts] = [this.objects, this.prompts];
			const [objects, prompts] = await Promise.all([api.listObjects(pid, mediaId), api.listPrompts(pid, mediaId)]).catch(() => [null, null]);
			if (!objects || !prompts || this.host.currentId !== mediaId) return;
			// Lists read while this tab changed its own may not show that change yet.
			if (this.objects !== known || this.prompts !== knownPrompts) {
				this.syncAgain = true;
				return;
			}
			// eslint-disable-next-line svelte/prefer-svelte-reactivity -- a local lookup, not state
			const listed = new Set(prompts.map((p) => p.id));
			for (const p of knownPrompts) if (!listed.has(p.id)) this.promptIds.vanished(p.id);
			this.show(objects);
			this.prompts = prompts;
			// An import in another tab can bring labels this page has not seen: their colours.
			if (objects.some((o) => !this.host.project.label(o.label_id))) await this.host.project.reloadLabels();
		})().finally(() => {
			this.syncing = null;
			if (this.syncAgain) {
				this.syncAgain = false;
				this.sync();
			}
		});
	}

	/** An object went: from the list, with its prompts and masks. */
	drop(id: number): void {
		// Its parts went with it on the server (deleted with their parent).
		for (const part of this.objects.filter((o) => o.parent_id === id)) this.drop(part.id);
		this.objects = this.objects.filter((o) => o.id !== id);
		this.prompts = this.prompts.filter((p) => p.object_id !== id);
		this.host.maskCache.dropObject(id);
		if (this.selectedId === id) this.selectedId = this.objects.at(-1)?.id ?? null;
	}

	/** An undone deletion made the object again: listed and selected, with its prompts and masks. */
	restore({ object, prompts, masks }: Restored): void {
		if (this.host.currentId !== object.media_id) return;
		// A refresh may have listed the new object (or prompt) already while the undo ran.
		this.objects = [...this.objects.filter((o) => o.id !== object.id), object];
		for (const { prompt, annotation } of prompts) {
			if (prompt) {
				this.putPrompt(prompt);
				this.host.maskCache.put(object.id, prompt.frame_index, annotation);
			}
		}
		this.host.maskCache.restoreObject(object.id, masks);
		this.selectedId = object.id;
	}

	/** Hides or shows an object; a whole object's parts go with it. */
	toggleHidden(objectId: number): void {
		const hide = !this.hidden.has(objectId);
		const ids = [objectId, ...this.objects.filter((o) => o.parent_id === objectId).map((o) => o.id)];
		for (const id of ids) {
			if (hide) this.hidden.add(id);
			else this.hidden.delete(id);
		}
	}

	/** The canvas's prompt markers for `frame`: server prompts plus pending clicks. */
	markers(frame: number): PromptMarker[] {
		const out: PromptMarker[] = [];
		for (const p of this.prompts) {
			if (p.frame_index !== frame || this.hidden.has(p.object_id)) continue;
			const color = this.labelColor(p.object_id);
			if (p.kind === 'box') {
				out.push({ id: p.id, objectId: p.object_id, color, kind: 'box', positive: true, x: p.x0 ?? 0, y: p.y0 ?? 0, x1: p.x1 ?? 0, y1: p.y1 ?? 0 });
			} else {
				out.push({ id: p.id, objectId: p.object_id, color, kind: 'point', positive: p.positive, x: p.x ?? 0, y: p.y ?? 0 });
			}
		}
		for (const p of this.pending) out.push(p);
		return out;
	}
}
