/**
 * What lineage remembers between queries, held by an object its owner keeps (the lineage store
 * keeps one per database and consortium), never by this module: canonical identifiers, one string
 * object per identifier text, what was derived from each row object, recent walks and their
 * semantic checks. Without a memo every function computes afresh and gives the same answer.
 */
import { canonicalIdentifier } from '../rules/authorisation.js';

/** Names one kind of remembered state; graph.ts and semantics.ts declare theirs. */
export class MemoKey<T> {
  declare readonly kind: T;
  constructor(readonly name: string) {}
}

/** Results kept by key, most recent last, dropping the oldest beyond a count or a total size. */
export class RecentResults<T extends { size: number }> {
  readonly #kept = new Map<string, T>();
  #size = 0;

  constructor(
    readonly maxCount: number,
    readonly maxSize: number,
  ) {}

  /** Removes and returns the result kept under the key. */
  take(key: string): T | undefined {
    const old = this.#kept.get(key);
    if (!old) return undefined;
    this.#kept.delete(key);
    this.#size -= old.size;
    return old;
  }

  /** Keeps the result as the most recent. */
  remember(key: string, value: T): void {
    this.take(key);
    this.#kept.set(key, value);
    this.#size += value.size;
    for (const k of this.#kept.keys()) {
      if (this.#kept.size <= this.maxCount && this.#size <= this.maxSize) break;
      this.take(k);
    }
  }
}

const CANONICAL_LIMIT = 500_000;
const INTERN_LIMIT = 250_000;

export class LineageMemo {
  readonly #canonical = new Map<string, string>();
  readonly #interned = new Map<string, string>();
  readonly #state = new Map<MemoKey<unknown>, unknown>();

  /**
   * One string object per identifier text. Traces key maps and sets by identifier thousands of
   * times per query; a key that is the very object stored compares without reading its characters.
   * Only speed depends on it (strings compare by value either way).
   */
  intern(text: string): string {
    const known = this.#interned.get(text);
    if (known !== undefined) return known;
    if (this.#interned.size >= INTERN_LIMIT) this.#interned.clear();
    this.#interned.set(text, text);
    return text;
  }

  /** canonicalIdentifier, remembered and interned (traces canonicalise the same ids again and again). */
  canonical(text: string): string {
    let out = this.#canonical.get(text);
    if (out === undefined) {
      out = this.intern(canonicalIdentifier(text));
      if (this.#canonical.size >= CANONICAL_LIMIT) this.#canonical.clear();
      this.#canonical.set(text, out);
    }
    return out;
  }

  /** The state kept under `key`, made on first use. */
  state<T>(key: MemoKey<T>, make: () => T): T {
    let value = this.#state.get(key) as T | undefined;
    if (value === undefined) {
      value = make();
      this.#state.set(key, value);
    }
    return value;
  }
}
