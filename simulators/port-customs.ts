/** A port and customs: arrival of the container, the declaration, clearance or hold. */
import { PROVENANT_BIZSTEP, PROVENANT_DISPOSITION } from '../src/core/rules/authorisation.js';
import { objectEvent, type Participant, type SimClock } from './participant.js';

export async function runPortAndCustoms(port: Participant, customs: Participant, clock: SimClock, options: { container: string; portLocation: string; hold?: boolean }): Promise<void> {
  await port.post([objectEvent({ eventTime: clock.next(300), action: 'OBSERVE', bizStep: 'arriving', epcList: [options.container], readPoint: options.portLocation })], 'container arrived');
  await port.post([objectEvent({ eventTime: clock.next(30), action: 'OBSERVE', bizStep: 'unloading', epcList: [options.container], readPoint: options.portLocation })], 'container unloaded');
  await customs.post(
    [
      objectEvent({
        eventTime: clock.next(30),
        action: 'OBSERVE',
        bizStep: options.hold ? PROVENANT_BIZSTEP.CUSTOMS_HOLD : PROVENANT_BIZSTEP.CUSTOMS_CLEARANCE,
        epcList: [options.container],
        disposition: options.hold ? PROVENANT_DISPOSITION.CUSTOMS_HOLD : PROVENANT_DISPOSITION.CUSTOMS_RELEASED,
        extra: { 'provenant:declaration': { hsCode: '0201', procedure: '4000' } },
      }),
    ],
    options.hold ? 'customs hold' : 'customs clearance',
  );
  await port.post([objectEvent({ eventTime: clock.next(20), action: 'OBSERVE', bizStep: 'departing', epcList: [options.container], readPoint: options.portLocation })], 'container released from the port');
}
