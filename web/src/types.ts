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
}

export const HOP_FIELDS = 'recordHash status edge { from to kind eventId time item } warnings { code message details } failures { code message details }';

export interface EventRecord {
  eventId: string;
  event: Record<string, unknown>;
  redacted: boolean;
  recordHash: string;
  block: { height: number; hash: string } | null;
  signer: { keyId: string; orgId: string };
  signedAt: string;
}
