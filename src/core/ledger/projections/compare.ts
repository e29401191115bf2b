/**
 * Comparing stored projection rows with the rows the chain derives: every difference names the
 * table, the row by its primary key, the column, and the record the row should come from.
 */
import { canonicalize, type JsonValue } from '../../crypto/index.js';
import type { RowSource } from './rows.js';

export type ProjectionFailureCode =
  /** A row the chain derives is not stored. */
  | 'ROW_MISSING'
  /** A stored row the chain does not derive (inserted, or left by a record that is not on the chain). */
  | 'ROW_UNEXPECTED'
  /** A stored column differs from the derived value. */
  | 'ROW_MISMATCH'
  /** A stored checkpoint for a larger log than the chain's head: history was rolled back. */
  | 'CHECKPOINT_BEYOND_HEAD'
  /** A stored checkpoint that does not state the chain's log at its size (root, block, time, signatures). */
  | 'CHECKPOINT_MISMATCH'
  /** Off-chain data that no longer matches what the chain commits to (a reading, a document). */
  | 'COMMITMENT_MISMATCH'
  /** The role table refuses the record as of its log position (docs/authorisation.md). */
  | 'NOT_AUTHORISED'
  /** The role table refuses the record: another organisation held the item then. */
  | 'NOT_CUSTODIAN';

export interface ProjectionFailure {
  code: ProjectionFailureCode;
  table: string;
  /** The row's primary key (without the consortium id). */
  key: Record<string, unknown>;
  column?: string;
  /** The derived value. */
  expected?: unknown;
  /** The stored value. */
  stored?: unknown;
  /** The record (or block) the derived row comes from. */
  source?: RowSource;
  message: string;
}

export interface TableShape {
  table: string;
  key: readonly string[];
  columns: readonly string[];
}

export const TABLE_SHAPES = {
  EpcisEvent: {
    table: 'EpcisEvent',
    key: ['eventId'],
    columns: ['recordHash', 'eventType', 'eventTime', 'action', 'bizStep', 'disposition', 'readPoint', 'bizLocation', 'submitterOrg', 'declaredEventId'],
  },
  EventCorrection: {
    table: 'EventCorrection',
    key: ['eventId', 'recordHash'],
    columns: ['correctedRecordHash', 'declarationTime', 'reason', 'correctiveEventIds', 'declaration', 'signerOrg'],
  },
  EventIdentifier: { table: 'EventIdentifier', key: ['identifier', 'eventId', 'role'], columns: ['eventTime'] },
  DocumentCitation: { table: 'DocumentCitation', key: ['sha256', 'eventId'], columns: [] },
  Custody: { table: 'Custody', key: ['identifier'], columns: ['orgId', 'eventId', 'eventTime'] },
  Organisation: { table: 'Organisation', key: ['id'], columns: ['name', 'roles', 'identifiers', 'status', 'isAuthority'] },
  OrgIdentifier: { table: 'OrgIdentifier', key: ['scheme', 'value'], columns: ['orgId'] },
  OrgKey: { table: 'OrgKey', key: ['keyId'], columns: ['orgId', 'alg', 'publicKey', 'status', 'addedAtLogIndex', 'endedAtLogIndex'] },
  Device: {
    table: 'Device',
    key: ['deviceId'],
    columns: ['orgId', 'keyId', 'alg', 'publicKey', 'status', 'registeredAtLogIndex', 'revokedAtLogIndex', 'attributes'],
  },
  Consortium: { table: 'Consortium', key: ['id'], columns: ['name', 'genesisHash', 'quorumNumerator', 'quorumDenominator', 'createdAt'] },
} as const satisfies Record<string, TableShape>;

/** Values as stored compare equal to derived ones: bigint and number, 0/1 and booleans, JSON by canonical form. */
export function sameValue(derived: unknown, stored: unknown): boolean {
  if (derived === stored) return true;
  if (derived === null || stored === null || derived === undefined || stored === undefined) return (derived ?? null) === (stored ?? null);
  if (typeof stored === 'bigint') return sameValue(derived, Number(stored));
  if (typeof derived === 'boolean' && typeof stored === 'number') return derived === (stored !== 0);
  if (typeof derived === 'object' && typeof stored === 'object') {
    try {
      return canonicalize(derived as JsonValue) === canonicalize(stored as JsonValue);
    } catch {
      return false;
    }
  }
  return false;
}

function keyOf(shape: TableShape, row: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(shape.key.map((k) => [k, typeof row[k] === 'bigint' ? Number(row[k]) : row[k]]));
}

function keyText(shape: TableShape, row: Record<string, unknown>): string {
  return shape.key.map((k) => String(row[k])).join('\u0000');
}

export function describeKey(key: Record<string, unknown>): string {
  return Object.entries(key)
    .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
    .join(', ');
}

function describeSource(source: RowSource | undefined): string {
  if (!source) return '';
  const parts = [source.recordHash ? `record ${source.recordHash.slice(0, 16)}…` : '', source.logIndex !== undefined ? `log index ${source.logIndex}` : '', source.height !== undefined ? `block ${source.height}` : ''];
  return parts.filter(Boolean).join(' at ');
}

/** A failure for one row, with a message naming table, key, column and source. */
export function rowFailure(
  code: ProjectionFailureCode,
  shape: Pick<TableShape, 'table'>,
  key: Record<string, unknown>,
  extra: { column?: string; expected?: unknown; stored?: unknown; source?: RowSource; why?: string } = {},
): ProjectionFailure {
  const from = describeSource(extra.source);
  const what =
    code === 'ROW_MISSING'
      ? `is missing${from ? `; ${from} produces it` : ''}`
      : code === 'ROW_UNEXPECTED'
        ? `is stored but no record on the chain produces it${extra.why ? ` (${extra.why})` : ''}`
        : `column ${extra.column} is ${JSON.stringify(extra.stored)}, the chain says ${JSON.stringify(extra.expected)}${from ? ` (${from})` : ''}`;
  return {
    code,
    table: shape.table,
    key,
    ...(extra.column !== undefined ? { column: extra.column } : {}),
    ...(extra.expected !== undefined ? { expected: extra.expected } : {}),
    ...(extra.stored !== undefined ? { stored: extra.stored } : {}),
    ...(extra.source ? { source: extra.source } : {}),
    message: `${shape.table} row (${describeKey(key)}) ${what}`,
  };
}

/**
 * Compares the derived rows with the stored rows of the same keys (the caller reads the stored
 * rows for exactly the keys it derived, or a superset it owns). `sourceOf` names each derived row's
 * record. Returns the failures and how many stored rows were accounted for.
 */
export function diffRows<R extends object>(
  shape: TableShape,
  derived: readonly R[],
  stored: readonly Record<string, unknown>[],
  sourceOf: (row: R) => RowSource | undefined,
): { failures: ProjectionFailure[]; seen: number } {
  const failures: ProjectionFailure[] = [];
  const byKey = new Map<string, Record<string, unknown>>();
  for (const row of stored) byKey.set(keyText(shape, row), row);
  const matched = new Set<string>();
  for (const d of derived) {
    const row = d as Record<string, unknown>;
    const k = keyText(shape, row);
    const s = byKey.get(k);
    const source = sourceOf(d);
    if (!s) {
      failures.push(rowFailure('ROW_MISSING', shape, keyOf(shape, row), { source }));
      continue;
    }
    matched.add(k);
    for (const column of shape.columns) {
      if (!sameValue(row[column], s[column])) failures.push(rowFailure('ROW_MISMATCH', shape, keyOf(shape, row), { column, expected: row[column] ?? null, stored: s[column] ?? null, source }));
    }
  }
  for (const [k, s] of byKey) if (!matched.has(k)) failures.push(rowFailure('ROW_UNEXPECTED', shape, keyOf(shape, s)));
  return { failures, seen: byKey.size };
}
