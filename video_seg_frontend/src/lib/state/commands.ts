/**
 * Undoable commands whose logic is worth testing on its own: plain TypeScript over a small port
 * to the server, so the unit tests run them against an in-memory fake.
 */
import type { AnnotationIn, AnnotationPublic, ObjectPublic, PromptCreate, PromptPublic, PromptResult } from '$lib/api/types';
import type { Command } from './undo';

/**
 * Ids the server hands out change when an undone deletion or creation is redone (the object or
 * prompt is created again). Commands keep the id they first saw; this table maps it to the current one.
 */
export class IdAliases {
	private map = new Map<number, number>();
	set(from: number, to: number): void {
		if (from !== to) this.map.set(from, to);
	}
	resolve(id: number): number {
		let current = id;
		for (let guard = 0; guard < 1000 && this.map.has(current); guard++) current = this.map.get(current)!;
		return current;
	}
}

/** The calls on one media item that deleting and restoring an object needs. */
export interface ObjectServer {
	masksOf(objectId: number): Promise<AnnotationPublic[]>;
	deleteObject(objectId: number): Promise<void>;
	createObject(labelId: number): Promise<ObjectPublic>;
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

export function promptToCreate(p: PromptPublic): Omit<PromptCreate, 'object_id'> {
	return p.kind === 'box'
		? { frame_index: p.frame_index, kind: 'box', x0: p.x0, y0: p.y0, x1: p.x1, y1: p.y1, positive: true }
		: { frame_index: p.frame_index, kind: 'point', x: p.x, y: p.y, positive: p.positive };
}

/**
 * Deletes an object with its masks. Before each deletion the object's masks are read; undo
 * recreates the object, replays its prompts (which remake the key-frame masks) and stores the
 * other masks (tracked, imported) back as they were. A failed restore removes the half-made
 * object again, so undo can be retried.
 */
export function deleteObjectCommand(o: DeleteObjectOptions): Command {
	let saved: AnnotationPublic[] = [];
	return {
		label: `Delete object ${o.trackId}`,
		do: async () => {
			const id = o.objectIds.resolve(o.objectId);
			saved = await o.server.masksOf(id);
			await o.server.deleteObject(id);
			o.onDeleted(id);
		},
		undo: async () => {
			const created = await o.server.createObject(o.labelId);
			try {
				const prompts: PromptResult[] = [];
				for (const p of o.prompts) {
					const result = await o.server.addPrompt({ ...promptToCreate(p), object_id: created.id });
					if (result.prompt) o.promptIds.set(o.promptIds.resolve(p.id), result.prompt.id);
					prompts.push(result);
				}
				// Key frames come back from the replayed prompts; the rest is stored as it was.
				const keyFrames = new Set(o.prompts.map((p) => p.frame_index));
				const rest: AnnotationIn[] = saved
					.filter((m) => !keyFrames.has(m.frame_index))
					.map((m) => ({ object_id: created.id, frame_index: m.frame_index, rle: m.rle, source: m.source, score: m.score }));
				const masks = rest.length ? await o.server.putMasks(rest) : [];
				o.objectIds.set(o.objectIds.resolve(o.objectId), created.id);
				o.onRestored({ object: created, prompts, masks });
			} catch (error) {
				await o.server.deleteObject(created.id).catch(() => undefined);
				throw error;
			}
		}
	};
}
