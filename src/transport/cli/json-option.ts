/** JSON given to a CLI option, inline or as a file: errors name the option (and file) and exit 2. */
import { readFileSync } from 'node:fs';
import { CliUsageError } from './errors.js';

/** Larger option files are refused rather than read (genesis specs and changes are a few kB). */
const MAX_JSON_OPTION_BYTES = 16 * 1024 * 1024;

export function parseJsonOption<T>(option: string, text: string, file?: string): T {
  const where = file === undefined ? option : `${option} ${JSON.stringify(file)}`;
  try {
    return JSON.parse(text) as T;
  } catch (err) {
    throw new CliUsageError(`${where} is not valid JSON: ${(err as Error).message}`, { option, ...(file !== undefined ? { file } : {}), reason: 'INVALID_JSON' });
  }
}

export function readJsonOption<T>(option: string, file: string): T {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    throw new CliUsageError(`cannot read ${option} ${JSON.stringify(file)}: ${typeof code === 'string' ? code : (err as Error).message}`, { option, file, reason: 'UNREADABLE_FILE' });
  }
  if (text.length > MAX_JSON_OPTION_BYTES) throw new CliUsageError(`${option} ${JSON.stringify(file)} is too large`, { option, file, reason: 'TOO_LARGE' });
  return parseJsonOption<T>(option, text, file);
}
