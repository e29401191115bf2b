/**
 * The subscription feed: each sealed block is read once (only for topics someone listens to),
 * what every subscriber shares is worked out once (visibility facts, recall rows, animals of
 * origin), and one batch per block and topic is published. Each subscription then filters the
 * batch for its viewer with the read policy (delivery.ts).
 */
import type { EventRow } from '../../core/lineage/graph.js';
import type { RecallRow } from '../../core/lineage/answers.js';
import { eventFacts } from '../../core/lineage/visibility.js';
import { canonicalIdentifier } from '../../core/rules/authorisation.js';
import { itemsOf } from '../../core/lineage/graph.js';
import { LineageStore } from '../../store/lineage-store.js';
import { SubscriptionStore, type StoredBreachRecord } from '../../store/subscription-store.js';
import { VisibilityStore } from '../../store/visibility-store.js';
import type { SealedBlockEvent } from '../node/ledger-node.js';
import type { NodeHandles } from '../node-handles.js';
import { recall } from '../lineage/recall.js';
import type { LineageContext } from '../lineage/verify.js';
import { inspectionKindOf, isRecallEvent, orgOfKey, originsOf, parseBreach, type BlockRef, type BreachNotice, type FeedTopics, type InspectionNotice, type RecallNotice, type SealedEventNotice } from './notices.js';

/** Where the feed publishes: a pub/sub that knows which topics have listeners. */
export interface FeedPublisher {
  /** Whether a subscription is open on the topic for this consortium (the feed skips work nobody receives). */
  listening(topic: keyof FeedTopics, consortium: string): boolean;
  publish<T extends keyof FeedTopics>(topic: T, consortium: string, batch: FeedTopics[T]): void;
}

export interface SubscriptionFeed {
  /** Stops listening and waits for the block being processed. */
  close(): Promise<void>;
  /** Resolves once every block sealed so far has been published. */
  idle(): Promise<void>;
}

function lineageContext(app: NodeHandles, consortium: string): LineageContext {
  const store = new LineageStore(app.db, consortium);
  return { source: store, evidence: store, state: app.node.state(consortium), index: app.node.trustedIndex(consortium) };
}

type ParsedBreach = NonNullable<ReturnType<typeof parseBreach>> & { stored: StoredBreachRecord };

function breachNotices(app: NodeHandles, c: string, block: BlockRef, breaches: ParsedBreach[]): BreachNotice[] {
  const state = app.node.state(c);
  return breaches.map((b) => {
    const signerOrg = orgOfKey(state, b.stored.signer);
    const items = [b.subject, ...b.containedItems].map(canonicalIdentifier);
    const event = { type: 'ObjectEvent', action: 'OBSERVE', epcList: items };
    const deviceId = typeof b.finding === 'object' && b.finding !== null ? (b.finding as { deviceId?: unknown }).deviceId : undefined;
    const deviceOwner = typeof deviceId === 'string' ? state.devices.get(deviceId)?.orgId : undefined;
    return {
      ...(deviceOwner !== undefined ? { deviceOwner } : {}),
      consortium: c,
      block,
      recordHash: b.stored.recordHash,
      signerOrg,
      signedAt: b.stored.signedAt,
      subject: b.subject,
      containedItems: b.containedItems,
      ruleSet: b.ruleSet,
      finding: b.finding,
      facts: eventFacts({ eventId: b.stored.recordHash, consortiumId: c, signerOrg: signerOrg ?? '', event }),
    };
  });
}

async function recallNotices(app: NodeHandles, c: string, recalls: EventRow[], noticeOf: (row: EventRow) => SealedEventNotice): Promise<RecallNotice[]> {
  const lc = lineageContext(app, c);
  const batch: RecallNotice[] = [];
  for (const row of recalls) {
    const items = itemsOf(row);
    const merged = new Map<string, RecallRow>();
    for (const item of items) {
      for (const r of (await recall(lc, item)).rows) {
        const seen = merged.get(r.identifier);
        if (!items.includes(r.identifier) && (!seen || r.pathLength < seen.pathLength)) merged.set(r.identifier, r);
      }
    }
    const affected = [...merged.values()].sort((a, b) => a.pathLength - b.pathLength || (a.identifier < b.identifier ? -1 : 1));
    batch.push({ event: noticeOf(row), items, affected });
  }
  return batch;
}

async function inspectionNotices(app: NodeHandles, c: string, inspections: { row: EventRow; kind: InspectionNotice['kind'] }[], noticeOf: (row: EventRow) => SealedEventNotice): Promise<InspectionNotice[]> {
  const lc = lineageContext(app, c);
  const batch: InspectionNotice[] = [];
  for (const { row, kind } of inspections) {
    const inspected = itemsOf(row);
    batch.push({ event: noticeOf(row), kind, inspected, origins: await originsOf(lc, inspected) });
  }
  return batch;
}

async function publishBlock(app: NodeHandles, publisher: FeedPublisher, sealed: SealedBlockEvent): Promise<void> {
  const c = sealed.consortium;
  const want = {
    events: publisher.listening('sealedEpcisEvents', c),
    breaches: publisher.listening('coldChainBreaches', c),
    recalls: publisher.listening('recallNotices', c),
    inspections: publisher.listening('inspectionFindings', c),
  };
  if (!want.events && !want.breaches && !want.recalls && !want.inspections) return;
  const store = new SubscriptionStore(app.db, c);
  const block: BlockRef = { height: sealed.header.height, hash: sealed.hash };
  const rows = want.events || want.recalls || want.inspections ? await store.epcisEventsOf(sealed.recordHashes) : [];
  const recalls = want.recalls ? rows.filter(isRecallEvent) : [];
  const inspections = want.inspections ? rows.flatMap((row) => (inspectionKindOf(row) ? [{ row, kind: inspectionKindOf(row)! }] : [])) : [];
  const breaches = want.breaches ? (await store.breachRecordsOf(sealed.recordHashes)).flatMap((stored) => (parseBreach(stored) ? [{ stored, ...parseBreach(stored)! }] : [])) : [];
  const noticed = want.events ? rows : [...new Set([...recalls, ...inspections.map((i) => i.row)])];
  if (noticed.length === 0 && breaches.length === 0) return;

  // Facts once per block, shared by every subscriber (farms of origin are the costly part).
  const inputOf = (r: EventRow) => ({ eventId: r.eventId, consortiumId: c, signerOrg: r.signerOrg, event: r.event });
  const facts = await new VisibilityStore(app.db, c, app.node.state(c)).facts(noticed.map(inputOf), [], true);
  const notices = new Map<string, SealedEventNotice>(
    noticed.map((row) => [row.eventId, { consortium: c, block, row, touched: new Set(row.identifiers.map((i) => i.identifier)), facts: facts.get(row.eventId) ?? eventFacts(inputOf(row)) }]),
  );
  const noticeOf = (row: EventRow) => notices.get(row.eventId)!;

  if (want.events && rows.length > 0) publisher.publish('sealedEpcisEvents', c, rows.map(noticeOf));
  if (breaches.length > 0) publisher.publish('coldChainBreaches', c, breachNotices(app, c, block, breaches));
  if (recalls.length > 0) publisher.publish('recallNotices', c, await recallNotices(app, c, recalls, noticeOf));
  if (inspections.length > 0) publisher.publish('inspectionFindings', c, await inspectionNotices(app, c, inspections, noticeOf));
}

/** Publishes each block the node seals, one at a time in sealing order, so every subscriber sees notices in chain order. */
export function startSubscriptionFeed(app: NodeHandles, publisher: FeedPublisher, onError: (err: unknown) => void = () => undefined): SubscriptionFeed {
  let queue: Promise<void> = Promise.resolve();
  const onSealed = (sealed: SealedBlockEvent) => {
    queue = queue.then(() => publishBlock(app, publisher, sealed)).catch(onError);
  };
  app.node.on('sealed', onSealed);
  return {
    async close() {
      app.node.off('sealed', onSealed);
      await queue;
    },
    idle: () => queue,
  };
}
