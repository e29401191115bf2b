/**
 * The base of the typed errors every layer throws: a stable code, a message, and details. The API
 * maps them to responses in one place (src/transport/http/errors.ts), by code.
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

/**
 * An error that carries one of Provenant's stable codes (UPPER_SNAKE), whether a CodedError or
 * another module's typed error. Codes of the platform and of libraries are not ours to show: Node's
 * (ERR_*), errno names (ECONNRESET) and Prisma's engine codes (P2028), whose messages describe
 * internals.
 */
export function isCodedError(err: unknown): err is Error & { code: string; details?: Record<string, unknown> } {
  if (!(err instanceof Error)) return false;
  const code: unknown = (err as { code?: unknown }).code;
  return typeof code === 'string' && /^[A-Z][A-Z0-9_]+$/.test(code) && !code.startsWith('ERR_') && !/^E[A-Z]+$/.test(code) && !/^P\d{4}$/.test(code);
}
