import { defineConfig } from 'vite';

// The build goes to dist/, which the Go binary embeds (web/embed.go).
export default defineConfig({
  build: { outDir: 'dist', emptyOutDir: true, assetsDir: 'assets', sourcemap: false, target: 'es2022' },
  server: { proxy: { '/v1': 'http://localhost:8080', '/openapi.json': 'http://localhost:8080' } },
});
