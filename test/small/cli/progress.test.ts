import { describe, expect, it } from 'vitest';
import { progressPrinter } from '../../../src/transport/cli/progress.js';

function fakeStream(isTTY: boolean) {
  const lines: string[] = [];
  return { lines, stream: { isTTY, write: (l: string) => lines.push(l) } };
}

describe('progressPrinter', () => {
  it('prints every few seconds when the output is not a terminal', () => {
    let now = 0;
    const { lines, stream } = fakeStream(false);
    const progress = progressPrinter({ stream, now: () => now });
    for (now = 0; now <= 12_000; now += 100) progress(`at ${now}`);
    expect(lines).toEqual(['at 5000\n', 'at 10000\n']);
  });

  it('prints at most twice a second on a terminal', () => {
    let now = 0;
    const { lines, stream } = fakeStream(true);
    const progress = progressPrinter({ stream, now: () => now });
    for (now = 0; now <= 2_000; now += 100) progress(`at ${now}`);
    expect(lines).toEqual(['at 500\n', 'at 1000\n', 'at 1500\n', 'at 2000\n']);
  });
});
