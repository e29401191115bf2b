/**
 * Builds the lineage benchmark's store (Benchmark): a demo-like consortium (the demo
 * organisations plus more farms, abattoirs, processors, hauliers and retailers), then the
 * simulators' farm -> abattoir -> processor -> haulier -> port/retailer story told for thousands of
 * production lots, interleaved in time as real traffic would be.
 *
 * Nothing is forged: every event is an EPCIS 2.0 event (the simulators' shapes; a sample is
 * validated against the schema and rules), signed by its organisation's Ed25519 key (in worker
 * threads), admitted by LedgerNode.submit with capture's role and custody rules as the check hook,
 * indexed in the same transaction exactly as capture indexes it (EpcisEvent, EventIdentifier,
 * Custody), and sealed into blocks with real seals, Merkle roots and signed checkpoints.
 * Only the HTTP hop and the signature re-check of our own fresh signatures are skipped.
 *
 * The three measured subjects are embedded in the background traffic:
 *  (a) a retail pack 8 hops from its farms, with 50 animals mixed into its lot;
 *  (b) a container holding 10 pallets x 20 cases x 10 packs (2,000 items);
 *  (c) a feed-mill lot fed on the farms of enough lots to reach at least 10,000 packs.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Worker } from 'node:worker_threads';
import { startWorker } from '../../src/platform/workers/worker-thread.js';
import { encodePrivateKey, encodePublicKey, generateKeyPair, type JsonValue, type KeyPair } from '../../src/core/crypto/index.js';
import { eventRowOf } from '../../src/services/capture/capture-service.js';
import { gs1CheckDigit } from '../../src/core/identifiers/index.js';
import type { GenesisSpec } from '../../src/core/ledger/consortium.js';
import type { OrgSpec, Role } from '../../src/core/ledger/governance.js';
import { RECORD_VERSION, RecordKind, recordHash, verifyRecordSignature, type SignedRecord } from '../../src/core/ledger/record.js';
import { DEMO_ORGS } from '../../src/services/node/demo-consortium.js';
import { LedgerNode } from '../../src/services/node/ledger-node.js';
import { authoriseEvent, canonicalIdentifier, PROVENANT_BIZSTEP, PROVENANT_DISPOSITION } from '../../src/core/rules/authorisation.js';
import { ChainStore } from '../../src/store/chain-store.js';
import { openDatabase, type Database } from '../../src/store/database.js';
import { writeEventIndex, type CustodyRow, type EventIdentifierRow, type EventRow } from '../../src/store/event-index.js';
import { WriteBatch } from '../../src/store/write-batch.js';
import { animalUrn, containerNumber, earTag, lgtin, sgln, sgtin, sscc } from '../../simulators/identifiers.js';
import { aggregationEvent, EPCIS_CONTEXT, objectEvent, transformationEvent, type EpcisEvent } from '../../simulators/participant.js';
import type { SignedItem, SignInit, SignItem, SignRequest, SignResponse } from './lineage-sign-worker.js';
import { prng } from '../helpers/prng.js';

/** Records per ordering message: well under its size limit for the generator's events. */
const RECORDS_PER_SUBMISSION = 500;

export const LINEAGE_CONSORTIUM_ID = 'uk-red-meat';

export interface GeneratorOptions {
  /** Events to capture (the full benchmark: 1,000,000). */
  targetEvents: number;
  /** Folder for the SQLite store. */
  dataDir: string;
  /** Records per sealed block (the node's default SEAL_MAX_RECORDS is 2000). */
  blockSize?: number;
  /** Signing worker threads (default: one per core). */
  workers?: number;
  seed?: number;
  progress?: (message: string) => void;
}

export interface LineageSubjects {
  /** (a) retail packs of the 50-animal lot (any of them: same upstream). */
  tracePacks: string[];
  traceAnimals: number;
  /** (b) the container and what is nested in it. */
  container: string;
  containerPallets: number;
  containerCases: number;
  containerItems: number;
  /** (c) the feed-mill lot and the canonical ids of the packs made from animals that ate it. */
  recallFeedLot: string;
  recallPacks: string[];
  recallLots: number;
}

export interface GeneratedStore {
  db: Database;
  store: ChainStore;
  node: LedgerNode;
  consortiumId: string;
  events: number;
  blocks: number;
  /** Seconds the build took (0 when an existing store was reopened). */
  seconds: number;
  reused: boolean;
  subjects: LineageSubjects;
  close(): Promise<void>;
}

// ---------------------------------------------------------------------------------------------
// The consortium: the demo organisations plus enough farms, plants and shops for national traffic.

const FARM_COUNT = 60;
const COWS_PER_FARM = 40;

interface OrgInfo {
  id: string;
  name: string;
  roles: Role[];
  identifiers: OrgSpec['identifiers'];
  authority?: boolean;
  /** GS1 company prefix for the items it makes. */
  prefix?: string;
  /** Where it acts (sgln). */
  location: string;
  herdMark?: string;
}

function gln(prefix: string, ref = '00000'): string {
  const digits = `${prefix}${ref}`;
  return `${digits}${gs1CheckDigit(digits)}`;
}

function consortiumOrgs(): OrgInfo[] {
  const demo = new Map(DEMO_ORGS.map((o) => [o.id, o]));
  const from = (id: string, extra: Partial<OrgInfo> & { location: string }): OrgInfo => {
    const o = demo.get(id)!;
    return { id: o.id, name: o.name, roles: [...o.roles], identifiers: o.identifiers, authority: o.authority, ...extra };
  };
  const orgs: OrgInfo[] = [
    from('fsa', { location: sgln('5000001', '00001') }),
    from('hmrc', { location: sgln('5000002', '00001') }),
    from('riverside-retail', { location: sgln('5012345', '00050'), prefix: '5012345' }),
    from('port-felixstowe', { location: 'urn:epc:id:sgln:5012345.00099.0' }),
    from('northern-abattoir', { location: sgln('5098765', '00010'), prefix: '5098761' }),
    from('vale-processors', { location: sgln('5098765', '00020'), prefix: '5098765' }),
    from('swift-haulage', { location: sgln('5098765', '00030') }),
    from('oceanic-line', { location: sgln('5000003', '00001') }),
  ];
  orgs.push(
    { id: 'moorland-abattoir', name: 'Moorland Abattoir', roles: ['ABATTOIR'], identifiers: { fsaApproval: ['2345'] }, location: sgln('5098762', '00010'), prefix: '5098762' },
    { id: 'dales-abattoir', name: 'Dales Meat Plant', roles: ['ABATTOIR'], identifiers: { fsaApproval: ['3456'] }, location: sgln('5098763', '00010'), prefix: '5098763' },
    { id: 'fenland-foods', name: 'Fenland Foods', roles: ['PROCESSOR'], identifiers: { gln: [gln('5098766')] }, location: sgln('5098766', '00020'), prefix: '5098766' },
    { id: 'border-meats', name: 'Border Meats', roles: ['PROCESSOR'], identifiers: { gln: [gln('5098767')] }, location: sgln('5098767', '00020'), prefix: '5098767' },
    { id: 'northway-freight', name: 'Northway Freight', roles: ['HAULIER'], identifiers: {}, location: sgln('5098768', '00030') },
    { id: 'greengate-stores', name: 'Greengate Stores', roles: ['RETAILER'], identifiers: { gln: [gln('5012346')] }, location: sgln('5012346', '00050') },
    { id: 'harbour-market', name: 'Harbour Market', roles: ['RETAILER'], identifiers: { gln: [gln('5012347')] }, location: sgln('5012347', '00050') },
  );
  for (let f = 0; f < FARM_COUNT; f++) {
    const herdMark = String(100000 + f * 1013);
    const location = sgln('5012345', String(10000 + f).padStart(5, '0'));
    if (f === 0) orgs.push(from('highfield-farm', { location, herdMark: '123450' }));
    else if (f === 1) orgs.push(from('meadow-farm', { location, herdMark: '234560' }));
    else {
      const cph = `${String(10 + (f % 80)).padStart(2, '0')}/${String(100 + f).padStart(3, '0')}/${String(1000 + f).padStart(4, '0')}`;
      orgs.push({ id: `farm-${String(f + 1).padStart(3, '0')}`, name: `Farm ${f + 1}`, roles: ['FARM'], identifiers: { cph: [cph] }, location, herdMark });
    }
  }
  return orgs;
}

// ---------------------------------------------------------------------------------------------
// The story, planned lot by lot, then played tick by tick so lots interleave in the log.

const TICK_MS = 6 * 3600_000;
const START_MS = Date.parse('2022-01-03T00:00:00.000Z');
const SIDES_PER_BONING_RUN = 10;
const PACKS_PER_CASE = 10;
const CASES_PER_PALLET = 20;
const MILL_PERIOD_LOTS = 40;
const RATION_PERIOD_TICKS = 120;
/** Stage offsets in ticks from the lot's births. */
const STAGE = { births: 0, feed1: 40, feed2: 80, slaughter: 120, process: 121, dispatch: 122, sell: 126 } as const;
const LAST_STAGE_OFFSET = STAGE.sell;

interface FarmGroup {
  farm: number;
  calves: string[];
  dams: string[];
}

interface LotPlan {
  index: number;
  code: string;
  groups: FarmGroup[];
  abattoir: string;
  processor: string;
  haulier: string;
  retailer: string;
  animals: number;
  packs: number;
  exported: boolean;
  sold: number;
  /** Feed-mill lot for the second feeding (the recall subject overrides it for its window). */
  millLot?: string;
  subject?: 'trace' | 'cargo';
  eventCount: number;
}


function lotEventCount(p: Pick<LotPlan, 'animals' | 'packs' | 'groups' | 'exported' | 'sold'>): number {
  const runs = Math.ceil((2 * p.animals) / SIDES_PER_BONING_RUN);
  const cases = Math.ceil(p.packs / PACKS_PER_CASE);
  const pallets = Math.ceil(cases / CASES_PER_PALLET);
  const farm = p.animals + 3 * p.groups.length;
  const abattoir = 2 + 3 * p.animals;
  const processor = 1 + 2 * runs + 3 + cases + pallets + 1;
  const dispatch = p.exported ? 5 : 3;
  return farm + abattoir + processor + dispatch + p.sold;
}

class Planner {
  readonly random: () => number;
  readonly farms: OrgInfo[];
  readonly #nextCalf: number[];
  readonly #cows: string[][];
  readonly abattoirs: OrgInfo[];
  readonly processors: OrgInfo[];
  readonly hauliers: OrgInfo[];
  readonly retailers: OrgInfo[];

  constructor(orgs: OrgInfo[], seed: number) {
    this.random = prng(seed);
    this.farms = orgs.filter((o) => o.roles.includes('FARM'));
    this.abattoirs = orgs.filter((o) => o.roles.includes('ABATTOIR'));
    this.processors = orgs.filter((o) => o.roles.includes('PROCESSOR'));
    this.hauliers = orgs.filter((o) => o.roles.includes('HAULIER'));
    this.retailers = orgs.filter((o) => o.roles.includes('RETAILER'));
    this.#nextCalf = this.farms.map(() => 1);
    this.#cows = this.farms.map((f) => Array.from({ length: COWS_PER_FARM }, (_, i) => animalUrn(earTag(f.herdMark!, 90000 + i))));
  }

  cowsOf(farm: number): string[] {
    return this.#cows[farm]!;
  }

  #pick<T>(list: T[]): T {
    return list[Math.floor(this.random() * list.length)]!;
  }

  lot(index: number, options: { animals?: number; farms?: number; packs?: number; exported?: boolean; subject?: LotPlan['subject'] } = {}): LotPlan {
    const animals = options.animals ?? 12 + Math.floor(this.random() * 25);
    const farmCount = Math.min(animals, options.farms ?? 3 + Math.floor(this.random() * 3));
    const chosen = new Set<number>();
    while (chosen.size < farmCount) chosen.add(Math.floor(this.random() * this.farms.length));
    const groups: FarmGroup[] = [...chosen].map((farm) => ({ farm, calves: [], dams: [] }));
    for (let i = 0; i < animals; i++) {
      const g = groups[i % groups.length]!;
      const farm = this.farms[g.farm]!;
      const n = this.#nextCalf[g.farm]!;
      if (n >= 90000) throw new Error(`farm ${farm.id} ran out of ear tag numbers`);
      this.#nextCalf[g.farm] = n + 1;
      g.calves.push(animalUrn(earTag(farm.herdMark!, n)));
      g.dams.push(this.#pick(this.#cows[g.farm]!));
    }
    const packs = options.packs ?? animals * 10;
    const exported = options.exported ?? this.random() < 0.1;
    const plan: LotPlan = {
      index,
      code: `L${String(index).padStart(5, '0')}`,
      groups,
      abattoir: this.#pick(this.abattoirs).id,
      processor: this.#pick(this.processors).id,
      haulier: this.#pick(this.hauliers).id,
      retailer: this.#pick(this.retailers).id,
      animals,
      packs,
      exported,
      sold: exported ? 0 : Math.round(packs * 0.3),
      subject: options.subject,
      eventCount: 0,
    };
    plan.eventCount = lotEventCount(plan);
    return plan;
  }
}

interface Plan {
  lots: LotPlan[];
  cows: number;
  total: number;
  subjects: LineageSubjects;
}

/** Every lot's parameters up front, so the subjects sit at fixed places and the total is exact. */
function planStore(orgs: OrgInfo[], targetEvents: number, seed: number): Plan {
  const planner = new Planner(orgs, seed);
  const byId = new Map(orgs.map((o) => [o.id, o]));
  const cows = planner.farms.length * COWS_PER_FARM;
  const regular: LotPlan[] = [];
  const traceLot = planner.lot(-1, { animals: 50, farms: 5, packs: 500, exported: false, subject: 'trace' });
  const cargoLot = planner.lot(-1, { animals: 40, farms: 4, packs: 2000, exported: true, subject: 'cargo' });
  let total = cows + traceLot.eventCount + cargoLot.eventCount;
  while (total < targetEvents) {
    const lot = planner.lot(regular.length);
    regular.push(lot);
    total += lot.eventCount;
  }
  const lots = [...regular];
  lots.splice(Math.floor(lots.length * 0.6), 0, cargoLot);
  lots.splice(Math.floor(lots.length * 0.5), 0, traceLot);
  lots.forEach((lot, i) => {
    lot.index = i;
    lot.code = `L${String(i).padStart(5, '0')}`;
  });
  // Land exactly on the target: fewer retail sales in the last lots.
  let over = total - targetEvents;
  for (let i = lots.length - 1; i >= 0 && over > 0; i--) {
    const lot = lots[i]!;
    if (lot.subject || lot.exported) continue;
    const cut = Math.min(over, lot.sold);
    lot.sold -= cut;
    lot.eventCount -= cut;
    over -= cut;
  }
  total = cows + lots.reduce((n, l) => n + l.eventCount, 0);

  // (c) the recall feed lot: given on every farm of consecutive regular lots until 10,000 packs.
  const recallFeedLot = lgtin('5012399', '099999', 'MILL-RECALL-1');
  const recallPacks: string[] = [];
  let recallLots = 0;
  for (let i = Math.floor(lots.length * 0.3); i < lots.length && recallPacks.length < 10_000; i++) {
    const lot = lots[i]!;
    if (lot.subject) continue;
    lot.millLot = recallFeedLot;
    recallLots += 1;
    for (let k = 1; k <= lot.packs; k++) recallPacks.push(canonicalIdentifier(packId(byId, lot, k)));
  }
  if (recallPacks.length < 10_000) throw new Error(`the store is too small for the recall subject (${recallPacks.length} packs)`);
  const trace = lots.find((l) => l.subject === 'trace')!;
  const cargo = lots.find((l) => l.subject === 'cargo')!;
  const cargoCases = Math.ceil(cargo.packs / PACKS_PER_CASE);
  return {
    lots,
    cows,
    total,
    subjects: {
      tracePacks: Array.from({ length: Math.min(trace.sold, 20) }, (_, k) => packId(byId, trace, k + 1)),
      traceAnimals: trace.animals,
      container: containerOf(cargo),
      containerPallets: Math.ceil(cargoCases / CASES_PER_PALLET),
      containerCases: cargoCases,
      containerItems: cargo.packs,
      recallFeedLot,
      recallPacks,
      recallLots,
    },
  };
}

function prefixOf(orgs: Map<string, OrgInfo>, id: string): string {
  return orgs.get(id)!.prefix!;
}

function packId(orgs: Map<string, OrgInfo>, lot: LotPlan, k: number): string {
  return sgtin(prefixOf(orgs, lot.processor), '033333', `${lot.code}-${k}`);
}

function containerOf(lot: LotPlan): string {
  return `urn:provenant:container:${containerNumber('CSQU', String(100000 + lot.index).padStart(6, '0'))}`;
}

interface Emitted {
  org: string;
  event: EpcisEvent;
  signedAt: string;
}

/** Plays the plan: the events of each tick, in log order. */
class StoryPlayer {
  readonly #farmsRegistered = new Set<number>();
  readonly #minute = new Map<number, number>();

  constructor(
    private readonly plan: Plan,
    private readonly planner: Planner,
    private readonly orgs: Map<string, OrgInfo>,
  ) {}

  get lastTick(): number {
    return this.plan.lots.length - 1 + LAST_STAGE_OFFSET;
  }

  /** Events of one tick: every lot whose stage falls on it. */
  tick(t: number): Emitted[] {
    const out: Emitted[] = [];
    this.#minute.clear();
    for (const [stage, offset] of Object.entries(STAGE)) {
      const lot = this.plan.lots[t - offset];
      if (!lot) continue;
      this.#stage(stage as keyof typeof STAGE, lot, t, out);
    }
    return out;
  }

  #time(t: number, slot: number): { eventTime: string; signedAt: string } {
    // 30 s apart within a stage; signed and captured two minutes after the fact.
    const minute = (this.#minute.get(slot) ?? 0) + 1;
    this.#minute.set(slot, minute);
    const ms = START_MS + t * TICK_MS + slot * 3_600_000 + minute * 30_000;
    return { eventTime: new Date(ms).toISOString(), signedAt: new Date(ms + 120_000).toISOString() };
  }

  #stage(stage: keyof typeof STAGE, lot: LotPlan, t: number, out: Emitted[]): void {
    const orgs = this.orgs;
    const slot = lot.index % 4;
    const emit = (org: string, make: (eventTime: string) => EpcisEvent) => {
      const { eventTime, signedAt } = this.#time(t, slot);
      out.push({ org, event: make(eventTime), signedAt });
    };
    const farmOrg = (g: FarmGroup) => this.planner.farms[g.farm]!;
    const abattoir = orgs.get(lot.abattoir)!;
    const processor = orgs.get(lot.processor)!;
    const haulier = orgs.get(lot.haulier)!;
    const runs = Math.ceil((2 * lot.animals) / SIDES_PER_BONING_RUN);
    const animals = lot.groups.flatMap((g) => g.calves);
    const ab = abattoir.prefix!;
    const pr = processor.prefix!;
    const carcass = (i: number) => sgtin(ab, '011111', `${lot.code}-C${i + 1}`);
    const side = (i: number, s: 'L' | 'R') => sgtin(ab, '011112', `${lot.code}-C${i + 1}${s}`);
    const sides = animals.flatMap((_, i) => [side(i, 'L'), side(i, 'R')]);
    const boningLot = (r: number) => lgtin(pr, '044441', `${lot.code}-B${r + 1}`);
    const trimLot = (r: number) => lgtin(pr, '044442', `${lot.code}-T${r + 1}`);
    const coarseLot = lgtin(pr, '044443', `${lot.code}-G`);
    const finalLot = lgtin(pr, '044444', `${lot.code}-M`);
    const packs = Array.from({ length: lot.packs }, (_, k) => packId(orgs, lot, k + 1));
    const caseCount = Math.ceil(lot.packs / PACKS_PER_CASE);
    const cases = Array.from({ length: caseCount }, (_, c) => sscc(pr, `1${String(lot.index * 1000 + c).padStart(9, '0')}`));
    const pallets = Array.from({ length: Math.ceil(caseCount / CASES_PER_PALLET) }, (_, p) => sscc(pr, `2${String(lot.index * 100 + p).padStart(9, '0')}`));
    const sideKg = 140;

    switch (stage) {
      case 'births':
        for (const g of lot.groups) {
          const farm = farmOrg(g);
          if (!this.#farmsRegistered.has(g.farm)) {
            // The herd's cows, registered when the farm first appears (born about three years earlier).
            this.#farmsRegistered.add(g.farm);
            this.planner.cowsOf(g.farm).forEach((cow, i) => {
              const { signedAt } = this.#time(t, slot);
              const eventTime = new Date(START_MS + t * TICK_MS - (3 * 365 - i) * 86_400_000).toISOString();
              out.push({ org: farm.id, signedAt, event: objectEvent({ eventTime, action: 'ADD', bizStep: PROVENANT_BIZSTEP.BIRTH, epcList: [cow], readPoint: farm.location }) });
            });
          }
          g.calves.forEach((calf, i) =>
            emit(farm.id, (eventTime) =>
              objectEvent({ eventTime, action: 'ADD', bizStep: PROVENANT_BIZSTEP.BIRTH, epcList: [calf], readPoint: farm.location, extra: { 'provenant:dam': g.dams[i]!, 'provenant:holding': farm.location } }),
            ),
          );
        }
        return;
      case 'feed1':
      case 'feed2':
        for (const g of lot.groups) {
          const farm = farmOrg(g);
          const feedLot =
            stage === 'feed1'
              ? lgtin('5012398', '099998', `RATION-F${g.farm + 1}-${Math.floor(t / RATION_PERIOD_TICKS)}`)
              : (lot.millLot ?? lgtin('5012399', '099999', `MILL-${Math.floor(lot.index / MILL_PERIOD_LOTS)}`));
          emit(farm.id, (eventTime) =>
            objectEvent({
              eventTime,
              action: 'OBSERVE',
              bizStep: PROVENANT_BIZSTEP.FEEDING,
              epcList: g.calves,
              quantityList: [{ epcClass: feedLot, quantity: 25 * g.calves.length, uom: 'KGM' }],
              readPoint: farm.location,
            }),
          );
          if (stage === 'feed2') emit(farm.id, (eventTime) => objectEvent({ eventTime, action: 'OBSERVE', bizStep: 'departing', epcList: g.calves, readPoint: farm.location }));
        }
        return;
      case 'slaughter':
        emit(abattoir.id, (eventTime) => objectEvent({ eventTime, action: 'OBSERVE', bizStep: 'receiving', epcList: animals, readPoint: abattoir.location }));
        animals.forEach((animal, i) =>
          emit(abattoir.id, (eventTime) =>
            transformationEvent({ eventTime, bizStep: PROVENANT_BIZSTEP.SLAUGHTERING, inputEPCList: [animal], outputEPCList: [carcass(i)] }),
          ),
        );
        animals.forEach((_, i) =>
          emit(abattoir.id, (eventTime) =>
            objectEvent({
              eventTime,
              action: 'OBSERVE',
              bizStep: 'inspecting',
              epcList: [carcass(i)],
              disposition: i % 23 === 7 ? 'damaged' : 'conformant',
              extra: { 'provenant:postMortem': i % 23 === 7 ? 'liver fluke; offal condemned' : 'no abnormality detected' },
            }),
          ),
        );
        animals.forEach((_, i) =>
          emit(abattoir.id, (eventTime) =>
            transformationEvent({ eventTime, bizStep: 'creating_class_instance', inputEPCList: [carcass(i)], outputEPCList: [side(i, 'L'), side(i, 'R')] }),
          ),
        );
        emit(abattoir.id, (eventTime) => objectEvent({ eventTime, action: 'OBSERVE', bizStep: 'shipping', epcList: sides, readPoint: abattoir.location }));
        return;
      case 'process': {
        emit(processor.id, (eventTime) => objectEvent({ eventTime, action: 'OBSERVE', bizStep: 'receiving', epcList: sides, readPoint: processor.location }));
        const runSides = (r: number) => sides.slice(r * SIDES_PER_BONING_RUN, (r + 1) * SIDES_PER_BONING_RUN);
        for (let r = 0; r < runs; r++) {
          emit(processor.id, (eventTime) =>
            transformationEvent({ eventTime, bizStep: 'creating_class_instance', inputEPCList: runSides(r), outputQuantityList: [{ epcClass: boningLot(r), quantity: runSides(r).length * sideKg * 0.7, uom: 'KGM' }] }),
          );
        }
        for (let r = 0; r < runs; r++) {
          const boned = runSides(r).length * sideKg * 0.7;
          emit(processor.id, (eventTime) =>
            transformationEvent({
              eventTime,
              bizStep: 'creating_class_instance',
              inputQuantityList: [{ epcClass: boningLot(r), quantity: boned, uom: 'KGM' }],
              outputQuantityList: [{ epcClass: trimLot(r), quantity: Math.round(boned * 0.6), uom: 'KGM' }],
            }),
          );
        }
        const trims = Array.from({ length: runs }, (_, r) => ({ epcClass: trimLot(r), quantity: Math.round(runSides(r).length * sideKg * 0.7 * 0.6), uom: 'KGM' }));
        const trimKg = trims.reduce((n, q) => n + q.quantity, 0);
        emit(processor.id, (eventTime) =>
          transformationEvent({ eventTime, bizStep: 'creating_class_instance', inputQuantityList: trims, outputQuantityList: [{ epcClass: coarseLot, quantity: Math.round(trimKg * 0.98), uom: 'KGM' }] }),
        );
        emit(processor.id, (eventTime) =>
          transformationEvent({
            eventTime,
            bizStep: 'creating_class_instance',
            inputQuantityList: [{ epcClass: coarseLot, quantity: Math.round(trimKg * 0.98), uom: 'KGM' }],
            outputQuantityList: [{ epcClass: finalLot, quantity: Math.round(trimKg * 0.97), uom: 'KGM' }],
          }),
        );
        emit(processor.id, (eventTime) =>
          transformationEvent({ eventTime, bizStep: 'creating_class_instance', inputQuantityList: [{ epcClass: finalLot, quantity: Math.round(trimKg * 0.97), uom: 'KGM' }], outputEPCList: packs }),
        );
        cases.forEach((kase, c) =>
          emit(processor.id, (eventTime) => aggregationEvent({ eventTime, action: 'ADD', bizStep: 'packing', parentID: kase, childEPCs: packs.slice(c * PACKS_PER_CASE, (c + 1) * PACKS_PER_CASE) })),
        );
        pallets.forEach((pallet, p) =>
          emit(processor.id, (eventTime) => aggregationEvent({ eventTime, action: 'ADD', bizStep: 'packing', parentID: pallet, childEPCs: cases.slice(p * CASES_PER_PALLET, (p + 1) * CASES_PER_PALLET) })),
        );
        emit(processor.id, (eventTime) => objectEvent({ eventTime, action: 'OBSERVE', bizStep: 'shipping', epcList: pallets, readPoint: processor.location }));
        return;
      }
      case 'dispatch': {
        emit(haulier.id, (eventTime) => objectEvent({ eventTime, action: 'OBSERVE', bizStep: 'receiving', epcList: pallets, readPoint: haulier.location }));
        if (lot.exported) {
          const container = containerOf(lot);
          const port = orgs.get('port-felixstowe')!;
          emit(haulier.id, (eventTime) => aggregationEvent({ eventTime, action: 'ADD', bizStep: 'loading', parentID: container, childEPCs: pallets }));
          emit(haulier.id, (eventTime) => objectEvent({ eventTime, action: 'OBSERVE', bizStep: 'departing', epcList: [container], readPoint: haulier.location }));
          emit(port.id, (eventTime) => objectEvent({ eventTime, action: 'OBSERVE', bizStep: 'arriving', epcList: [container], readPoint: port.location }));
          emit('hmrc', (eventTime) =>
            objectEvent({
              eventTime,
              action: 'OBSERVE',
              bizStep: PROVENANT_BIZSTEP.CUSTOMS_CLEARANCE,
              epcList: [container],
              disposition: PROVENANT_DISPOSITION.CUSTOMS_RELEASED,
              extra: { 'provenant:declaration': { hsCode: '0201', procedure: '4000' } },
            }),
          );
        } else {
          const retailer = orgs.get(lot.retailer)!;
          emit(haulier.id, (eventTime) => objectEvent({ eventTime, action: 'OBSERVE', bizStep: 'departing', epcList: pallets, readPoint: haulier.location }));
          emit(retailer.id, (eventTime) => objectEvent({ eventTime, action: 'OBSERVE', bizStep: 'receiving', epcList: [...pallets, ...cases, ...packs], readPoint: retailer.location }));
        }
        return;
      }
      case 'sell': {
        if (lot.exported) return;
        const retailer = orgs.get(lot.retailer)!;
        for (let k = 0; k < lot.sold; k++) {
          emit(retailer.id, (eventTime) => objectEvent({ eventTime, action: 'OBSERVE', bizStep: 'retail_selling', epcList: [packs[k]!], readPoint: retailer.location }));
        }
        return;
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Signing workers.

class SignPool {
  readonly #workers: Worker[];
  readonly #pending = new Map<number, { resolve: (r: SignedItem[]) => void; reject: (e: Error) => void }>();
  #nextId = 1;

  constructor(size: number, init: SignInit) {
    this.#workers = Array.from({ length: size }, () => {
      const worker = startWorker(import.meta.url, 'lineage-sign-worker');
      worker.on('message', (msg: SignResponse) => {
        const p = this.#pending.get(msg.id);
        if (!p) return;
        this.#pending.delete(msg.id);
        if ('error' in msg) p.reject(new Error(msg.error));
        else p.resolve(msg.results);
      });
      worker.on('error', (err) => {
        for (const p of this.#pending.values()) p.reject(err);
        this.#pending.clear();
      });
      worker.postMessage(init);
      return worker;
    });
  }

  /** Signs the items across the workers, results in order. */
  async sign(items: SignItem[]): Promise<SignedItem[]> {
    const per = Math.ceil(items.length / this.#workers.length);
    const parts = await Promise.all(
      this.#workers.map((worker, w) => {
        const slice = items.slice(w * per, (w + 1) * per);
        if (slice.length === 0) return Promise.resolve([] as SignedItem[]);
        const id = this.#nextId++;
        return new Promise<SignedItem[]>((resolve, reject) => {
          this.#pending.set(id, { resolve, reject });
          worker.postMessage({ type: 'sign', id, items: slice } satisfies SignRequest);
        });
      }),
    );
    return parts.flat();
  }

  async close(): Promise<void> {
    await Promise.all(this.#workers.map((w) => w.terminate()));
  }
}

// ---------------------------------------------------------------------------------------------

/** Stores of another format (blocks without the index map's root) are built again, not reused. */
const STORE_FORMAT = 'blocks-v2-index-map-v1';

interface Manifest {
  format?: string;
  targetEvents: number;
  seed: number;
  blockSize: number;
  events: number;
  blocks: number;
  seconds: number;
  subjects: LineageSubjects;
}

/**
 * Builds the store in `dataDir` (or reopens it when a finished build with the same parameters is
 * there already: a convenience for repeated runs; the node then rebuilds its state from the chain).
 */
export async function generateLineageStore(options: GeneratorOptions): Promise<GeneratedStore> {
  const blockSize = options.blockSize ?? 2000;
  const seed = options.seed ?? 20261121;
  const progress = options.progress ?? (() => undefined);
  mkdirSync(options.dataDir, { recursive: true });
  const manifestFile = path.join(options.dataDir, 'lineage-manifest.json');
  const dbFile = path.join(options.dataDir, 'provenant.db');
  if (existsSync(manifestFile) && existsSync(dbFile)) {
    const manifest = JSON.parse(readFileSync(manifestFile, 'utf8')) as Manifest;
    if (manifest.format === STORE_FORMAT && manifest.targetEvents === options.targetEvents && manifest.seed === seed && manifest.blockSize === blockSize) {
      progress(`reopening the existing ${manifest.events.toLocaleString('en-GB')}-event store in ${options.dataDir}`);
      const db = await openDatabase({ url: `file:${dbFile}` });
      const store = new ChainStore(db);
      const node = await LedgerNode.open({ store, autoSeal: false });
      return { db, store, node, consortiumId: LINEAGE_CONSORTIUM_ID, events: manifest.events, blocks: manifest.blocks, seconds: manifest.seconds, reused: true, subjects: manifest.subjects, async close() {
        await node.close();
        await db.$disconnect();
      } };
    }
  }
  if (existsSync(dbFile)) throw new Error(`${dbFile} exists but is not a finished store with these parameters; remove it first`);

  const started = process.hrtime.bigint();
  const orgs = consortiumOrgs();
  const orgIndex = new Map(orgs.map((o) => [o.id, o]));
  const keys = new Map<string, KeyPair>(orgs.map((o) => [o.id, generateKeyPair('ed25519')]));
  const spec: GenesisSpec = {
    consortiumId: LINEAGE_CONSORTIUM_ID,
    name: 'UK red meat and cargo (lineage benchmark)',
    members: orgs.map((o) => ({ id: o.id, name: o.name, roles: o.roles, keys: [encodePublicKey(keys.get(o.id)!.publicKey)], identifiers: o.identifiers })),
    authorities: orgs.filter((o) => o.authority).map((o) => ({ orgId: o.id, keyId: keys.get(o.id)!.keyId })),
    // The block size is the consortium's, fixed in genesis.
    sealMaxRecords: blockSize,
  };
  const authorityKeys = spec.authorities.map((a) => keys.get(a.orgId)!);
  const plan = planStore(orgs, options.targetEvents, seed);
  // The player draws nothing at random: it needs the planner only for the farms and their herds.
  const player = new StoryPlayer(plan, new Planner(orgs, seed), orgIndex);
  progress(`planned ${plan.lots.length.toLocaleString('en-GB')} production lots, ${plan.total.toLocaleString('en-GB')} events, blocks of ${blockSize}`);

  let simNow = START_MS;
  const db = await openDatabase({ url: `file:${dbFile}` });
  // A bigger page cache for the build only (random inserts into large indexes); reset afterwards.
  await db.$executeRawUnsafe('PRAGMA cache_size = -262144');
  const store = new ChainStore(db);
  const node = await LedgerNode.open({ store, authorityKeys, autoSeal: false, now: () => new Date(simNow) });
  await node.createConsortium(spec, authorityKeys);

  const signerIndex = new Map(orgs.map((o, i) => [o.id, i]));
  const keyIds = orgs.map((o) => keys.get(o.id)!.keyId);
  const workers = options.workers ?? Math.max(1, os.cpus().length);
  const pool = new SignPool(workers, {
    type: 'init',
    consortium: LINEAGE_CONSORTIUM_ID,
    context: EPCIS_CONTEXT,
    keys: orgs.map((o) => ({ privateKey: encodePrivateKey(keys.get(o.id)!.privateKey), keyId: keys.get(o.id)!.keyId })),
  });

  // Custody as capture keeps it (only non-null holders: null and absent mean the same to the rules).
  const custody = new Map<string, string>();
  let submitted = 0;
  let lastReport = Date.now();

  const submitChunk = async (chunk: Emitted[], signed: SignedItem[]) => {
    const records: SignedRecord[] = chunk.map((item, i) => ({
      v: RECORD_VERSION,
      consortium: LINEAGE_CONSORTIUM_ID,
      kind: RecordKind.EPCIS_EVENT,
      payload: { event: item.event } as unknown as JsonValue,
      signer: keyIds[signerIndex.get(item.org)!]!,
      signedAt: item.signedAt,
      signature: signed[i]!.signature,
    }));
    // Checked and indexed here, as capture does, then admitted and stored by the node in one transaction.
    const lane = await node.lane(LINEAGE_CONSORTIUM_ID);
    let committed: Awaited<ReturnType<typeof lane.commit>>;
    try {
      const events: EventRow[] = [];
      const identifiers: EventIdentifierRow[] = [];
      const custodyRows: CustodyRow[] = [];
      chunk.forEach((item, i) => {
        const decision = authoriseEvent(item.event, lane.state.orgs.get(item.org)!, (id) => custody.get(id));
        if (!decision.ok) throw new Error(`generated event ${submitted + i} is refused by the role table: ${decision.code}: ${decision.message}`);
        const { eventId, ids, hash } = signed[i]!;
        const eventTime = String(item.event['eventTime'] ?? '');
        events.push(eventRowOf(item.event, eventId, hash, item.org));
        for (const [identifier, role] of ids) identifiers.push({ identifier, eventId, role, eventTime });
        for (const c of decision.custodyChanges) {
          custodyRows.push({ identifier: c.identifier, orgId: c.orgId, eventId, eventTime });
          if (c.orgId === null) custody.delete(c.identifier);
          else custody.set(c.identifier, c.orgId);
        }
      });
      const writes = new WriteBatch();
      writeEventIndex(writes, LINEAGE_CONSORTIUM_ID, { events, identifiers, custody: custodyRows });
      // Signed just now by the workers with the organisations' own keys; a sample is re-verified below.
      // One ordering message holds at most about 1 MB: a block's records go in several submissions.
      const submissions = [];
      for (let from = 0; from < records.length; from += RECORDS_PER_SUBMISSION) {
        const part = records.slice(from, from + RECORDS_PER_SUBMISSION);
        submissions.push({ records: part.map((record, i) => ({ record, hash: signed[from + i]!.hash })), signaturesVerified: true });
      }
      committed = await lane.commit(submissions, writes);
    } finally {
      lane.release();
    }
    if (!committed.ok) throw new Error(`generated events were not accepted: ${JSON.stringify(committed.refused.slice(0, 3))}`);
    // The workers' hashes and signatures are trusted by submit: re-check one per chunk against a worker bug.
    const k = submitted % records.length;
    verifyRecordSignature(records[k]!, keys.get(chunk[k]!.org)!.publicKey);
    if (recordHash(records[k]!) !== signed[k]!.hash) throw new Error(`worker computed a wrong record hash for event ${submitted + k}`);
    simNow = Math.max(simNow, Date.parse(chunk[chunk.length - 1]!.signedAt));
    await node.sealNow(LINEAGE_CONSORTIUM_ID);
    submitted += chunk.length;
    if (Date.now() - lastReport > 15_000) {
      lastReport = Date.now();
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      progress(`built ${submitted.toLocaleString('en-GB')} / ${plan.total.toLocaleString('en-GB')} events (${Math.round(submitted / seconds).toLocaleString('en-GB')} events/s)`);
    }
  };

  try {
    let buffer: Emitted[] = [];
    let inFlight: { chunk: Emitted[]; signed: Promise<SignedItem[]> } | undefined;
    let sampled = 0;
    const dispatch = async (chunk: Emitted[]) => {
      const items: SignItem[] = chunk.map((e) => {
        sampled += 1;
        return { signer: signerIndex.get(e.org)!, signedAt: e.signedAt, event: e.event, validate: sampled <= 3000 || sampled % 997 === 0 };
      });
      const next = { chunk, signed: pool.sign(items) };
      // Submit the previous chunk while this one is being signed.
      if (inFlight) await submitChunk(inFlight.chunk, await inFlight.signed);
      inFlight = next;
    };
    for (let t = 0; t <= player.lastTick; t++) {
      buffer.push(...player.tick(t));
      while (buffer.length >= blockSize) {
        await dispatch(buffer.slice(0, blockSize));
        buffer = buffer.slice(blockSize);
      }
    }
    if (buffer.length > 0) await dispatch(buffer);
    if (inFlight) await submitChunk(inFlight.chunk, await inFlight.signed);
  } catch (err) {
    await pool.close();
    await node.close();
    await db.$disconnect();
    throw err;
  }
  await pool.close();
  if (submitted !== plan.total) throw new Error(`generator emitted ${submitted} events, planned ${plan.total}`);
  const blocks = await store.blockCount(LINEAGE_CONSORTIUM_ID);
  await db.$executeRawUnsafe('PRAGMA wal_checkpoint(TRUNCATE)');
  await db.$executeRawUnsafe('ANALYZE');
  await db.$executeRawUnsafe('PRAGMA cache_size = -2000');
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const manifest: Manifest = { format: STORE_FORMAT, targetEvents: options.targetEvents, seed, blockSize, events: submitted, blocks, seconds, subjects: plan.subjects };
  writeFileSync(manifestFile, JSON.stringify(manifest));
  return {
    db,
    store,
    node,
    consortiumId: LINEAGE_CONSORTIUM_ID,
    events: submitted,
    blocks,
    seconds,
    reused: false,
    subjects: plan.subjects,
    async close() {
      await node.close();
      await db.$disconnect();
    },
  };
}
