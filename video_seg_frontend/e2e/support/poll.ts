import { expect } from '@playwright/test';

/** expect.poll checking every 100-200 ms: its default backs off to once a second, slow for a suite of short waits. */
export const poll = <T>(fn: () => T | Promise<T>, options: { message?: string; timeout?: number } = {}) => expect.poll(fn, { intervals: [100, 200], ...options });
