import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

/**
 * The dashboard (PRODUCT.md §13), built to static files in apps/web/dist that the gateway serves at `/`.
 * Vite's own transform compiles the TSX with React's automatic JSX runtime; no plugin is needed.
 */
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  oxc: { jsx: { runtime: 'automatic' } },
  build: { outDir: 'dist', emptyOutDir: true },
  // `npx vite apps/web` against a platform on :3000: the API is proxied, so cookies stay same-origin.
  server: { proxy: { '/api': 'http://localhost:3000' } },
});
