/** An abattoir: receipt of animals, slaughter (animal to carcass), post-mortem inspection, dispatch. */
import { lgtin, sgtin } from './identifiers.js';
import { objectEvent, transformationEvent, type Participant, type SimClock } from './participant.js';

/** The carcass's own lot (LGTIN, lot = the carcass serial), as the slaughter event outputs it. */
export function carcassLot(carcass: string): string {
  const serial = carcass.slice(carcass.lastIndexOf('.') + 1);
  return lgtin('5098765', '011111', serial);
}

export async function runAbattoir(abattoir: Participant, clock: SimClock, animals: string[], options: { plant: string; condemned?: number }): Promise<string[]> {
  await abattoir.post([objectEvent({ eventTime: clock.next(120), action: 'OBSERVE', bizStep: 'receiving', epcList: animals, readPoint: options.plant })], `received ${animals.length} animals`);
  const carcasses: string[] = [];
  const events = animals.map((animal, i) => {
    const serial = `C${String(i + 1).padStart(4, '0')}`;
    const carcass = sgtin('5098765', '011111', serial);
    carcasses.push(carcass);
    return transformationEvent({
      eventTime: clock.next(3),
      bizStep: 'urn:provenant:bizstep:slaughtering',
      inputEPCList: [animal],
      outputEPCList: [carcass],
      // One lot per carcass: a class shared by every kill would join the lineages of unrelated animals.
      outputQuantityList: [{ epcClass: carcassLot(carcass), quantity: 300, uom: 'KGM' }],
    });
  });
  await abattoir.post(events, `slaughtered ${animals.length} animals into carcasses`);
  await abattoir.post(
    carcasses.map((carcass, i) =>
      objectEvent({
        eventTime: clock.next(2),
        action: 'OBSERVE',
        bizStep: 'inspecting',
        epcList: [carcass],
        disposition: i === options.condemned ? 'damaged' : 'conformant',
        extra: { 'provenant:postMortem': i === options.condemned ? 'liver fluke; offal condemned' : 'no abnormality detected' },
      }),
    ),
    'post-mortem inspection recorded',
  );
  await abattoir.post([objectEvent({ eventTime: clock.next(30), action: 'OBSERVE', bizStep: 'shipping', epcList: carcasses, readPoint: options.plant })], 'carcasses dispatched');
  return carcasses;
}
