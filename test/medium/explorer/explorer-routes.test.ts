/**
 * The explorer's JSON routes and the Digital Link resolver on a node holding the simulators' story
 * (without the reefer): demo tokens only on demo nodes, sessions, roles at a log index, proof
 * bundles cut to what the viewer may read, and the public passport that names no other organisation.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyBundle } from '../../../src/core/lineage/bundle.js';
import { DEMO_CONSORTIUM_ID } from '../../../src/services/node/demo-consortium.js';
import { issueToken } from '../../../src/store/token-store.js';
import { enableDemoSignIn } from '../../../src/transport/http/explorer-routes.js';
import type { ProvenantApp } from '../../../src/transport/http/server.js';
import { runScenario } from '../../../simulators/scenario.js';
import { startTestNode, type TestNode } from '../../helpers/test-node.js';

const PACK_DL_PATH = '/01/05098765333339/21/MINCE-A-1';

describe('explorer routes and the Digital Link resolver', () => {
  let node: TestNode;
  let app: ProvenantApp;
  let base: string;
  const tokens: Record<string, string> = {};

  const get = (path: string, token?: string, accept = 'application/json') => fetch(base + path, { headers: { accept, ...(token ? { authorization: `Bearer ${token}` } : {}) } });
  const gql = async (token: string, query: string) => ((await (await fetch(`${base}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify({ query }) })).json()) as { data: any }).data;
  const bundle = (token: string, records: unknown) => fetch(`${base}/explorer/api/bundle`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify({ records }) });

  beforeAll(async () => {
    node = await startTestNode({ autoSeal: true, http: true });
    app = node.app as ProvenantApp;
    base = node.url;
    for (const org of ['fsa', 'highfield-farm', 'meadow-farm']) tokens[org] = (await issueToken(node.db, DEMO_CONSORTIUM_ID, org, 'test')).token;
    await runScenario({ baseUrl: base, consortium: DEMO_CONSORTIUM_ID, orgKeys: node.demo.orgKeys });
  }, 120_000);

  afterAll(async () => {
    await node?.destroy();
  });

  it('lists demo sign-in tokens only once the node is marked as a demo, and they sign in', async () => {
    expect(await (await get('/explorer/api/demo-tokens')).json()).toEqual({ demo: false, tokens: [] });
    enableDemoSignIn(app);
    const demo = (await (await get('/explorer/api/demo-tokens')).json()) as { demo: boolean; tokens: { orgId: string; token: string }[] };
    expect(demo.demo).toBe(true);
    expect(demo.tokens.map((t) => t.orgId)).toEqual(['fsa', 'hmrc', 'riverside-retail', 'vale-processors', 'northern-abattoir', 'highfield-farm']);
    // Issued once per run: a second visit gets the same tokens.
    expect(((await (await get('/explorer/api/demo-tokens')).json()) as typeof demo).tokens).toEqual(demo.tokens);
    const session = await (await get('/explorer/api/session', demo.tokens[2]!.token)).json();
    expect(session).toMatchObject({ consortium: DEMO_CONSORTIUM_ID, orgId: 'riverside-retail', orgName: 'Riverside Retail', roles: ['RETAILER'], isRegulator: false });
  });

  it('refuses a session without a valid token, and tells roles at a log index', async () => {
    expect((await get('/explorer/api/session')).status).toBe(401);
    expect((await get('/explorer/api/session', 'pvn_nonsense')).status).toBe(401);
    expect(await (await get('/explorer/api/roles-at?org=highfield-farm&logIndex=3', tokens['fsa'])).json()).toMatchObject({ orgName: 'Highfield Farm', roles: ['FARM'] });
    expect((await get('/explorer/api/roles-at?org=highfield-farm&logIndex=99999999', tokens['fsa'])).status).toBe(400);
    expect((await get('/explorer/api/roles-at?org=highfield-farm', tokens['fsa'])).status).toBe(400);
  });

  it('bundles only the records the viewer may read in full, and the bundle verifies offline', async () => {
    const hops = (await gql(tokens['fsa']!, `{ trace(consortium: "${DEMO_CONSORTIUM_ID}", id: "https://id.gs1.org${PACK_DL_PATH}", direction: UPSTREAM) { ... on LineageTrace { hops { recordHash edge { kind from to } } } } }`)).trace.hops as { recordHash: string; edge: { kind: string; from: string } }[];
    const all = [...new Set(hops.map((h) => h.recordHash))];
    const regulator = await bundle(tokens['fsa']!, all);
    expect(regulator.status).toBe(200);
    const full = (await regulator.json()) as any;
    expect(regulator.headers.get('x-provenant-omitted-records')).toBe('0');
    expect(verifyBundle(full).ok).toBe(true);
    expect(full.records.map((r: any) => r.hash).sort()).toEqual([...all].sort());

    // A dam hop is the birth a farm recorded: Meadow Farm may not read Highfield Farm's births.
    const highfieldBirth = hops.find((h) => h.edge.kind === 'DAM' && h.edge.from.includes('UK123450'))!.recordHash;
    const meadowBirth = hops.find((h) => h.edge.kind === 'DAM' && h.edge.from.includes('UK234560'))!.recordHash;
    const cut = await bundle(tokens['meadow-farm']!, [meadowBirth, highfieldBirth]);
    expect(cut.status).toBe(200);
    const body = (await cut.json()) as any;
    expect(body.records.map((r: any) => r.hash)).toEqual([meadowBirth]);
    expect(cut.headers.get('x-provenant-omitted')).toBe(highfieldBirth);
    expect(cut.headers.get('x-provenant-omitted-records')).toBe('1');
    expect(verifyBundle(body).ok).toBe(true);
    const none = await bundle(tokens['meadow-farm']!, [highfieldBirth]);
    expect(none.status).toBe(400);
    expect(((await none.json()) as any).error.code).toBe('NOTHING_TO_BUNDLE');
    expect((await bundle(tokens['fsa']!, ['not-a-hash'])).status).toBe(400);
    expect((await bundle(tokens['fsa']!, [])).status).toBe(400);
  });

  it('an answer bundle (v2) states the trace it answers and proves each identifier complete; records the viewer may not read are withheld', async () => {
    const id = `https://id.gs1.org${PACK_DL_PATH}`;
    const shown = async (token: string, start: string) =>
      ((await gql(token, `{ trace(consortium: "${DEMO_CONSORTIUM_ID}", id: "${start}", direction: UPSTREAM) { ... on LineageTrace { completeness { identifier } } } }`)).trace as { completeness: { identifier: string }[] }).completeness.map((c) => c.identifier);
    const asked = async (token: string, body: unknown) => {
      const res = await fetch(`${base}/explorer/api/bundle`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify(body) });
      return { res, body: (await res.json()) as any };
    };
    const fsa = { ...(await asked(tokens['fsa']!, { query: { kind: 'trace', identifier: id, direction: 'UPSTREAM' } })), identifiers: await shown(tokens['fsa']!, id) };
    expect(fsa.res.status).toBe(200);
    expect(fsa.body.format).toBe('provenant-proof-bundle/v2');
    expect(fsa.body.answer.identifiers.sort()).toEqual([...fsa.identifiers].sort());
    expect(fsa.body.completeness.withheld).toEqual([]);
    const report = verifyBundle(fsa.body, { genesis: fsa.body.genesisHash });
    expect(report.failures).toEqual([]);
    // A farm asking about its own animal: the others' records of its histories are withheld, the proofs still hold.
    const animal = fsa.identifiers.find((i) => i.includes('UK234560'))!;
    const farm = { ...(await asked(tokens['meadow-farm']!, { query: { kind: 'trace', identifier: animal, direction: 'DOWNSTREAM', maxDepth: 1 } })), identifiers: await shown(tokens['meadow-farm']!, animal) };
    expect(farm.res.status).toBe(200);
    expect(farm.body.completeness.withheld.length).toBeGreaterThan(0);
    expect(Number(farm.res.headers.get('x-provenant-omitted-records'))).toBe(farm.body.completeness.withheld.length);
    expect(verifyBundle(farm.body, { genesis: fsa.body.genesisHash }).ok).toBe(true);
  });

  it('an answer bundle covers only what the caller\'s own answer shows: client-chosen identifiers and questions the caller may not ask are refused', async () => {
    const id = `https://id.gs1.org${PACK_DL_PATH}`;
    const post = (token: string, body: unknown) => fetch(`${base}/explorer/api/bundle`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify(body) });
    const query = { kind: 'trace', identifier: id, direction: 'UPSTREAM' };
    const fsaIds = ((await (await post(tokens['fsa']!, { query })).json()) as any).answer.identifiers as string[];
    // Identifiers from the client: refused, even the very ones the node would derive.
    const chosen = await post(tokens['fsa']!, { query, identifiers: fsaIds });
    expect(chosen.status).toBe(400);
    expect(((await chosen.json()) as any).error.code).toBe('CLIENT_IDENTIFIERS');
    const farmChosen = await post(tokens['meadow-farm']!, { query, identifiers: fsaIds });
    expect([farmChosen.status, ((await farmChosen.json()) as any).error.code]).toEqual([400, 'CLIENT_IDENTIFIERS']);
    // The pack's trace is not the farm's to ask: no bundle, no proofs of where others' records lie.
    const farmAsks = await post(tokens['meadow-farm']!, { query });
    expect(farmAsks.status).toBe(403);
    // What the farm may ask: every identifier of its bundle is one its own answer shows it.
    const animal = fsaIds.find((i) => i.includes('UK234560'))!;
    for (const direction of ['UPSTREAM', 'DOWNSTREAM']) {
      const res = await post(tokens['meadow-farm']!, { query: { kind: 'trace', identifier: animal, direction } });
      expect(res.status).toBe(200);
      const body = (await res.json()) as any;
      const own = ((await gql(tokens['meadow-farm']!, `{ trace(consortium: "${DEMO_CONSORTIUM_ID}", id: "${animal}", direction: ${direction}) { ... on LineageTrace { nodes } } }`)).trace as { nodes: string[] }).nodes;
      expect(body.answer.identifiers.length).toBeGreaterThan(0);
      for (const i of body.answer.identifiers) expect(own, direction).toContain(i);
      for (const p of body.completeness.identifiers) expect(own, direction).toContain(p.identifier);
      expect(verifyBundle(body, { genesis: body.genesisHash }).failures).toEqual([]);
      // The regulator's bundle of the same question reaches identifiers the farm's does not.
      const full = ((await (await post(tokens['fsa']!, { query: { kind: 'trace', identifier: animal, direction } })).json()) as any).answer.identifiers as string[];
      if (direction === 'DOWNSTREAM') expect(full.filter((i) => !own.includes(i)).length, direction).toBeGreaterThan(0);
    }
    expect((await post(tokens['fsa']!, { query: { kind: 'passport', identifier: id } })).status).toBe(400);
    expect((await post(tokens['fsa']!, { query, records: ['ab'.repeat(32)] })).status).toBe(400);
  });

  it('resolves a pack\'s Digital Link to its public passport, naming no other organisation', async () => {
    const res = await get(PACK_DL_PATH);
    expect(res.status).toBe(200);
    expect(res.headers.get('link')).toBe(`<${base}${PACK_DL_PATH}?linkType=all>; rel="linkset"; type="application/linkset+json"`);
    expect(res.headers.get('vary')).toMatch(/Accept/);
    const text = await res.text();
    const passport = JSON.parse(text);
    expect(passport).toMatchObject({
      identifier: `https://id.gs1.org${PACK_DL_PATH}`,
      gtin: '05098765333339',
      serial: 'MINCE-A-1',
      brandOwner: 'Vale Processors',
      originRegions: ['UK, CPH county 12', 'UK, CPH county 23'],
      coldChainKept: true,
      everyStepVerified: true,
    });
    expect(passport.slaughterDates.length).toBeGreaterThan(0);
    expect(passport.packingDates.length).toBeGreaterThan(0);
    for (const secret of ['highfield', 'meadow', 'northern', 'abattoir', 'UK123450', '12/345/6789', 'fluke', 'riverside']) expect(text.toLowerCase()).not.toContain(secret.toLowerCase());
    // The same item with its lot in the path, and through the 1.0 short names.
    expect((await (await get('/01/05098765333339/10/MINCE-A/21/MINCE-A-1')).json()).identifier).toBe(passport.identifier);
    expect((await (await get('/gtin/05098765333339/ser/MINCE-A-1')).json()).identifier).toBe(passport.identifier);
  });

  it('answers browsers with the page, linkset requests with an RFC 9264 linkset, and unknown keys as a resolver does', async () => {
    const html = await get(PACK_DL_PATH, undefined, 'text/html,application/xhtml+xml,*/*;q=0.8');
    expect(html.headers.get('content-type')).toMatch(/^text\/html/);
    expect(await html.text()).toMatch(/<h1>Product passport<\/h1>[\s\S]*Cold chain kept[\s\S]*Yes/);
    for (const res of [await get(`${PACK_DL_PATH}?linkType=all`), await get(PACK_DL_PATH, undefined, 'application/linkset+json')]) {
      expect(res.headers.get('content-type')).toMatch(/^application\/linkset\+json/);
      const { linkset } = (await res.json()) as any;
      expect(linkset).toHaveLength(1);
      expect(linkset[0].anchor).toBe(base + PACK_DL_PATH);
      expect(linkset[0]['https://gs1.org/voc/defaultLink'][0]).toMatchObject({ type: 'text/html', href: `${base}${PACK_DL_PATH}?linkType=gs1:pip` });
      expect(linkset[0]['https://gs1.org/voc/traceability'][0]).toMatchObject({ type: 'application/json' });
    }
    expect((await get(`${PACK_DL_PATH}?linkType=gs1:traceability`, undefined, 'text/html')).headers.get('content-type')).toMatch(/^application\/json/);
    const unknown = await get('/01/05098765333339/21/NO-SUCH-PACK');
    expect(unknown.status).toBe(404);
    expect(((await unknown.json()) as any).error.code).toBe('PASSPORT_NOT_FOUND');
    const badCheck = await get('/01/05098765333338/21/MINCE-A-1');
    expect(badCheck.status).toBe(400);
    expect(((await badCheck.json()) as any).error.message).toMatch(/check digit/);
    expect((await get('/00/150987650000000016')).status).toBe(404);
    expect(((await (await get('/8006/123456789012341234')).json()) as any).error.code).toBe('NO_LINKS');
    expect((await get('/01/05098765333339/21/NO-SUCH-PACK', undefined, 'text/html')).status).toBe(404);
    expect(await (await get('/.well-known/gs1resolver')).json()).toMatchObject({ resolverRoot: base, supportedPrimaryKeys: ['01'] });
  });
});
