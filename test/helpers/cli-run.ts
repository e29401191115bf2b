/** The CLI run in this process (program.ts's runCli), its console output captured. */
import { vi } from 'vitest';
import { runCli, type CliOutcome } from '../../src/transport/cli/program.js';

export interface CliRun extends CliOutcome {
  stdout: string;
  stderr: string;
}

/** Runs `provenant ...args`; process.exitCode is restored afterwards. */
export async function runCliCaptured(args: readonly string[]): Promise<CliRun> {
  const stdout: string[] = [];
  const stderr: string[] = [];
  const text = (parts: unknown[]) => parts.map((p) => (typeof p === 'string' ? p : p instanceof Error ? (p.stack ?? p.message) : JSON.stringify(p))).join(' ');
  const spies = [
    vi.spyOn(console, 'log').mockImplementation((...parts: unknown[]) => void stdout.push(`${text(parts)}\n`)),
    vi.spyOn(console, 'error').mockImplementation((...parts: unknown[]) => void stderr.push(`${text(parts)}\n`)),
    vi.spyOn(console, 'warn').mockImplementation((...parts: unknown[]) => void stderr.push(`${text(parts)}\n`)),
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => (stdout.push(String(chunk)), true)),
    vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => (stderr.push(String(chunk)), true)),
  ];
  const previous = process.exitCode;
  process.exitCode = undefined;
  try {
    const outcome = await runCli(['node', 'provenant', ...args]);
    return { ...outcome, stdout: stdout.join(''), stderr: stderr.join('') };
  } finally {
    process.exitCode = previous;
    for (const spy of spies) spy.mockRestore();
  }
}
