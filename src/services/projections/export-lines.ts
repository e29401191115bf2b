/** Reading an export's JSON Lines files (docs/export-format.md), for `provenant import`. */
import { createReadStream } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { ProjectionError } from './errors.js';

export function invalid(message: string, details: Record<string, unknown> = {}): never {
  throw new ProjectionError('EXPORT_INVALID', message, details);
}

/** Each non-empty line of the file as a JSON object; a line that is not JSON is EXPORT_INVALID. */
export async function* lines(file: string): AsyncGenerator<Record<string, unknown>> {
  let n = 0;
  for await (const text of createInterface({ input: createReadStream(file), crlfDelay: Infinity })) {
    n += 1;
    if (text === '') continue;
    try {
      yield JSON.parse(text) as Record<string, unknown>;
    } catch {
      invalid(`${path.basename(file)} line ${n} is not JSON`, { file: path.basename(file), line: n });
    }
  }
}
