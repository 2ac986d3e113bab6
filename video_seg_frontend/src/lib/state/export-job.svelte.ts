/**
 * An export built on the server as a job: started, followed (masks written of all), cancelable,
 * and downloaded by the browser once it completed. A big project's ZIP no longer has to stream
 * through one long request while the page waits.
 */
import { api, urls, type ExportFormat } from '$lib/api/client';

export interface ExportChoice {
	format: ExportFormat;
	includeFrames: boolean;
	includeAnnotator: boolean;
}

export type ExportOutcome = { status: 'completed'; url: string; filename: string } | { status: 'canceled' } | { status: 'failed'; error: string };

/** How often the job is read while it runs. */
const POLL_MS = 300;

export class ExportJob {
	jobId = $state<number | null>(null);
	done = $state(0);
	total = $state(0);
	running = $derived(this.jobId !== null);

	constructor(
		private readonly pid: () => number,
		private readonly wait = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))
	) {}

	/** Runs the export to its end; the caller downloads ``urls.jobFile`` when it completed. */
	async run(choice: ExportChoice): Promise<ExportOutcome> {
		const job = await api.startExport(this.pid(), {
			format: choice.format,
			include_frames: choice.includeFrames,
			include_png_masks: false,
			include_annotator: choice.includeAnnotator
		});
		this.jobId = job.id;
		this.done = 0;
		this.total = 0;
		try {
			for (;;) {
				const now = await api.getJob(job.id);
				this.done = now.progress_done;
				this.total = now.progress_total;
				if (now.status === 'completed' && now.kind === 'export')
					return { status: 'completed', url: urls.jobFile(job.id), filename: now.params.result?.filename ?? 'export.zip' };
				if (now.status === 'canceled') return { status: 'canceled' };
				if (now.status === 'failed') return { status: 'failed', error: now.error ?? 'The export failed' };
				await this.wait(POLL_MS);
			}
		} finally {
			this.jobId = null;
		}
	}

	async cancel(): Promise<void> {
		if (this.jobId !== null) await api.cancelJob(this.jobId);
	}
}
