/**
 * The rows of every table derived from the chain (docs/projections.md): what the node writes when
 * it stores or seals a record, what `provenant verify` re-derives and compares, and what
 * `provenant rebuild-projections` writes back. Row shapes are the stored columns, without the
 * consortium id (every row belongs to the consortium being derived).
 */

/** One captured EPCIS event (EpcisEvent; primary key eventId). */
export interface EpcisEventRow {
  eventId: string;
  recordHash: string;
  eventType: string;
  eventTime: string;
  action: string | null;
  bizStep: string | null;
  disposition: string | null;
  readPoint: string | null;
  bizLocation: string | null;
  submitterOrg: string;
  /** The event's own `eventID` when its client supplied one (EPCIS 2.0 section 7.4.1.3). */
  declaredEventId: string | null;
}

/** The EpcisEvent columns beyond event ID, record, time and submitter (a lineage read carries them for the row check). */
export type IndexedEventColumns = Pick<EpcisEventRow, 'eventType' | 'action' | 'bizStep' | 'disposition' | 'readPoint' | 'bizLocation'>;

/** Lineage index (EventIdentifier; primary key identifier, eventId, role). */
export interface EventIdentifierRow {
  identifier: string;
  eventId: string;
  role: string;
  eventTime: string;
}

/** Current custodian of an item (Custody; primary key identifier); orgId null while nobody holds it. */
export interface CustodyRow {
  identifier: string;
  orgId: string | null;
  eventId: string;
  eventTime: string;
}

/** An event citing an off-chain document (DocumentCitation; primary key sha256, eventId). */
export interface DocumentCitationRow {
  sha256: string;
  eventId: string;
}

/**
 * An error declaration about a captured event (EventCorrection; primary key eventId, recordHash;
 * EPCIS 2.0 section 7.4.1.4): from a later correction record, or the event's own record when it
 * was captured with its declaration.
 */
export interface CorrectionRow {
  /** The corrected event's hash ID (the declaring event has the same one). */
  eventId: string;
  /** The record carrying the declaration. */
  recordHash: string;
  /** The corrected event's record. */
  correctedRecordHash: string;
  declarationTime: string;
  reason: string | null;
  correctiveEventIds: string[];
  /** JCS text of the errorDeclaration as signed. */
  declaration: string;
  signerOrg: string;
}

/** The rows one captured event produces. */
export interface EventRows {
  event: EpcisEventRow;
  identifiers: EventIdentifierRow[];
  citations: DocumentCitationRow[];
}

export interface OrganisationRow {
  id: string;
  name: string;
  roles: string[];
  identifiers: Record<string, string[]>;
  status: string;
  isAuthority: boolean;
}

export interface OrgKeyRow {
  keyId: string;
  orgId: string;
  alg: string;
  publicKey: string;
  status: string;
  addedAtLogIndex: number;
  endedAtLogIndex: number | null;
}

export interface DeviceRow {
  deviceId: string;
  orgId: string;
  keyId: string;
  alg: string;
  publicKey: string;
  status: string;
  registeredAtLogIndex: number;
  revokedAtLogIndex: number | null;
  attributes: Record<string, unknown>;
}

/** OrgIdentifier (primary key scheme, value): which organisation registered an identifier. */
export interface OrgIdentifierRow {
  scheme: string;
  value: string;
  orgId: string;
}

/** Organisation, OrgKey and Device as the consortium state says they are. */
export interface MembershipProjection {
  orgs: OrganisationRow[];
  keys: OrgKeyRow[];
  devices: DeviceRow[];
}

/** The Block columns that repeat the signed header (and the block hash computed from it). */
export interface BlockColumns {
  height: number;
  hash: string;
  previousHash: string;
  merkleRoot: string;
  recordCount: number;
  logSize: number;
  timestamp: string;
  authoritySetHash: string;
}

/** The Consortium row, from the genesis block. */
export interface ConsortiumRow {
  id: string;
  name: string;
  genesisHash: string;
  quorumNumerator: number;
  quorumDenominator: number;
  createdAt: string;
}

/** What a sealed sensor.window record says of the device readings it commits to (DeviceReading). */
export interface WindowAssignment {
  deviceId: string;
  firstSeq: number;
  lastSeq: number;
  count: number;
  readingsRoot: string;
  /** gapFrom of each reading that followed a gap, by seq (every other reading's gapFrom is null). */
  gapFrom: Map<number, number>;
}

/** What a privacy.erasure record says of the PersonData row of its commitment. */
export interface ErasureEffect {
  commitment: string;
}

/** Where a derived row comes from: the record (or block) whose replay produces it. */
export interface RowSource {
  recordHash?: string;
  logIndex?: number;
  height?: number;
}
