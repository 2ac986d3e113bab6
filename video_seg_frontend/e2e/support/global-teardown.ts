import { rmSync } from 'node:fs';

/** The backend's temp data dir goes with the run. */
export default function globalTeardown(): void {
	const dataDir = process.env.VSS_E2E_DATA;
	if (dataDir) rmSync(dataDir, { recursive: true, force: true });
}
