/**
 * Visibility for the read services: the visibility store fetches the facts (event facts, the
 * viewer's custody and lineage scope), the read policy decides. Records are classed here by kind
 * (docs/access.md, "Records").
 */
import type { ConsortiumState } from '../core/ledger/consortium.js';
import { RecordKind } from '../core/ledger/record.js';
import { sensorWindowOwner } from '../core/ledger/records/sensor-window.js';
import { EMPTY_SCOPE, type EventFactsInput, type ItemLink, type ViewerScope, type VisibilityViewer } from '../core/lineage/visibility.js';
import { canonicalIdentifier } from '../core/rules/authorisation.js';
import type { Database } from '../store/database.js';
import { VisibilityStore, type ScopeOptions } from '../store/visibility-store.js';
import { decideRead, type ReadDecision } from './read-policy.js';

export interface EventDecisions {
  decisions: Map<string, ReadDecision>;
  scope: ViewerScope;
}

/** A ledger record as the chain reads see it. */
export interface RecordForVisibility {
  hash: string;
  consortiumId: string;
  kind: string;
  signer: string;
  body: string;
}

export interface RecordDecision extends ReadDecision {
  /** The organisation the record belongs to: a sensor window's device owner, else the one owning the signing key (directly or through a device). */
  ownerOrg: string | null;
}

function payloadOf(body: string): { event?: unknown; subject?: unknown; containedItems?: unknown; finding?: unknown } {
  try {
    return (JSON.parse(body) as { payload?: { event?: unknown } }).payload ?? {};
  } catch {
    return {};
  }
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

export class Visibility {
  constructor(
    private readonly db: Database,
    private readonly stateOf: (consortiumId: string) => ConsortiumState | undefined,
  ) {}

  /** The store of facts for a hosted consortium. */
  store(consortiumId: string): VisibilityStore | undefined {
    const state = this.stateOf(consortiumId);
    return state ? new VisibilityStore(this.db, consortiumId, state) : undefined;
  }

  /**
   * One decision per event (by event id) and the scope it was decided on. Events of another
   * consortium than the viewer's are hidden without a read. `verdictOnly`: the events decide a
   * verdict the viewer sees, so hidden ones are logged as such (authenticity).
   */
  async decideEvents(
    viewer: VisibilityViewer,
    rows: readonly EventFactsInput[],
    knownLinks: readonly ItemLink[] = [],
    options: ScopeOptions & { verdictOnly?: boolean } = {},
  ): Promise<EventDecisions> {
    const decisions = new Map<string, ReadDecision>();
    const mine = rows.filter((r) => r.consortiumId === viewer.consortiumId);
    const store = mine.length > 0 ? this.store(viewer.consortiumId) : undefined;
    let scope = EMPTY_SCOPE;
    if (store) {
      const decided = await store.factsAndScope(viewer, mine, knownLinks, options);
      scope = decided.scope;
      for (const [id, facts] of decided.facts) decisions.set(id, decideRead(viewer, { kind: 'event', facts, scope, verdictOnly: options.verdictOnly }));
    }
    for (const r of rows) if (!decisions.has(r.eventId)) decisions.set(r.eventId, { visibility: 'HIDDEN', reason: 'OTHER_CONSORTIUM', access: null });
    return { decisions, scope };
  }

  /** One decision per ledger record (by hash): events as events, breaches by their items (and their device's owner), sensor windows by their device's owner, membership records for all members. */
  async decideRecords(viewer: VisibilityViewer, records: readonly RecordForVisibility[]): Promise<Map<string, RecordDecision>> {
    const out = new Map<string, RecordDecision>();
    const asEvents: EventFactsInput[] = [];
    /** Per breach record: the owner of the device whose readings established it. */
    const breachDeviceOwners = new Map<string, string>();
    for (const r of records) {
      const state = this.stateOf(r.consortiumId);
      const deviceOwner = (deviceId: string) => state?.devices.get(deviceId)?.orgId;
      const signerOrg = state?.orgOfKey(r.signer)?.id ?? null;
      const payload = payloadOf(r.body);
      // A sensor window belongs to its device's owner, whoever signed it (an authority may).
      const ownerOrg = r.kind === RecordKind.SENSOR_WINDOW ? (sensorWindowOwner(payload, deviceOwner) ?? signerOrg) : signerOrg;
      if (r.kind === RecordKind.EPCIS_EVENT && isObject(payload.event) && ownerOrg) {
        asEvents.push({ eventId: r.hash, consortiumId: r.consortiumId, signerOrg: ownerOrg, event: payload.event });
      } else if (r.kind === RecordKind.EPCIS_EVENT) {
        // A payload with no event: its signer and regulators.
        out.set(r.hash, { ...decideRead(viewer, { kind: 'record', consortiumId: r.consortiumId, id: r.hash, ownerOrg, reach: 'owner' }), ownerOrg });
      } else if (r.kind === RecordKind.COLD_CHAIN_BREACH && ownerOrg) {
        const items = [payload.subject, ...(Array.isArray(payload.containedItems) ? payload.containedItems : [])].filter((x): x is string => typeof x === 'string').map(canonicalIdentifier);
        // A breach is decided like an observation of its items.
        asEvents.push({ eventId: r.hash, consortiumId: r.consortiumId, signerOrg: ownerOrg, event: { type: 'ObjectEvent', action: 'OBSERVE', epcList: items } });
        const breachDevice = isObject(payload.finding) ? payload.finding['deviceId'] : undefined;
        const owner = typeof breachDevice === 'string' ? deviceOwner(breachDevice) : undefined;
        if (owner !== undefined) breachDeviceOwners.set(r.hash, owner);
      } else {
        const reach = r.kind === RecordKind.SENSOR_WINDOW ? 'owner-and-customs' : 'members';
        out.set(r.hash, { ...decideRead(viewer, { kind: 'record', consortiumId: r.consortiumId, id: r.hash, ownerOrg, reach }), ownerOrg });
      }
    }
    const mine = asEvents.filter((r) => r.consortiumId === viewer.consortiumId);
    const store = mine.length > 0 ? this.store(viewer.consortiumId) : undefined;
    const decided = store ? await store.factsAndScope(viewer, mine) : undefined;
    for (const r of asEvents) {
      const facts = decided?.facts.get(r.eventId);
      const decision: ReadDecision = facts
        ? decideRead(viewer, { kind: 'event', facts, scope: decided!.scope, as: 'record', deviceOwner: breachDeviceOwners.get(r.eventId) })
        : { visibility: 'HIDDEN', reason: 'OTHER_CONSORTIUM', access: null };
      out.set(r.eventId, { ...decision, ownerOrg: r.signerOrg });
    }
    return out;
  }
}
