import { spawn } from 'node:child_process';
import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openFileOrdering } from '../../../src/platform/ordering/file-ordering-log.js';
import { OrderingError, type OrderedMessage, type Ordering } from '../../../src/platform/ordering/ordering.js';

const C = 'uk-red-meat';
const enc = new TextEncoder();
const dec = new TextDecoder();
const dirs: string[] = [];
function tempFile(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'provenant-ordering-'));
  dirs.push(dir);
  return path.join(dir, 'nested', 'ordering.log');
}
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

async function readAll(ordering: Ordering, consortium = C): Promise<OrderedMessage[]> {
  const { lastSequence } = await ordering.info(consortium);
  const out: OrderedMessage[] = [];
  if (lastSequence === 0) return out;
  for await (const m of ordering.subscribe(consortium, { afterSequence: 0 })) {
    out.push(m);
    if (m.sequence === lastSequence) break;
  }
  return out;
}

describe('file-backed in-process ordering', () => {
  it('keeps every acknowledged message, sequence, timestamp and header across a reopen', async () => {
    const file = tempFile();
    const first = await openFileOrdering(file);
    await Promise.all(['a', 'b', 'c'].map((s) => first.append(C, enc.encode(s), { 'x-origin': s })));
    await first.append('other-one', enc.encode('z'));
    const before = await readAll(first);
    await first.close();

    const second = await openFileOrdering(file);
    expect(await readAll(second)).toEqual(before);
    expect((await second.append(C, enc.encode('d'))).sequence).toBe(4);
    expect((await readAll(second, 'other-one')).map((m) => dec.decode(m.bytes))).toEqual(['z']);
    await second.close();
  });

  it('drops a torn last line (an append never acknowledged) and continues after the last whole one', async () => {
    const file = tempFile();
    const first = await openFileOrdering(file);
    await first.append(C, enc.encode('a'));
    await first.append(C, enc.encode('b'));
    await first.close();
    const whole = readFileSync(file, 'utf8');
    appendFileSync(file, '{"consortium":"uk-red-meat","sequence":3,"timest');

    const second = await openFileOrdering(file);
    expect((await readAll(second)).map((m) => dec.decode(m.bytes))).toEqual(['a', 'b']);
    expect(readFileSync(file, 'utf8')).toBe(whole);
    expect((await second.append(C, enc.encode('c'))).sequence).toBe(3);
    await second.close();
  });

  it('refuses to open a log damaged before its last line', async () => {
    const file = tempFile();
    const first = await openFileOrdering(file);
    for (const s of ['a', 'b', 'c']) await first.append(C, enc.encode(s));
    await first.close();
    const lines = readFileSync(file, 'utf8').split('\n');
    lines[1] = lines[1]!.replace('"sequence":2', '"sequence":"two"');
    writeFileSync(file, lines.join('\n'));
    await expect(openFileOrdering(file)).rejects.toSatisfy((e) => e instanceof OrderingError && e.code === 'ORDERING_LOG_CORRUPT');

    lines[1] = lines[1]!.replace('"sequence":"two"', '"sequence":5');
    writeFileSync(file, lines.join('\n'));
    await expect(openFileOrdering(file)).rejects.toSatisfy((e) => e instanceof OrderingError && e.code === 'ORDERING_LOG_CORRUPT');
  });

  it('after a writer is killed with SIGKILL, holds every append it acknowledged, in the acknowledged order', async () => {
    const file = tempFile();
    const writerScript = path.join(import.meta.dirname, 'file-ordering-writer.ts');
    const child = spawn(process.execPath, ['--import', 'tsx', writerScript, file, C], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const exited = new Promise((resolve) => child.once('exit', resolve));
    try {
      const deadline = Date.now() + 20_000;
      while ((out.match(/^ack /gm)?.length ?? 0) < 300) {
        if (child.exitCode !== null || Date.now() > deadline) throw new Error(`writer did not acknowledge 300 appends: ${err}`);
        await new Promise((r) => setTimeout(r, 10));
      }
    } finally {
      child.kill('SIGKILL');
      await exited;
    }
    const acked = out
      .split('\n')
      .filter((l) => l.startsWith('ack '))
      .map((l) => l.split(' '))
      .map(([, seq, text]) => ({ sequence: Number(seq), text: text! }));
    expect(acked.length).toBeGreaterThanOrEqual(300);

    const reopened = await openFileOrdering(file);
    const stored = await readAll(reopened);
    const bySequence = new Map(stored.map((m) => [m.sequence, dec.decode(m.bytes)]));
    for (const a of acked) expect(bySequence.get(a.sequence), `acknowledged sequence ${a.sequence}`).toBe(a.text);
    expect(stored.map((m) => m.sequence)).toEqual(stored.map((_, i) => i + 1));
    await reopened.close();
  }, 30_000);
});
