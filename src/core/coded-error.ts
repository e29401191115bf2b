/**
 * The base of the typed errors every layer throws: a stable code, a message, and details. The API
 * maps them to responses in one place (src/api/errors.ts), by code.
 */
export class CodedError<Code extends string = string> extends Error {
  constructor(
    readonly code: Code,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
  }
}
