/** RFC 6962 / RFC 9162 Merkle tree: hashing, proof building and proof checking as separate pure units. */
export * from './merkle-errors.js';
export * from './merkle-hash.js';
export * from './merkle-tree.js';
export * from './merkle-verify.js';
