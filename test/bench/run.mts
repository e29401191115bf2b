/**
 * `npm run bench`: prints each figure beside the machine's raw single-thread Ed25519
 * verification rate (node:crypto) measured in the same run. BENCH_QUICK=1 for a short run;
 * BENCH_ONLY=ledger,capture,mqtt,lineage,query,network to pick sections.
 */
import os from 'node:os';
import { createBenchContext, formatNumber } from './harness.js';
import { ledgerBench } from './ledger.bench.js';
import { captureBench } from './capture.bench.js';
import { mqttBench } from './mqtt.bench.js';
import { lineageBench } from './lineage.bench.js';
import { queryBench } from './query.bench.js';
import { networkBench } from './network.bench.js';

const sections: Record<string, (ctx: ReturnType<typeof createBenchContext>) => Promise<void>> = {
  ledger: ledgerBench,
  capture: captureBench,
  mqtt: mqttBench,
  lineage: lineageBench,
  query: queryBench,
  network: networkBench,
};

// The nodes the benchmarks start log every request; only warnings belong beside the figures (LOG_LEVEL overrides).
process.env.LOG_LEVEL ??= 'warn';
const quick = process.env.BENCH_QUICK === '1';
const only = process.env.BENCH_ONLY?.split(',').filter(Boolean);
const ctx = createBenchContext(quick);
console.log(`Provenant benchmarks on ${os.cpus().length} cores, Node ${process.version}${quick ? ' (quick run)' : ''}`);
console.log(`  ${'raw'.padEnd(10)} ${'Ed25519 verify, node:crypto, single thread'.padEnd(58)} ${formatNumber(ctx.rawVerifyPerSecond).padStart(12)} verifies/s`);
for (const [name, run] of Object.entries(sections)) {
  if (only && !only.includes(name)) continue;
  await run(ctx);
}
