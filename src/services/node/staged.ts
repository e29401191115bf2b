/**
 * What a group commit knows while it admits submissions one after another: the stored state it
 * read once, plus the effects of the submissions admitted so far (not on disk yet). A submission's
 * own effects are staged apart until it ends: kept if it stands, dropped if it is rolled back.
 */

/** Values by key: a submission's effects, then the group's, then the stored ones. */
export class StagedMap<V> {
  readonly #stored: ReadonlyMap<string, V>;
  readonly #group = new Map<string, V>();
  readonly #submission = new Map<string, V>();

  constructor(stored: ReadonlyMap<string, V>) {
    this.#stored = stored;
  }

  get(key: string): V | undefined {
    if (this.#submission.has(key)) return this.#submission.get(key);
    if (this.#group.has(key)) return this.#group.get(key);
    return this.#stored.get(key);
  }

  /** Stages a value for the open submission. */
  set(key: string, value: V): void {
    this.#submission.set(key, value);
  }

  /** Ends the open submission: its values stand (the group keeps them) or are dropped. */
  end(stands: boolean): void {
    if (stands) for (const [k, v] of this.#submission) this.#group.set(k, v);
    this.#submission.clear();
  }
}

/**
 * The one duplicate check of a group commit: a key is a duplicate when it is stored, was admitted
 * by an earlier submission of the group, or was seen earlier in the open submission.
 */
export class DuplicateScreen {
  readonly #stored: ReadonlySet<string>;
  readonly #admitted = new Set<string>();
  readonly #seen = new Set<string>();

  constructor(stored: ReadonlySet<string>) {
    this.#stored = stored;
  }

  /** True when any of the keys is a duplicate; otherwise the keys count as seen from now on. */
  screen(...keys: string[]): boolean {
    if (keys.some((k) => this.#stored.has(k) || this.#admitted.has(k) || this.#seen.has(k))) return true;
    for (const k of keys) this.#seen.add(k);
    return false;
  }

  /** Ends the open submission: the keys of its admitted items count for the rest of the group. */
  end(admitted: Iterable<string>): void {
    for (const k of admitted) this.#admitted.add(k);
    this.#seen.clear();
  }
}
