/** Reading a private key file (from `provenant keygen`) for a CLI command, with errors that say what is wrong. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { keyPairFromPrivate, parsePrivateKey } from '../../core/crypto/index.js';
import type { StoredKey } from '../../services/node/keystore.js';
import { CliUsageError } from './errors.js';

/** Files larger than this are not key files (keygen writes about 300 bytes). */
const MAX_KEY_FILE_BYTES = 64 * 1024;

function unreadable(file: string, option: string, err: unknown): CliUsageError {
  const code = (err as { code?: unknown }).code;
  const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a directory' : code === 'EACCES' ? 'permission denied' : String((err as Error).message);
  return new CliUsageError(`cannot read the key file ${option} ${JSON.stringify(file)}: ${why}`, { file, reason: 'UNREADABLE_KEY_FILE' });
}

/** The key in `file`; a missing, unreadable or malformed file is a usage error naming the file (exit 2). */
export function readCliKeyFile(file: string, option = '--key'): StoredKey {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw unreadable(file, option, err);
  }
  const malformed = (why: string) =>
    new CliUsageError(`${option} ${JSON.stringify(file)} is not a Provenant key file (JSON with "privateKey": "<ed25519|p256>:<base64url>", as keygen writes): ${why}`, {
      file,
      reason: 'MALFORMED_KEY_FILE',
    });
  if (text.length > MAX_KEY_FILE_BYTES) throw malformed('too large');
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw malformed('not JSON');
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw malformed('not a JSON object');
  const { privateKey, label } = parsed as { privateKey?: unknown; label?: unknown };
  if (privateKey === undefined) throw malformed('no "privateKey"');
  try {
    return { label: typeof label === 'string' ? label : path.basename(file), keyPair: keyPairFromPrivate(parsePrivateKey(privateKey)) };
  } catch (err) {
    throw malformed(`"privateKey": ${(err as Error).message}`);
  }
}
