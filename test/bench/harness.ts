/** Tiny benchmark harness: every figure is printed beside the raw verify rate from the same run. */
import { createPrivateKey, createPublicKey, sign as nodeSign, verify as nodeVerify, generateKeyPairSync } from 'node:crypto';

export interface Figure {
  section: string;
  name: string;
  value: number;
  unit: string;
  /** Ratio against the raw single-thread Ed25519 verification rate, where meaningful. */
  ofRawVerify?: number;
  note?: string;
}

export interface BenchContext {
  rawVerifyPerSecond: number;
  figures: Figure[];
  quick: boolean;
  report(figure: Omit<Figure, 'ofRawVerify'> & { compareToRaw?: boolean }): void;
  progress(message: string): void;
}

/** Single-thread Ed25519 verification through node:crypto (OpenSSL): the machine's raw rate. */
export function measureRawVerifyRate(iterations: number): number {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  const messages = Array.from({ length: 256 }, (_, i) => Buffer.from(`message ${i} `.repeat(4)));
  const signatures = messages.map((m) => nodeSign(null, m, privateKey));
  void createPrivateKey;
  void createPublicKey;
  const start = process.hrtime.bigint();
  for (let i = 0; i < iterations; i++) {
    if (!nodeVerify(null, messages[i % 256]!, publicKey, signatures[i % 256]!)) throw new Error('raw verify failed');
  }
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  return iterations / seconds;
}

export function createBenchContext(quick: boolean): BenchContext {
  const rawVerifyPerSecond = measureRawVerifyRate(quick ? 5_000 : 30_000);
  const figures: Figure[] = [];
  const ctx: BenchContext = {
    rawVerifyPerSecond,
    figures,
    quick,
    report(f) {
      const figure: Figure = { ...f, ofRawVerify: f.compareToRaw ? f.value / rawVerifyPerSecond : undefined };
      figures.push(figure);
      const ratio = figure.ofRawVerify !== undefined ? `  (${(figure.ofRawVerify * 100).toFixed(1)}% of raw verify)` : '';
      console.log(`  ${f.section.padEnd(10)} ${f.name.padEnd(58)} ${formatNumber(f.value).padStart(12)} ${f.unit}${ratio}${f.note ? `  ${f.note}` : ''}`);
    },
    progress(message) {
      process.stderr.write(`  … ${message}\n`);
    },
  };
  return ctx;
}

export function formatNumber(value: number): string {
  if (value >= 100) return Math.round(value).toLocaleString('en-GB');
  return value.toFixed(2);
}

export async function timed<T>(fn: () => Promise<T> | T): Promise<{ result: T; seconds: number }> {
  const start = process.hrtime.bigint();
  const result = await fn();
  return { result, seconds: Number(process.hrtime.bigint() - start) / 1e9 };
}

export function percentile(sortedMs: number[], p: number): number {
  if (sortedMs.length === 0) return NaN;
  const index = Math.min(sortedMs.length - 1, Math.ceil((p / 100) * sortedMs.length) - 1);
  return sortedMs[Math.max(0, index)]!;
}
