// The explorer's build: plain Vite with Preact's automatic JSX runtime; the output (web/dist) is
// what the node serves at `/`. Every asset is bundled: the page loads nothing from another origin.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const root = path.dirname(fileURLToPath(import.meta.url));

export default defineConfig({
  root,
  base: '/',
  logLevel: 'warn',
  esbuild: { jsx: 'automatic', jsxImportSource: 'preact' },
  build: {
    outDir: path.join(root, 'dist'),
    emptyOutDir: true,
    target: 'es2020',
    sourcemap: false,
    assetsInlineLimit: 0,
    chunkSizeWarningLimit: 300,
  },
  // The page imports the project's own identifier code from src/core.
  server: { fs: { allow: [path.join(root, '..')] } },
});
