/**
 * The review part of the studio, for a team (nothing here runs in a single-user studio): the
 * open item's assignments as this person sees them, the review conversation, and the actions.
 * An annotator sees their own assignment (opening it starts the work), submits it, and reads the
 * reviewer's comments; a reviewer judging someone else's submitted work gets a read-only canvas
 * (the server refuses their writes too), comments on frames, and accepts or rejects.
 */
import { teamsApi, type AssignmentPublic, type CommentPublic, type UserPublic } from '$lib/api/teams';
import { attempt } from '../toasts.svelte';

export interface ReviewHost {
	readonly pid: number;
	/** The signed-in team member, or null in a single-user studio. */
	user(): UserPublic | null;
}

export class ReviewState {
	mediaId = $state<number | null>(null);
	/** The open item's assignments this person may see (an annotator: only their own). */
	assignments = $state<AssignmentPublic[]>([]);
	comments = $state<CommentPublic[]>([]);
	/** Which submitted assignment a reviewer judges, when several annotators handed the item in. */
	chosenId = $state<number | null>(null);
	busy = $state(false);

	constructor(private readonly host: ReviewHost) {}

	private get me(): UserPublic | null {
		return this.host.user();
	}

	mine = $derived(this.assignments.find((a) => a.user_id === this.me?.id) ?? null);
	isReviewer = $derived(this.me?.role === 'reviewer' || this.me?.role === 'admin');
	/** Work handed in by others, waiting for this reviewer. */
	waiting = $derived(this.isReviewer ? this.assignments.filter((a) => a.state === 'submitted' && a.user_id !== this.me?.id) : []);
	reviewing = $derived(this.waiting.find((a) => a.id === this.chosenId) ?? this.waiting[0] ?? null);
	/** Review mode: judging someone else's work, not changing it. */
	readOnly = $derived(this.reviewing !== null && this.mine === null);
	/** The assignment whose conversation shows: the one under review, else one's own. */
	focus = $derived(this.reviewing ?? this.mine);

	/** Reads the item's assignments (and starts one's own work on it); clears for a single user. */
	async open(mediaId: number | null): Promise<void> {
		this.mediaId = mediaId;
		if (mediaId === null || this.me === null) {
			this.assignments = [];
			this.comments = [];
			return;
		}
		const found = await attempt(() => teamsApi.assignments(this.host.pid, { media_id: mediaId }));
		if (this.mediaId !== mediaId || !found) return;
		this.assignments = found;
		const own = this.mine;
		if (own && (own.state === 'new' || own.state === 'rejected')) {
			const started = await attempt(() => teamsApi.start(this.host.pid, own.id));
			if (started) this.replace(started);
		}
		await this.loadComments();
	}

	refresh(): Promise<void> {
		return this.open(this.mediaId);
	}

	choose(assignmentId: number): Promise<void> {
		this.chosenId = assignmentId;
		return this.loadComments();
	}

	async loadComments(): Promise<void> {
		const focus = this.focus;
		if (!focus) {
			this.comments = [];
			return;
		}
		const found = await attempt(() => teamsApi.comments(this.host.pid, focus.id));
		if (found && this.focus?.id === focus.id) this.comments = found;
	}

	submit(): Promise<boolean> {
		const own = this.mine;
		return own ? this.act(() => teamsApi.submit(this.host.pid, own.id)) : Promise.resolve(false);
	}

	accept(comment?: string, frame?: number): Promise<boolean> {
		const a = this.reviewing;
		return a ? this.act(() => teamsApi.accept(this.host.pid, a.id, comment || undefined, comment ? frame : undefined)) : Promise.resolve(false);
	}

	/** Sends the work back; the server insists on a comment saying what to fix. */
	reject(comment: string, frame?: number): Promise<boolean> {
		const a = this.reviewing;
		return a ? this.act(() => teamsApi.reject(this.host.pid, a.id, comment, frame)) : Promise.resolve(false);
	}

	async comment(text: string, frame?: number): Promise<boolean> {
		const focus = this.focus;
		if (!focus) return false;
		const made = await attempt(() => teamsApi.comment(this.host.pid, focus.id, text, frame));
		if (made) this.comments = [...this.comments, made];
		return made !== undefined;
	}

	private async act(call: () => Promise<AssignmentPublic>): Promise<boolean> {
		this.busy = true;
		try {
			const changed = await attempt(call);
			if (!changed) return false;
			this.replace(changed);
			await this.loadComments();
			return true;
		} finally {
			this.busy = false;
		}
	}

	private replace(changed: AssignmentPublic): void {
		this.assignments = this.assignments.map((a) => (a.id === changed.id ? changed : a));
	}
}
