import { defineConfig } from 'vite';

/** Where `npx vite` (the dev server) sends API calls: a Mission started with `npm start`. */
const API = 'http://127.0.0.1:7070';

export default defineConfig({
  build: { outDir: 'dist', emptyOutDir: true, sourcemap: true },
  server: {
    proxy: {
      '/v1': { target: API, ws: true },
      '/login': API,
      '/logout': API,
      '/admin': API,
    },
  },
});
