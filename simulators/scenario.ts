/**
 * The whole farm-to-fork and cargo story, told by independent simulated organisations through the
 * node's public interfaces: two farms, an abattoir, a processor, a haulier with a reefer, a port,
 * customs and a retailer.
 */
import type { KeyPair } from '../src/core/crypto/index.js';
import { runAbattoir } from './abattoir.js';
import { runFarm } from './farm.js';
import { runHaulier } from './haulier.js';
import { containerNumber, sgln } from './identifiers.js';
import { Participant, SimClock } from './participant.js';
import { runPortAndCustoms } from './port-customs.js';
import { runProcessor } from './processor.js';
import { runRetailer } from './retailer.js';
import type { ReeferResult } from './reefer.js';

export interface ScenarioOptions {
  baseUrl: string;
  consortium: string;
  orgKeys: Map<string, KeyPair>;
  log?: (line: string) => void;
  start?: Date;
  /** Distinguishes repeated runs against one node (lots and serials). */
  runId?: string;
  /** The reefer leg, run after the haulier departs and before the port (see reeferLeg in reefer.ts). */
  reefer?: (container: string, clock: SimClock) => Promise<ReeferResult | void>;
}

export interface ScenarioResult {
  animals: string[];
  feedLots: string[];
  carcasses: string[];
  minceLot: string;
  packs: string[];
  cases: string[];
  pallet: string;
  container: string;
  reefer?: ReeferResult;
}

export async function runScenario(options: ScenarioOptions): Promise<ScenarioResult> {
  const log = options.log ?? (() => undefined);
  const member = (orgId: string) => {
    const key = options.orgKeys.get(orgId);
    if (!key) throw new Error(`no key for simulated organisation ${orgId}`);
    return new Participant(orgId, key, options.baseUrl, options.consortium, log);
  };
  const clock = new SimClock(options.start ?? new Date(Date.now() - 3 * 24 * 3600_000));
  const run = options.runId ?? 'A';

  const highfield = await runFarm(member('highfield-farm'), clock, { herdMark: '123450', animals: 3, feedLot: `FEED-${run}1`, holding: sgln('5012345', '00001') });
  const meadow = await runFarm(member('meadow-farm'), clock, { herdMark: '234560', animals: 2, feedLot: `FEED-${run}2`, holding: sgln('5012345', '00002') });
  const animals = [...highfield.animals, ...meadow.animals];
  const carcasses = await runAbattoir(member('northern-abattoir'), clock, animals, { plant: sgln('5098765', '00010'), condemned: 1 });
  const processed = await runProcessor(member('vale-processors'), clock, carcasses, { site: sgln('5098765', '00020'), lot: `MINCE-${run}`, packs: 12 });
  const container = `urn:provenant:container:${containerNumber('CSQU', run === 'A' ? '305438' : String(300000 + run.charCodeAt(0)))}`;
  await runHaulier(member('swift-haulage'), clock, { pallet: processed.pallet, container, depot: sgln('5098765', '00030') });
  const reefer = options.reefer ? ((await options.reefer(container, clock)) ?? undefined) : undefined;
  await runPortAndCustoms(member('port-felixstowe'), member('hmrc'), clock, { container, portLocation: 'urn:epc:id:sgln:5012345.00099.0' });
  await runRetailer(member('riverside-retail'), clock, { pallet: processed.pallet, cases: processed.cases, packs: processed.packs, store: sgln('5012345', '00050'), sold: 2 });
  return { animals, feedLots: [highfield.feedLot, meadow.feedLot], carcasses, ...processed, container, ...(reefer ? { reefer } : {}) };
}
