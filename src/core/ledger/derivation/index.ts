/** Blocks derived from a consortium's total order (docs/design/network.md), as one import. */
export * from './types.js';
export { Deriver, DerivationError, FINAL_WINDOW, type DeriverOptions } from './deriver.js';
export { checkDerivedBlock, type DerivedBlockFailure } from './derived-block-check.js';
export { isValidCutMarker, isValidSignedHeader, sealMessageOf, signCutMarker, type SignedHeader } from './signed-messages.js';
export { submissionMessageBytes } from './submission-bytes.js';
