// Runs `prisma generate` without the native schema engine download (unreachable offline).
// generate only needs the engine path to exist; it does not execute it.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const env = { ...process.env };
env.PRISMA_SCHEMA_ENGINE_BINARY ??= process.execPath;
env.PRISMA_HIDE_UPDATE_MESSAGE = '1';
env.CHECKPOINT_DISABLE = '1';
const bin = path.join(root, 'node_modules', '.bin', 'prisma');
const result = spawnSync(bin, ['generate'], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
if (result.status !== 0) {
  process.stderr.write(result.stdout?.toString() ?? '');
  process.stderr.write(result.stderr?.toString() ?? '');
  process.exit(result.status ?? 1);
}
