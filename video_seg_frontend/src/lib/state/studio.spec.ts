import { beforeEach, describe, expect, it, vi } from 'vitest';
import type { AnnotationPublic, LabelPublic, MediaPublic, ObjectPublic, PromptCreate, PromptPublic } from '$lib/api/types';
import type { ReceivedEvent } from './event-payloads';

/**
 * The studio state against an in-memory server: ids as SQLite hands them out (highest in use
 * plus one), and answers to clicks that can be held back to model a slow segmentation.
 */
const server = vi.hoisted(() => {
	const s = {
		media: [] as MediaPublic[],
		objects: [] as ObjectPublic[],
		prompts: [] as PromptPublic[],
		masks: [] as AnnotationPublic[],
		/** The project's labels as the server lists them (the page's own are set in openStudio). */
		labels: [] as LabelPublic[],
		/** While set, every click's answer waits for it. */
		hold: null as Promise<void> | null,
		/** While set, the object list is read at once but answered when it resolves. */
		listHold: null as Promise<void> | null,
		/** Media items a tracking job was asked for. */
		propagated: [] as number[],
		/** The bodies of those tracking requests. */
		propagateBodies: [] as Record<string, unknown>[],
		/** Undo (true) and redo (false) calls on tracking jobs, in order. */
		jobUndos: [] as [number, boolean][],
		/** What undo of a tracking job answers: an error to throw, or nothing. */
		jobUndoError: null as Error | null,
		/** Runs just before the answer to a tracking request (the job can end first). */
		beforePropagateAnswer: null as (() => void) | null,
		/** What the server says of job 9 when asked. */
		jobStatus: 'running' as string,
		reset() {
			s.media = [1, 2].map((id) => ({ id, project_id: 1, name: `v${id}.mp4`, kind: 'video', status: 'ready', width: 8, height: 8, num_frames: 10, fps: 25, annotated_frames: 0, error: null }) as unknown as MediaPublic);
			s.objects = [];
			s.prompts = [];
			s.masks = [];
			s.labels = [];
			s.hold = null;
			s.listHold = null;
			s.propagated = [];
			s.propagateBodies = [];
			s.jobUndos = [];
			s.jobUndoError = null;
			s.beforePropagateAnswer = null;
			s.jobStatus = 'running';
		},
		nextId: (rows: { id: number }[]) => Math.max(0, ...rows.map((r) => r.id)) + 1,
		mask(mediaId: number, objectId: number, frame: number): AnnotationPublic {
			s.masks = s.masks.filter((m) => !(m.object_id === objectId && m.frame_index === frame));
			const m = { id: s.nextId(s.masks), object_id: objectId, frame_index: frame, rle: { size: [8, 8], counts: '0' }, bbox: [0, 0, 1, 1], area: 4, source: 'prompt', score: null, media_id: mediaId } as AnnotationPublic;
			s.masks.push(m);
			return m;
		}
	};
	return s;
});

vi.mock('$lib/api/client', async () => {
	const { ApiError } = await vi.importActual<typeof import('$lib/api/errors')>('$lib/api/errors');
	const notFound = (what: string) => new ApiError(404, `${what} not found`);
	const mediaOf = (oid: number) => server.objects.find((o) => o.id === oid)?.media_id;
	return {
		API_BASE: '/api/v1',
		urls: { events: () => '', thumbnail: () => '', frame: () => '', annotatedFrame: () => '' },
		api: {
			listMedia: async () => server.media,
			models: async () => [],
			health: async () => ({ status: 'ok', version: 'test', device: 'cpu', precision: 'bf16', default_model: 'opencv' }),
			activeJobs: async () => [],
			listLabels: async () => server.labels,
			listObjects: async (_p: number, mid: number) => {
				const rows = server.objects.filter((o) => o.media_id === mid);
				if (server.listHold) await server.listHold;
				return rows;
			},
			listPrompts: async (_p: number, mid: number) => server.prompts.filter((p) => mediaOf(p.object_id) === mid),
			annotationSummary: async () => [],
			listAnnotations: async (_p: number, mid: number, q: { start?: number; end?: number; object_id?: number }) =>
				server.masks.filter(
					(m) => mediaOf(m.object_id) === mid && (q.object_id === undefined || m.object_id === q.object_id) && (q.start === undefined || (m.frame_index >= q.start && m.frame_index <= (q.end ?? q.start)))
				),
			createObject: async (_p: number, mid: number, label_id: number) => {
				const o = { id: server.nextId(server.objects), media_id: mid, label_id, track_id: server.objects.filter((x) => x.media_id === mid).length + 1, name: null, key_frames: [], annotated_frames: 0 } as ObjectPublic;
				server.objects.push(o);
				return o;
			},
			deleteObject: async (_p: number, _mid: number, oid: number) => {
				if (!server.objects.some((o) => o.id === oid)) throw notFound('Object');
				server.objects = server.objects.filter((o) => o.id !== oid);
				server.prompts = server.prompts.filter((p) => p.object_id !== oid);
				server.masks = server.masks.filter((m) => m.object_id !== oid);
			},
			addPrompt: async (_p: number, mid: number, body: PromptCreate) => {
				if (server.hold) await server.hold;
				if (mediaOf(body.object_id) !== mid) throw notFound('Object');
				const prompt = { id: server.nextId(server.prompts), object_id: body.object_id, frame_index: body.frame_index, kind: 'point', x: body.kind === 'box' ? null : body.x, y: body.kind === 'box' ? null : body.y, positive: body.positive ?? true, x0: null, y0: null, x1: null, y1: null } as PromptPublic;
				server.prompts.push(prompt);
				return { prompt, annotation: server.mask(mid, body.object_id, body.frame_index) };
			},
			deletePrompt: async (_p: number, _mid: number, prid: number) => {
				const prompt = server.prompts.find((p) => p.id === prid);
				if (!prompt) throw notFound('Prompt');
				server.prompts = server.prompts.filter((p) => p.id !== prid);
				server.masks = server.masks.filter((m) => !(m.object_id === prompt.object_id && m.frame_index === prompt.frame_index));
				return { prompt: null, annotation: null };
			},
			putAnnotations: async () => [],
			updateObject: async (_p: number, _mid: number, oid: number, label_id: number) => {
				const o = server.objects.find((x) => x.id === oid);
				if (!o) throw notFound('Object');
				o.label_id = label_id;
				return { ...o };
			},
			importAnnotations: async (_p: number, mid: number) => {
				const o = { id: server.nextId(server.objects), media_id: mid, label_id: 7, track_id: 1, name: null, key_frames: [0], annotated_frames: 1 } as ObjectPublic;
				server.objects.push(o);
				server.mask(mid, o.id, 0);
				return { format: 'cvat_video', labels_created: 0, objects_created: 1, masks: 1, key_frames: 1, warnings: [] };
			},
			undoJob: async (jid: number) => {
				if (server.jobUndoError) throw server.jobUndoError;
				server.jobUndos.push([jid, true]);
				return { id: jid };
			},
			redoJob: async (jid: number) => {
				server.jobUndos.push([jid, false]);
				return { id: jid };
			},
			getJob: async (jid: number) => ({ id: jid, media_id: 1, kind: 'propagate', status: server.jobStatus, progress_done: 9, progress_total: 9, error: null }),
			propagate: async (_p: number, mid: number, body: Record<string, unknown>) => {
				server.propagated.push(mid);
				server.propagateBodies.push(body);
				server.beforePropagateAnswer?.();
				return { id: 9, media_id: mid, kind: 'propagate', status: 'running', progress_done: 0, progress_total: 9 };
			}
		}
	};
});

// Node has no animation frames; playback is not what these tests are about.
vi.stubGlobal('requestAnimationFrame', (cb: (t: number) => void) => setTimeout(() => cb(performance.now()), 16) as unknown as number);
vi.stubGlobal('cancelAnimationFrame', (h: number) => clearTimeout(h));

const { StudioState } = await import('./studio.svelte');
const { toasts } = await import('./toasts.svelte');
const { ApiError } = await import('$lib/api/errors');
const { ProjectState } = await import('./project.svelte');

async function openStudio() {
	const project = new ProjectState(1);
	project.labels = [
		{ id: 7, project_id: 1, name: 'car', color: '#00ff00' },
		{ id: 8, project_id: 1, name: 'person', color: '#0000ff' }
	];
	const studio = new StudioState(project);
	await studio.load(1);
	return studio;
}

/** Hands an event to the studio as the project's event stream would. */
function emit(studio: InstanceType<typeof StudioState>, type: string, data: Record<string, unknown>) {
	studio.project.events.deliver({ ...data, type } as ReceivedEvent);
}

/** Lets queued promise callbacks run (the in-memory server answers in microtasks). */
const settle = () => new Promise((r) => setTimeout(r, 0));

/** The server stores requests but holds their answers until the returned release is called. */
function holdAnswers(): () => void {
	let release!: () => void;
	server.hold = new Promise<void>((r) => (release = r));
	return release;
}

/** A click on video 1 whose answer arrives after the studio has opened video 2. */
async function clickAnsweredAfterSwitching(studio: InstanceType<typeof StudioState>): Promise<void> {
	await studio.newObject();
	const release = holdAnswers();
	const click = studio.addPrompt({ kind: 'point', x: 1, y: 1, positive: true });
	await settle();
	await studio.openMedia(2);
	release();
	await click;
}

/** A browser's localStorage, per test. */
const storage = new Map<string, string>();
vi.stubGlobal('localStorage', {
	getItem: (k: string) => storage.get(k) ?? null,
	setItem: (k: string, v: string) => void storage.set(k, String(v)),
	removeItem: (k: string) => void storage.delete(k)
});

beforeEach(() => {
	server.reset();
	storage.clear();
});

describe('StudioState', () => {
	it('two quick clicks on a frame without objects make one object with both points', async () => {
		const studio = await openStudio();
		const first = studio.addPrompt({ kind: 'point', x: 1, y: 1, positive: true });
		const second = studio.addPrompt({ kind: 'point', x: 2, y: 2, positive: true });
		await Promise.all([first, second]);
		expect(server.objects).toHaveLength(1);
		expect(server.prompts.map((p) => p.object_id)).toEqual([server.objects[0].id, server.objects[0].id]);
		expect(studio.objects).toHaveLength(1);
	});

	it('a click right after N goes to the new object, not to the one selected before', async () => {
		const studio = await openStudio();
		await studio.addPrompt({ kind: 'point', x: 1, y: 1, positive: true });
		const created = studio.newObject();
		await studio.addPrompt({ kind: 'point', x: 5, y: 5, positive: true });
		const id = await created;
		expect(server.objects).toHaveLength(2);
		expect(server.prompts.at(-1)?.object_id).toBe(id);
	});

	it('a click answered after switching to another video stays with its own video', async () => {
		const studio = await openStudio();
		await clickAnsweredAfterSwitching(studio);
		await settle();
		expect(studio.currentId).toBe(2);
		expect(studio.prompts).toEqual([]);
		expect(studio.frameMasks).toEqual([]);
		// Undo on the second video must not reach back into the first one.
		expect(studio.undoState.canUndo).toBe(false);
		expect(server.prompts).toHaveLength(1);
	});

	it('masks a tracking job wrote before its first progress event show up while it runs', async () => {
		const studio = await openStudio();
		await studio.addPrompt({ kind: 'point', x: 1, y: 1, positive: true });
		await studio.track('forward', null);
		// The job wrote frames 1 and 2 before its first (throttled) progress event.
		const oid = server.objects[0].id;
		for (const f of [1, 2]) server.mask(1, oid, f);
		emit(studio, 'job.progress', { job_id: 9, media_id: 1, done: 2, total: 9, frame: 2, frames: [1, 2] });
		await settle();
		expect(studio.masks.get(1)?.map((m) => m.object_id)).toEqual([oid]);
		expect(studio.masks.get(2)?.map((m) => m.object_id)).toEqual([oid]);
	});

	it('after an import into a video without objects, the next click refines an imported object', async () => {
		const studio = await openStudio();
		await studio.importAnnotations('cvat_video', new File(['<annotations/>'], 'a.xml'));
		const [imported] = server.objects;
		expect(studio.selectedObjectId).toBe(imported.id);
		await studio.addPrompt({ kind: 'point', x: 1, y: 1, positive: true });
		expect(server.objects).toHaveLength(1);
		expect(server.prompts[0].object_id).toBe(imported.id);
	});

	it('N then a digit relabels the new object, not the one selected before', async () => {
		const studio = await openStudio();
		await studio.addPrompt({ kind: 'point', x: 1, y: 1, positive: true });
		const created = studio.newObject();
		await studio.chooseLabel(8);
		const id = await created;
		expect(server.objects.map((o) => [o.id === id, o.label_id])).toEqual([
			[false, 7],
			[true, 8]
		]);
	});

	it('the label chosen for new objects is kept across a reload', async () => {
		const studio = await openStudio();
		expect(studio.selectedLabelId).toBe(7);
		await studio.chooseLabel(8);
		studio.destroy();
		const reloaded = await openStudio();
		expect(reloaded.selectedLabelId).toBe(8);
		// A remembered label that was deleted since: the first label again.
		reloaded.project.labels = reloaded.project.labels.filter((l) => l.id !== 8);
		reloaded.destroy();
		const project = reloaded.project;
		const again = new StudioState(project);
		await again.load(1);
		expect(again.selectedLabelId).toBe(7);
	});

	it('choosing a label relabels the selected object, and undo puts its label back', async () => {
		const studio = await openStudio();
		await studio.addPrompt({ kind: 'point', x: 1, y: 1, positive: true });
		await studio.chooseLabel(8);
		expect(server.objects[0].label_id).toBe(8);
		await studio.undoLast();
		expect(server.objects[0].label_id).toBe(7);
		expect(studio.objects[0].label_id).toBe(7);
	});

	it('going to the next image and back keeps the undo history of the first', async () => {
		const studio = await openStudio();
		await studio.addPrompt({ kind: 'point', x: 1, y: 1, positive: true });
		await studio.openMedia(2);
		expect(studio.undoState.canUndo).toBe(false);
		await studio.openMedia(1);
		expect(studio.undoState.canUndo).toBe(true);
		await studio.undoLast();
		expect(server.prompts).toEqual([]);
		expect(studio.prompts).toEqual([]);
		expect(studio.frameMasks).toEqual([]);
		await studio.redoLast();
		expect(server.prompts).toHaveLength(1);
		expect(studio.prompts).toHaveLength(1);
	});

	it('a click answered after switching media is undone with its own media, when going back', async () => {
		const studio = await openStudio();
		await clickAnsweredAfterSwitching(studio);
		expect(studio.undoState.canUndo).toBe(false);
		await studio.openMedia(1);
		await studio.undoLast();
		expect(server.prompts).toEqual([]);
		expect(server.objects).toHaveLength(1);
	});

	it('knows where SAM 2 computes, as the server reports it', async () => {
		const studio = await openStudio();
		expect(studio.compute).toEqual({ device: 'cpu', precision: 'bf16' });
	});

	it('a one-frame video offers nothing to track instead of a job that finishes 0/0', async () => {
		server.media[1].num_frames = 1;
		const studio = await openStudio();
		await studio.openMedia(2);
		await studio.addPrompt({ kind: 'point', x: 1, y: 1, positive: true });
		toasts.items = [];
		await studio.track('both', null);
		expect(server.propagated).toEqual([]);
		expect(studio.job).toBeNull();
		expect(toasts.items.map((t) => t.message)).toEqual(['This video has a single frame: there is nothing to track']);
	});

	it('a track request carries the panel\'s choices: stop at drift and whether surer masks of other key frames stay', async () => {
		const studio = await openStudio();
		await studio.addPrompt({ kind: 'point', x: 1, y: 1, positive: true });
		await studio.track('forward', null);
		expect(server.propagateBodies.at(-1)).toMatchObject({ direction: 'forward', stop_below: null, keep_confident: true });
		emit(studio, 'job.finished', { job_id: 9, kind: 'propagate', media_id: 1, status: 'completed', done: 9, total: 9 });
		await studio.track('both', 5, 0.3, false);
		expect(server.propagateBodies.at(-1)).toMatchObject({ direction: 'both', num_frames: 5, stop_below: 0.3, keep_confident: false });
	});

	it('a tracking job with no frames to track says so, not "finished"', async () => {
		const studio = await openStudio();
		await studio.addPrompt({ kind: 'point', x: 1, y: 1, positive: true });
		studio.setFrame(9);
		await studio.track('forward', null);
		toasts.items = [];
		emit(studio, 'job.finished', { job_id: 9, kind: 'propagate', media_id: 1, status: 'completed', done: 0, total: 0 });
		expect(toasts.items.map((t) => t.message)).toEqual(['Nothing to track: no frames that way from this frame (or only key frames)']);
	});

	it('an object made in another tab joins the object list with its prompts, not as an orphan mask', async () => {
		const studio = await openStudio();
		await studio.addPrompt({ kind: 'point', x: 1, y: 1, positive: true });
		// Tab B makes an object and clicks on it.
		const other = { id: server.nextId(server.objects), media_id: 1, label_id: 8, track_id: 2, name: null, key_frames: [0], annotated_frames: 1 } as ObjectPublic;
		server.objects.push(other);
		const prompt = { id: server.nextId(server.prompts), object_id: other.id, frame_index: 0, kind: 'point', x: 5, y: 5, positive: true, x0: null, y0: null, x1: null, y1: null } as PromptPublic;
		server.prompts.push(prompt);
		server.mask(1, other.id, 0);
		emit(studio, 'annotations.updated', { media_id: 1, object_ids: [other.id], frames: [0, 0] });
		await settle();
		expect(studio.objects.map((o) => o.id)).toEqual([server.objects[0].id, other.id]);
		expect(studio.prompts.map((p) => p.id)).toContain(prompt.id);
		expect(studio.frameMasks.map((m) => m.object_id)).toContain(other.id);
		// Drawn in its label's colour, not the red of a mask whose object is unknown.
		expect(studio.labelColor(other.id)).toBe('#0000ff');
	});

	it('an object another tab imported with a new label is drawn in that label\'s colour', async () => {
		const studio = await openStudio();
		server.labels = [...studio.project.labels, { id: 9, project_id: 1, name: 'truck', color: '#123456' }];
		const imported = { id: server.nextId(server.objects), media_id: 1, label_id: 9, track_id: 1, name: null, key_frames: [0], annotated_frames: 1 } as ObjectPublic;
		server.objects.push(imported);
		server.mask(1, imported.id, 0);
		emit(studio, 'objects.updated', { media_id: 1, object_ids: [] });
		await settle();
		expect(studio.objects.map((o) => o.id)).toEqual([imported.id]);
		expect(studio.project.label(9)?.name).toBe('truck');
		expect(studio.labelColor(imported.id)).toBe('#123456');
	});

	it('a click answered after another tab\'s object was listed does not list its prompt twice', async () => {
		const studio = await openStudio();
		await studio.addPrompt({ kind: 'point', x: 1, y: 1, positive: true });
		const release = holdAnswers();
		const click = studio.addPrompt({ kind: 'point', x: 2, y: 2, positive: true });
		await settle();
		// The click is stored before its answer arrives; meanwhile tab B's object makes the list reload.
		const other = { id: server.nextId(server.objects), media_id: 1, label_id: 7, track_id: 2, name: null, key_frames: [], annotated_frames: 0 } as ObjectPublic;
		server.objects.push(other);
		release();
		await settle();
		emit(studio, 'annotations.updated', { media_id: 1, object_ids: [other.id], frames: [0, 0] });
		await click;
		await settle();
		const ids = studio.prompts.map((p) => p.id);
		expect(new Set(ids).size).toBe(ids.length);
		expect(ids).toHaveLength(2);
	});

	it('objects deleted or relabelled in another tab: the list follows, and a selection that went is cleared', async () => {
		const studio = await openStudio();
		await studio.addPrompt({ kind: 'point', x: 1, y: 1, positive: true });
		const kept = studio.objects[0].id;
		await studio.newObject();
		await studio.addPrompt({ kind: 'point', x: 2, y: 2, positive: true });
		const deleted = studio.selectedObjectId!;
		toasts.items = [];
		// Tab B deletes the selected object and relabels the other one.
		server.objects = server.objects.filter((o) => o.id !== deleted);
		server.prompts = server.prompts.filter((p) => p.object_id !== deleted);
		server.masks = server.masks.filter((m) => m.object_id !== deleted);
		server.objects[0].label_id = 8;
		emit(studio, 'objects.updated', { media_id: 1, object_ids: [deleted] });
		emit(studio, 'objects.updated', { media_id: 1, object_ids: [kept] });
		await settle();
		await settle();
		expect(studio.objects.map((o) => o.id)).toEqual([kept]);
		expect(studio.prompts.map((p) => p.object_id)).toEqual([kept]);
		expect(studio.frameMasks.map((m) => m.object_id)).toEqual([kept]);
		expect(studio.labelColor(kept)).toBe('#0000ff');
		expect(studio.selectedObjectId).toBeNull();
		// The next click makes a new object instead of failing on the one that went.
		await studio.addPrompt({ kind: 'point', x: 3, y: 3, positive: true });
		expect(toasts.items).toEqual([]);
		expect(studio.objects).toHaveLength(2);
		expect(server.prompts.at(-1)?.object_id).toBe(studio.selectedObjectId);
	});

	it("another tab's click on an object listed here shows its marker", async () => {
		const studio = await openStudio();
		await studio.addPrompt({ kind: 'point', x: 1, y: 1, positive: true });
		const id = studio.objects[0].id;
		const prompt = { id: server.nextId(server.prompts), object_id: id, frame_index: 3, kind: 'point', x: 5, y: 5, positive: true, x0: null, y0: null, x1: null, y1: null } as PromptPublic;
		server.prompts.push(prompt);
		server.mask(1, id, 3);
		emit(studio, 'annotations.updated', { media_id: 1, object_ids: [id], frames: [3, 3] });
		await settle();
		expect(studio.prompts.map((p) => p.id)).toContain(prompt.id);
	});

	it('an object made in another tab while a video opens stays listed', async () => {
		const studio = await openStudio();
		let release!: () => void;
		server.listHold = new Promise<void>((r) => (release = r));
		const opening = studio.openMedia(2); // reads the empty list, answered late
		await settle();
		server.listHold = null;
		const other = { id: server.nextId(server.objects), media_id: 2, label_id: 8, track_id: 1, name: null, key_frames: [], annotated_frames: 0 } as ObjectPublic;
		server.objects.push(other);
		emit(studio, 'objects.updated', { media_id: 2, object_ids: [other.id] });
		await settle();
		release();
		await opening;
		expect(studio.objects.map((o) => o.id)).toEqual([other.id]);
	});

	it('a reading of the list that crosses an object made here does not take it away', async () => {
		const studio = await openStudio();
		await studio.addPrompt({ kind: 'point', x: 1, y: 1, positive: true });
		let release!: () => void;
		server.listHold = new Promise<void>((r) => (release = r));
		emit(studio, 'objects.updated', { media_id: 1, object_ids: [server.objects[0].id] });
		await settle();
		server.listHold = null;
		const made = await studio.newObject();
		release();
		await settle();
		await settle();
		expect(studio.objects.map((o) => o.id)).toEqual([server.objects[0].id, made]);
		expect(studio.selectedObjectId).toBe(made);
	});

	it('an undo step on an object deleted in another tab is dropped with a message, never applied to the object given its id', async () => {
		const studio = await openStudio();
		await studio.addPrompt({ kind: 'point', x: 1, y: 1, positive: true }); // New object, Add point
		const id = studio.objects[0].id;
		await studio.relabelObject(id, 8);
		// Tab B deletes it, then makes a new object, which the server gives the freed id.
		server.objects = [];
		server.prompts = [];
		server.masks = [];
		emit(studio, 'objects.updated', { media_id: 1, object_ids: [id] });
		await settle();
		const reused = { id: server.nextId(server.objects), media_id: 1, label_id: 8, track_id: 1, name: null, key_frames: [], annotated_frames: 0 } as ObjectPublic;
		server.objects.push(reused);
		emit(studio, 'objects.updated', { media_id: 1, object_ids: [reused.id] });
		await settle();
		expect(reused.id).toBe(id);
		expect(studio.objects.map((o) => o.id)).toEqual([id]);
		toasts.items = [];
		await studio.undoLast();
		expect(toasts.items.map((t) => t.message)).toEqual(['Object not found: it was deleted meanwhile (in another tab?), so “Relabel object” is dropped from the undo history']);
		expect(studio.undoState.undoLabel).toBe('Add point');
		await studio.undoLast();
		await studio.undoLast();
		expect(studio.undoState.canUndo).toBe(false);
		expect(server.objects).toEqual([reused]);
		expect(reused.label_id).toBe(8);
		expect(studio.objects.map((o) => o.id)).toEqual([id]);
	});

	it('the open video deleted in another tab: the studio says so and closes it', async () => {
		const studio = await openStudio();
		await studio.addPrompt({ kind: 'point', x: 1, y: 1, positive: true });
		toasts.items = [];
		server.media = server.media.filter((m) => m.id !== 1);
		emit(studio, 'media.deleted', { media_id: 1, name: 'v1.mp4' });
		await settle();
		expect(studio.currentId).toBeNull();
		expect(studio.media.map((m) => m.id)).toEqual([2]);
		expect(studio.objects).toEqual([]);
		expect(studio.undoState.canUndo).toBe(false);
		expect(toasts.items.map((t) => t.message).join()).toMatch(/v1\.mp4.*deleted/);
		// Another item deleted: only the list changes.
		await studio.openMedia(2);
		emit(studio, 'media.deleted', { media_id: 5, name: 'gone.mp4' });
		expect(studio.currentId).toBe(2);
	});

	it('a finished tracking job is undone with Ctrl+Z like a click, and redone', async () => {
		const studio = await openStudio();
		await studio.addPrompt({ kind: 'point', x: 1, y: 1, positive: true });
		await studio.track('forward', null);
		emit(studio, 'job.finished', { job_id: 9, kind: 'propagate', media_id: 1, status: 'completed', done: 9, total: 9 });
		expect(studio.undoState.undoLabel).toBe('Track');
		await studio.undoLast();
		expect(server.jobUndos).toEqual([[9, true]]);
		// The click is still there: the next Ctrl+Z removes it.
		expect(server.prompts).toHaveLength(1);
		await studio.redoLast();
		expect(server.jobUndos).toEqual([[9, true], [9, false]]);
		await studio.undoLast();
		await studio.undoLast();
		expect(server.prompts).toEqual([]);
	});

	it('a tracking job that ends before its request is answered is still undoable', async () => {
		const studio = await openStudio();
		await studio.addPrompt({ kind: 'point', x: 1, y: 1, positive: true });
		server.beforePropagateAnswer = () => emit(studio, 'job.finished', { job_id: 9, kind: 'propagate', media_id: 1, status: 'completed', done: 1, total: 1 });
		await studio.track('forward', 1);
		expect(studio.job?.status).toBe('completed');
		expect(studio.undoState.undoLabel).toBe('Track');
	});

	it("another tab's tracking job is not in this tab's undo history", async () => {
		const studio = await openStudio();
		await studio.addPrompt({ kind: 'point', x: 1, y: 1, positive: true });
		emit(studio, 'job.finished', { job_id: 4, kind: 'propagate', media_id: 1, status: 'completed', done: 9, total: 9 });
		expect(studio.undoState.undoLabel).toBe('Add point');
	});

	it('a tracking too old to undo is dropped from the history with a message; older steps still undo', async () => {
		const studio = await openStudio();
		await studio.addPrompt({ kind: 'point', x: 1, y: 1, positive: true });
		await studio.track('forward', null);
		emit(studio, 'job.finished', { job_id: 9, kind: 'propagate', media_id: 1, status: 'completed', done: 9, total: 9 });
		server.jobUndoError = new ApiError(410, 'This tracking is too old to undo');
		toasts.items = [];
		await studio.undoLast();
		expect(toasts.items.map((t) => t.message)).toEqual(['This tracking is too old to undo']);
		expect(studio.undoState.undoLabel).toBe('Add point');
		await studio.undoLast();
		expect(server.prompts).toEqual([]);
	});

	it('events dropped on the way (resync): what another tab did meanwhile is read again', async () => {
		const studio = await openStudio();
		await studio.addPrompt({ kind: 'point', x: 1, y: 1, positive: true });
		// Tab B makes an object and clicks on it; the events saying so never arrive.
		const other = { id: server.nextId(server.objects), media_id: 1, label_id: 8, track_id: 2, name: null, key_frames: [0], annotated_frames: 1 } as ObjectPublic;
		server.objects.push(other);
		const prompt = { id: server.nextId(server.prompts), object_id: other.id, frame_index: 0, kind: 'point', x: 5, y: 5, positive: true, x0: null, y0: null, x1: null, y1: null } as PromptPublic;
		server.prompts.push(prompt);
		server.mask(1, other.id, 0);
		emit(studio, 'resync', {});
		await settle();
		await settle();
		expect(studio.objects.map((o) => o.id)).toEqual([server.objects[0].id, other.id]);
		expect(studio.prompts.map((p) => p.id)).toContain(prompt.id);
		expect(studio.frameMasks.map((m) => m.object_id)).toContain(other.id);
	});

	it('a tracking job whose end was dropped with the events is shown finished after a resync, and undoable', async () => {
		const studio = await openStudio();
		await studio.addPrompt({ kind: 'point', x: 1, y: 1, positive: true });
		await studio.track('forward', null);
		expect(studio.job?.status).toBe('running');
		server.jobStatus = 'completed';
		emit(studio, 'resync', {});
		await settle();
		expect(studio.job?.status).toBe('completed');
		expect(studio.undoState.undoLabel).toBe('Track');
	});
});
