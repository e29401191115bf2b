/** Promises the chain resolves as the log is read: a decision, a block made final, a log position reached. */

export interface Deferred<T> {
  readonly promise: Promise<T>;
  resolve(value: T): void;
  reject(err: unknown): void;
}

export function deferred<T>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (err: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  // A caller that stops waiting must not leave an unhandled rejection behind.
  promise.catch(() => undefined);
  return { promise, resolve, reject };
}

/** Waiters keyed by a number (a log index, a height, a sequence), resolved once the chain reaches it. */
export class Thresholds<T> {
  #waiting: { at: number; deferred: Deferred<T> }[] = [];

  /** Resolves once `reached(value)` is called with a threshold past `at` (see `settle`). */
  wait(at: number): Promise<T> {
    const d = deferred<T>();
    this.#waiting.push({ at, deferred: d });
    return d.promise;
  }

  /** Resolves every waiter with at < below (or at <= through) with the value. */
  settle(isReached: (at: number) => boolean, value: T): void {
    this.#waiting = this.#waiting.filter((w) => {
      if (!isReached(w.at)) return true;
      w.deferred.resolve(value);
      return false;
    });
  }

  /** Forgets the waiters with `isMoot(at)` without answering them (another answer reached their callers). */
  drop(isMoot: (at: number) => boolean): void {
    this.#waiting = this.#waiting.filter((w) => !isMoot(w.at));
  }

  rejectAll(err: unknown): void {
    for (const w of this.#waiting) w.deferred.reject(err);
    this.#waiting = [];
  }

  get size(): number {
    return this.#waiting.length;
  }
}
