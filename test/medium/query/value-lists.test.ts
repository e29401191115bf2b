/**
 * The top-level lists (GET /epcs, /bizSteps, /bizLocations, /readPoints, /dispositions) on a real
 * node: the values of the events the caller may see, ascending, paged with perPage, nextPageToken
 * and Link, each value's /{resource}/{value}/events answering its events, each page valid against
 * GS1's openapi.json. The read-policy matrix checks them against every viewer.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canonicalIdentifier } from '../../../src/core/rules/authorisation.js';
import { issueToken } from '../../../src/store/token-store.js';
import { errorsOf, responseSchema } from '../../helpers/gs1-openapi.js';
import { CAPTURE_TEST_CONSORTIUM } from '../../helpers/consortia.js';
import { epcisDocument, objectEvent } from '../../helpers/epcis-documents.js';
import { captureDocument, eventsOf, getAs, startQueryNode, type QueryNode } from './query-harness.js';

const DEPOT = 'urn:epc:id:sgln:0614141.00777.0';
const DOCK = 'urn:epc:id:sgln:0614141.00888.0';
const ITEM = (n: number) => `urn:epc:id:sgtin:0614141.107346.${n}`;

let node: QueryNode;
let retailer: string;

beforeAll(async () => {
  node = await startQueryNode();
  retailer = (await issueToken(node.t.db, CAPTURE_TEST_CONSORTIUM, 'retailer', 'list tests')).token;
  const events = [
    objectEvent({ action: 'ADD', bizStep: 'commissioning', epcList: [ITEM(1), ITEM(2)], readPoint: { id: DEPOT }, bizLocation: { id: DEPOT }, disposition: 'active' }),
    objectEvent({ eventTime: '2026-11-21T09:00:00.000Z', bizStep: 'shipping', epcList: [ITEM(1)], readPoint: { id: DOCK }, disposition: 'in_transit' }),
    { type: 'AggregationEvent', eventTime: '2026-11-21T10:00:00.000Z', eventTimeZoneOffset: '+00:00', action: 'ADD', bizStep: 'packing', parentID: 'urn:epc:id:sscc:0614141.1234567890', childEPCs: [ITEM(3)] },
  ];
  const job = await captureDocument(node, epcisDocument(events));
  expect(job.success, JSON.stringify(job)).toBe(true);
}, 60_000);

afterAll(async () => node?.close());

/** Every value of a list, walking its pages; checks each page against GS1's schema. */
async function listAll(resource: string, token: string, perPage?: number): Promise<{ values: string[]; pages: number }> {
  const values: string[] = [];
  let path: string | null = `/${resource}${perPage ? `?perPage=${perPage}` : ''}`;
  let pages = 0;
  const validate = responseSchema(`/${resource}`, 'get', 200, 'application/json');
  while (path) {
    const res = await getAs(node, path, token);
    expect(res.status, res.text).toBe(200);
    expect(validate(res.json), `${resource}: ${errorsOf(validate)}`).toBe(true);
    values.push(...(res.json.member as string[]));
    const link = res.headers.get('link');
    path = link ? /^<([^>]+)>; rel="next"$/.exec(link)![1]! : null;
    pages++;
    expect(pages).toBeLessThan(20);
  }
  return { values, pages };
}

describe('top-level lists', () => {
  it('list the values of the events the caller sees, ascending, in the form their /{value}/events matches', async () => {
    expect((await listAll('bizSteps', node.auth)).values).toEqual(['commissioning', 'packing', 'shipping']);
    expect((await listAll('dispositions', node.auth)).values).toEqual(['active', 'in_transit']);
    expect((await listAll('readPoints', node.auth)).values).toEqual([DEPOT, DOCK]);
    expect((await listAll('bizLocations', node.auth)).values).toEqual([DEPOT]);
    // EPCs are listed canonical (GS1 Digital Link URIs), the form MATCH_anyEPC compares.
    const epcs = [ITEM(1), ITEM(2), ITEM(3), 'urn:epc:id:sscc:0614141.1234567890'].map(canonicalIdentifier).sort();
    expect((await listAll('epcs', node.auth)).values).toEqual(epcs);
    for (const step of (await listAll('bizSteps', node.auth)).values) {
      const res = await getAs(node, `/bizSteps/${encodeURIComponent(step)}/events`, node.auth);
      expect(eventsOf(res).length, step).toBeGreaterThan(0);
    }
    expect(eventsOf(await getAs(node, `/epcs/${encodeURIComponent(ITEM(1))}/events`, node.auth)).length).toBe(2);
  });

  it('a member who sees none of the events gets empty lists; no token is a 401', async () => {
    for (const resource of ['bizSteps', 'dispositions', 'readPoints', 'bizLocations', 'epcs']) {
      expect((await listAll(resource, retailer)).values, resource).toEqual([]);
    }
    expect((await getAs(node, '/bizSteps', null)).status).toBe(401);
  });

  it('pages with perPage, nextPageToken and Link; a token of another list or an unknown parameter is a 400', async () => {
    const paged = await listAll('epcs', node.auth, 1);
    expect(paged.values).toEqual((await listAll('epcs', node.auth)).values);
    expect(paged.pages).toBe(4);
    const first = await getAs(node, '/bizSteps?perPage=1', node.auth);
    const token = new URL(/^<([^>]+)>/.exec(first.headers.get('link')!)![1]!, node.url).searchParams.get('nextPageToken')!;
    expect((await getAs(node, `/epcs?nextPageToken=${token}`, node.auth)).status).toBe(400);
    const unknown = await getAs(node, '/bizSteps?EQ_bizStep=shipping', node.auth);
    expect(unknown.status).toBe(400);
    expect(unknown.json.type).toBe('epcisException:QueryParameterException');
  });
});
