/**
 * A real demo node for the browser tests: `provenant start --demo` on a temporary data directory
 * and free ports, run until the simulators' story (and its cold-chain breach) is sealed.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const REPO = path.resolve(import.meta.dirname, '../../..');

export interface DemoNode {
  base: string;
  dataDir: string;
  dbFile: string;
  lines: string[];
  stop(): Promise<void>;
}

export async function startDemoNode(timeoutMs: number): Promise<DemoNode> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'provenant-explorer-e2e-'));
  const child: ChildProcess = spawn(process.execPath, [path.join(REPO, 'src/transport/cli/provenant.mjs'), 'start', '--demo', '--port', '0'], {
    cwd: REPO,
    env: { ...process.env, PROVENANT_DATA_DIR: dataDir, MQTT_PORT: '0', DATABASE_URL: '', HOST: '127.0.0.1' },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  const lines: string[] = [];
  let buffered = '';
  const feed = (chunk: string) => {
    buffered += chunk;
    let i;
    while ((i = buffered.indexOf('\n')) >= 0) {
      lines.push(buffered.slice(0, i));
      buffered = buffered.slice(i + 1);
    }
  };
  child.stdout!.setEncoding('utf8').on('data', feed);
  child.stderr!.setEncoding('utf8').on('data', feed);
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      process.kill(-child.pid!, 'SIGTERM');
      const timer = setTimeout(() => process.kill(-child.pid!, 'SIGKILL'), 15_000);
      await exited;
      clearTimeout(timer);
    }
    rmSync(dataDir, { recursive: true, force: true });
  };
  const deadline = Date.now() + timeoutMs;
  // The guide is printed once the story is sealed and the breach has been waited for.
  while (!lines.some((l) => l.includes('an event (REST)'))) {
    if (child.exitCode !== null) {
      await stop();
      throw new Error(`the demo node exited (${child.exitCode}):\n${lines.slice(-20).join('\n')}`);
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`the demo story was not sealed within ${timeoutMs / 1000} s:\n${lines.slice(-20).join('\n')}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  const base = /Provenant node on (http:\/\/\S+)/.exec(lines.find((l) => l.includes('Provenant node on')) ?? '')?.[1];
  if (!base) throw new Error(`no node URL in the demo output:\n${lines.join('\n')}`);
  return { base, dataDir, dbFile: path.join(dataDir, 'provenant.db'), lines, stop };
}
