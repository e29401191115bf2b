#!/usr/bin/env node
// Builds the web explorer into web/dist. npm runs it after installing (postinstall), so `npm ci`
// builds the explorer with no second command; `npm run web:build` runs it again after a change.
// Without Vite (an install with --omit=dev) it says so and leaves web/dist as it is.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const here = path.dirname(fileURLToPath(import.meta.url));
const dist = path.join(here, 'dist');

let vite;
try {
  vite = await import('vite');
} catch {
  console.log('explorer: Vite is not installed (an install without dev dependencies); web/dist was not built');
  process.exit(0);
}

function filesUnder(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? filesUnder(path.join(dir, e.name)) : [path.join(dir, e.name)]));
}

const started = performance.now();
await vite.build({ configFile: path.join(here, 'vite.config.mjs') });
const seconds = (performance.now() - started) / 1000;
const files = filesUnder(dist);
const bytes = files.reduce((n, f) => n + statSync(f).size, 0);
const gzipped = files.reduce((n, f) => n + gzipSync(readFileSync(f), { level: 9 }).length, 0);
console.log(`explorer: built web/dist in ${seconds.toFixed(1)} s: ${files.length} files, ${(bytes / 1024).toFixed(1)} KiB (${(gzipped / 1024).toFixed(1)} KiB gzipped)`);
