/** Recall: everything downstream of an item, with its current custodian and last known location, and the RFC 4180 export. */
import { parseIdentifier } from '../../core/identifiers/index.js';
import type { RecallRow } from '../../core/lineage/answers.js';
import { damOf, trace as walk, type EventRow, type TraceResult } from '../../core/lineage/graph.js';
import { MemoKey, type LineageMemo } from '../../core/lineage/lineage-memo.js';
import { isAnimalIdentifier } from '../../core/rules/authorisation.js';
import { locationOf } from './summary.js';
import { DEFAULT_MAX_DEPTH, type LineageContext } from './verify.js';

/** Identifier kinds a memo keeps (recalls name the same items again and again). */
const KINDS = new MemoKey<Map<string, string>>('identifier kinds');
const KINDS_LIMIT = 500_000;

/** The kind of identifier (animal, sgtin, sscc, container...; 'other' when unparseable), remembered in the memo when given one. */
export function identifierKind(id: string, memo?: LineageMemo): string {
  const kinds = memo?.state(KINDS, () => new Map<string, string>());
  let kind = kinds?.get(id);
  if (kind !== undefined) return kind;
  if (isAnimalIdentifier(id)) kind = 'animal';
  else {
    try {
      kind = parseIdentifier(id).kind;
    } catch {
      kind = 'other';
    }
  }
  if (kinds) {
    if (kinds.size >= KINDS_LIMIT) kinds.clear();
    kinds.set(id, kind);
  }
  return kind;
}

/** Later in eventsOfItem's order (event time, then event id). */
function isLater(a: EventRow, b: EventRow): boolean {
  return a.eventTime > b.eventTime || (a.eventTime === b.eventTime && a.eventId > b.eventId);
}

const places = new WeakMap<EventRow, string | null>();

/** The place an event names (bizLocation before readPoint, as a summary reads it), once per row. */
function placeOf(row: EventRow): string | null {
  let place = places.get(row);
  if (place === undefined) places.set(row, (place = locationOf(row, 'bizLocation') ?? locationOf(row, 'readPoint')));
  return place;
}

/** latestEventsOf per trace result (results are read-only). */
const latestOf = new WeakMap<TraceResult, Map<string, { last: EventRow; placed?: EventRow }>>();

/**
 * Per identifier, the last of its events in eventsOfItem's order, and the last one naming a place:
 * what recall rows show, without sorting every identifier's event list.
 */
function latestEventsOf(result: Pick<TraceResult, 'events'>): Map<string, { last: EventRow; placed?: EventRow }> {
  const out = new Map<string, { last: EventRow; placed?: EventRow }>();
  const see = (id: string, row: EventRow, placed: boolean) => {
    const l = out.get(id);
    if (!l) out.set(id, placed ? { last: row, placed: row } : { last: row });
    else {
      if (l.last !== row && isLater(row, l.last)) l.last = row;
      if (placed && l.placed !== row && (!l.placed || isLater(row, l.placed))) l.placed = row;
    }
  };
  for (const row of result.events.values()) {
    const placed = placeOf(row) !== null;
    let lastId: string | undefined;
    for (const i of row.identifiers) {
      // An event names an item in several roles; once is enough.
      if (i.identifier === lastId) continue;
      lastId = i.identifier;
      see(i.identifier, row, placed);
    }
    const dam = damOf(row);
    if (dam !== undefined) see(dam, row, placed);
  }
  return out;
}

/** Downstream from the item: every affected item with its current custodian (Custody table) and last known location. */
export async function recall(ctx: LineageContext, fromId: string, maxDepth = DEFAULT_MAX_DEPTH): Promise<{ rows: RecallRow[]; trace: TraceResult }> {
  const result = await walk(ctx.source, fromId, 'DOWNSTREAM', maxDepth);
  const items = result.nodes.filter((n) => n !== result.start);
  const custody = await ctx.evidence.custody(items);
  let latest = latestOf.get(result);
  if (!latest) latestOf.set(result, (latest = latestEventsOf(result)));
  const rows = items.map((identifier): RecallRow => {
    const l = latest.get(identifier);
    const last = l?.last;
    const lastLocation = l?.placed ? placeOf(l.placed)! : null;
    const c = custody.get(identifier);
    return {
      identifier,
      kind: identifierKind(identifier, ctx.source.memo),
      lastCustodian: c?.orgId ?? null,
      lastLocation,
      lastEventTime: last?.eventTime ?? c?.eventTime ?? null,
      pathLength: result.depth.get(identifier) ?? 0,
    };
  });
  rows.sort((a, b) => a.pathLength - b.pathLength || (a.identifier < b.identifier ? -1 : a.identifier > b.identifier ? 1 : 0));
  return { rows, trace: result };
}

export const RECALL_CSV_HEADER = ['identifier', 'kind', 'last_custodian', 'last_location', 'last_event_time', 'path_length'] as const;

function csvField(value: string | number | null): string {
  const text = value === null ? '' : String(value);
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** RFC 4180: CRLF line ends, fields with comma, quote or line break quoted, quotes doubled. */
export function recallCsv(rows: readonly RecallRow[]): string {
  const lines = [RECALL_CSV_HEADER.join(',')];
  for (const r of rows) lines.push([r.identifier, r.kind, r.lastCustodian, r.lastLocation, r.lastEventTime, r.pathLength].map(csvField).join(','));
  return `${lines.join('\r\n')}\r\n`;
}

