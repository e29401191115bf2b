/**
 * A small red-meat chain on a real node, captured as members capture it: two farms' animals, their
 * slaughter, a processing run into packs, a case and a pallet shipped to a retailer.
 */
import { CaptureService } from '../../../src/services/capture/capture-service.js';
import { signCaptureDocument } from '../../../src/client/capture-client.js';
import { canonicalIdentifier } from '../../../src/core/rules/authorisation.js';
import { LineageStore } from '../../../src/store/lineage-store.js';
import type { LineageContext } from '../../../src/services/lineage/verify.js';
import { startTestNode, type TestNode } from '../../helpers/test-node.js';
import { epcisDocument } from '../../helpers/epcis-documents.js';

export const C = 'uk-red-meat';
export const animals = ['UK123450600001', 'UK123450700002', 'UK123450100003'].map((s) => canonicalIdentifier(`urn:provenant:animal:${s}`));
export const carcasses = [1, 2, 3].map((n) => canonicalIdentifier(`urn:epc:id:sgtin:5098765.011111.${n}`));
export const packs = [1, 2, 3, 4].map((n) => canonicalIdentifier(`urn:epc:id:sgtin:5098765.022222.${n}`));
export const kase = canonicalIdentifier('urn:epc:id:sscc:5098765.0000000001');
export const pallet = canonicalIdentifier('urn:epc:id:sscc:5098765.0000000002');
export const feedLot = canonicalIdentifier('urn:epc:class:lgtin:5098765.033333.FEED1');

const t = (day: number) => `2026-03-${String(day).padStart(2, '0')}T08:00:00.000Z`;
const obj = (time: string, f: Record<string, unknown>) => ({ type: 'ObjectEvent', eventTime: time, eventTimeZoneOffset: '+00:00', action: 'OBSERVE', ...f });
const xf = (time: string, inputs: string[], outputs: string[]) => ({ type: 'TransformationEvent', eventTime: time, eventTimeZoneOffset: '+00:00', inputEPCList: inputs, outputEPCList: outputs });

export interface Chain {
  temp: TestNode;
  capture: CaptureService;
  post(org: string, events: Record<string, unknown>[], seal?: boolean): Promise<{ eventId: string; recordHash: string }[]>;
  ctx(): LineageContext;
  close(): Promise<void>;
}

/** The chain, each step sealed in its own block (so answers can be asked as of earlier blocks). */
export async function buildChain(): Promise<Chain> {
  const temp = await startTestNode();
  const capture = new CaptureService({ node: temp.node, db: temp.db });
  const post = async (org: string, events: Record<string, unknown>[], seal = true) => {
    const out = await capture.capture(signCaptureDocument(epcisDocument(events), { consortium: C, key: temp.demo.orgKeys.get(org)! }));
    for (const r of out.results) if (r.status !== 'accepted') throw new Error(`${org}: ${JSON.stringify(r)}`);
    if (seal) await temp.node.sealNow(C);
    return out.results.map((r) => ({ eventId: r.eventId, recordHash: r.recordHash! }));
  };
  await post('highfield-farm', [
    ...animals.map((a) => obj(t(1), { action: 'ADD', bizStep: 'urn:provenant:bizstep:birth', epcList: [a], readPoint: { id: 'urn:epc:id:sgln:5012345.00001.0' } })),
    obj(t(2), { bizStep: 'urn:provenant:bizstep:feeding', epcList: animals, quantityList: [{ epcClass: feedLot, quantity: 300, uom: 'KGM' }] }),
    obj(t(3), { bizStep: 'shipping', epcList: animals }),
  ]);
  await post('northern-abattoir', [obj(t(4), { bizStep: 'receiving', epcList: animals })]);
  await post('northern-abattoir', animals.map((a, i) => xf(t(5), [a], [carcasses[i]!])));
  await post('northern-abattoir', [obj(t(6), { bizStep: 'shipping', epcList: carcasses })]);
  await post('vale-processors', [obj(t(7), { bizStep: 'receiving', epcList: carcasses }), xf(t(8), carcasses, packs)]);
  await post('vale-processors', [
    { type: 'AggregationEvent', eventTime: t(9), eventTimeZoneOffset: '+00:00', action: 'ADD', bizStep: 'packing', parentID: kase, childEPCs: packs },
    { type: 'AggregationEvent', eventTime: t(9), eventTimeZoneOffset: '+00:00', action: 'ADD', bizStep: 'packing', parentID: pallet, childEPCs: [kase] },
    obj(t(10), { bizStep: 'shipping', epcList: [pallet] }),
  ]);
  await post('riverside-retail', [obj(t(11), { bizStep: 'receiving', epcList: [pallet] })]);
  return {
    temp,
    capture,
    post,
    ctx: () => {
      const store = new LineageStore(temp.db, C);
      return { source: store, evidence: store, state: temp.node.state(C), index: temp.node.trustedIndex(C) };
    },
    async close() {
      await capture.close();
      await temp.destroy();
    },
  };
}
