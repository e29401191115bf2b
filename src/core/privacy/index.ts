export * from './commitment.js';
export * from './erasure.js';
