/** A processor: mince from many carcasses, packs, cases and a pallet. */
import { lgtin, sgtin, sscc } from './identifiers.js';
import { carcassLot } from './abattoir.js';
import { aggregationEvent, objectEvent, transformationEvent, type Participant, type SimClock } from './participant.js';

export interface ProcessorOutput {
  minceLot: string;
  packs: string[];
  cases: string[];
  pallet: string;
}

export async function runProcessor(processor: Participant, clock: SimClock, carcasses: string[], options: { site: string; lot: string; packs: number }): Promise<ProcessorOutput> {
  await processor.post([objectEvent({ eventTime: clock.next(240), action: 'OBSERVE', bizStep: 'receiving', epcList: carcasses, readPoint: options.site })], `received ${carcasses.length} carcasses`);
  const minceLot = lgtin('5098765', '022222', options.lot);
  const packs = Array.from({ length: options.packs }, (_, i) => sgtin('5098765', '033333', `${options.lot}-${i + 1}`));
  await processor.post(
    [
      transformationEvent({
        eventTime: clock.next(60),
        bizStep: 'creating_class_instance',
        inputEPCList: carcasses,
        inputQuantityList: carcasses.map((carcass) => ({ epcClass: carcassLot(carcass), quantity: 300, uom: 'KGM' })),
        outputEPCList: packs,
        outputQuantityList: [{ epcClass: minceLot, quantity: 0.5 * packs.length, uom: 'KGM' }],
      }),
    ],
    `minced ${carcasses.length} carcasses into lot ${options.lot} (${packs.length} packs)`,
  );
  const cases: string[] = [];
  const packing = [];
  for (let i = 0; i < packs.length; i += 6) {
    const caseId = sscc('5098765', `1${String(cases.length + 1).padStart(9, '0')}`);
    cases.push(caseId);
    packing.push(aggregationEvent({ eventTime: clock.next(1), action: 'ADD', bizStep: 'packing', parentID: caseId, childEPCs: packs.slice(i, i + 6) }));
  }
  const pallet = sscc('5098765', '2000000001');
  packing.push(aggregationEvent({ eventTime: clock.next(5), action: 'ADD', bizStep: 'packing', parentID: pallet, childEPCs: cases }));
  await processor.post(packing, `packed into ${cases.length} cases on pallet`);
  // The cases and packs ship with the pallet: each is handed over (custody passes only by a shipping).
  await processor.post([objectEvent({ eventTime: clock.next(30), action: 'OBSERVE', bizStep: 'shipping', epcList: [pallet, ...cases, ...packs], readPoint: options.site })], 'pallet dispatched');
  return { minceLot, packs, cases, pallet };
}
