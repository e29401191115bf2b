import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** ../shared/reference relative to the repo root (the folder with package.json). */
export const REFERENCE_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..', '..', 'shared/reference');
