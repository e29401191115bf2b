/**
 * Finds the nats-server binary (Debian's package; `.ci/run` installs it). Tests that need it skip
 * with a clear message only when it is absent on a developer's machine; under CI a missing binary
 * fails instead, so a broken install can never pass as skipped tests.
 */
import { spawnSync } from 'node:child_process';
import { describe } from 'vitest';

const CANDIDATES = ['/usr/sbin/nats-server', '/usr/bin/nats-server', '/usr/local/bin/nats-server', 'nats-server'];

function runs(binary: string): boolean {
  const result = spawnSync(binary, ['--version'], { encoding: 'utf8', timeout: 5000 });
  return result.error === undefined && result.status === 0 && /nats-server/i.test(result.stdout);
}

let found: string | null | undefined;

/** The nats-server to run: $NATS_SERVER if set, else the first candidate that answers --version. */
export function findNatsServer(): string | null {
  if (found !== undefined) return found;
  const candidates = process.env.NATS_SERVER ? [process.env.NATS_SERVER] : CANDIDATES;
  found = candidates.find(runs) ?? null;
  return found;
}

export const NATS_SERVER_MISSING =
  'nats-server is not installed: the JetStream ordering tests need it (apt-get install -y nats-server, or set NATS_SERVER); .ci/run installs it';

/** describe() when nats-server is present; otherwise the suite fails at once and says what to install. */
export function describeWithNatsServer(name: string, body: () => void): void {
  if (!findNatsServer()) throw new Error(NATS_SERVER_MISSING);
  describe(name, body);
}
