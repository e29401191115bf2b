/**
 * The node's private keys (authority keys, demo organisation keys), one JSON file per key,
 * readable by the node's user only. Never committed: the data directory is outside version control.
 */
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { encodePrivateKey, encodePublicKey, keyPairFromPrivate, parsePrivateKey, type KeyPair } from '../../core/crypto/index.js';

export interface StoredKey {
  label: string;
  keyPair: KeyPair;
}

export class Keystore {
  constructor(readonly dir: string) {}

  save(label: string, keyPair: KeyPair): string {
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    const file = path.join(this.dir, `${label.replace(/[^a-zA-Z0-9_.-]/g, '_')}.key.json`);
    const body = JSON.stringify(
      { label, keyId: keyPair.keyId, publicKey: encodePublicKey(keyPair.publicKey), privateKey: encodePrivateKey(keyPair.privateKey) },
      null,
      2,
    );
    // Write then rename, so a crash never leaves a truncated key file.
    const tmp = `${file}.tmp`;
    writeFileSync(tmp, body, { mode: 0o600 });
    chmodSync(tmp, 0o600);
    renameSync(tmp, file);
    return file;
  }

  list(): StoredKey[] {
    if (!existsSync(this.dir)) return [];
    return readdirSync(this.dir)
      .filter((f) => f.endsWith('.key.json'))
      .sort()
      .map((f) => readKeyFile(path.join(this.dir, f)));
  }

  find(labelOrKeyId: string): StoredKey | undefined {
    return this.list().find((k) => k.label === labelOrKeyId || k.keyPair.keyId === labelOrKeyId);
  }
}

export function readKeyFile(file: string): StoredKey {
  const parsed = JSON.parse(readFileSync(file, 'utf8')) as { label?: string; privateKey?: string };
  const keyPair = keyPairFromPrivate(parsePrivateKey(parsed.privateKey));
  return { label: parsed.label ?? path.basename(file), keyPair };
}
