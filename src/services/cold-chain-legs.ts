/**
 * Temperature per transport leg, for the explorer's chart: the readings a container's registered
 * sensors committed to the chain (sensor.window records), the limit of the rule set the consortium
 * published for the device's category, and the breaches the consortium sealed. The read policy
 * decides each window and each breach as record(hash) does (docs/access.md, "Records"): readings
 * of the windows the viewer may see (the device's organisation, regulators, customs), breaches as
 * observations of the items they name; a leg with neither is not listed.
 */
import type { DeviceEntry } from '../core/ledger/consortium.js';
import { RecordKind, type SignedRecord } from '../core/ledger/record.js';
import { deviceRuleContext, type PublishedRuleSet } from '../core/readings/breach-eval.js';
import { canonicalIdentifier } from '../core/rules/authorisation.js';
import { BreachStore, type WindowedReadingRow } from '../store/breach-store.js';
import type { Database } from '../store/database.js';
import { LineageStore } from '../store/lineage-store.js';
import { ReadingStore } from '../store/reading-store.js';
import type { Viewer } from './auth.js';
import type { NodeHandles } from './node-handles.js';
import { requireMember, requireViewer, type ReadContext } from './read-context.js';
import { decideRead, isShownRead, type ReadDecision } from './read-policy.js';
import { publishedRuleSets } from './readings/breach-monitor.js';
import type { RecordForVisibility, Visibility } from './visibility.js';

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
  /** Windows of this device's readings the viewer may not see (their readings are left out). */
  readingsWithheld: boolean;
  breaches: LegBreach[];
}

const MAX_POINTS = 50_000;

interface BreachRow {
  record: RecordForVisibility;
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
      record: { hash: r.hash, consortiumId, kind: RecordKind.COLD_CHAIN_BREACH, signer: (JSON.parse(r.body) as SignedRecord).signer, body: r.body },
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

/** A record row as the read policy takes it. */
function forVisibility(row: { hash: string; consortiumId: string; body: string }): RecordForVisibility {
  const body = JSON.parse(row.body) as { kind?: unknown; signer?: unknown };
  return { hash: row.hash, consortiumId: row.consortiumId, kind: String(body.kind ?? ''), signer: String(body.signer ?? ''), body: row.body };
}

/** What of one device's leg the viewer may see: the windows of its readings and the breaches, each decided as record(hash) decides it. */
async function decideLeg(
  db: Database,
  visibility: Visibility,
  viewer: Viewer,
  device: DeviceEntry,
  rows: readonly WindowedReadingRow[],
  breaches: readonly BreachRow[],
): Promise<{ windows: Map<string, ReadDecision>; breaches: Map<string, ReadDecision>; listed: boolean }> {
  const windowRows = await new LineageStore(db, viewer.consortiumId).records([...new Set(rows.map((r) => r.windowRecordHash))]);
  const decided = await visibility.decideRecords(viewer, [...windowRows.map(forVisibility), ...breaches.map((b) => b.record)]);
  const shown = (hashes: string[]) => new Map(hashes.flatMap((h) => (isShownRead(decided.get(h)) ? [[h, decided.get(h)!] as const] : [])));
  const windows = shown(windowRows.map((w) => w.hash));
  const shownBreaches = shown(breaches.map((b) => b.recordHash));
  // A device with nothing on the chain yet: its readings' reach (the windows it will have).
  const reach = decideRead(viewer, { kind: 'record', consortiumId: viewer.consortiumId, id: device.deviceId, ownerOrg: device.orgId, reach: 'owner-and-customs' });
  const listed = windows.size > 0 || shownBreaches.size > 0 || (windowRows.length === 0 && isShownRead(reach));
  return { windows, breaches: shownBreaches, listed };
}

/** Legs of the subject (a container or lot) the viewer may see: one per sensor registered to it, cut by the read policy. */
export async function temperatureLegs(handles: Pick<NodeHandles, 'node' | 'db'>, visibility: Visibility, rc: ReadContext, identifier: string): Promise<TemperatureLeg[]> {
  const viewer = requireMember(rc, requireViewer(rc).consortiumId);
  const { node, db } = handles;
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
    const maxSeq = await readings.lastSeq(consortiumId, device.deviceId);
    const span = await new BreachStore(db).windowedReadings(consortiumId, device.deviceId, { types: ['door', 'temperature'], from: '', to: '\uffff', maxSeq, maxLogIndex: state.logSize });
    const decided = await decideLeg(db, visibility, viewer, device, span.rows, ofDevice);
    if (!decided.listed) continue;
    for (const d of [...decided.windows.values(), ...decided.breaches.values()]) rc.access.record(d);
    legs.push(legOf(device, subject, published, span.rows, decided, ofDevice));
  }
  return legs.sort((a, b) => (a.deviceId < b.deviceId ? -1 : 1));
}

function legOf(
  device: DeviceEntry,
  subject: string,
  published: readonly PublishedRuleSet[],
  rows: readonly WindowedReadingRow[],
  decided: { windows: Map<string, ReadDecision>; breaches: Map<string, ReadDecision> },
  ofDevice: readonly BreachRow[],
): TemperatureLeg {
  const points: TemperatureLeg['points'] = [];
  const doorOpen: TemperatureLeg['doorOpen'] = [];
  const visible = rows.filter((row) => decided.windows.has(row.windowRecordHash));
  for (const row of visible.sort((a, b) => a.seq - b.seq).slice(-MAX_POINTS)) {
    const value = (JSON.parse(row.body) as { value?: unknown }).value;
    if (row.type === 'temperature' && typeof value === 'number') points.push({ t: row.observedAt, c: value, seq: row.seq });
    else if (row.type === 'door' && typeof value === 'boolean') doorOpen.push({ t: row.observedAt, open: value });
  }
  const rule = ruleFor(published, device.attributes);
  const limit = rule ? rule.rule.ruleSet.categories[rule.category] : undefined;
  return {
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
    readingsWithheld: visible.length < rows.length,
    breaches: ofDevice
      .filter((b) => decided.breaches.has(b.recordHash))
      .map((b) => ({
        recordHash: b.recordHash,
        code: str(b.finding['code']) ?? 'BREACH',
        message: str(b.finding['message']) ?? '',
        from: str(b.finding['from']),
        to: str(b.finding['to']),
        limitC: num(b.finding['limit']),
        maxValueC: num(b.finding['maxValue']),
      })),
  };
}
