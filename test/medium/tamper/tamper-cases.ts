/**
 * The tamper matrix's cases: for every table that holds chain data or a projection, edit each
 * column of one row, delete a row, insert a forged row, swap two rows. Each case is plain SQL on a
 * copy of a sealed store, so the reliability suite can replay the same cases on its own stores.
 */
import type Database from 'better-sqlite3';

export type Operation = 'edit' | 'delete' | 'insert' | 'swap';

export interface TamperCase {
  table: string;
  operation: Operation;
  /** The edited column (edit only). */
  column?: string;
  /** Stable label, e.g. "EpcisEvent edit bizStep". */
  label: string;
  apply(db: Database.Database): void;
}

interface TableSpec {
  table: string;
  key: readonly string[];
  /** The consortium column ('id' for Consortium). */
  consortium: string;
  /** Other unique columns, changed in a forged row too. */
  unique?: readonly string[];
}

/** Every table holding chain data or rows derived from it (prisma/schema.prisma). */
export const TAMPER_TABLES: readonly TableSpec[] = [
  { table: 'Consortium', key: ['id'], consortium: 'id', unique: ['genesisHash'] },
  { table: 'Block', key: ['consortiumId', 'height'], consortium: 'consortiumId', unique: ['hash'] },
  { table: 'LedgerRecord', key: ['hash'], consortium: 'consortiumId', unique: ['logIndex'] },
  { table: 'Checkpoint', key: ['consortiumId', 'logSize'], consortium: 'consortiumId' },
  { table: 'Organisation', key: ['consortiumId', 'id'], consortium: 'consortiumId' },
  { table: 'OrgIdentifier', key: ['consortiumId', 'scheme', 'value'], consortium: 'consortiumId' },
  { table: 'OrgKey', key: ['consortiumId', 'keyId'], consortium: 'consortiumId' },
  { table: 'Device', key: ['consortiumId', 'deviceId'], consortium: 'consortiumId' },
  { table: 'EpcisEvent', key: ['consortiumId', 'eventId'], consortium: 'consortiumId' },
  { table: 'EventIdentifier', key: ['consortiumId', 'identifier', 'eventId', 'role'], consortium: 'consortiumId' },
  { table: 'EventCorrection', key: ['consortiumId', 'eventId', 'recordHash'], consortium: 'consortiumId' },
  { table: 'Custody', key: ['consortiumId', 'identifier'], consortium: 'consortiumId' },
  { table: 'DocumentCitation', key: ['consortiumId', 'sha256', 'eventId'], consortium: 'consortiumId' },
  { table: 'Document', key: ['sha256'], consortium: 'consortiumId' },
  { table: 'PersonData', key: ['commitment'], consortium: 'consortiumId' },
  { table: 'DeviceReading', key: ['consortiumId', 'deviceId', 'seq'], consortium: 'consortiumId' },
  { table: 'LocationLink', key: ['consortiumId', 'vocabulary', 'parentId', 'orgId', 'childId'], consortium: 'consortiumId' },
];

/**
 * Node state that no record produces, left out of the matrix: API tokens, the access log, capture
 * jobs and the lineage cache epoch.
 */
export const NODE_STATE_TABLES = ['ApiToken', 'AccessLog', 'CaptureJob', 'LineageEpoch'] as const;

/** Columns that hold when the node received or stored something, which no signature states. */
export const UNSIGNED_COLUMNS: Readonly<Record<string, readonly string[]>> = {
  LedgerRecord: ['receivedAt'],
  // Where this node's ordering log cut and finalised the block: positions in a node-local log.
  Block: ['cutSequence', 'finalSequence'],
  // The media type is what the uploader declared; events cite a document by its SHA-256, type and name.
  Document: ['uploadedAt', 'uploadedByOrg', 'mediaType'],
  PersonData: ['createdAt'],
  DeviceReading: ['receivedAt'],
};

const BOOLEAN_COLUMNS = new Set(['isAuthority']);

type Row = Record<string, unknown>;

/** A list with its first entry altered (a signature's last character, say), or an entry added when empty. */
function changedList(list: unknown[]): unknown[] {
  if (list.length === 0) return ['tampered'];
  const [first, ...rest] = list;
  if (typeof first === 'string') return [changedText(first), ...rest];
  if (first && typeof first === 'object' && !Array.isArray(first)) {
    const entries = Object.entries(first as Record<string, unknown>);
    const last = [...entries].reverse().find(([, v]) => typeof v === 'string');
    if (last) return [{ ...(first as object), [last[0]]: changedText(last[1] as string) }, ...rest];
  }
  return list.slice(0, -1);
}

function changedText(text: string): string {
  const trimmed = text.trim();
  if ((trimmed.startsWith('{') && trimmed.endsWith('}')) || (trimmed.startsWith('[') && trimmed.endsWith(']'))) {
    try {
      const value = JSON.parse(text) as unknown;
      if (Array.isArray(value)) return JSON.stringify(changedList(value));
      if (value && typeof value === 'object') return JSON.stringify({ ...(value as object), tampered: true });
    } catch {
      // not JSON: changed as text below
    }
  }
  if (text === '') return 'tampered';
  const last = text.at(-1)!;
  return text.slice(0, -1) + (last === '0' ? '1' : '0');
}

/** A different value of the same type (null becomes text, or 1 in an integer column). */
export function changedValue(column: string, value: unknown, sample?: unknown): unknown {
  if (BOOLEAN_COLUMNS.has(column)) return Number(value) === 0 ? 1 : 0;
  if (value === null || value === undefined) return typeof sample === 'number' || typeof sample === 'bigint' ? 1 : 'tampered';
  if (typeof value === 'number') return value + 1;
  if (typeof value === 'bigint') return value + 1n;
  if (Buffer.isBuffer(value) || value instanceof Uint8Array) {
    const copy = Buffer.from(value);
    copy[0] = (copy[0] ?? 0) ^ 0xff;
    return copy;
  }
  return changedText(String(value));
}

function quote(name: string): string {
  return `"${name}"`;
}

function where(spec: TableSpec, row: Row): { sql: string; params: unknown[] } {
  return { sql: spec.key.map((k) => `${quote(k)} = ?`).join(' AND '), params: spec.key.map((k) => row[k]) };
}

/**
 * The rows a case works on: `pick` chooses the target (for example a row of an event on a trace),
 * the first row otherwise; `second` is another row for swaps.
 */
function rowsOf(db: Database.Database, spec: TableSpec, consortium: string, pick?: (row: Row) => boolean): { target?: Row; second?: Row; all: Row[] } {
  const all = db.prepare(`SELECT * FROM ${quote(spec.table)} WHERE ${quote(spec.consortium)} = ? ORDER BY rowid`).all(consortium) as Row[];
  const target = (pick ? all.find(pick) : undefined) ?? all[0];
  const second = all.find((r) => r !== target && columnsOf(spec, r).some((c) => !sameCell(r[c], target?.[c])));
  return { target, second, all };
}

function sameCell(a: unknown, b: unknown): boolean {
  if (Buffer.isBuffer(a) && Buffer.isBuffer(b)) return a.equals(b);
  return a === b;
}

function columnsOf(spec: TableSpec, row: Row): string[] {
  return Object.keys(row).filter((c) => !spec.key.includes(c) && c !== spec.consortium);
}

function swapCase(spec: TableSpec, target: Row, second: Row | undefined): TamperCase[] {
  if (!second) return [];
  const t = where(spec, target);
  const s = where(spec, second);
  const columns = columnsOf(spec, target);
  return [
    {
      table: spec.table,
      operation: 'swap',
      label: `${spec.table} swap two rows`,
      apply: (raw) => {
        // Both rows out, then back with their other columns exchanged (unique columns never collide midway).
        const names = Object.keys(target);
        const insert = raw.prepare(`INSERT INTO ${quote(spec.table)} (${names.map(quote).join(', ')}) VALUES (${names.map(() => '?').join(', ')})`);
        raw.prepare(`DELETE FROM ${quote(spec.table)} WHERE ${t.sql}`).run(...t.params);
        raw.prepare(`DELETE FROM ${quote(spec.table)} WHERE ${s.sql}`).run(...s.params);
        const swapped = (row: Row, other: Row) => names.map((n) => (columns.includes(n) ? other[n] : row[n]));
        insert.run(...swapped(target, second));
        insert.run(...swapped(second, target));
      },
    },
  ];
}

/** The cases for one table, read from the pristine store `db`. */
export function casesForTable(db: Database.Database, spec: TableSpec, consortium: string, pick?: (row: Row) => boolean): TamperCase[] {
  const { target, second, all } = rowsOf(db, spec, consortium, pick);
  if (!target) return [];
  const out: TamperCase[] = [];
  const t = where(spec, target);
  const integers = new Set((db.prepare(`PRAGMA table_info(${quote(spec.table)})`).all() as { name: string; type: string }[]).filter((c) => /INT/i.test(c.type)).map((c) => c.name));
  for (const column of Object.keys(target)) {
    const sample = all.find((r) => r[column] !== null)?.[column] ?? (integers.has(column) ? 0 : undefined);
    const identity = spec.key.includes(column) || (spec.unique ?? []).includes(column);
    // A key or unique number moves far away, so it collides with no other row.
    const value = identity && typeof target[column] === 'number' ? Number(target[column]) + 100_000 : changedValue(column, target[column], sample);
    out.push({
      table: spec.table,
      operation: 'edit',
      column,
      label: `${spec.table} edit ${column}`,
      apply: (raw) => {
        // Foreign keys are not declared, so a key column may be changed like any other.
        raw.prepare(`UPDATE ${quote(spec.table)} SET ${quote(column)} = ? WHERE ${t.sql}`).run(value, ...t.params);
      },
    });
  }
  out.push({ table: spec.table, operation: 'delete', label: `${spec.table} delete`, apply: (raw) => void raw.prepare(`DELETE FROM ${quote(spec.table)} WHERE ${t.sql}`).run(...t.params) });
  // A forged Consortium row is another consortium, not a row of this one: it is left out.
  if (spec.key.length === 1 && spec.key[0] === spec.consortium) return [...out, ...swapCase(spec, target, second)];
  const forged: Row = { ...target };
  for (const k of [...spec.key, ...(spec.unique ?? [])]) if (k !== spec.consortium) forged[k] = typeof forged[k] === 'number' ? Number(forged[k]) + 1000 : changedText(String(forged[k]));
  const names = Object.keys(forged);
  out.push({
    table: spec.table,
    operation: 'insert',
    label: `${spec.table} insert forged row`,
    apply: (raw) => void raw.prepare(`INSERT INTO ${quote(spec.table)} (${names.map(quote).join(', ')}) VALUES (${names.map(() => '?').join(', ')})`).run(...names.map((n) => forged[n])),
  });
  out.push(...swapCase(spec, target, second));
  return out;
}

/**
 * Known gaps, named in the report: which organisation registered a person that is not erased is
 * on no record (an erasure's signer names it; a registration is not signed).
 */
export const KNOWN_GAPS: readonly string[] = ['PersonData edit orgId'];

/** Whether an edit of this column is expected to go unnoticed (node-local, unsigned). */
export function isUnsignedColumn(c: TamperCase): boolean {
  if (KNOWN_GAPS.includes(c.label)) return true;
  return c.operation === 'edit' && c.column !== undefined && (UNSIGNED_COLUMNS[c.table] ?? []).includes(c.column);
}
