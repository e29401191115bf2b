/** Shapes of the GraphQL answers the views read (see schema.graphql). */
export interface Finding {
  code: string;
  message: string;
  details?: Record<string, unknown> | null;
}

export interface Edge {
  from: string;
  to: string;
  kind: string;
  eventId: string;
  time: string;
  item?: string | null;
}

export interface Hop {
  edge: Edge;
  recordHash: string;
  status: 'VERIFIED' | 'WARNING' | 'FAILED';
  warnings: Finding[];
  failures: Finding[];
  /** Set when the hop's event was declared in error (EPCIS errorDeclaration). */
  correction?: { status: 'CORRECTED' | 'RETRACTED'; reason: string | null; declarationTime: string; correctiveEventIds: string[]; recordHash: string } | null;
}

export const HOP_FIELDS =
  'recordHash status edge { from to kind eventId time item } warnings { code message details } failures { code message details } correction { status reason declarationTime correctiveEventIds recordHash }';

/** The records proving the hops: each hop's own, and the correction record that travels with a corrected hop. */
export function hopRecordHashes(hops: readonly Hop[]): string[] {
  return hops.flatMap((h) => (h.correction ? [h.recordHash, h.correction.recordHash] : [h.recordHash]));
}

export interface EventRecord {
  eventId: string;
  event: Record<string, unknown>;
  redacted: boolean;
  recordHash: string;
  block: { height: number; hash: string } | null;
  signer: { keyId: string; orgId: string };
  signedAt: string;
}
