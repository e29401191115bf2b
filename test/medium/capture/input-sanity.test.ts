/** Input sanity at capture: event times too far ahead of the node's clock, and vocabulary values that are not CBV names or URIs. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SKIP_ROLE_CHECK, startTestNode, type TestNode } from '../../helpers/test-node.js';
import { inspectionEvents } from '../../helpers/epcis-documents.js';
import { DEFAULT_LIMITS } from '../../../src/platform/config.js';

let node: TestNode;
beforeAll(async () => {
  node = await startTestNode({ authorise: SKIP_ROLE_CHECK });
}, 60_000);
afterAll(async () => {
  await node?.destroy();
});

const observe = inspectionEvents('SANITY');

async function outcomes(events: Record<string, unknown>[]) {
  const outcome = await node.captureEvents('highfield-farm', events, { mode: 'partial' });
  return outcome.results.map((r) => (r.status === 'rejected' ? r.error!.code : r.status));
}

describe('capture refuses', () => {
  it('an eventTime further ahead of the node clock than the configured skew (EVENT_TIME_IN_FUTURE)', async () => {
    const soon = new Date(Date.now() + DEFAULT_LIMITS.eventTimeMaxFutureMs / 2).toISOString();
    expect(await outcomes([observe({ eventTime: '2999-01-01T00:00:00.000Z' }), observe({ eventTime: soon }), observe()])).toEqual(['EVENT_TIME_IN_FUTURE', 'accepted', 'accepted']);
  });

  it('javascript: and other junk as bizStep, disposition, readPoint or bizLocation (INVALID_EPCIS naming the field)', async () => {
    const outcome = await node.captureEvents(
      'highfield-farm',
      [
        observe({ bizStep: 'javascript:alert(1)' }),
        observe({ readPoint: { id: 'javascript:alert(1)' } }),
        observe({ disposition: 'Not A Name' }),
        observe({ bizLocation: { id: 'data:text/html,<b>x</b>' } }),
        observe({ bizStep: 'shipping', disposition: 'in_transit', bizLocation: { id: 'https://id.example.org/414/5012345000016' } }),
        observe({ bizStep: 'https://ns.example.org/voc/bizstep/weighing' }),
      ],
      { mode: 'partial' },
    );
    const codes = outcome.results.map((r) => (r.status === 'rejected' ? `${r.error!.code} ${r.error!.message}` : r.status));
    expect(codes[0]).toMatch(/^INVALID_EPCIS .*bizStep must be a CBV short name/);
    expect(codes[1]).toMatch(/^INVALID_EPCIS .*readPoint\.id must be an http\(s\) or urn URI/);
    expect(codes[2]).toMatch(/^INVALID_EPCIS .*disposition/);
    expect(codes[3]).toMatch(/^INVALID_EPCIS .*bizLocation\.id/);
    expect(codes.slice(4)).toEqual(['accepted', 'accepted']);
  });
});

describe('recordTime', () => {
  it('a client-supplied recordTime is not the node’s: it does not change the event hash ID and is not checked', async () => {
    const event = observe();
    const [plain] = (await node.captureEvents('highfield-farm', [event], { mode: 'partial' })).results;
    const [again] = (await node.captureEvents('highfield-farm', [{ ...event, recordTime: '2999-01-01T00:00:00.000Z' }], { mode: 'partial' })).results;
    expect(again!.eventId).toBe(plain!.eventId);
  });
});
