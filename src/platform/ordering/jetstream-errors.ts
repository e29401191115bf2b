/** Maps what the NATS client throws to OrderingError codes, and says which are worth a retry. */
import { AuthorizationError, PermissionViolationError, UserAuthenticationExpiredError } from '@nats-io/transport-node';
import { JetStreamApiCodes, JetStreamApiError } from '@nats-io/jetstream';
import { OrderingError } from './ordering.js';

function causes(error: unknown): unknown[] {
  const chain: unknown[] = [];
  for (let e = error; e !== undefined && e !== null && chain.length < 5; e = (e as { cause?: unknown }).cause) chain.push(e);
  return chain;
}

export function isMissingStream(error: unknown): boolean {
  return causes(error).some(
    (e) => (e instanceof JetStreamApiError && e.code === JetStreamApiCodes.StreamNotFound) || (e instanceof Error && e.message === 'stream not found'),
  );
}

/**
 * ORDERING_AUTH_FAILED and ORDERING_FORBIDDEN are final (credentials or permissions must change);
 * ORDERING_UNKNOWN_CONSORTIUM means no stream was provisioned; ORDERING_UNAVAILABLE is everything
 * that can pass (timeouts, no responders during an election, a reconnect) and is retried.
 */
export function toOrderingError(error: unknown, details: Record<string, unknown>): OrderingError {
  if (error instanceof OrderingError) return error;
  const chain = causes(error);
  const message = error instanceof Error ? error.message : String(error);
  if (chain.some((e) => e instanceof AuthorizationError || e instanceof UserAuthenticationExpiredError)) {
    return new OrderingError('ORDERING_AUTH_FAILED', 'the NATS servers refused these credentials', { ...details, cause: message });
  }
  const denied = chain.find((e): e is PermissionViolationError => e instanceof PermissionViolationError);
  if (denied) {
    return new OrderingError('ORDERING_FORBIDDEN', `this node may not ${denied.operation} on ${denied.subject}`, {
      ...details,
      operation: denied.operation,
      subject: denied.subject,
    });
  }
  if (isMissingStream(error)) {
    return new OrderingError('ORDERING_UNKNOWN_CONSORTIUM', 'no ordering stream is provisioned for this consortium', { ...details, cause: message });
  }
  return new OrderingError('ORDERING_UNAVAILABLE', `the ordering service did not answer: ${message}`, { ...details, cause: message });
}
