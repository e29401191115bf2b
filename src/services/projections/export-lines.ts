/** Reading an export's JSON Lines files (docs/export-format.md), for `provenant import`. */
import { createReadStream } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { ProjectionError } from './errors.js';

export function invalid(message: string, details: Record<string, unknown> = {}): never {
  throw new ProjectionError('EXPORT_INVALID', message, details);
}

/** Each non-empty line of the file as a JSON object; a line that is not one is EXPORT_INVALID. */
export async function* lines(file: string): AsyncGenerator<Record<string, unknown>> {
  for await (const { value } of numberedLines(file)) yield value;
}

/** As `lines`, with each object's line number in the file (from 1). */
export async function* numberedLines(file: string): AsyncGenerator<{ line: number; value: Record<string, unknown> }> {
  let n = 0;
  for await (const text of createInterface({ input: createReadStream(file), crlfDelay: Infinity })) {
    n += 1;
    if (text === '') continue;
    let value: Record<string, unknown>;
    try {
      value = JSON.parse(text) as Record<string, unknown>;
    } catch {
      invalid(`${path.basename(file)} line ${n} is not JSON`, { file: path.basename(file), line: n });
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) invalid(`${path.basename(file)} line ${n} is not a JSON object`, { file: path.basename(file), line: n });
    yield { line: n, value };
  }
}
