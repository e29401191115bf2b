/** Test vectors copied into the repository (each folder keeps its licence file beside it). */
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const VECTORS_DIR = path.dirname(fileURLToPath(import.meta.url));
export const EVENT_HASH_DIR = path.join(VECTORS_DIR, 'event-hash');
export const JCS_DIR = path.join(VECTORS_DIR, 'jcs');
export const WYCHEPROOF_DIR = path.join(VECTORS_DIR, 'wycheproof');
export const EPCIS_EXAMPLES_DIR = path.join(VECTORS_DIR, 'epcis', 'examples');
export const EPCIS_XML_EXAMPLES_DIR = path.join(VECTORS_DIR, 'epcis', 'xml-examples');
