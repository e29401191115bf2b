/** the capture as a GraphQL mutation, through the same pipeline as POST /epcis/capture. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signCaptureDocument } from '../../../src/client/capture-client.js';
import { eventHashId } from '../../../src/core/epcis/event-hash.js';
import { DEMO_CONSORTIUM_ID } from '../../../src/services/node/demo-consortium.js';
import { findEvent } from '../../../src/store/event-index.js';
import { startTestNode, type TestNode } from '../../helpers/test-node.js';

const CONTEXT = ['https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld'];
const MUTATION = `mutation Capture($envelope: JSON!, $mode: CaptureMode, $wait: Boolean) {
  capture(envelope: $envelope, mode: $mode, wait: $wait) {
    __typename
    ... on CaptureResult { results { index eventId status recordHash block { height hash } error { code message } } }
    ... on CaptureRejected { code message results { index status error { code } } }
    ... on Error { code message }
  }
}`;

function observe(serial: string, extra: Record<string, unknown> = {}) {
  return {
    type: 'ObjectEvent',
    eventTime: '2026-11-20T10:00:00.000Z',
    eventTimeZoneOffset: '+00:00',
    epcList: [`urn:epc:id:sgtin:5012345.012345.${serial}`],
    action: 'OBSERVE',
    bizStep: 'sampling',
    ...extra,
  };
}

function documentOf(events: unknown[]) {
  return { '@context': CONTEXT, type: 'EPCISDocument', schemaVersion: '2.0', creationDate: '2026-11-20T10:00:00.000Z', epcisBody: { eventList: events } };
}

describe('GraphQL capture mutation', () => {
  let node: TestNode;
  let base: string;

  async function capture(envelope: unknown, variables: Record<string, unknown> = {}) {
    const res = await fetch(`${base}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: MUTATION, variables: { envelope, ...variables } }),
    });
    const body = (await res.json()) as { data?: { capture: any }; errors?: unknown[] };
    expect(body.errors).toBeUndefined();
    return body.data!.capture;
  }

  beforeAll(async () => {
    node = await startTestNode({ http: true });
    base = node.url;
  });

  afterAll(async () => {
    await node?.destroy();
  });

  const farm = () => node.demo.orgKeys.get('highfield-farm')!;

  it('stores each event under its CBV event hash ID, and a second capture is a duplicate', async () => {
    const doc = documentOf([observe('GQL1'), observe('GQL2')]);
    const envelope = signCaptureDocument(doc, { consortium: DEMO_CONSORTIUM_ID, key: farm() });
    const first = await capture(envelope);
    expect(first.__typename).toBe('CaptureResult');
    expect(first.results.map((r: any) => r.status)).toEqual(['ACCEPTED', 'ACCEPTED']);
    const ids = doc.epcisBody.eventList.map((e) => eventHashId(e as Record<string, unknown>, CONTEXT));
    expect(first.results.map((r: any) => r.eventId)).toEqual(ids);
    const stored = await findEvent(node.db, ids[0]!, DEMO_CONSORTIUM_ID);
    expect(stored?.recordHash).toBe(first.results[0].recordHash);

    const again = await capture(envelope);
    expect(again.results.map((r: any) => r.status)).toEqual(['DUPLICATE', 'DUPLICATE']);
  });

  it('waits for the seal when asked, and reports the block', async () => {
    const envelope = signCaptureDocument(documentOf([observe('GQL3')]), { consortium: DEMO_CONSORTIUM_ID, key: farm() });
    const sealing = capture(envelope, { wait: true });
    // The temp node seals on demand; keep sealing until the capture answers.
    let result: any;
    const pump = setInterval(() => void node.node.sealNow(DEMO_CONSORTIUM_ID).catch(() => undefined), 20);
    try {
      result = await sealing;
    } finally {
      clearInterval(pump);
    }
    expect(result.results[0].status).toBe('ACCEPTED');
    expect(result.results[0].block.height).toBeGreaterThan(0);
    expect(result.results[0].block.hash).toMatch(/^[0-9a-f]{64}$/);
  });

  it('refuses a forged signature with the reason per event, and stores nothing', async () => {
    const envelope = signCaptureDocument(documentOf([observe('GQL4')]), { consortium: DEMO_CONSORTIUM_ID, key: farm() });
    const other = signCaptureDocument(documentOf([observe('GQL5')]), { consortium: DEMO_CONSORTIUM_ID, key: farm() });
    const result = await capture({ ...envelope, signatures: other.signatures });
    expect(result.__typename).toBe('CaptureRejected');
    expect(result.code).toBe('BAD_SIGNATURE');
    expect(result.results[0].error.code).toBe('BAD_SIGNATURE');
    expect(await findEvent(node.db, eventHashId(observe('GQL4'), CONTEXT), DEMO_CONSORTIUM_ID)).toBeNull();
  });

  it('answers a stale signature (outside the signedAt window) with Unauthenticated', async () => {
    const envelope = signCaptureDocument(documentOf([observe('GQL12')]), { consortium: DEMO_CONSORTIUM_ID, key: farm(), signedAt: '2020-01-01T00:00:00.000Z' });
    const result = await capture(envelope);
    expect(result.__typename).toBe('Unauthenticated');
    expect(result.message).toContain('STALE_SIGNATURE');
  });

  it('refuses an atomic document with one forbidden event as CaptureRejected, with every event reported and none stored', async () => {
    // A farm may not record slaughter (ABATTOIR only).
    const slaughter = {
      type: 'TransformationEvent',
      eventTime: '2026-11-20T10:00:00.000Z',
      eventTimeZoneOffset: '+00:00',
      inputEPCList: ['urn:epc:id:sgtin:5012345.012345.GQL6'],
      outputEPCList: ['urn:epc:id:sgtin:5012345.012345.GQL7'],
      bizStep: 'urn:provenant:bizstep:slaughter',
    };
    const envelope = signCaptureDocument(documentOf([observe('GQL8'), slaughter]), { consortium: DEMO_CONSORTIUM_ID, key: farm() });
    const result = await capture(envelope);
    expect(result.__typename).toBe('CaptureRejected');
    expect(result.results).toHaveLength(2);
    expect(result.results[1].status).toBe('REJECTED');
    expect(result.results[0].error.code).toBe('NOT_STORED');
    expect(await findEvent(node.db, eventHashId(observe('GQL8'), CONTEXT), DEMO_CONSORTIUM_ID)).toBeNull();
  });

  it('keeps the valid events of a partial document', async () => {
    const invalid = { ...observe('GQL9'), action: 'SIDEWAYS' };
    const envelope = signCaptureDocument(documentOf([observe('GQL10'), invalid]), { consortium: DEMO_CONSORTIUM_ID, key: farm() });
    const result = await capture(envelope, { mode: 'PARTIAL' });
    expect(result.__typename).toBe('CaptureResult');
    expect(result.results.map((r: any) => r.status)).toEqual(['ACCEPTED', 'REJECTED']);
    expect(result.results[1].error.code).toBe('INVALID_EPCIS');
  });

  it('names a malformed envelope', async () => {
    const result = await capture({ consortium: DEMO_CONSORTIUM_ID, document: documentOf([observe('GQL11')]), surprise: 1 });
    expect(result.__typename).toBe('CaptureRejected');
    expect(result.code).toBe('MALFORMED_ENVELOPE');
    expect(result.message).toContain('surprise');
  });
});
