/** Public ledger API: records, blocks, consortium state and admission, chain verification, checkpoints, Merkle proofs. */
export * from './errors.js';
export * from './record.js';
export * from './block.js';
export * from './governance.js';
export * from './consortium.js';
export * from './chain-verifier.js';
export * from './checkpoint.js';
export * from './merkle.js';
export * from './batch-signature.js';
export * from './record-batch.js';
