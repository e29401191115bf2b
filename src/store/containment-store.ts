/**
 * What was inside a container, pallet or case at a given time (a breach is linked to
 * everything inside its subject at the time). Read from the captured-event index (EpcisEvent,
 * EventIdentifier): AggregationEvent ADD puts children into a parent, a later DELETE of the same
 * parent takes them out (all of them when it lists no children), nested to any depth.
 *
 * Only events whose record precedes a given log position are used, so every node holding the same
 * chain computes the same contents for the same question, whatever was captured afterwards.
 */
import type { Database } from './database.js';

const IN_CHUNK = 400;
const marks = (n: number): string => Array.from({ length: n }, () => '?').join(', ');

export interface ContainmentOptions {
  /** Only events in records with logIndex below this count (default: every captured event). */
  beforeLogIndex?: number;
  /** Nesting levels followed (container > pallet > case > pack is 3). Default 16. */
  maxDepth?: number;
}

interface AggregationRow {
  eventId: string;
  parent: string;
  action: string | null;
  eventTime: string;
}

export class ContainmentStore {
  constructor(
    private readonly db: Database,
    readonly consortiumId: string,
  ) {}

  /**
   * Canonical identifiers of everything inside `subject` (canonical) at any instant of [from, to]
   * (RFC 3339 instants), nested, sorted, without the subject itself. An item put in before `to`
   * and not taken out before `from` counts: it shared the container for some of the interval.
   */
  async containedDuring(subject: string, from: string, to: string, options: ContainmentOptions = {}): Promise<string[]> {
    const fromMs = Date.parse(from);
    const toMs = Date.parse(to);
    if (!Number.isFinite(fromMs) || !Number.isFinite(toMs) || toMs < fromMs) {
      throw new RangeError(`containedDuring needs from <= to as RFC 3339 instants, got ${from} .. ${to}`);
    }
    const maxDepth = options.maxDepth ?? 16;
    const found = new Set<string>();
    let frontier = [subject];
    const visited = new Set<string>([subject]);
    for (let depth = 0; depth < maxDepth && frontier.length > 0; depth++) {
      const rows = await this.#aggregationsOf(frontier, options.beforeLogIndex);
      const children = await this.#childrenOf(rows.map((r) => r.eventId));
      const next: string[] = [];
      for (const add of rows) {
        if (add.action !== 'ADD') continue;
        const addedMs = Date.parse(add.eventTime);
        if (!(addedMs <= toMs)) continue;
        for (const child of children.get(add.eventId) ?? []) {
          const removedMs = this.#removedAt(rows, children, add.parent, child, addedMs);
          if (removedMs !== undefined && removedMs <= fromMs) continue;
          found.add(child);
          if (!visited.has(child)) {
            visited.add(child);
            next.push(child);
          }
        }
      }
      frontier = next;
    }
    found.delete(subject);
    return [...found].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  }

  /** Earliest DELETE of `child` (or of the whole parent) from `parent` at or after the ADD. */
  #removedAt(rows: AggregationRow[], children: Map<string, string[]>, parent: string, child: string, addedMs: number): number | undefined {
    let earliest: number | undefined;
    for (const d of rows) {
      if (d.action !== 'DELETE' || d.parent !== parent) continue;
      const at = Date.parse(d.eventTime);
      if (!(at >= addedMs)) continue;
      const listed = children.get(d.eventId) ?? [];
      if (listed.length > 0 && !listed.includes(child)) continue;
      if (earliest === undefined || at < earliest) earliest = at;
    }
    return earliest;
  }

  async #aggregationsOf(parents: string[], beforeLogIndex: number | undefined): Promise<AggregationRow[]> {
    const out: AggregationRow[] = [];
    for (let i = 0; i < parents.length; i += IN_CHUNK) {
      const chunk = parents.slice(i, i + IN_CHUNK);
      const rows = await this.db.$queryRawUnsafe<{ eventId: string; parent: string; action: string | null; eventTime: string }[]>(
        `SELECT e."eventId", ei."identifier" AS "parent", e."action", e."eventTime"
           FROM "EventIdentifier" ei
           JOIN "EpcisEvent" e ON e."consortiumId" = ei."consortiumId" AND e."eventId" = ei."eventId"
           JOIN "LedgerRecord" r ON r."hash" = e."recordHash"
          WHERE ei."consortiumId" = ? AND ei."role" = 'parent' AND ei."identifier" IN (${marks(chunk.length)})
            AND e."eventType" = 'AggregationEvent'
            ${beforeLogIndex !== undefined ? 'AND r."logIndex" < ?' : ''}`,
        this.consortiumId,
        ...chunk,
        ...(beforeLogIndex !== undefined ? [beforeLogIndex] : []),
      );
      out.push(...rows);
    }
    return out;
  }

  async #childrenOf(eventIds: string[]): Promise<Map<string, string[]>> {
    const out = new Map<string, string[]>();
    const unique = [...new Set(eventIds)];
    for (let i = 0; i < unique.length; i += IN_CHUNK) {
      const chunk = unique.slice(i, i + IN_CHUNK);
      const rows = await this.db.$queryRawUnsafe<{ eventId: string; identifier: string }[]>(
        `SELECT "eventId", "identifier" FROM "EventIdentifier" WHERE "consortiumId" = ? AND "role" = 'child' AND "eventId" IN (${marks(chunk.length)})`,
        this.consortiumId,
        ...chunk,
      );
      for (const r of rows) out.set(r.eventId, [...(out.get(r.eventId) ?? []), r.identifier]);
    }
    return out;
  }
}
