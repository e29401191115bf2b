/**
 * Errors of the EPCIS query interface (EPCIS 2.0 section 8.2.6), by stable code. The REST binding
 * answers each with the exception type GS1's openapi.json names for it (transport maps the code).
 */
import { CodedError } from '../../coded-error.js';

export type QueryErrorCode =
  /** An unknown parameter, a value of the wrong type, or parameters that exclude each other (QueryParameterException). */
  | 'QUERY_PARAMETER'
  /** A standard parameter this repository does not implement (ImplementationException, 501). */
  | 'QUERY_PARAMETER_UNSUPPORTED'
  /** More events match than maxEventCount allows (QueryTooLargeException). */
  | 'QUERY_TOO_LARGE'
  /** The query cannot be answered within the repository's limits (QueryTooComplexException). */
  | 'QUERY_TOO_COMPLEX'
  /** A named query that does not exist (NoSuchNameException). */
  | 'NO_SUCH_QUERY'
  /** A named query of that name exists already (ResourceAlreadyExistsException). */
  | 'QUERY_EXISTS'
  /** A named query definition that is not valid (QueryValidationException). */
  | 'QUERY_VALIDATION'
  /** Bad subscription controls: no schedule and no stream, both, a bad schedule or destination (SubscriptionControlsException). */
  | 'SUBSCRIPTION_CONTROLS'
  /** A webhook destination the node does not deliver to: scheme, credentials, or address (SubscriptionControlsException). */
  | 'WEBHOOK_DESTINATION'
  /** As many subscriptions as a node allows: an organisation's live webhooks, or a token's open WebSockets (SubscriptionControlsException). */
  | 'TOO_MANY_SUBSCRIPTIONS'
  /** A subscription that does not exist (NoSuchSubscriptionException). */
  | 'NO_SUCH_SUBSCRIPTION';

export class QueryError extends CodedError<QueryErrorCode> {
  override readonly name = 'QueryError';
}

export function queryParameterError(message: string, details: Record<string, unknown> = {}): QueryError {
  return new QueryError('QUERY_PARAMETER', message, details);
}
