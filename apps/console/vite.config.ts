import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

// Served by the BFF at /app; in development `pnpm --filter @beacon/console dev` proxies the API to a running fleet.
export default defineConfig({
  base: '/app/',
  plugins: [react()],
  build: { outDir: 'dist', emptyOutDir: true, chunkSizeWarningLimit: 1024 },
  server: {
    proxy: {
      '/api': process.env.BFF_URL ?? 'http://localhost:8000',
      '/dev': process.env.BFF_URL ?? 'http://localhost:8000',
    },
  },
});
