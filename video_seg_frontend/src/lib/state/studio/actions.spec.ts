import { describe, expect, it, vi } from 'vitest';

/** A server whose answers the test releases one by one, recording what is in flight. */
const server = vi.hoisted(() => ({
	inFlight: 0,
	most: 0,
	puts: [] as number[][],
	release: [] as (() => void)[]
}));

vi.mock('$lib/api/actions', () => ({
	actionsApi: {
		vocabulary: async () => [
			{ id: 1, action_id: 12, name: 'stand', group: 'PERSON_MOVEMENT', exclusive: true },
			{ id: 2, action_id: 17, name: 'carry', group: null, exclusive: false }
		],
		keyframes: async () => ({ keyframes: [{ frame_index: 0, second: 0, source_second: 0 }] }),
		labels: async () => [],
		setLabel: (_pid: number, _mid: number, object_id: number, frame_index: number, actions: number[]) => {
			server.puts.push(actions);
			server.most = Math.max(server.most, ++server.inFlight);
			return new Promise((resolve) =>
				server.release.push(() => {
					server.inFlight--;
					resolve({ object_id, frame_index, actions });
				})
			);
		}
	}
}));

const { ActionMode } = await import('./actions.svelte');

describe('action mode saves', () => {
	it('sends quick ticks one after another, in order, and keeps the last', async () => {
		const host = {
			pid: 1,
			currentId: 5,
			frame: 0,
			frameMasks: [{ object_id: 7, area: 10 }],
			objects: [{ id: 7, track_id: 1 }],
			selectedObjectId: null,
			setFrame: () => {}
		};
		const mode = new ActionMode(host as never);
		await mode.enter();
		const first = mode.toggle(12);
		const second = mode.toggle(17);
		expect(mode.actionsOf(7), 'both ticks shown at once').toEqual([12, 17]);
		await vi.waitFor(() => expect(server.release.length).toBe(1));
		server.release.shift()!();
		await first;
		expect(mode.actionsOf(7), 'the first answer does not undo the second tick').toEqual([12, 17]);
		await vi.waitFor(() => expect(server.release.length).toBe(1));
		server.release.shift()!();
		await second;
		expect(server.puts).toEqual([[12], [12, 17]]);
		expect(server.most, 'never two saves in flight').toBe(1);
		expect(mode.actionsOf(7)).toEqual([12, 17]);
	});
});
