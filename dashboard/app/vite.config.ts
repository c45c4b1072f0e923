import { sveltekit } from '@sveltejs/kit/vite';
import { defineConfig } from 'vite';

export default defineConfig({
  plugins: [sveltekit()],
  // `npm run dev:dashboard` talks to the API of a running `npm start`.
  server: { proxy: { '/api': { target: 'http://127.0.0.1:3000', ws: true }, '/health': 'http://127.0.0.1:3000' } },
  build: { chunkSizeWarningLimit: 2500 },
  // Kit's server half is only run at build time (to write index.html). Bundling its `cookie`
  // resolves Kit's own copy rather than the newer one Fastify hoists to the root.
  ssr: { noExternal: ['cookie'] },
});
