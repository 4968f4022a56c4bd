// Builds the console into console/dist; the server serves it at /console (server/console/).
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/console/',
  esbuild: { jsx: 'automatic' },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    // Everything is a file of its own: the Content-Security-Policy allows no inline script or style.
    assetsInlineLimit: 0,
    sourcemap: true,
    target: 'es2022',
  },
  server: {
    // `npm run console:dev` proxies the API to a server started with `npm start`.
    proxy: { '/v1': 'http://localhost:3000' },
  },
});
