import { CodedError } from '../../core/coded-error.js';

/** A usage or configuration problem the user can fix: the CLI exits with code 2. */
export class CliUsageError extends CodedError<'USAGE'> {
  override readonly name = 'CliUsageError';
  constructor(message: string, details: Record<string, unknown> = {}) {
    super('USAGE', message, details);
  }
}

/** One line for any error: typed errors show their code and message, never a stack trace. */
export function describeError(err: unknown): string {
  if (err instanceof CliUsageError) return err.message;
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    return typeof code === 'string' ? `${code}: ${err.message}` : err.message;
  }
  return String(err);
}

/** The node refused what was sent, or a check failed: the CLI exits with code 1. */
export class CliRefusedError extends CodedError {
  override readonly name = 'CliRefusedError';
}

/** The exit code for an error that reached the top of a command. */
export function exitCodeOf(err: unknown): 1 | 2 {
  return err instanceof CliRefusedError ? 1 : 2;
}
