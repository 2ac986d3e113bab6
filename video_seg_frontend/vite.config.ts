import { sveltekit } from '@sveltejs/kit/vite';
import { defineConfig } from 'vitest/config';

export default defineConfig({
	plugins: [sveltekit()],
	server: {
		// `npm run dev` talks to a backend started with the default port (same origin in production).
		proxy: { '/api': { target: 'http://127.0.0.1:3000', changeOrigin: false } }
	},
	test: {
		include: ['src/**/*.spec.ts'],
		environment: 'node'
	}
});
