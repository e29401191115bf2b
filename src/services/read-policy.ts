/**
 * The one read policy (docs/access.md): may viewer V see item X, in full, redacted or not at all,
 * and what goes into X's owner's access log. Every read surface asks it: GraphQL fields, REST
 * routes, subscriptions, documents and persons. The services fetch the facts (visibility facts
 * and scope from the visibility store, document citations, person owners); this decides.
 *
 * Whatever the item, a missing viewer sees nothing and a viewer of another consortium sees
 * nothing of this one: the viewer's consortium is part of every decision. The one exception is
 * what a member publishes for anyone (a trade item's public passport), and only its public fields.
 */
import {
  decideMembershipRecord,
  decideOwnedRecord,
  decideVisibility,
  isRegulator,
  type EventFacts,
  type ViewerScope,
  type VisibilityDecision,
  type VisibilityViewer,
} from '../core/lineage/visibility.js';

/** Subject types written to the access log, so an owner can tell what a reader was shown. */
export const ACCESS_SUBJECT = {
  /** An event shown in full. */
  EVENT: 'EpcisEvent',
  /** An event shown with its inspection finding withheld. */
  REDACTED_EVENT: 'EpcisEvent:redacted',
  /** An event not shown, whose content decided a verdict that was (authenticity check). */
  VERDICT_EVENT: 'EpcisEvent:verdict',
  /** A ledger record's payload shown in full. */
  RECORD: 'LedgerRecord',
  /** A ledger record's payload shown with its finding withheld. */
  REDACTED_RECORD: 'LedgerRecord:redacted',
  /** An off-chain document's bytes. */
  DOCUMENT: 'Document',
  /** A person's personal data. */
  PERSON: 'Person',
} as const;

export type AccessSubjectType = (typeof ACCESS_SUBJECT)[keyof typeof ACCESS_SUBJECT];

/**
 * The fields of a trade item's public passport, behind its GS1 Digital Link: the farms' region
 * (never the holding or the farm), slaughter and packing days, whether the cold chain was kept
 * and every step verified, and the brand owner, whose name is on the pack already.
 */
export const PUBLIC_PASSPORT_FIELDS = [
  'identifier',
  'gtin',
  'lot',
  'serial',
  'brandOwner',
  'originRegions',
  'slaughterDates',
  'packingDates',
  'coldChainKept',
  'everyStepVerified',
  'checkedAt',
] as const;

export type PublicPassportField = (typeof PUBLIC_PASSPORT_FIELDS)[number];

/** One entry for the owner's access log: who owns what was read, and what it was. */
export interface AccessSubject {
  ownerOrgId: string;
  subjectType: AccessSubjectType;
  subjectId: string;
}

/** What a surface is about to show. */
export type ReadItem =
  /**
   * An EPCIS event, or a record decided as one (`as: 'record'`, e.g. a cold-chain breach as an
   * observation of its items). `verdictOnly`: the event is not shown, but it decides a verdict
   * that is (authenticity), which the owner's log records even when the event is hidden.
   * `holdsAffected`: the viewer holds an item downstream of what the event recalls, which entitles
   * it to the event with its finding withheld (recall notices).
   */
  | {
      kind: 'event';
      facts: EventFacts;
      scope: ViewerScope;
      as?: 'event' | 'record';
      verdictOnly?: boolean;
      holdsAffected?: boolean;
      /** A cold-chain breach: the owner of the device whose readings established it, who sees it as its own readings. */
      deviceOwner?: string;
    }
  /** A record about no item: `members` (membership, devices, rule sets, erasures), or its owner and regulators (`customs` too for sensor windows). */
  | { kind: 'record'; consortiumId: string; id: string; ownerOrg: string | null; reach: 'members' | 'owner' | 'owner-and-customs' }
  /** An off-chain document: its uploader, regulators, and members that may see in full an event citing it. */
  | { kind: 'document'; consortiumId: string; id: string; ownerOrg: string | null; citing: readonly VisibilityDecision[] }
  /** A person's data: the registering organisation and regulators. */
  | { kind: 'person'; consortiumId: string; id: string; ownerOrg: string }
  /** Consortium-wide facts: chain status, blocks, organisations, the log, metrics, sealed-block notices. */
  | { kind: 'consortium'; consortiumId: string }
  /** An organisation's access log: its owner only. */
  | { kind: 'access-log'; consortiumId: string; ownerOrg: string }
  /** What a member publishes for anyone, with a token or without: a trade item's public passport. */
  | { kind: 'published'; consortiumId: string; ownerOrg: string; what: 'public-passport' };

export interface ReadDecision extends VisibilityDecision {
  /** The entry this read leaves in the owner's access log; null when nothing of another organisation is read. */
  access: AccessSubject | null;
  /** For a published item: the only fields that may be shown. */
  fields?: readonly PublicPassportField[];
}

const hidden = (reason: VisibilityDecision['reason']): VisibilityDecision => ({ visibility: 'HIDDEN', reason });
const visible = (reason: VisibilityDecision['reason']): VisibilityDecision => ({ visibility: 'VISIBLE', reason });

function consortiumOf(item: ReadItem): string {
  return item.kind === 'event' ? item.facts.consortiumId : item.consortiumId;
}

function decideItem(viewer: VisibilityViewer, item: ReadItem): VisibilityDecision {
  switch (item.kind) {
    case 'event': {
      const decision = decideVisibility(viewer, item.facts, item.scope);
      if (decision.visibility !== 'VISIBLE' && item.deviceOwner === viewer.orgId) return visible('OWNER');
      if (item.holdsAffected && decision.visibility === 'HIDDEN' && decision.reason === 'NOT_ENTITLED') return { visibility: 'REDACTED', reason: 'FINDING_WITHHELD' };
      return decision;
    }
    case 'record':
      if (item.reach === 'members') return decideMembershipRecord(viewer, item.consortiumId);
      return decideOwnedRecord(viewer, item.consortiumId, item.ownerOrg, { cargo: item.reach === 'owner-and-customs' });
    case 'document': {
      if (isRegulator(viewer)) return visible('REGULATOR');
      if (item.ownerOrg === viewer.orgId) return visible('OWNER');
      // A redacted event withholds its provenant:* fields, the document citation included.
      const entitled = item.citing.find((d) => d.visibility === 'VISIBLE');
      return entitled ? visible(entitled.reason) : hidden('NOT_ENTITLED');
    }
    case 'person':
      if (item.ownerOrg === viewer.orgId) return visible('OWNER');
      return isRegulator(viewer) ? visible('REGULATOR') : hidden('NOT_ENTITLED');
    case 'consortium':
      return visible('MEMBERSHIP');
    case 'access-log':
      return item.ownerOrg === viewer.orgId ? visible('OWNER') : hidden('NOT_ENTITLED');
    case 'published':
      return visible('PUBLISHED');
  }
}

function accessSubject(item: ReadItem, decision: VisibilityDecision): AccessSubject | null {
  const redacted = decision.visibility === 'REDACTED';
  switch (item.kind) {
    case 'event': {
      // No owner on record (a key nobody holds any more): nobody's log to write to.
      if ((decision.visibility === 'HIDDEN' && !item.verdictOnly) || !item.facts.signerOrg) return null;
      const subjectType =
        decision.visibility === 'HIDDEN'
          ? ACCESS_SUBJECT.VERDICT_EVENT
          : item.as === 'record'
            ? redacted
              ? ACCESS_SUBJECT.REDACTED_RECORD
              : ACCESS_SUBJECT.RECORD
            : redacted
              ? ACCESS_SUBJECT.REDACTED_EVENT
              : ACCESS_SUBJECT.EVENT;
      return { ownerOrgId: item.facts.signerOrg, subjectType, subjectId: item.facts.eventId };
    }
    case 'record':
      if (decision.visibility === 'HIDDEN' || item.ownerOrg === null) return null;
      return { ownerOrgId: item.ownerOrg, subjectType: ACCESS_SUBJECT.RECORD, subjectId: item.id };
    case 'document':
      if (decision.visibility === 'HIDDEN') return null;
      return { ownerOrgId: item.ownerOrg ?? 'unknown', subjectType: ACCESS_SUBJECT.DOCUMENT, subjectId: item.id };
    case 'person':
      if (decision.visibility === 'HIDDEN') return null;
      return { ownerOrgId: item.ownerOrg, subjectType: ACCESS_SUBJECT.PERSON, subjectId: item.id };
    default:
      return null;
  }
}

/** The decision for one viewer and one item, with the access-log entry it leaves (none for one's own data). */
export function decideRead(viewer: VisibilityViewer | null, item: ReadItem): ReadDecision {
  // Published for anyone: its public fields alike for every viewer, and nobody's log to write to.
  if (item.kind === 'published') return { visibility: 'VISIBLE', reason: 'PUBLISHED', access: null, fields: PUBLIC_PASSPORT_FIELDS };
  let decision: VisibilityDecision;
  if (!viewer) decision = hidden('UNAUTHENTICATED');
  else if (viewer.consortiumId !== consortiumOf(item)) decision = hidden('OTHER_CONSORTIUM');
  else decision = decideItem(viewer, item);
  const subject = viewer && decision.reason !== 'UNAUTHENTICATED' && decision.reason !== 'OTHER_CONSORTIUM' ? accessSubject(item, decision) : null;
  return { ...decision, access: subject && subject.ownerOrgId !== viewer!.orgId ? subject : null };
}

/** Whether the decision shows the item (in full or redacted). */
export function isShownRead(decision: Pick<VisibilityDecision, 'visibility'> | undefined): boolean {
  return decision !== undefined && decision.visibility !== 'HIDDEN';
}
