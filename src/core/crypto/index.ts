export * from './errors.js';
export * from './jcs.js';
export * from './encoding.js';
export * from './hash.js';
export * from './keys.js';
export * from './signatures.js';
