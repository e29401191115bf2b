/**
 * The reliability suite's long run: `npm run test:reliability`. Runs the bad-input, crash, tamper
 * and abuse sections (every file of test/reliability, abuse-*.test.ts included) at full scale
 * (figures.ts), then prints every section's figures as one table. Each "must be 0" column failing
 * makes its vitest section fail too, so the exit code is vitest's.
 * RELIABILITY_SCALE, RELIABILITY_CASES, RELIABILITY_KILLS and RELIABILITY_SEED pass through.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { FigureRow } from './figures.js';

const repo = path.resolve(import.meta.dirname, '../..');
const dir = mkdtempSync(path.join(os.tmpdir(), 'provenant-reliability-'));
const out = path.join(dir, 'figures.jsonl');
const env = { ...process.env, RELIABILITY_SCALE: process.env.RELIABILITY_SCALE || 'full', RELIABILITY_OUT: out };
const started = Date.now();
const run = spawnSync('npx', ['vitest', 'run', 'test/reliability', 'test/medium/tamper'], { cwd: repo, env, stdio: 'inherit' });

const rows: (FigureRow & { seed: number })[] = existsSync(out)
  ? readFileSync(out, 'utf8').trim().split('\n').filter(Boolean).map((line) => JSON.parse(line) as FigureRow & { seed: number })
  : [];
rmSync(dir, { recursive: true, force: true });

const cells = (row: FigureRow & { seed: number }): string[] => [
  row.section,
  row.surface,
  String(row.cases),
  Object.entries(row.mustBeZero).map(([k, v]) => `${k} ${v}`).join('; '),
  Object.entries(row.notes ?? {}).map(([k, v]) => `${k} ${v}`).join('; '),
];
const header = ['section', 'surface', 'cases', 'must be 0', 'also measured'];
const lines = [header, header.map(() => '---'), ...rows.map(cells)].map((c) => `| ${c.join(' | ')} |`);
console.log(`\nReliability figures (seed ${rows[0]?.seed ?? '-'}, scale ${env.RELIABILITY_SCALE}, ${Math.round((Date.now() - started) / 1000)} s):\n`);
console.log(lines.join('\n'));
const nonZero = rows.filter((r) => Object.values(r.mustBeZero).some((v) => v !== 0));
console.log(nonZero.length === 0 ? '\nEvery "must be 0" figure is 0.' : `\n${nonZero.length} section(s) with a non-zero "must be 0" figure.`);
process.exit(run.status ?? 1);
