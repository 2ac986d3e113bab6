/**
 * Undoable commands whose logic is worth testing on its own: plain TypeScript over a small port
 * to the server, so the unit tests run them against an in-memory fake.
 */
import { ApiError } from '$lib/api/errors';
import type { AnnotationIn, AnnotationPublic, DistributiveOmit, ObjectPublic, PromptCreate, PromptPublic, PromptResult } from '$lib/api/types';
import { Irreversible, type Command } from './undo';

/** A handle on one object or prompt; its `id` follows it when undo or redo makes it again. */
export interface IdRef {
	id: number;
}

/**
 * Ids the server hands out change when an undone deletion or creation is redone (the object or
 * prompt is created again). Commands hold a handle per object or prompt, not its first id, because
 * the server hands freed ids out again (SQLite gives a new row the highest id in use plus one):
 * id 1 may name a deleted object in one command and a brand-new object in the next.
 */
export class IdAliases {
	/** The handle of each id that names an object or prompt that exists now. */
	private live = new Map<number, IdRef>();

	/** The handle of the existing object or prompt with this id. */
	ref(id: number): IdRef {
		let ref = this.live.get(id);
		if (!ref) {
			ref = { id };
			this.live.set(id, ref);
		}
		return ref;
	}

	/** A brand-new object or prompt got `id`: a new handle, whatever had that id before. */
	fresh(id: number): IdRef {
		const ref = { id };
		this.live.set(id, ref);
		return ref;
	}

	/** The object or prompt behind `ref` was made again under `id`. */
	moved(ref: IdRef, id: number): void {
		if (this.live.get(ref.id) === ref) this.live.delete(ref.id);
		ref.id = id;
		this.live.set(id, ref);
	}

	/** The object or prompt behind `ref` was deleted: its id is free for the next new one. */
	dropped(ref: IdRef): void {
		if (this.live.get(ref.id) === ref) this.live.delete(ref.id);
	}

	/**
	 * The object or prompt with `id` was deleted elsewhere (another tab): the steps that hold its
	 * handle now name no entity at all (the server answers 404), never the next one given its id.
	 * An undo here that makes it again moves the handle to the new id as usual.
	 */
	vanished(id: number): void {
		const ref = this.live.get(id);
		if (!ref) return;
		this.live.delete(id);
		ref.id = GONE;
	}
}

/** An id no object or prompt has (SQLite's ids start at 1). */
const GONE = 0;

/** The calls on one media item that deleting and restoring an object needs. */
export interface ObjectServer {
	masksOf(objectId: number): Promise<AnnotationPublic[]>;
	deleteObject(objectId: number): Promise<void>;
	/** A new object, under `trackId` if no other object of the media item has it. */
	createObject(labelId: number, trackId: number): Promise<ObjectPublic>;
	addPrompt(prompt: PromptCreate): Promise<PromptResult>;
	putMasks(masks: AnnotationIn[]): Promise<AnnotationPublic[]>;
}

export interface Restored {
	object: ObjectPublic;
	/** The replayed prompts with their answers, in the order they were first made. */
	prompts: PromptResult[];
	/** The tracked (and imported) masks stored back, as the server answered them. */
	masks: AnnotationPublic[];
}

export interface DeleteObjectOptions {
	objectId: number;
	labelId: number;
	trackId: number;
	/** The object's prompts (key frames) when it was deleted; undo replays them. */
	prompts: PromptPublic[];
	server: ObjectServer;
	objectIds: IdAliases;
	promptIds: IdAliases;
	onDeleted: (objectId: number) => void;
	onRestored: (restored: Restored) => void;
}

export function promptToCreate(p: PromptPublic): DistributiveOmit<PromptCreate, 'object_id'> {
	return p.kind === 'box'
		? { frame_index: p.frame_index, kind: 'box', x0: p.x0!, y0: p.y0!, x1: p.x1!, y1: p.y1!, positive: true }
		: { frame_index: p.frame_index, kind: 'point', x: p.x!, y: p.y!, positive: p.positive };
}

/**
 * Deletes an object with its masks. Before each deletion the object's masks are read; undo
 * recreates the object under its track id, stores every mask back as it was (with, on a key
 * frame that corrected a tracked mask, that tracked mask as its base), then replays the prompts,
 * which refine the same bases into the same key-frame masks. A failed restore removes the
 * half-made object again, so undo can be retried.
 */
export function deleteObjectCommand(o: DeleteObjectOptions): Command {
	let saved: AnnotationPublic[] = [];
	const objectRef = o.objectIds.ref(o.objectId);
	const promptRefs = o.prompts.map((p) => o.promptIds.ref(p.id));
	return {
		label: `Delete object ${o.trackId}`,
		do: async () => {
			const id = objectRef.id;
			saved = await o.server.masksOf(id);
			await o.server.deleteObject(id);
			o.objectIds.dropped(objectRef);
			for (const ref of promptRefs) o.promptIds.dropped(ref);
			o.onDeleted(id);
		},
		undo: async () => {
			const created = await o.server.createObject(o.labelId, o.trackId);
			try {
				// Masks first: a replayed prompt refines its frame's base mask, as the first time.
				const stored: AnnotationIn[] = saved.map((m) => ({
					object_id: created.id,
					frame_index: m.frame_index,
					rle: m.rle,
					source: m.source,
					score: m.score,
					base_rle: m.base_rle ?? null,
					base_source: m.base_source ?? null
				}));
				const put = stored.length ? await o.server.putMasks(stored) : [];
				const prompts: PromptResult[] = [];
				for (const [i, p] of o.prompts.entries()) {
					const result = await o.server.addPrompt({ ...promptToCreate(p), object_id: created.id });
					if (result.prompt) o.promptIds.moved(promptRefs[i], result.prompt.id);
					prompts.push(result);
				}
				// Key frames are as the replayed prompts answered them.
				const keyFrames = new Set(o.prompts.map((p) => p.frame_index));
				const masks = put.filter((m) => !keyFrames.has(m.frame_index));
				o.objectIds.moved(objectRef, created.id);
				o.onRestored({ object: created, prompts, masks });
			} catch (error) {
				await o.server.deleteObject(created.id).catch(() => undefined);
				throw error;
			}
		}
	};
}

/**
 * Once done, a step whose object or prompt is gone from the server (deleted in another tab) can
 * no longer be undone or redone: its 404 becomes Irreversible, so the history drops the step with
 * a message and the steps under it stay reachable. A first `do` that fails keeps its own error.
 */
export function unlessGone(command: Command): Command {
	let done = false;
	const guard = (run: () => Promise<void> | void) => async () => {
		try {
			await run();
			done = true;
		} catch (error) {
			if (done && error instanceof ApiError && error.status === 404) {
				throw new Irreversible(`${error.detail}: it was deleted meanwhile (in another tab?), so “${command.label}” is dropped from the undo history`);
			}
			throw error;
		}
	};
	return { label: command.label, do: guard(command.do), undo: guard(command.undo) };
}
