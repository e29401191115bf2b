/**
 * Starts a worker thread on a sibling module of the caller, whether the code runs as compiled
 * JavaScript or as TypeScript under tsx. A .ts entry cannot be a worker's main module even with
 * `--import tsx` (Node 20 resolves it first), so an eval bootstrap registers tsx and imports it.
 */
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';

function tsxApiSpecifier(): string {
  try {
    return import.meta.resolve('tsx/esm/api');
  } catch {
    return 'tsx/esm/api';
  }
}

/** `name` without extension, resolved beside `callerUrl` (the caller's import.meta.url); `workerData` as the worker reads it. */
export function startWorker(callerUrl: string, name: string, workerData?: unknown): Worker {
  const isTs = callerUrl.endsWith('.ts');
  const entry = new URL(`./${name}${isTs ? '.ts' : '.js'}`, callerUrl);
  if (!isTs) return new Worker(fileURLToPath(entry), { workerData });
  return new Worker(`import(${JSON.stringify(tsxApiSpecifier())}).then(({ register }) => { register(); return import(${JSON.stringify(entry.href)}); })`, { eval: true, workerData });
}
