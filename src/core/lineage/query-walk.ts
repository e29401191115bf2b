/**
 * Which identifiers a lineage query visits. The queries a proof bundle may state are walks of
 * graph.ts (walkLevels, the rule the lineage services follow): `trace` in the direction it names,
 * `recall` downstream, `cargo` upstream, each from its identifier to a depth (default 32). A bundle
 * verifier re-walks the query over the bundle's own records with visitedByRecords. Pure.
 */
import { errorDeclarationOf } from '../capture/corrections.js';
import { eventTouches, indexedEventOf } from '../ledger/index-map/entries.js';
import type { SignedRecord } from '../ledger/record.js';
import { canonicalIdentifier } from '../rules/authorisation.js';
import { walkLevels, type Direction, type EventRow, type FrontierRead, type JsonObject } from './graph.js';

/** The depth a query walks when it names none, and the deepest it may ask for. */
export const DEFAULT_WALK_DEPTH = 32;
export const MAX_WALK_DEPTH = 64;

export const WALK_QUERY_KINDS = ['trace', 'recall', 'cargo'] as const;
export type WalkQueryKind = (typeof WALK_QUERY_KINDS)[number];

/** A query as a bundle states it (`identifier` canonical when the node wrote it). */
export interface WalkQuery {
  kind: WalkQueryKind;
  identifier: string;
  /** `trace` only. */
  direction?: Direction;
  maxDepth?: number;
  [field: string]: unknown;
}

export interface QueryWalk {
  start: string;
  direction: Direction;
  maxDepth: number;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The walk a query stands for, or why it names none (an unknown kind, a missing identifier or direction, a bad depth). */
export function walkOfQuery(query: unknown): QueryWalk | { error: string } {
  if (!isObject(query) || !(WALK_QUERY_KINDS as readonly unknown[]).includes(query.kind)) return { error: `a query's kind is one of ${WALK_QUERY_KINDS.join(', ')}` };
  const { kind, identifier, direction, maxDepth } = query;
  if (typeof identifier !== 'string' || identifier.trim() === '') return { error: 'a query names its identifier' };
  const depth = maxDepth ?? DEFAULT_WALK_DEPTH;
  if (!Number.isSafeInteger(depth) || (depth as number) < 0 || (depth as number) > MAX_WALK_DEPTH) return { error: `maxDepth is an integer 0..${MAX_WALK_DEPTH}` };
  let dir: Direction;
  if (kind === 'trace') {
    if (direction !== 'UPSTREAM' && direction !== 'DOWNSTREAM') return { error: 'a trace names its direction, UPSTREAM or DOWNSTREAM' };
    dir = direction;
  } else {
    if (direction !== undefined) return { error: `a ${String(kind)} query has no direction` };
    dir = kind === 'recall' ? 'DOWNSTREAM' : 'UPSTREAM';
  }
  return { start: canonicalIdentifier(identifier), direction: dir, maxDepth: depth as number };
}

/** A record as a bundle holds it. */
export interface WalkRecord {
  hash: string;
  logIndex: number;
  record: Pick<SignedRecord, 'kind' | 'payload'>;
}

/**
 * The identifiers the walk visits over these records alone (each epcis.event record one event,
 * touching what section 1 of docs/completeness.md says). Records declaring an error are left out:
 * a correction repeats its event's identifiers (the event hash ID covers them) and is no event of
 * the node's walk, and its visibility may differ from the event's. Withheld records are not walked.
 */
export function visitedByRecords(walk: QueryWalk, records: readonly WalkRecord[]): string[] {
  const rows: EventRow[] = [];
  for (const r of [...records].sort((a, b) => a.logIndex - b.logIndex)) {
    const event = indexedEventOf(r.record);
    if (!isObject(event) || errorDeclarationOf(event as JsonObject)) continue;
    const eventTime = typeof event.eventTime === 'string' ? event.eventTime : '';
    rows.push({ eventId: r.hash, recordHash: r.hash, eventTime, event: event as JsonObject, signerOrg: '', identifiers: eventTouches(event) });
  }
  const byIdentifier = new Map<string, { row: EventRow; role: string }[]>();
  for (const row of rows) {
    for (const t of row.identifiers) {
      let list = byIdentifier.get(t.identifier);
      if (!list) byIdentifier.set(t.identifier, (list = []));
      list.push({ row, role: t.role });
    }
  }
  const read = ({ frontier, known, skipRoles }: FrontierRead): EventRow[] => {
    const out = new Set<EventRow>();
    for (const id of frontier) {
      for (const { row, role } of byIdentifier.get(id) ?? []) if (!known.has(row.eventId) && !skipRoles?.includes(role)) out.add(row);
    }
    return [...out];
  };
  const steps = walkLevels(undefined, walk.start, walk.direction, walk.maxDepth);
  let step = steps.next();
  while (!step.done) step = steps.next(read(step.value));
  return step.value.nodes;
}

/** Identifiers the query's walk over the records visits that the answer does not list, or lists without proving its history. */
export function walkGaps(query: unknown, records: readonly WalkRecord[], listed: ReadonlySet<string>, proven: ReadonlySet<string>): { error: string } | { gaps: { identifier: string; listed: boolean }[] } {
  const walk = walkOfQuery(query);
  if ('error' in walk) return walk;
  return { gaps: visitedByRecords(walk, records).filter((id) => !listed.has(id) || !proven.has(id)).map((identifier) => ({ identifier, listed: listed.has(identifier) })) };
}
