/**
 * Temperature per transport leg, for the explorer's chart: the readings a container's registered
 * sensors committed to the chain (sensor.window records), the limit of the rule set the consortium
 * published for the device's category, and the breaches the consortium sealed. Shown to regulators,
 * the device's owner and organisations that held the container or what a breach names inside it.
 */
import { RecordKind, type SignedRecord } from '../core/ledger/record.js';
import { deviceRuleContext, type PublishedRuleSet } from '../core/readings/breach-eval.js';
import { canonicalIdentifier } from '../core/rules/authorisation.js';
import { BreachStore } from '../store/breach-store.js';
import type { Database } from '../store/database.js';
import { ReadingStore } from '../store/reading-store.js';
import { VisibilityStore } from '../store/visibility-store.js';
import type { Viewer } from './auth.js';
import type { LedgerNode } from './node/ledger-node.js';
import { publishedRuleSets } from './readings/breach-monitor.js';

export interface LegBreach {
  recordHash: string;
  code: string;
  message: string;
  from: string | null;
  to: string | null;
  limitC: number | null;
  maxValueC: number | null;
}

export interface TemperatureLeg {
  deviceId: string;
  ownerOrg: string;
  subject: string;
  category: string | null;
  categoryLabel: string | null;
  /** The rule set's highest allowed temperature for the category, °C. */
  maxC: number | null;
  allowedExcursionS: number | null;
  ruleSet: { id: string; version: number; hash: string } | null;
  points: { t: string; c: number; seq: number }[];
  doorOpen: { t: string; open: boolean }[];
  breaches: LegBreach[];
}

const MAX_POINTS = 50_000;

interface BreachRow {
  recordHash: string;
  subject: string;
  containedItems: string[];
  finding: Record<string, unknown>;
}

async function breachRows(db: Database, consortiumId: string): Promise<BreachRow[]> {
  const rows = await new BreachStore(db).allOfKind(consortiumId, RecordKind.COLD_CHAIN_BREACH);
  return rows.map((r) => {
    const payload = ((JSON.parse(r.body) as SignedRecord).payload ?? {}) as { subject?: unknown; containedItems?: unknown; finding?: unknown };
    return {
      recordHash: r.hash,
      subject: typeof payload.subject === 'string' ? canonicalIdentifier(payload.subject) : '',
      containedItems: Array.isArray(payload.containedItems) ? payload.containedItems.filter((x): x is string => typeof x === 'string').map(canonicalIdentifier) : [],
      finding: payload.finding && typeof payload.finding === 'object' ? (payload.finding as Record<string, unknown>) : {},
    };
  });
}

const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : null);
const str = (v: unknown) => (typeof v === 'string' ? v : null);

/** The newest published rule set that has a category for the device, with that category. */
function ruleFor(published: readonly PublishedRuleSet[], attributes: Record<string, unknown>): { rule: PublishedRuleSet; category: string } | undefined {
  for (let i = published.length - 1; i >= 0; i--) {
    const category = deviceRuleContext(attributes, published[i]!.ruleSet).category;
    if (category) return { rule: published[i]!, category };
  }
  return undefined;
}

async function mayRead(db: Database, node: LedgerNode, viewer: Viewer, deviceOrg: string, items: string[]): Promise<boolean> {
  if (viewer.isRegulator || deviceOrg === viewer.orgId) return true;
  const visibility = new VisibilityStore(db, viewer.consortiumId, node.state(viewer.consortiumId));
  return (await visibility.handledBy(viewer.orgId, items)).size > 0;
}

/** Legs of the subject (a container or lot) the viewer may see: one per sensor registered to it. */
export async function temperatureLegs(node: LedgerNode, db: Database, viewer: Viewer, identifier: string): Promise<TemperatureLeg[]> {
  const subject = canonicalIdentifier(identifier);
  const consortiumId = viewer.consortiumId;
  const state = node.state(consortiumId);
  const published = await publishedRuleSets(node, db, consortiumId);
  const breaches = await breachRows(db, consortiumId);
  const readings = new ReadingStore(db);
  const legs: TemperatureLeg[] = [];
  for (const device of state.devices.values()) {
    const anyRule = published[published.length - 1]?.ruleSet;
    const deviceSubject = anyRule ? deviceRuleContext(device.attributes, anyRule).subject : undefined;
    if (deviceSubject !== subject) continue;
    const ofDevice = breaches.filter((b) => b.finding['deviceId'] === device.deviceId);
    const items = [subject, ...ofDevice.flatMap((b) => b.containedItems)];
    if (!(await mayRead(db, node, viewer, device.orgId, items))) continue;
    const maxSeq = await readings.lastSeq(consortiumId, device.deviceId);
    const span = await new BreachStore(db).windowedReadings(consortiumId, device.deviceId, { types: ['door', 'temperature'], from: '', to: '\uffff', maxSeq, maxLogIndex: state.logSize });
    const points: TemperatureLeg['points'] = [];
    const doorOpen: TemperatureLeg['doorOpen'] = [];
    for (const row of span.rows.sort((a, b) => a.seq - b.seq).slice(-MAX_POINTS)) {
      const value = (JSON.parse(row.body) as { value?: unknown }).value;
      if (row.type === 'temperature' && typeof value === 'number') points.push({ t: row.observedAt, c: value, seq: row.seq });
      else if (row.type === 'door' && typeof value === 'boolean') doorOpen.push({ t: row.observedAt, open: value });
    }
    const rule = ruleFor(published, device.attributes);
    const limit = rule ? rule.rule.ruleSet.categories[rule.category] : undefined;
    legs.push({
      deviceId: device.deviceId,
      ownerOrg: device.orgId,
      subject,
      category: rule?.category ?? null,
      categoryLabel: limit?.label ?? null,
      maxC: limit ? limit.maxTempMilliC / 1000 : null,
      allowedExcursionS: limit?.allowedExcursionS ?? null,
      ruleSet: rule ? { ...rule.rule.ref } : null,
      points,
      doorOpen,
      breaches: ofDevice.map((b) => ({
        recordHash: b.recordHash,
        code: str(b.finding['code']) ?? 'BREACH',
        message: str(b.finding['message']) ?? '',
        from: str(b.finding['from']),
        to: str(b.finding['to']),
        limitC: num(b.finding['limit']),
        maxValueC: num(b.finding['maxValue']),
      })),
    });
  }
  return legs.sort((a, b) => (a.deviceId < b.deviceId ? -1 : 1));
}
