/**
 * Custody at admission comes from each item's signed, index-proven history: the case
 * (custody of a pallet moved to another organisation in the Custody table, which then ships it:
 * accepted and sealed) is refused; the real holder still ships it; an item whose index rows were
 * tampered with cannot be acted on until they are repaired.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CaptureRejectedError } from '../../../src/core/capture/errors.js';
import { buildChain, pallet, kase, C, type Chain } from './fixture.js';

const ship = (epc: string, day: number) => ({ type: 'ObjectEvent', eventTime: `2026-03-${day}T08:00:00.000Z`, eventTimeZoneOffset: '+00:00', action: 'OBSERVE', bizStep: 'shipping', epcList: [epc] });

describe('custody at admission, from verified history', () => {
  let chain: Chain;
  beforeAll(async () => {
    chain = await buildChain();
  }, 120_000);
  afterAll(async () => {
    await chain?.close();
  });

  it("moving a pallet's custody row to another organisation does not let it ship the pallet", async () => {
    const before = await chain.temp.db.$queryRawUnsafe<{ orgId: string }[]>(`SELECT "orgId" FROM "Custody" WHERE "consortiumId" = ? AND "identifier" = ?`, C, pallet);
    expect(before[0]!.orgId).toBe('riverside-retail');
    await chain.temp.db.$executeRawUnsafe(`UPDATE "Custody" SET "orgId" = 'swift-haulage' WHERE "consortiumId" = ? AND "identifier" = ?`, C, pallet);
    const refused = await chain.post('swift-haulage', [ship(pallet, 12)]).catch((err: unknown) => err);
    expect(refused).toBeInstanceOf(CaptureRejectedError);
    expect((refused as CaptureRejectedError).code).toBe('NOT_CUSTODIAN');
    // The refusal does not name the holder (custody errors are no oracle for who holds what).
    expect((refused as CaptureRejectedError).message).toContain('held by another organisation');
    expect((refused as CaptureRejectedError).message).not.toContain('riverside-retail');
    // The holder the history names still acts on it.
    const sold = await chain.post('riverside-retail', [{ ...ship(pallet, 12), bizStep: 'retail_selling' }]);
    expect(sold).toHaveLength(1);
  });

  it('an item whose index rows were deleted cannot be acted on (CUSTODY_UNVERIFIED), and can once they are back', async () => {
    const rows = await chain.temp.db.$queryRawUnsafe<{ consortiumId: string; identifier: string; eventId: string; role: string; eventTime: string }[]>(
      `SELECT * FROM "EventIdentifier" WHERE "consortiumId" = ? AND "identifier" = ?`,
      C,
      kase,
    );
    await chain.temp.db.$executeRawUnsafe(`DELETE FROM "EventIdentifier" WHERE "consortiumId" = ? AND "identifier" = ?`, C, kase);
    const refused = await chain.post('vale-processors', [ship(kase, 13)]).catch((err: unknown) => err);
    expect((refused as CaptureRejectedError).code).toBe('CUSTODY_UNVERIFIED');
    for (const r of rows) {
      await chain.temp.db.$executeRawUnsafe(`INSERT INTO "EventIdentifier" ("consortiumId", "identifier", "eventId", "role", "eventTime") VALUES (?, ?, ?, ?, ?)`, r.consortiumId, r.identifier, r.eventId, r.role, r.eventTime);
    }
    // Aggregated into the pallet, the case itself stayed with vale (as the Custody table says too).
    expect(await chain.post('vale-processors', [ship(kase, 13)])).toHaveLength(1);
  });
});
