/**
 * What the abuse section's files share: row counts, the node's answer to /health after each attack
 * (and how long it took), the code of a refusal in each of the node's error shapes, and a seeded
 * pick. The section's rows are documented in docs/reliability.md ("Abuse").
 */
import type { TestNode } from '../helpers/test-node.js';

export type Table = 'EpcisEvent' | 'LedgerRecord' | 'DeviceReading' | 'QuerySubscription' | 'NamedQuery' | 'Document' | 'PersonData';

export async function countRows(t: Pick<TestNode, 'db'>, table: Table): Promise<number> {
  const rows = await t.db.$queryRawUnsafe<{ n: bigint | number }[]>(`SELECT count(*) AS n FROM "${table}"`);
  return Number(rows[0]!.n);
}

/** How long /health took to answer 200, in ms (Infinity when it did not within 5 s). */
export async function healthLatency(url: string): Promise<number> {
  const started = performance.now();
  try {
    const res = await fetch(`${url}/health`, { signal: AbortSignal.timeout(5_000) });
    await res.arrayBuffer();
    return res.status === 200 ? performance.now() - started : Infinity;
  } catch {
    return Infinity;
  }
}

/** Whether /health answered 200 within `ms` (the node still serves while under attack). */
export async function healthWithin(url: string, ms = 200): Promise<boolean> {
  return (await healthLatency(url)) <= ms;
}

/**
 * The code of a refusal, whatever its shape: REST `{error: {code}}`, the EPCIS binding's problem
 * details `{type, code}`, GraphQL `{errors: [{extensions: {code}}]}` or a typed union member
 * (`{__typename, code}` anywhere in `data`). Undefined when the answer names none.
 */
export function refusalCode(body: unknown): string | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const b = body as Record<string, any>;
  if (typeof b['error']?.code === 'string') return b['error'].code as string;
  if (typeof b['code'] === 'string' && typeof b['type'] === 'string') return b['code'] as string;
  if (Array.isArray(b['errors']) && b['errors'].length > 0) {
    const codes = (b['errors'] as { extensions?: { code?: unknown } }[]).map((e) => e.extensions?.code);
    return codes.every((c) => typeof c === 'string') ? (codes[0] as string) : undefined;
  }
  if (typeof b['data'] === 'object' && b['data'] !== null) {
    const members = Object.values(b['data'] as Record<string, any>).filter((v) => v && typeof v === 'object');
    const refused = members.find((m) => typeof m.code === 'string' && typeof m.__typename === 'string');
    if (refused) return refused.code as string;
  }
  return undefined;
}

export async function bodyOf(res: Response): Promise<unknown> {
  const text = await res.text();
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

export function pickOf(rand: () => number): <T>(items: readonly T[]) => T {
  return (items) => items[Math.floor(rand() * items.length)]!;
}

/** Increments a count in a record of counts. */
export function bump(counts: Record<string, number>, key: string): void {
  counts[key] = (counts[key] ?? 0) + 1;
}
