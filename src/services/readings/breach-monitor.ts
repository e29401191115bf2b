/**
 * Automatic cold-chain breach records. Listens to the node's 'sealed' event; for
 * each sealed sensor.window record it evaluates the rule set on chain over the device's windowed
 * readings (a lookback span: see breach-eval.ts) and submits one signed 'coldchain.breach' record
 * per breach established in that window, linked to the container or lot and to everything inside
 * it at the time.
 *
 * Deterministic and idempotent: every input is read as of the window's position in the log (the
 * rule set published before it, readings of windows up to it, aggregation events before it), and
 * the record's signedAt is the instant the breach was established. Re-evaluating a window (after a
 * restart, on catch-up) yields the same record, which the node reports as a duplicate; a breach an
 * other authority node already recorded for the same window and finding is not recorded twice.
 *
 * The rule set: on start, for each consortium where this node holds an authority key and the chain
 * has no 'rules.publish' record of the configured rule set (same id, same or later version), the
 * node publishes it. Only rule sets published by an authority organisation are used.
 */
import { EventEmitter } from 'node:events';
import { canonicalize, type JsonValue, type KeyPair } from '../../core/crypto/index.js';
import { RecordKind, recordHash, signRecord, type SignedRecord } from '../../core/ledger/record.js';
import type { LedgerNode, SealedBlockEvent, SubmitOutcome } from '../node/ledger-node.js';
import { BreachStore, type StoredRecordRow } from '../../store/breach-store.js';
import { ContainmentStore } from '../../store/containment-store.js';
import type { Database } from '../../store/database.js';
import { DEFAULT_RULESET, RuleError, canonicalIdentifier, ruleSetPublishPayload, ruleSetRef, type RuleSet, type RuleSetRef } from '../../core/rules/index.js';
import {
  breachPayload,
  breachesEstablishedIn,
  deviceRuleContext,
  evaluateSpan,
  initialLookbackMs,
  parseRuleSetRecord,
  ruleSetInForce,
  signBreachRecord,
  typesToEvaluate,
  type BreachCandidate,
  type BreachPayload,
  type PublishedRuleSet,
  type SpanReading,
} from '../../core/readings/breach-eval.js';
import type { Reading } from '../../core/readings/reading.js';
import type { SensorWindowPayload } from '../../core/readings/window.js';
import { CodedError } from '../../core/coded-error.js';

export * from '../../core/readings/breach-eval.js';

export interface BreachMonitorOptions {
  node: LedgerNode;
  db: Database;
  /** The node's keys (keystore): an authority key in force signs rule sets and breaches. */
  keys: readonly KeyPair[];
  /** Published when the chain has none (default DEFAULT_RULESET); windows use the one on chain. */
  ruleSet?: RuleSet;
  /** Default true. */
  publishRuleSet?: boolean;
  /** Sealed windows re-evaluated on start, newest first, per consortium (default 500; 0 = none). */
  catchUpWindows?: number;
  /** Longest lookback before a breach whose start lies further back is left to earlier windows (default 24 h). */
  maxLookbackMs?: number;
  log?: (line: string) => void;
}

export type BreachOutcome =
  | { status: 'accepted' | 'duplicate'; recordHash: string; record: SignedRecord; payload: BreachPayload }
  | { status: 'recorded_by_other'; recordHash: string; payload: BreachPayload }
  | { status: 'rejected' | 'not_stored'; recordHash?: string; payload: BreachPayload; error: string };

export interface WindowEvaluation {
  consortium: string;
  windowRecordHash: string;
  deviceId?: string;
  status: 'evaluated' | 'skipped';
  reason?: 'not_a_window' | 'unknown_device' | 'no_rule_set' | 'no_applicable_rule' | 'no_signer' | 'unjudgeable_readings';
  message?: string;
  ruleSet?: RuleSetRef;
  breaches: BreachOutcome[];
  /** Breaches left out because their start lies beyond the longest lookback. */
  truncated: number;
}

export interface BreachMonitorStats {
  windows: number;
  skipped: number;
  breachesRecorded: number;
  duplicates: number;
  rejected: number;
  errors: number;
}

export class BreachMonitorError extends CodedError<'RULESET_CONFLICT' | 'RULESET_REJECTED'> {
  override readonly name = 'BreachMonitorError';
}

const DAY_MS = 24 * 3600_000;

/** An authority key in force that this node holds; the lowest key id, so restarts pick the same one. */
export function authorityKeyFor(node: LedgerNode, consortium: string, keys: readonly KeyPair[]): KeyPair | undefined {
  const state = node.state(consortium);
  return [...keys].filter((k) => state.isAuthorityKey(k.keyId)).sort((a, b) => (a.keyId < b.keyId ? -1 : a.keyId > b.keyId ? 1 : 0))[0];
}

/** Valid rule sets on chain signed by an authority organisation, in log order. */
export async function publishedRuleSets(node: LedgerNode, db: Database, consortium: string): Promise<PublishedRuleSet[]> {
  const state = node.state(consortium);
  const rows = await new BreachStore(db).allOfKind(consortium, RecordKind.RULESET_PUBLISH);
  const out: PublishedRuleSet[] = [];
  for (const row of rows) {
    const parsed = parseRuleSetRecord(JSON.parse(row.body) as SignedRecord, row.hash, row.logIndex);
    const org = parsed ? state.orgOfKey(parsed.signer) : undefined;
    if (parsed && org && state.isAuthorityOrg(org.id)) out.push(parsed);
  }
  return out;
}

/**
 * Publishes `ruleSet` as a signed 'rules.publish' record unless the chain already has it, or a
 * later version of the same rule set. Returns the record that is in force for new windows.
 */
export async function ensureRuleSetPublished(
  node: LedgerNode,
  db: Database,
  consortium: string,
  key: KeyPair,
  ruleSet: RuleSet = DEFAULT_RULESET,
): Promise<{ status: 'present' | 'published'; recordHash: string; ref: RuleSetRef }> {
  const wanted = ruleSetRef(ruleSet);
  const published = await publishedRuleSets(node, db, consortium);
  const inForce = ruleSetInForce(published, wanted.id, Number.MAX_SAFE_INTEGER);
  if (inForce && (inForce.ref.version > wanted.version || inForce.ref.hash === wanted.hash)) {
    return { status: 'present', recordHash: inForce.recordHash, ref: inForce.ref };
  }
  if (inForce && inForce.ref.version === wanted.version) {
    throw new BreachMonitorError('RULESET_CONFLICT', `rule set ${wanted.id} v${wanted.version} on chain has hash ${inForce.ref.hash}, this node's has ${wanted.hash}; bump the version`, {
      expected: inForce.ref.hash,
      computed: wanted.hash,
      recordHash: inForce.recordHash,
    });
  }
  const record = signRecord({ consortium, kind: RecordKind.RULESET_PUBLISH, payload: ruleSetPublishPayload(ruleSet) }, key);
  const [outcome] = await node.submit(consortium, [record]);
  if (outcome?.status !== 'accepted' && outcome?.status !== 'duplicate') {
    throw new BreachMonitorError('RULESET_REJECTED', `the node rejected rules.publish of ${wanted.id} v${wanted.version}: ${describeOutcome(outcome)}`, { outcome });
  }
  return { status: 'published', recordHash: outcome.recordHash, ref: wanted };
}

function describeOutcome(o: SubmitOutcome | undefined): string {
  if (!o) return 'no outcome';
  if (o.status === 'rejected') return `${o.error.code}: ${o.error.message}`;
  if (o.status === 'not_stored') return o.reason;
  return o.status;
}

export class BreachMonitor extends EventEmitter {
  readonly #node: LedgerNode;
  readonly #db: Database;
  readonly #store: BreachStore;
  readonly #keys: readonly KeyPair[];
  readonly #ruleSet: RuleSet;
  readonly #publish: boolean;
  readonly #catchUp: number;
  readonly #maxLookbackMs: number;
  readonly #log: (line: string) => void;
  readonly #queue: { consortium: string; hashes: string[] }[] = [];
  #running?: Promise<void>;
  #started = false;
  #stopped = false;
  readonly #stats: BreachMonitorStats = { windows: 0, skipped: 0, breachesRecorded: 0, duplicates: 0, rejected: 0, errors: 0 };
  readonly #onSealed = (event: SealedBlockEvent): void => {
    if (this.#stopped) return;
    this.#enqueue(event.consortium, event.recordHashes);
  };

  constructor(options: BreachMonitorOptions) {
    super();
    this.#node = options.node;
    this.#db = options.db;
    this.#store = new BreachStore(options.db);
    this.#keys = options.keys;
    this.#ruleSet = options.ruleSet ?? DEFAULT_RULESET;
    this.#publish = options.publishRuleSet ?? true;
    this.#catchUp = options.catchUpWindows ?? 500;
    this.#maxLookbackMs = options.maxLookbackMs ?? DAY_MS;
    this.#log = options.log ?? (() => undefined);
  }

  /** Publishes the rule set where missing, listens for sealed blocks, and queues the catch-up. */
  async start(): Promise<void> {
    if (this.#started) return;
    this.#started = true;
    for (const consortium of this.#node.consortia()) {
      const key = authorityKeyFor(this.#node, consortium, this.#keys);
      if (!key) {
        this.#log(`breach monitor: no authority key of "${consortium}" on this node; its breaches are left to an authority node`);
        continue;
      }
      if (this.#publish) {
        try {
          const r = await ensureRuleSetPublished(this.#node, this.#db, consortium, key, this.#ruleSet);
          if (r.status === 'published') this.#log(`published rule set ${r.ref.id} v${r.ref.version} (${r.ref.hash.slice(0, 12)}…) on "${consortium}"`);
        } catch (err) {
          this.#stats.errors += 1;
          this.#log(`breach monitor: ${(err as Error).message}`);
        }
      }
    }
    this.#node.on('sealed', this.#onSealed);
    if (this.#catchUp > 0) {
      for (const consortium of this.#node.consortia()) {
        const rows = await this.#store.latestSealedOfKind(consortium, RecordKind.SENSOR_WINDOW, this.#catchUp);
        if (rows.length > 0) this.#enqueueRows(consortium, rows);
      }
    }
  }

  /**
   * Stops listening and waits for the window being evaluated. Queued windows are dropped: they are
   * sealed, so the catch-up of the next start evaluates them (the records are deterministic).
   */
  async stop(): Promise<void> {
    this.#node.off('sealed', this.#onSealed);
    this.#stopped = true;
    this.#queue.length = 0;
    this.#pendingRows.clear();
    await this.idle();
  }

  /** Resolves once every queued window has been evaluated. */
  async idle(): Promise<void> {
    while (this.#running) await this.#running;
  }

  stats(): BreachMonitorStats {
    return { ...this.#stats };
  }

  #enqueue(consortium: string, hashes: string[]): void {
    this.#queue.push({ consortium, hashes });
    this.#running ??= this.#drain().finally(() => (this.#running = undefined));
  }

  #pendingRows = new Map<string, StoredRecordRow[]>();

  #enqueueRows(consortium: string, rows: StoredRecordRow[]): void {
    this.#pendingRows.set(consortium, [...(this.#pendingRows.get(consortium) ?? []), ...rows]);
    this.#enqueue(consortium, []);
  }

  async #drain(): Promise<void> {
    while (this.#queue.length > 0) {
      const { consortium, hashes } = this.#queue.shift()!;
      try {
        const known = this.#pendingRows.get(consortium) ?? [];
        this.#pendingRows.delete(consortium);
        const windows = [...known, ...(hashes.length > 0 ? await this.#store.recordsOfKind(consortium, RecordKind.SENSOR_WINDOW, hashes) : [])];
        for (const row of windows) {
          if (this.#stopped) return;
          const evaluation = await this.#evaluateRow(consortium, row);
          this.emit('window', evaluation);
        }
      } catch (err) {
        this.#stats.errors += 1;
        this.#log(`breach monitor: ${(err as Error).message}`);
      }
    }
  }

  /** Evaluates one sensor.window record now (also used by tests and for re-evaluation). */
  async evaluateWindow(consortium: string, windowRecordHash: string): Promise<WindowEvaluation> {
    const [row] = await this.#store.recordsOfKind(consortium, RecordKind.SENSOR_WINDOW, [windowRecordHash]);
    if (!row) return { consortium, windowRecordHash, status: 'skipped', reason: 'not_a_window', breaches: [], truncated: 0 };
    return this.#evaluateRow(consortium, row);
  }

  async #evaluateRow(consortium: string, row: StoredRecordRow): Promise<WindowEvaluation> {
    const evaluation = await this.#evaluate(consortium, row);
    this.#stats.windows += 1;
    if (evaluation.status === 'skipped') this.#stats.skipped += 1;
    for (const b of evaluation.breaches) {
      if (b.status === 'accepted') this.#stats.breachesRecorded += 1;
      else if (b.status === 'duplicate' || b.status === 'recorded_by_other') this.#stats.duplicates += 1;
      else this.#stats.rejected += 1;
      if (b.status === 'accepted') {
        this.#log(`cold-chain breach ${b.payload.finding && (b.payload.finding as { code?: string }).code} on ${b.payload.subject}: record ${b.recordHash}`);
        this.emit('breach', b);
      }
    }
    return evaluation;
  }

  async #evaluate(consortium: string, row: StoredRecordRow): Promise<WindowEvaluation> {
    const base = { consortium, windowRecordHash: row.hash, breaches: [] as BreachOutcome[], truncated: 0 };
    const record = JSON.parse(row.body) as SignedRecord;
    const window = record.payload as unknown as SensorWindowPayload;
    const state = this.#node.state(consortium);
    const device = state.devices.get(window.deviceId);
    if (!device) return { ...base, deviceId: window.deviceId, status: 'skipped', reason: 'unknown_device' };
    const published = await publishedRuleSets(this.#node, this.#db, consortium);
    const inForce = ruleSetInForce(published, this.#ruleSet.id, row.logIndex);
    if (!inForce) return { ...base, deviceId: window.deviceId, status: 'skipped', reason: 'no_rule_set', message: `no ${this.#ruleSet.id} rule set on chain before log index ${row.logIndex}` };
    const ruleSet = inForce.ruleSet;
    const ctx = deviceRuleContext(device.attributes, ruleSet);
    const types = typesToEvaluate(ctx, new Set(await this.#store.windowTypes(row.hash)));
    if (types.length === 0) return { ...base, deviceId: window.deviceId, status: 'skipped', reason: 'no_applicable_rule', ruleSet: inForce.ref };

    const startMs = Date.parse(window.windowStart);
    let lookbackMs = Math.min(initialLookbackMs(ruleSet, ctx) + (Date.parse(window.windowEnd) - startMs), this.#maxLookbackMs);
    let established: BreachCandidate[];
    let truncated = 0;
    for (;;) {
      const span = await this.#store.windowedReadings(consortium, window.deviceId, {
        types,
        from: new Date(startMs - lookbackMs).toISOString(),
        to: window.windowEnd,
        maxSeq: window.lastSeq,
        maxLogIndex: row.logIndex,
      });
      const readings: SpanReading[] = span.rows.map((r) => ({ reading: JSON.parse(r.body) as Reading, windowRecordHash: r.windowRecordHash }));
      let evaluation;
      try {
        evaluation = evaluateSpan(readings, ctx, ruleSet);
      } catch (err) {
        if (err instanceof RuleError) {
          return { ...base, deviceId: window.deviceId, status: 'skipped', reason: 'unjudgeable_readings', message: err.message, ruleSet: inForce.ref };
        }
        throw err;
      }
      established = breachesEstablishedIn(evaluation, row.hash);
      const atEdge = established.filter((b) => b.startsAtSpanEdge);
      if (atEdge.length === 0 || !span.earlierExists) break;
      if (lookbackMs >= this.#maxLookbackMs) {
        // Started further back than the longest lookback: an earlier window established it.
        truncated = atEdge.length;
        established = established.filter((b) => !b.startsAtSpanEdge);
        break;
      }
      lookbackMs = Math.min(lookbackMs * 2, this.#maxLookbackMs);
    }
    if (established.length === 0) return { ...base, deviceId: window.deviceId, status: 'evaluated', ruleSet: inForce.ref, truncated };

    const key = authorityKeyFor(this.#node, consortium, this.#keys);
    if (!key) return { ...base, deviceId: window.deviceId, status: 'skipped', reason: 'no_signer', ruleSet: inForce.ref, truncated };
    const containment = new ContainmentStore(this.#db, consortium);
    const existing = await this.#store.breachesOfWindow(consortium, row.hash);
    const existingPayloads = new Map(existing.map((e) => [canonicalize((JSON.parse(e.body) as SignedRecord).payload), e.hash]));
    const breaches: BreachOutcome[] = [];
    for (const candidate of established) {
      const subject = ctx.subject ?? (candidate.crossing.subject !== undefined ? canonicalIdentifier(candidate.crossing.subject) : window.deviceId);
      const contained = await containment.containedDuring(subject, candidate.finding.from, candidate.breachAt, { beforeLogIndex: row.logIndex });
      const payload = breachPayload(candidate, { subject, containedItems: contained, ruleSet: inForce.ref, sensorWindow: row.hash });
      const breachRecord = signBreachRecord(consortium, payload, candidate.breachAt, key);
      const ownHash = recordHash(breachRecord);
      const existingHash = existingPayloads.get(canonicalize(payload as unknown as JsonValue));
      if (existingHash !== undefined) {
        breaches.push(
          existingHash === ownHash
            ? { status: 'duplicate', recordHash: ownHash, record: breachRecord, payload }
            : { status: 'recorded_by_other', recordHash: existingHash, payload },
        );
        continue;
      }
      const [outcome] = await this.#node.submit(consortium, [breachRecord]);
      if (outcome?.status === 'accepted' || outcome?.status === 'duplicate') {
        breaches.push({ status: outcome.status, recordHash: outcome.recordHash, record: breachRecord, payload });
      } else {
        breaches.push({ status: outcome?.status === 'not_stored' ? 'not_stored' : 'rejected', recordHash: outcome?.recordHash, payload, error: describeOutcome(outcome) });
      }
    }
    return { ...base, deviceId: window.deviceId, status: 'evaluated', ruleSet: inForce.ref, breaches, truncated };
  }
}

export async function startBreachMonitor(options: BreachMonitorOptions): Promise<BreachMonitor> {
  const monitor = new BreachMonitor(options);
  await monitor.start();
  return monitor;
}
