/**
 * Progress lines for long jobs, on stderr: at most twice a second on a terminal, and every few
 * seconds when output goes to a file or a pipe, so CI logs and cron mails still show the job moving.
 */
export interface ProgressOptions {
  stream?: { write(line: string): unknown; isTTY?: boolean };
  now?: () => number;
  /** Interval when the stream is not a terminal. */
  pipeIntervalMs?: number;
}

export function progressPrinter(options: ProgressOptions = {}): (line: string) => void {
  const stream = options.stream ?? process.stderr;
  const now = options.now ?? Date.now;
  const interval = stream.isTTY ? 500 : (options.pipeIntervalMs ?? 5_000);
  let last = now();
  return (line) => {
    const t = now();
    if (t - last < interval) return;
    last = t;
    stream.write(`${line}\n`);
  };
}
