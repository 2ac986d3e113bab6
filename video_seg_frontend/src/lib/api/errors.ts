/** An error answered by the API: the HTTP status and the server's `detail` sentence. */
export class ApiError extends Error {
	constructor(
		readonly status: number,
		readonly detail: string
	) {
		super(detail);
		this.name = 'ApiError';
	}
}

/** Turns FastAPI's error bodies ({detail: string} or a validation list) into one sentence. */
export function detailOf(body: unknown, fallback: string): string {
	if (body && typeof body === 'object' && 'detail' in body) {
		const detail = (body as { detail: unknown }).detail;
		if (typeof detail === 'string') return detail;
		if (Array.isArray(detail)) {
			return detail
				.map((d) => {
					if (d && typeof d === 'object' && 'msg' in d) {
						const loc = 'loc' in d && Array.isArray(d.loc) ? d.loc.filter((l: unknown) => l !== 'body').join('.') : '';
						return loc ? `${loc}: ${String(d.msg)}` : String(d.msg);
					}
					return String(d);
				})
				.join('; ');
		}
	}
	return fallback;
}

export function messageOf(error: unknown): string {
	if (error instanceof ApiError) return error.detail;
	if (error instanceof Error) return error.message;
	return String(error);
}
