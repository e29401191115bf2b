/**
 * What a node trusts about its index map: the top of the map after each of its latest blocks,
 * computed by the node itself (or checked against a signed header's indexRoot when it started).
 * Leaves read from the database are checked against these before anything relies on them.
 */
import { bytesEqual } from '../../crypto/index.js';
import { bucketRoot, compareKeys, type MapLeaf } from './bucket.js';
import { bucketOfKey } from './hashing.js';
import type { MapTop } from './top.js';

export interface MapVersion {
  /** The block after which the map is this. */
  height: number;
  /** Log size after that block: the map holds the entries of every record below it. */
  logSize: number;
  /** The map's root, hex. */
  root: string;
  /** True when a block header (version 2) at this height commits to root. */
  signed: boolean;
  /** Held by the node: never changed once published. */
  top: MapTop;
}

export interface TrustedIndex {
  /** The newest published version: the checkpoint answers are given at. */
  current(): MapVersion | undefined;
  /** Published versions at or after the height, oldest first, then one being sealed (if any). */
  versionsFrom(height: number): readonly MapVersion[];
}

/** The first of the versions under which the bucket's stored leaves give the bucket's root (undefined: none). */
export function versionOfBucket(versions: readonly MapVersion[], bucket: number, leaves: readonly MapLeaf[]): MapVersion | undefined {
  const sorted = [...leaves].sort(compareKeys);
  if (sorted.some((l) => bucketOfKey(l.key) !== bucket)) return undefined;
  const root = bucketRoot(sorted);
  return versions.find((v) => bytesEqual(v.top.bucketRoot(bucket), root));
}
