/**
 * The node's side of the identifier index map (docs/completeness.md) for one consortium: the
 * trusted top after each of the last few blocks, published once each block is stored, and the one
 * being sealed. The deriver (DerivingIndexMap) computes each version. Memory: a few tops, which
 * share the tiles no block changed.
 */
import {
  MapTop,
  type MapVersion,
  type TrustedIndex,
} from '../../core/ledger/index-map/index.js';
import type { IndexMapWrite } from '../../store/index-map-store.js';

/** Versions kept for readers whose reads straddle a seal (a seal every 250 ms, a recall takes up to a second). */
const VERSIONS_KEPT = 6;

export interface PreparedIndex {
  version: MapVersion;
  write: IndexMapWrite;
}

export class IndexMapRuntime implements TrustedIndex {
  readonly #versions: MapVersion[] = [];
  #sealing?: MapVersion;

  constructor(
    readonly consortiumId: string,
    initial: MapVersion,
  ) {
    this.#versions.push(initial);
  }

  /** A runtime over an empty map (no record indexed yet) after the given block. */
  static empty(consortiumId: string, height: number, logSize: number): IndexMapRuntime {
    const top = MapTop.empty();
    return new IndexMapRuntime(consortiumId, { height, logSize, root: top.rootHex(), signed: false, top });
  }

  current(): MapVersion {
    return this.#versions[this.#versions.length - 1]!;
  }

  versionsFrom(height: number): readonly MapVersion[] {
    const out = this.#versions.filter((v) => v.height >= height);
    return this.#sealing ? [...out, this.#sealing] : out;
  }

  /** Called just before the block's transaction: readers may see its rows from now on. */
  begin(prepared: PreparedIndex): void {
    this.#sealing = prepared.version;
  }

  /** The block is stored: its map is now the current version. */
  publish(prepared: PreparedIndex): void {
    this.#sealing = undefined;
    this.#versions.push(prepared.version);
    while (this.#versions.length > VERSIONS_KEPT) this.#versions.shift();
  }

  /** The block was not stored. */
  abort(): void {
    this.#sealing = undefined;
  }
}
