import { describe, expect, it } from 'vitest';
import type { AnnotationIn, AnnotationPublic, ObjectPublic, PromptCreate, PromptPublic, PromptResult } from '$lib/api/types';
import { deleteObjectCommand, IdAliases, type ObjectServer, type Restored } from './commands';
import { UndoStack } from './undo';

/** An in-memory media item: objects, prompts and masks keyed by object, as the server keeps them. */
class FakeServer implements ObjectServer {
	objects = new Map<number, ObjectPublic>();
	prompts: PromptPublic[] = [];
	masks: AnnotationPublic[] = [];
	failPut = false;
	/** The calls that change something, in order. */
	calls: string[] = [];
	private nextId = 100;

	object(id: number, labelId: number, trackId = id): ObjectPublic {
		const obj: ObjectPublic = { id, media_id: 1, label_id: labelId, track_id: trackId, name: null, key_frames: [], annotated_frames: 0 };
		this.objects.set(id, obj);
		return obj;
	}
	mask(objectId: number, frame: number, source: AnnotationPublic['source'], counts = `c${frame}`): AnnotationPublic {
		this.masks = this.masks.filter((x) => !(x.object_id === objectId && x.frame_index === frame));
		const m: AnnotationPublic = { id: this.nextId++, object_id: objectId, frame_index: frame, rle: { size: [4, 4], counts }, bbox: [0, 0, 1, 1], area: 1, source, score: source === 'propagated' ? 0.9 : null };
		this.masks.push(m);
		return m;
	}
	masksOf = async (objectId: number) => this.masks.filter((m) => m.object_id === objectId);
	deleteObject = async (objectId: number) => {
		if (!this.objects.delete(objectId)) throw new Error(`object ${objectId} not found`);
		this.masks = this.masks.filter((m) => m.object_id !== objectId);
		this.prompts = this.prompts.filter((p) => p.object_id !== objectId);
	};
	createObject = async (labelId: number, trackId: number) => {
		this.calls.push(`create #${trackId}`);
		return this.object(this.nextId++, labelId, trackId);
	};
	addPrompt = async (prompt: PromptCreate): Promise<PromptResult> => {
		this.calls.push(`prompt ${prompt.frame_index}`);
		const p: PromptPublic = { id: this.nextId++, object_id: prompt.object_id, frame_index: prompt.frame_index, kind: prompt.kind ?? 'point', x: prompt.kind === 'box' ? null : prompt.x, y: prompt.kind === 'box' ? null : prompt.y, positive: prompt.positive ?? true, x0: null, y0: null, x1: null, y1: null };
		this.prompts.push(p);
		return { prompt: p, annotation: this.mask(prompt.object_id, prompt.frame_index, 'prompt') };
	};
	putMasks = async (masks: AnnotationIn[]) => {
		if (this.failPut) throw new Error('Item 0: mask size is wrong');
		this.calls.push(`put ${masks.map((m) => (m.base_rle ? `${m.frame_index}(on ${m.base_rle.counts})` : m.frame_index)).join(',')}`);
		return masks.map((m) => ({ ...this.mask(m.object_id, m.frame_index, m.source ?? 'edited', m.rle.counts), base_rle: m.base_rle ?? null, base_source: m.base_source ?? null }));
	};
}

function setUp() {
	const server = new FakeServer();
	server.object(1, 7);
	const prompt = (id: number, frame: number): PromptPublic => ({ id, object_id: 1, frame_index: frame, kind: 'point', x: 10, y: 20, positive: true, x0: null, y0: null, x1: null, y1: null });
	server.prompts = [prompt(11, 0), prompt(12, 5)];
	server.mask(1, 0, 'prompt');
	server.mask(1, 5, 'prompt');
	for (let f = 1; f <= 4; f++) server.mask(1, f, 'propagated');
	server.mask(1, 9, 'imported');
	const local = { deleted: [] as number[], restored: [] as Restored[] };
	const ids = { objectIds: new IdAliases(), promptIds: new IdAliases() };
	const command = deleteObjectCommand({
		objectId: 1,
		labelId: 7,
		trackId: 1,
		prompts: [...server.prompts],
		server,
		...ids,
		onDeleted: (id) => local.deleted.push(id),
		onRestored: (r) => local.restored.push(r)
	});
	return { server, local, command, ...ids };
}

const framesOf = (masks: AnnotationPublic[]) => masks.map((m) => `${m.frame_index}:${m.source}:${m.rle.counts}`).sort();

describe('deleteObjectCommand', () => {
	it('undo brings back the object, its prompts and every tracked mask', async () => {
		const { server, local, command } = setUp();
		const before = framesOf(server.masks);
		const stack = new UndoStack();
		await stack.execute(command);
		expect(server.objects.size).toBe(0);
		expect(server.masks).toEqual([]);
		expect(local.deleted).toEqual([1]);

		await stack.undo();
		const [restored] = local.restored;
		const newId = restored.object.id;
		expect(newId).not.toBe(1);
		expect(restored.object.label_id).toBe(7);
		expect(server.masks.every((m) => m.object_id === newId)).toBe(true);
		expect(framesOf(server.masks)).toEqual(before);
		// Prompt frames come from the replayed prompts, not from the stored copy.
		expect(restored.masks.map((m) => m.frame_index)).toEqual([1, 2, 3, 4, 9]);
		expect(server.prompts.map((p) => [p.object_id, p.frame_index])).toEqual([[newId, 0], [newId, 5]]);
	});

	it('undo stores every mask back (a correction with its tracked base) before replaying the prompts, under the old track id', async () => {
		const { server, command } = setUp();
		const corrected = server.masks.find((m) => m.frame_index === 5)!;
		corrected.base_rle = { size: [4, 4], counts: 'tracked5' };
		corrected.base_source = 'propagated';
		const stack = new UndoStack();
		await stack.execute(command);
		await stack.undo();
		expect(server.calls).toEqual(['create #1', 'put 0,5(on tracked5),1,2,3,4,9', 'prompt 0', 'prompt 5']);
		const [obj] = server.objects.values();
		expect(obj.track_id).toBe(1);
	});

	it('redo deletes the recreated object, and a second undo restores it again', async () => {
		const { server, local, command } = setUp();
		const before = framesOf(server.masks);
		const stack = new UndoStack();
		await stack.execute(command);
		await stack.undo();
		await stack.redo();
		expect(server.objects.size).toBe(0);
		expect(local.deleted).toEqual([1, local.restored[0].object.id]);
		await stack.undo();
		expect(local.restored[1].object.id).not.toBe(local.restored[0].object.id);
		expect(framesOf(server.masks)).toEqual(before);
	});

	it('a refused restore removes the half-made object and can be retried', async () => {
		const { server, command } = setUp();
		const stack = new UndoStack();
		await stack.execute(command);
		server.failPut = true;
		await expect(stack.undo()).rejects.toThrow('mask size');
		expect(server.objects.size).toBe(0);
		expect(server.masks).toEqual([]);
		expect(stack.canUndo).toBe(true);
		server.failPut = false;
		await stack.undo();
		expect(server.objects.size).toBe(1);
		expect(server.masks).toHaveLength(7);
	});
});

/** Like SQLite without AUTOINCREMENT: a new row gets the highest id in use plus one, so ids come back. */
class SqliteLikeServer extends FakeServer {
	private next(ids: Iterable<number>): number {
		return Math.max(0, ...ids) + 1;
	}
	createObject = async (labelId: number) => this.object(this.next(this.objects.keys()), labelId);
	addPrompt = async (prompt: PromptCreate): Promise<PromptResult> => {
		const id = this.next(this.prompts.map((p) => p.id));
		const p: PromptPublic = { id, object_id: prompt.object_id, frame_index: prompt.frame_index, kind: 'point', x: prompt.kind === 'box' ? null : prompt.x, y: prompt.kind === 'box' ? null : prompt.y, positive: true, x0: null, y0: null, x1: null, y1: null };
		this.prompts.push(p);
		return { prompt: p, annotation: this.mask(prompt.object_id, prompt.frame_index, 'prompt') };
	};
}

describe('IdAliases', () => {
	it('follows an entity made again under a new id', () => {
		const ids = new IdAliases();
		const ref = ids.ref(4);
		ids.dropped(ref);
		ids.moved(ref, 9);
		expect(ref.id).toBe(9);
		expect(ids.ref(9)).toBe(ref);
	});

	it('an id the server hands out again names the new entity, not the one that had it before', () => {
		const ids = new IdAliases();
		const old = ids.ref(1);
		ids.dropped(old);
		ids.moved(old, 3); // undo made it again as 3
		ids.dropped(old); // and it was deleted again
		const fresh = ids.fresh(1); // a new object gets the freed id 1
		expect(fresh.id).toBe(1);
		expect(ids.ref(1)).toBe(fresh);
		expect(old.id).toBe(3);
	});

	it('an entity deleted elsewhere leaves its handle naming nothing, not the next one to get its id', () => {
		const ids = new IdAliases();
		const gone = ids.ref(5);
		ids.vanished(5);
		const fresh = ids.fresh(5); // another tab's new object gets the freed id
		expect(gone.id).not.toBe(5);
		expect(ids.ref(5)).toBe(fresh);
		ids.moved(gone, 8); // an undo here made it again
		expect(ids.ref(8)).toBe(gone);
	});
});

describe('deleteObjectCommand with ids handed out again', () => {
	it('a new object that gets a freed id is not mistaken for a deleted one', async () => {
		const server = new SqliteLikeServer();
		server.object(1, 7);
		server.object(2, 7);
		const objectIds = new IdAliases();
		const promptIds = new IdAliases();
		const stack = new UndoStack();
		const del = (objectId: number) =>
			deleteObjectCommand({ objectId, labelId: 7, trackId: objectId, prompts: server.prompts.filter((p) => p.object_id === objectId), server, objectIds, promptIds, onDeleted: () => {}, onRestored: () => {} });
		await server.addPrompt({ object_id: 1, frame_index: 0, kind: 'point', x: 1, y: 1, positive: true });
		await stack.execute(del(1));
		await stack.undo(); // object 1 comes back as 3
		expect([...server.objects.keys()]).toEqual([2, 3]);
		await stack.execute(del(3));
		await stack.execute(del(2));
		expect(server.objects.size).toBe(0);
		// The person starts over: the server hands out id 1 again, to a brand-new object.
		const created = await server.createObject(7);
		expect(created.id).toBe(1);
		expect(objectIds.fresh(created.id).id).toBe(1);
		expect(objectIds.ref(1).id).toBe(1);
		// Undoing both deletions still brings back the two earlier objects, not the new one.
		await stack.undo();
		await stack.undo();
		expect(server.objects.size).toBe(3);
		expect(server.prompts.filter((p) => p.object_id !== 1)).toHaveLength(1);
	});
});
