/** Helpers for lineage tests on a real demo node whose membership changes during the test. */
import { expect } from 'vitest';
import { CaptureService } from '../../../src/services/capture/capture-service.js';
import { signCaptureDocument } from '../../../src/client/capture-client.js';
import type { MembershipChange } from '../../../src/core/ledger/governance.js';
import { RecordKind, signRecord } from '../../../src/core/ledger/record.js';
import type { TempNode } from '../../helpers/temp-node.js';
import { doc } from '../capture/harness.js';

export const C = 'uk-red-meat';
export const day = (n: number) => `2026-03-${String(n).padStart(2, '0')}T08:00:00.000Z`;

/** An EPCIS 2.0 document of the events (the capture tests' shape). */
export const epcisDocument = doc;

/** Submits signed records and seals them into a block; returns their record hashes. */
export async function submitSealed(temp: TempNode, records: ReturnType<typeof signRecord>[]): Promise<string[]> {
  const outcomes = await temp.node.submit(C, records);
  for (const o of outcomes) expect(o.status, JSON.stringify(o)).toBe('accepted');
  expect(await temp.node.sealNow(C)).not.toBeNull();
  return outcomes.map((o) => (o as { recordHash: string }).recordHash);
}

/** Applies membership changes: fsa proposes (its proposal counts as approval); hmrc and riverside-retail approve, 3 of 4. */
export async function govern(temp: TempNode, changes: MembershipChange[]): Promise<void> {
  const key = (org: string) => temp.demo.orgKeys.get(org)!;
  const proposals = await submitSealed(temp, changes.map((change) => signRecord({ consortium: C, kind: RecordKind.PROPOSAL, payload: { change } as never }, key('fsa'))));
  await submitSealed(temp, ['hmrc', 'riverside-retail'].flatMap((org) => proposals.map((proposal) => signRecord({ consortium: C, kind: RecordKind.APPROVAL, payload: { proposal } }, key(org)))));
  for (const p of proposals) expect(temp.node.state(C).proposals.get(p)!.status).toBe('applied');
}

/** Captures one document signed by `org` and seals it; returns the first event's record hash. */
export async function captureSealed(temp: TempNode, via: CaptureService, org: string, events: Record<string, unknown>[]): Promise<string> {
  const out = await via.capture(signCaptureDocument(epcisDocument(events), { consortium: C, key: temp.demo.orgKeys.get(org)! }));
  expect(await temp.node.sealNow(C)).not.toBeNull();
  return out.results[0]!.recordHash!;
}

/** A capture service whose events skip the role and custody check: stands in for a record the rules would refuse today. */
export function uncheckedCapture(temp: TempNode): CaptureService {
  return new CaptureService({ node: temp.node, db: temp.db, authorise: () => ({ ok: true, rule: 'unchecked', custodyChanges: [] }) });
}
