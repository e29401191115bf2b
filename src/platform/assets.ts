/**
 * Product assets shipped in the repository (`assets/`): the GS1 EPCIS 2.0 JSON Schemas, JSON-LD
 * contexts, XML Schemas and OpenAPI document. Found relative to this module, never to the
 * working directory, so the node starts from any folder and inside the container image.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The project root: the nearest folder above this module that holds `assets/`. */
function projectRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(path.join(dir, 'assets', 'epcis'))) return dir;
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`Provenant's assets/ folder was not found above ${fileURLToPath(import.meta.url)}`);
    dir = parent;
  }
}

let root: string | undefined;

/** Absolute path of a file or folder under `assets/`. */
export function assetPath(...segments: string[]): string {
  root ??= projectRoot();
  return path.join(root, 'assets', ...segments);
}
