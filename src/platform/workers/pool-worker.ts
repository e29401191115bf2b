/** Worker entry of the worker pool (worker-pool.ts): runs the tasks of pool-tasks.ts off the main thread. */
import { parentPort, workerData } from 'node:worker_threads';
import { generateKeyPair } from '../../core/crypto/index.js';
import { signReading } from '../../core/readings/reading.js';
import { POOL_TASKS, POOL_WARM_UPS, readingVerifyTask } from './pool-tasks.js';

parentPort?.on('message', (req: { id: number; task: string; request: never }) => {
  try {
    const run = POOL_TASKS[req.task];
    if (!run) throw new Error(`unknown pool task "${req.task}"`);
    parentPort!.postMessage({ id: req.id, result: run(req.request) });
  } catch (err) {
    parentPort!.postMessage({ id: req.id, error: (err as Error).message });
  }
});

/** One signed item through the crypto path before saying ready: the first real batch then runs warm. */
function warmUp(): void {
  const key = generateKeyPair('ed25519');
  const reading = { v: 1 as const, consortium: 'warm-up', deviceId: 'warm-up', seq: 1, observedAt: '2026-01-01T00:00:00.000Z', type: 'temperature', value: 1 };
  const [result] = readingVerifyTask.run({
    items: [{ text: JSON.stringify(signReading(reading, key)), device: 0 }],
    devices: [{ key: key.publicKey, consortium: reading.consortium, deviceId: reading.deviceId }],
  });
  if (!result?.ok) throw new Error('pool worker failed its warm-up check');
}

warmUp();
for (const task of (workerData as { warmTasks?: string[] } | undefined)?.warmTasks ?? []) await POOL_WARM_UPS[task]?.();
parentPort?.postMessage({ ready: true });
