/** The identifier index map (docs/completeness.md): entries, encoding, the map's tree and its proofs. */
export * from './hashing.js';
export * from './entries.js';
export * from './bucket.js';
export * from './top.js';
export * from './proof.js';
export * from './update.js';
export * from './version.js';
export * from './deriving.js';
