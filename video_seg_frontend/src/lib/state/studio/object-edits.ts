import { api } from '$lib/api/client';
import { ApiError } from '$lib/api/errors';
import type { DistributiveOmit, ObjectPublic, PromptCreate } from '$lib/api/types';
import { deleteObjectCommand, promptToCreate, type IdRef } from '../commands';
import type { ProjectState } from '../project.svelte';
import { toasts } from '../toasts.svelte';
import type { Command } from '../undo';
import type { MaskCache } from './mask-cache.svelte';
import type { ObjectList, PendingPrompt } from './object-list.svelte';

/** What the edits need of the studio: where they happen, and its undo history. */
export interface EditsHost {
	readonly pid: number;
	readonly currentId: number | null;
	readonly frame: number;
	readonly project: ProjectState;
	readonly list: ObjectList;
	readonly maskCache: MaskCache;
	readonly modelKey: string | null;
	readonly selectedLabelId: number | null;
	/** The open media item's id; throws (with what to do) when none ready is open. */
	requireMedia(): number;
	requireLabel(): number;
	/** Runs a step and records it in the history of `mediaId` (not necessarily the open item). */
	execute(mediaId: number, command: Command): Promise<void>;
	/** A change reached the server: the counts are refreshed a moment later. */
	changed(): void;
}

/**
 * The person's edits of objects and prompts, each an undoable command on the server. Every step
 * checks, when its answer arrives, that its media item is still the one shown.
 */
export class ObjectEdits {
	/** The object being created for `creating.mediaId` (by N or a first click), if any. */
	private creating: { mediaId: number | null; promise: Promise<number | null> } | null = null;
	private pendingKey = 1;

	constructor(private readonly host: EditsHost) {}

	/**
	 * N: a new object with the selected label, selected for the next clicks. Undoable. Clicks
	 * made while it is being created go to it (see addPrompt), not to the object selected before.
	 */
	newObject(): Promise<number | null> {
		const mediaId = this.host.currentId;
		const promise = this.createObject();
		this.creating = { mediaId, promise };
		void promise.finally(() => {
			if (this.creating?.promise === promise) this.creating = null;
		});
		return promise;
	}

	/** Waits for the object being created on the open item (right after N), if any. */
	async settled(): Promise<void> {
		if (this.creating && this.creating.mediaId === this.host.currentId) await this.creating.promise;
	}

	private async createObject(): Promise<number | null> {
		const host = this.host;
		try {
			const mediaId = host.requireMedia();
			const labelId = host.requireLabel();
			return await this.created(mediaId, 'New object', () => api.createObject(host.pid, mediaId, labelId));
		} catch (error) {
			toasts.error(error);
			return null;
		}
	}

	/**
	 * A part region (`part` of its label's parts) of `parentId`, selected for the next clicks; its
	 * masks stay inside the parent's (the server cuts them). Undoable.
	 */
	async newPart(parentId: number, part: string): Promise<number | null> {
		const host = this.host;
		try {
			const mediaId = host.requireMedia();
			const parentRef = host.list.objectIds.ref(parentId);
			// parentRef.id when the step runs: a redo after the parent was recreated uses its new id.
			return await this.created(mediaId, `New part ${part}`, () => api.createPart(host.pid, mediaId, parentRef.id, part));
		} catch (error) {
			toasts.error(error);
			return null;
		}
	}

	/** An undoable step that makes an object with `make` and selects it; its id (null: none made). */
	private async created(mediaId: number, label: string, make: () => Promise<ObjectPublic>): Promise<number | null> {
		const host = this.host;
		const list = host.list;
		let ref: IdRef | null = null;
		await host.execute(mediaId, {
			label,
			do: async () => {
				const obj = await make();
				if (ref === null) ref = list.objectIds.fresh(obj.id);
				else list.objectIds.moved(ref, obj.id);
				if (host.currentId !== mediaId) return; // another media item was opened meanwhile
				list.objects = [...list.objects.filter((o) => o.id !== obj.id), obj];
				list.selectedId = obj.id;
			},
			undo: async () => {
				const id = ref!.id;
				await api.deleteObject(host.pid, mediaId, id);
				list.objectIds.dropped(ref!);
				if (host.currentId === mediaId) list.drop(id);
			}
		});
		host.changed();
		return (ref as IdRef | null)?.id ?? null;
	}

	/**
	 * Deletes an object with its masks, and its parts with theirs (the server deletes them with it).
	 * Undo recreates it, replays its prompts and restores its masks, then its parts under it.
	 */
	async deleteObject(objectId: number): Promise<void> {
		const host = this.host;
		const list = host.list;
		try {
			const mediaId = host.requireMedia();
			const obj = list.objects.find((o) => o.id === objectId);
			if (!obj) return;
			const pid = host.pid;
			const parentRef = list.objectIds.ref(objectId);
			const command = (o: ObjectPublic, create: (labelId: number, trackId?: number) => Promise<ObjectPublic>): Command =>
				deleteObjectCommand({
					objectId: o.id,
					labelId: o.label_id,
					trackId: o.track_id,
					prompts: list.prompts.filter((p) => p.object_id === o.id).map((p) => ({ ...p })),
					server: {
						masksOf: (id) => api.listAnnotations(pid, mediaId, { object_id: id }),
						deleteObject: (id) => api.deleteObject(pid, mediaId, id).then(() => undefined),
						// Its own track id back, unless another object took it meanwhile.
						createObject: (labelId, trackId) =>
							create(labelId, trackId).catch((error: unknown) => {
								if (error instanceof ApiError && error.status === 409) return create(labelId);
								throw error;
							}),
						addPrompt: (prompt) => api.addPrompt(pid, mediaId, { ...prompt, model: host.modelKey }),
						putMasks: (masks) => api.putAnnotations(pid, mediaId, masks)
					},
					objectIds: list.objectIds,
					promptIds: list.promptIds,
					onDeleted: (id) => {
						if (host.currentId === mediaId) list.drop(id);
					},
					onRestored: (restored) => list.restore(restored)
				});
			// A part comes back under its parent's new id, after the parent (whose masks bound it).
			const parts = list.objects
				.filter((o) => o.parent_id === objectId)
				.map((part) => command(part, (_label, trackId) => api.createPart(pid, mediaId, parentRef.id, part.part ?? '', trackId)));
			const whole = command(obj, (labelId, trackId) => api.createObject(pid, mediaId, labelId, trackId));
			const step: Command = parts.length
				? {
						label: whole.label,
						do: async () => {
							for (const part of parts) await part.do();
							await whole.do();
						},
						undo: async () => {
							await whole.undo();
							for (const part of parts) await part.undo();
							if (host.currentId === mediaId) list.selectedId = parentRef.id;
						}
					}
				: whole;
			await host.execute(mediaId, step);
			host.changed();
		} catch (error) {
			toasts.error(error);
		}
	}

	async relabelObject(objectId: number, labelId: number): Promise<void> {
		const host = this.host;
		const list = host.list;
		try {
			const mediaId = host.requireMedia();
			const obj = list.objects.find((o) => o.id === objectId);
			if (!obj || obj.label_id === labelId) return;
			const before = obj.label_id;
			const ref = list.objectIds.ref(objectId);
			const apply = async (label: number) => {
				const id = ref.id;
				const updated = await api.updateObject(host.pid, mediaId, id, label);
				if (host.currentId !== mediaId) return;
				list.objects = list.objects.map((o) => (o.id === id ? updated : o));
				host.maskCache.version++;
				// Its parts took the new label on the server.
				if (list.objects.some((o) => o.parent_id === id)) await list.reload();
			};
			await host.execute(mediaId, { label: 'Relabel object', do: () => apply(labelId), undo: () => apply(before) });
		} catch (error) {
			toasts.error(error);
		}
	}

	/** A click or a box: shows a pending marker at once, then the server's mask replaces it. */
	async addPrompt(prompt: DistributiveOmit<PromptCreate, 'object_id' | 'frame_index'>): Promise<void> {
		const host = this.host;
		const list = host.list;
		let mediaId: number;
		try {
			mediaId = host.requireMedia();
		} catch (error) {
			toasts.error(error);
			return;
		}
		const frame = host.frame;
		const key = this.pendingKey++;
		const marker: PendingPrompt = {
			key,
			id: null,
			objectId: list.selectedId ?? -1,
			color: host.project.label(host.selectedLabelId)?.color ?? '#ffffff',
			kind: prompt.kind ?? 'point',
			positive: prompt.positive ?? true,
			x: prompt.kind === 'box' ? prompt.x0! : prompt.x!,
			y: prompt.kind === 'box' ? prompt.y0! : prompt.y!,
			x1: prompt.kind === 'box' ? prompt.x1 : undefined,
			y1: prompt.kind === 'box' ? prompt.y1 : undefined
		};
		list.pending = [...list.pending, marker];
		try {
			// A click made while an object is being created (N, or the first click of a quick pair
			// on a frame without objects) goes to that object once it exists.
			let objectId = this.creating?.mediaId === mediaId ? await this.creating.promise : list.selectedId;
			if (objectId === null || !list.knows(objectId)) {
				objectId = await this.newObject();
				if (objectId === null) return;
			}
			const objectRef = list.objectIds.ref(objectId);
			let promptRef: IdRef | null = null;
			const body = { ...prompt, frame_index: frame };
			await host.execute(mediaId, {
				label: prompt.kind === 'box' ? 'Add box' : prompt.positive === false ? 'Add negative point' : 'Add point',
				do: async () => {
					const oid = objectRef.id;
					const result = await api.addPrompt(host.pid, mediaId, { ...body, object_id: oid, model: host.modelKey });
					if (!result.prompt) return;
					if (promptRef === null) promptRef = list.promptIds.fresh(result.prompt.id);
					else list.promptIds.moved(promptRef, result.prompt.id);
					if (host.currentId !== mediaId) return; // the answer came after another media item was opened
					list.putPrompt(result.prompt);
					host.maskCache.put(oid, frame, result.annotation);
				},
				undo: async () => {
					const pid = promptRef!.id;
					const result = await api.deletePrompt(host.pid, mediaId, pid);
					list.promptIds.dropped(promptRef!);
					if (host.currentId !== mediaId) return;
					list.prompts = list.prompts.filter((p) => p.id !== pid);
					host.maskCache.put(objectRef.id, frame, result.annotation);
				}
			});
			host.changed();
		} catch (error) {
			toasts.error(error);
		} finally {
			list.pending = list.pending.filter((p) => p.key !== key);
		}
	}

	/** Right-click on a marker: removes the prompt and shows the recomputed mask. Undoable. */
	async removePrompt(promptId: number): Promise<void> {
		const host = this.host;
		const list = host.list;
		const original = list.prompts.find((p) => p.id === promptId);
		if (!original) return;
		try {
			const mediaId = host.requireMedia();
			const saved = { ...original };
			const promptRef = list.promptIds.ref(saved.id);
			const objectRef = list.objectIds.ref(saved.object_id);
			await host.execute(mediaId, {
				label: 'Remove prompt',
				do: async () => {
					const id = promptRef.id;
					const result = await api.deletePrompt(host.pid, mediaId, id);
					list.promptIds.dropped(promptRef);
					if (host.currentId !== mediaId) return;
					list.prompts = list.prompts.filter((p) => p.id !== id);
					host.maskCache.put(objectRef.id, saved.frame_index, result.annotation);
				},
				undo: async () => {
					const oid = objectRef.id;
					const result = await api.addPrompt(host.pid, mediaId, { ...promptToCreate(saved), object_id: oid, model: host.modelKey });
					if (result.prompt) list.promptIds.moved(promptRef, result.prompt.id);
					if (host.currentId !== mediaId) return;
					if (result.prompt) list.putPrompt(result.prompt);
					host.maskCache.put(oid, saved.frame_index, result.annotation);
				}
			});
			host.changed();
		} catch (error) {
			toasts.error(error);
		}
	}
}
