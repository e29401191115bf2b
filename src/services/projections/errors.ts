import { CodedError } from '../../core/coded-error.js';

/**
 * PROJECTIONS_DISAGREE: a consortium's derived tables disagree with its chain (the node refuses to
 * serve it; `provenant rebuild-projections` repairs them). CHAIN_INVALID: the chain itself fails
 * verification, so nothing can be derived from it. EXPORT_INVALID: an export directory is not a
 * well-formed export or does not verify. COSIGNATURE_INVALID: an export's witness cosignature does
 * not verify or names a checkpoint the chain does not state. TARGET_NOT_EMPTY: an import would
 * overwrite a store.
 */
export class ProjectionError extends CodedError<'PROJECTIONS_DISAGREE' | 'CHAIN_INVALID' | 'EXPORT_INVALID' | 'COSIGNATURE_INVALID' | 'TARGET_NOT_EMPTY'> {
  override readonly name = 'ProjectionError';
}
