/**
 * A file that makes the in-process ordering log durable: one JSON line per entry, appended and
 * fdatasync'ed before the append is acknowledged (several concurrent appends share one write and
 * one sync). A crash can leave only a torn last line, of an append that was never acknowledged;
 * opening the file drops it. A damaged line anywhere else is corruption and refuses to open.
 *
 * Line: {"consortium":…,"sequence":n,"timestamp":"…Z","headers":{…},"bytes":"<base64url>"}
 */
import { mkdir, open, readFile, truncate, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { isConsortiumId, isTimestamp } from '../../core/ledger/record.js';
import type { InProcessOrderingOptions, LogEntry, OrderingDurability } from './in-process-ordering.js';
import { InProcessOrdering } from './in-process-ordering.js';
import { OrderingError } from './ordering.js';
import { syncDirectory } from '../durable-files.js';

export class FileOrderingLog implements OrderingDurability {
  private constructor(
    readonly file: string,
    private readonly handle: FileHandle,
  ) {}

  /** Opens (or creates) the file, dropping a torn last line, and returns the entries it holds. */
  static async open(file: string): Promise<{ log: FileOrderingLog; entries: LogEntry[] }> {
    await mkdir(path.dirname(file), { recursive: true });
    let text = '';
    let existed = true;
    try {
      text = await readFile(file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      existed = false;
    }
    const { entries, durableLength } = parseLines(file, text);
    if (existed && durableLength < Buffer.byteLength(text, 'utf8')) await truncate(file, durableLength);
    const handle = await open(file, 'a');
    if (!existed) {
      await handle.sync();
      syncDirectory(path.dirname(file)); // the new file's name must survive a crash too
    }
    return { log: new FileOrderingLog(file, handle), entries };
  }

  async persist(entries: readonly LogEntry[]): Promise<void> {
    const text = entries.map((e) => `${JSON.stringify(lineOf(e))}\n`).join('');
    await this.handle.appendFile(text, 'utf8');
    await this.handle.datasync();
  }

  async close(): Promise<void> {
    await this.handle.close();
  }
}

/** The in-process adapter on a file: what was acknowledged before a crash is there after it. */
export async function openFileOrdering(file: string, options: Omit<InProcessOrderingOptions, 'durability' | 'restore'> = {}): Promise<InProcessOrdering> {
  const { log, entries } = await FileOrderingLog.open(file);
  try {
    return new InProcessOrdering({ ...options, durability: log, restore: entries });
  } catch (error) {
    await log.close();
    throw error;
  }
}

function lineOf(e: LogEntry): Record<string, unknown> {
  return {
    consortium: e.consortium,
    sequence: e.sequence,
    timestamp: e.timestamp,
    headers: e.headers,
    bytes: Buffer.from(e.bytes.buffer, e.bytes.byteOffset, e.bytes.byteLength).toString('base64url'),
  };
}

function parseLines(file: string, text: string): { entries: LogEntry[]; durableLength: number } {
  const lines = text.split('\n');
  // The text after the last newline is a write the crash cut short (or nothing).
  lines.pop();
  const entries: LogEntry[] = [];
  let durableLength = 0;
  for (let i = 0; i < lines.length; i++) {
    const entry = parseLine(lines[i]!);
    if (!entry) {
      if (i === lines.length - 1) break; // a torn last line: never acknowledged
      throw new OrderingError('ORDERING_LOG_CORRUPT', `${file}: line ${i + 1} is not a log entry`, { file, line: i + 1 });
    }
    entries.push(entry);
    durableLength += Buffer.byteLength(lines[i]!, 'utf8') + 1;
  }
  return { entries, durableLength };
}

function parseLine(line: string): LogEntry | null {
  let value: Record<string, unknown>;
  try {
    value = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return null;
  }
  if (typeof value !== 'object' || value === null) return null;
  const { consortium, sequence, timestamp, headers, bytes } = value;
  if (!isConsortiumId(consortium) || !Number.isSafeInteger(sequence) || (sequence as number) < 1 || !isTimestamp(timestamp)) return null;
  if (typeof headers !== 'object' || headers === null || Array.isArray(headers)) return null;
  if (!Object.values(headers).every((h) => typeof h === 'string')) return null;
  if (typeof bytes !== 'string' || !/^[A-Za-z0-9_-]*$/.test(bytes)) return null;
  return {
    consortium,
    sequence: sequence as number,
    timestamp,
    headers: headers as Record<string, string>,
    bytes: new Uint8Array(Buffer.from(bytes, 'base64url')),
  };
}
