/** A farm: births with ear tags and dams, feed given from feed lots, movement off the holding. */
import { PROVENANT_BIZSTEP } from '../src/core/rules/authorisation.js';
import { animalUrn, earTag, lgtin } from './identifiers.js';
import { objectEvent, type Participant, type SimClock } from './participant.js';

export interface FarmOutput {
  animals: string[];
  feedLot: string;
}

export async function runFarm(farm: Participant, clock: SimClock, options: { herdMark: string; animals: number; feedLot: string; holding: string }): Promise<FarmOutput> {
  const dam = animalUrn(earTag(options.herdMark, 1));
  const calves = Array.from({ length: options.animals }, (_, i) => animalUrn(earTag(options.herdMark, 100 + i)));
  await farm.post(
    [dam, ...calves].map((animal, i) =>
      objectEvent({
        eventTime: clock.next(),
        action: 'ADD',
        bizStep: PROVENANT_BIZSTEP.BIRTH,
        epcList: [animal],
        readPoint: options.holding,
        extra: i === 0 ? {} : { 'provenant:dam': dam, 'provenant:holding': options.holding },
      }),
    ),
    `births of ${calves.length} calves (dam ${dam.split(':').pop()})`,
  );
  const feedLot = lgtin('5012345', '099999', options.feedLot);
  await farm.post(
    [
      objectEvent({
        eventTime: clock.next(60),
        action: 'OBSERVE',
        bizStep: PROVENANT_BIZSTEP.FEEDING,
        epcList: calves,
        quantityList: [{ epcClass: feedLot, quantity: 250, uom: 'KGM' }],
        readPoint: options.holding,
      }),
    ],
    `feed lot ${options.feedLot} given`,
  );
  await farm.post(
    [objectEvent({ eventTime: clock.next(60), action: 'OBSERVE', bizStep: 'departing', epcList: calves, readPoint: options.holding })],
    `${calves.length} animals moved off the holding`,
  );
  return { animals: calves, feedLot };
}
