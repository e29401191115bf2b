/** A retailer: receipt of the pallet with its cases and packs, and a sale. */
import { objectEvent, type Participant, type SimClock } from './participant.js';

export async function runRetailer(retailer: Participant, clock: SimClock, options: { pallet: string; cases: string[]; packs: string[]; store: string; sold: number }): Promise<void> {
  await retailer.post(
    [objectEvent({ eventTime: clock.next(120), action: 'OBSERVE', bizStep: 'receiving', epcList: [options.pallet, ...options.cases, ...options.packs], readPoint: options.store })],
    'received pallet, cases and packs',
  );
  await retailer.post(
    options.packs.slice(0, options.sold).map((pack) => objectEvent({ eventTime: clock.next(15), action: 'OBSERVE', bizStep: 'retail_selling', epcList: [pack], readPoint: options.store })),
    `sold ${options.sold} packs`,
  );
}
