/**
 * Expected GraphQL failures. Fields list them in `errors: { types }` (plugin-errors) so clients get
 * a typed union member with `message` and `code`; anything else is masked by Yoga. They extend
 * GraphQLError so that, thrown where no union catches them (subscriptions), they still reach the
 * client with their code instead of being masked.
 */
import { GraphQLError } from 'graphql';

export class ExpectedError extends GraphQLError {
  constructor(
    readonly code: string,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message, { extensions: { code } });
  }
}

export class UnauthenticatedError extends ExpectedError {
  constructor(message = 'an API token is required (Authorization: Bearer pvn_...)', details?: Record<string, unknown>) {
    super('UNAUTHENTICATED', message, details);
  }
}

export class ForbiddenError extends ExpectedError {
  constructor(message: string, details?: Record<string, unknown>) {
    super('FORBIDDEN', message, details);
  }
}

export class NotFoundError extends ExpectedError {
  constructor(message: string, details?: Record<string, unknown>) {
    super('NOT_FOUND', message, details);
  }
}

export class InvalidIdentifierError extends ExpectedError {
  constructor(message: string, details?: Record<string, unknown>) {
    super('INVALID_IDENTIFIER', message, details);
  }
}

/** GraphQL object type name for each expected error class. */
export const ERROR_TYPES = [
  [UnauthenticatedError, 'Unauthenticated'],
  [ForbiddenError, 'Forbidden'],
  [NotFoundError, 'NotFound'],
  [InvalidIdentifierError, 'InvalidIdentifier'],
] as const;
