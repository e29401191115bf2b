/** A haulier with a reefer container: collection, stuffing, shipping. Sensor readings go over MQTT (see reefer.ts). */
import { aggregationEvent, objectEvent, type Participant, type SimClock } from './participant.js';

export async function runHaulier(haulier: Participant, clock: SimClock, options: { pallet: string; container: string; depot: string }): Promise<void> {
  await haulier.post([objectEvent({ eventTime: clock.next(20), action: 'OBSERVE', bizStep: 'receiving', epcList: [options.pallet], readPoint: options.depot })], 'collected the pallet');
  await haulier.post(
    [aggregationEvent({ eventTime: clock.next(10), action: 'ADD', bizStep: 'loading', parentID: options.container, childEPCs: [options.pallet] })],
    `loaded the pallet into reefer ${options.container.split(':').pop()}`,
  );
  // The pallet departs in the reefer: it leaves the haulier's custody with it, for the retailer to receive.
  await haulier.post([objectEvent({ eventTime: clock.next(10), action: 'OBSERVE', bizStep: 'departing', epcList: [options.container, options.pallet], readPoint: options.depot })], 'reefer departed');
}
