import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

import { EPCIS_EXAMPLES_DIR, EVENT_HASH_DIR } from '../../vectors/index.js';

export { EPCIS_EXAMPLES_DIR, EVENT_HASH_DIR };

export function readJson(file: string): Record<string, unknown> {
  return JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
}

function lines(file: string): string[] {
  return readFileSync(file, 'utf8').split(/\r?\n/).filter((l) => l.length > 0);
}

export interface HashVector {
  name: string;
  document: Record<string, unknown>;
  prehashes: string[];
  hashes: string[];
}

export function hashVectors(): HashVector[] {
  if (!existsSync(EVENT_HASH_DIR)) throw new Error(`event-hash reference vectors missing at ${EVENT_HASH_DIR}`);
  return readdirSync(EVENT_HASH_DIR)
    .filter((f) => f.endsWith('.jsonld'))
    .sort()
    .map((f) => {
      const name = f.slice(0, -'.jsonld'.length);
      return {
        name,
        document: readJson(path.join(EVENT_HASH_DIR, f)),
        prehashes: lines(path.join(EVENT_HASH_DIR, `${name}.prehashes`)),
        hashes: lines(path.join(EVENT_HASH_DIR, `${name}.hashes`)),
      };
    });
}

export function epcisExamples(): { name: string; document: Record<string, unknown> }[] {
  return readdirSync(EPCIS_EXAMPLES_DIR)
    .filter((f) => f.endsWith('.jsonld') || f.endsWith('.json'))
    .sort()
    .map((f) => ({ name: f, document: readJson(path.join(EPCIS_EXAMPLES_DIR, f)) }));
}
