/**
 * Visibility matrix (docs/access.md): the simulators' whole story on a real SQLite
 * node, then every demo organisation asks every kind of lineage and record query; each must see
 * exactly what its role, custody and lineage entitle it to.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { issueApiToken } from '../../../src/services/auth.js';
import type { ProvenantApp } from '../../../src/transport/http/server.js';
import { DEMO_CONSORTIUM_ID as C, DEMO_ORGS } from '../../../src/services/node/demo-consortium.js';
import { canonicalIdentifier, PROVENANT_BIZSTEP } from '../../../src/core/rules/authorisation.js';
import { trace as pureTrace } from '../../../src/services/lineage/queries.js';
import { LineageStore } from '../../../src/store/lineage-store.js';
import { runScenario, type ScenarioResult } from '../../../simulators/scenario.js';
import { startTestNode, type TestNode } from '../../helpers/test-node.js';

type Org = (typeof DEMO_ORGS)[number]['id'];
const ORGS = DEMO_ORGS.map((o) => o.id) as Org[];

interface Gql {
  data?: Record<string, any>;
  errors?: { message: string }[];
}

let temp: TestNode;
let app: ProvenantApp;
let base: string;
let story: ScenarioResult;
const tokens = new Map<Org, string>();

async function gql(org: Org | null, query: string, variables: Record<string, unknown> = {}): Promise<Gql> {
  const res = await fetch(`${base}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(org ? { authorization: `Bearer ${tokens.get(org)}` } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  return (await res.json()) as Gql;
}

/** One root field for one organisation; fails on GraphQL errors (nothing here may be masked). */
async function field(org: Org | null, call: string, selection: string, variables: Record<string, unknown> = {}, varDefs = ''): Promise<any> {
  const res = await gql(org, `query${varDefs} { f: ${call} { __typename ... on Error { code message } ${selection} } }`, variables);
  expect(res.errors, `${org}: ${call}`).toBeUndefined();
  return res.data!.f;
}

async function eventOf(bizStep: string, identifier: string): Promise<{ eventId: string; recordHash: string; submitterOrg: string }> {
  const rows = await temp.db.$queryRawUnsafe<{ eventId: string; recordHash: string; submitterOrg: string }[]>(
    `SELECT e."eventId", e."recordHash", e."submitterOrg" FROM "EpcisEvent" e JOIN "EventIdentifier" i ON i."consortiumId" = e."consortiumId" AND i."eventId" = e."eventId"
      WHERE e."consortiumId" = ? AND e."bizStep" = ? AND i."identifier" = ?`,
    C,
    bizStep,
    canonicalIdentifier(identifier),
  );
  expect(rows, `${bizStep} of ${identifier}`).toHaveLength(1);
  return rows[0]!;
}

/** Access-log entries the owner can read (the accessLog query flushes buffered entries first). */
async function accessLogOf(owner: Org): Promise<{ viewerOrg: string; subjectType: string; subjectId: string }[]> {
  const out: { viewerOrg: string; subjectType: string; subjectId: string }[] = [];
  let after: string | null = null;
  for (;;) {
    const res: Gql = await gql(
      owner,
      `query($after: String) { accessLog(first: 50, after: $after) { ... on QueryAccessLogConnection { edges { node { viewerOrg subjectType subjectId } } pageInfo { hasNextPage endCursor } } } }`,
      { after },
    );
    expect(res.errors).toBeUndefined();
    out.push(...res.data!.accessLog.edges.map((e: { node: { viewerOrg: string; subjectType: string; subjectId: string } }) => e.node));
    if (!res.data!.accessLog.pageInfo.hasNextPage) return out;
    after = res.data!.accessLog.pageInfo.endCursor;
  }
}

beforeAll(async () => {
  temp = await startTestNode({ autoSeal: true, http: true });
  app = temp.app as ProvenantApp;
  base = temp.url;
  story = await runScenario({ baseUrl: base, consortium: C, orgKeys: temp.demo.orgKeys });
  for (const org of ORGS) tokens.set(org, (await issueApiToken(temp.db, C, org, 'matrix')).token);
}, 120_000);

afterAll(async () => {
  await temp?.destroy();
});

/** Expected outcome per organisation: a typename (Forbidden) or a named view checked below. */
type Row<V extends string> = Record<Org, V | 'Forbidden'>;

describe('trace', () => {
  const q = (id: string, direction: 'UPSTREAM' | 'DOWNSTREAM') => `trace(consortium: "${C}", id: "${id}", direction: ${direction})`;
  const sel = '... on LineageTrace { verdict nodes hops { status edge { kind from to eventId } } }';

  it('a retail pack upstream: the whole verified trace for those who hold it, made it or clear its cargo; nobody else', async () => {
    const pack = story.packs[2]!;
    const store = new LineageStore(temp.db, C);
    const all = await pureTrace({ source: store, evidence: store, state: temp.node.state(C) }, pack, 'UPSTREAM');
    const expected: Row<'full'> = {
      fsa: 'full',
      hmrc: 'full',
      'riverside-retail': 'full',
      'vale-processors': 'full',
      'port-felixstowe': 'Forbidden',
      'highfield-farm': 'Forbidden',
      'meadow-farm': 'Forbidden',
      'northern-abattoir': 'Forbidden',
      'swift-haulage': 'Forbidden',
      'oceanic-line': 'Forbidden',
    };
    for (const org of ORGS) {
      const t = await field(org, q(pack, 'UPSTREAM'), sel);
      if (expected[org] === 'Forbidden') {
        expect(t, org).toMatchObject({ __typename: 'Forbidden', code: 'FORBIDDEN' });
        continue;
      }
      expect(t.__typename, org).toBe('LineageTrace');
      expect(t.verdict, org).toBe('VERIFIED');
      // Every hop of the unfiltered trace, farms included.
      expect(t.hops.length, org).toBe(all.verification.hops.length);
      expect(new Set(t.nodes), org).toEqual(new Set(all.trace.nodes));
      for (const a of story.animals) expect(t.nodes, org).toContain(canonicalIdentifier(a));
    }
  });

  it('the pallet upstream: the haulier sees the cases it carried, not the packs, carcasses or farms', async () => {
    const t = await field('swift-haulage', q(story.pallet, 'UPSTREAM'), sel);
    expect(t.__typename).toBe('LineageTrace');
    expect(new Set(t.nodes)).toEqual(new Set([story.pallet, ...story.cases].map(canonicalIdentifier)));
    expect(t.hops.map((h: any) => h.edge.kind)).toEqual(['AGGREGATION', 'AGGREGATION']);
    const retail = await field('riverside-retail', q(story.pallet, 'UPSTREAM'), sel);
    for (const a of story.animals) expect(retail.nodes).toContain(canonicalIdentifier(a));
    expect((await field('port-felixstowe', q(story.pallet, 'UPSTREAM'), sel)).__typename).toBe('Forbidden');
    expect((await field('highfield-farm', q(story.pallet, 'UPSTREAM'), sel)).__typename).toBe('Forbidden');
  });

  it("an animal downstream: its farm sees the slaughter, not which packs it went into; a rival farm nothing; the FSA everything", async () => {
    const animal = story.animals[0]!;
    const carcass = canonicalIdentifier(story.carcasses[0]!);
    const farm = await field('highfield-farm', q(animal, 'DOWNSTREAM'), sel);
    expect(farm.__typename).toBe('LineageTrace');
    expect(farm.nodes).toContain(carcass);
    for (const p of story.packs) expect(farm.nodes).not.toContain(canonicalIdentifier(p));
    expect((await field('meadow-farm', q(animal, 'DOWNSTREAM'), sel)).__typename).toBe('Forbidden');
    const fsa = await field('fsa', q(animal, 'DOWNSTREAM'), sel);
    for (const p of story.packs) expect(fsa.nodes).toContain(canonicalIdentifier(p));
    expect(fsa.nodes).toContain(story.container);
  });
});

describe('animal history and post-mortem findings', () => {
  const sel = `... on AnimalHistory { birth { orgId } dam movements { orgId } slaughter { orgId } carcasses postMortem { eventId orgId redacted finding } }`;
  const history = (tag: string) => `animalHistory(consortium: "${C}", earTag: "${tag}")`;

  it('a highfield animal with a condemned carcass: finding to its farm, the abattoir and the FSA; redacted for the pack and cargo chain; hidden from the rest', async () => {
    const animal = story.animals[1]!; // carcass C0002 was condemned (liver fluke)
    const expected: Row<'finding' | 'redacted'> = {
      fsa: 'finding',
      'highfield-farm': 'finding',
      'northern-abattoir': 'finding',
      'riverside-retail': 'redacted',
      'vale-processors': 'redacted',
      hmrc: 'redacted',
      'meadow-farm': 'Forbidden',
      'swift-haulage': 'Forbidden',
      'port-felixstowe': 'Forbidden',
      'oceanic-line': 'Forbidden',
    };
    for (const org of ORGS) {
      const h = await field(org, history(animal), sel);
      if (expected[org] === 'Forbidden') {
        expect(h.__typename, org).toBe('Forbidden');
        continue;
      }
      expect(h.__typename, org).toBe('AnimalHistory');
      expect(h.birth, org).toEqual({ orgId: 'highfield-farm' });
      expect(h.slaughter, org).toEqual({ orgId: 'northern-abattoir' });
      expect(h.carcasses, org).toContain(canonicalIdentifier(story.carcasses[1]!));
      expect(h.postMortem, org).toHaveLength(1);
      const pm = h.postMortem[0];
      expect(pm.orgId).toBe('northern-abattoir');
      if (expected[org] === 'finding') {
        expect(pm, org).toMatchObject({ redacted: false, finding: { disposition: 'damaged', 'provenant:postMortem': 'liver fluke; offal condemned' } });
      } else {
        expect(pm, org).toEqual({ eventId: pm.eventId, orgId: 'northern-abattoir', redacted: true, finding: null });
      }
    }
  });

  it("a meadow animal: meadow reads its own finding; highfield cannot see meadow's animal at all", async () => {
    const animal = story.animals[3]!;
    const meadow = await field('meadow-farm', history(animal), sel);
    expect(meadow.birth).toEqual({ orgId: 'meadow-farm' });
    expect(meadow.postMortem[0]).toMatchObject({ redacted: false, finding: { disposition: 'conformant' } });
    expect((await field('highfield-farm', history(animal), sel)).__typename).toBe('Forbidden');
  });
});

describe('records by hash and in block lists', () => {
  const sel = '... on LedgerRecord { hash payload redacted withheldFields signer { orgId } }';
  const record = (hash: string) => `record(hash: "${hash}")`;

  it("a post-mortem record: in full to the farm of origin, the abattoir and the FSA; without its finding to the pack's chain; Forbidden to others", async () => {
    const pm = await eventOf('inspecting', story.carcasses[1]!);
    const expected: Row<'full' | 'redacted'> = {
      fsa: 'full',
      'highfield-farm': 'full',
      'northern-abattoir': 'full',
      'riverside-retail': 'redacted',
      'vale-processors': 'redacted',
      hmrc: 'redacted',
      'meadow-farm': 'Forbidden',
      'swift-haulage': 'Forbidden',
      'port-felixstowe': 'Forbidden',
      'oceanic-line': 'Forbidden',
    };
    for (const org of ORGS) {
      const r = await field(org, record(pm.recordHash), sel);
      if (expected[org] === 'Forbidden') {
        expect(r, org).toMatchObject({ __typename: 'Forbidden', code: 'FORBIDDEN' });
        continue;
      }
      expect(r.__typename, org).toBe('LedgerRecord');
      expect(r.payload.event.epcList, org).toEqual([story.carcasses[1]]);
      expect(r.payload.event.bizStep, org).toBe('inspecting');
      if (expected[org] === 'full') {
        expect(r, org).toMatchObject({ redacted: false, withheldFields: [], payload: { event: { disposition: 'damaged', 'provenant:postMortem': 'liver fluke; offal condemned' } } });
      } else {
        expect(r.redacted, org).toBe(true);
        expect(r.withheldFields, org).toEqual(['disposition', 'provenant:postMortem']);
        expect(JSON.stringify(r.payload), org).not.toMatch(/fluke|damaged|postMortem/);
      }
    }
    // Meadow's carcass: highfield is not its farm of origin.
    const meadowPm = await eventOf('inspecting', story.carcasses[3]!);
    expect((await field('highfield-farm', record(meadowPm.recordHash), sel)).__typename).toBe('Forbidden');
    expect((await field('meadow-farm', record(meadowPm.recordHash), sel)).redacted).toBe(false);
  });

  it("a birth record: its farm and the product's chain see it; a rival farm and the hauliers do not", async () => {
    const birth = await eventOf(PROVENANT_BIZSTEP.BIRTH, story.animals[0]!);
    const expected: Row<'visible'> = {
      fsa: 'visible',
      hmrc: 'visible',
      'highfield-farm': 'visible',
      'northern-abattoir': 'visible',
      'vale-processors': 'visible',
      'riverside-retail': 'visible',
      'meadow-farm': 'Forbidden',
      'swift-haulage': 'Forbidden',
      'port-felixstowe': 'Forbidden',
      'oceanic-line': 'Forbidden',
    };
    for (const org of ORGS) {
      const r = await field(org, record(birth.recordHash), sel);
      expect(r.__typename, org).toBe(expected[org] === 'Forbidden' ? 'Forbidden' : 'LedgerRecord');
      if (r.__typename === 'LedgerRecord') expect(r, org).toMatchObject({ redacted: false, signer: { orgId: 'highfield-farm' } });
    }
  });

  it('block record lists leave out what the viewer may not see, and agree with record-by-hash', async () => {
    const height = temp.node.state(C).height;
    const listed = async (org: Org): Promise<Set<string>> => {
      const seen = new Set<string>();
      for (let h = 1; h <= height; h++) {
        const res = await gql(org, `{ block(consortium: "${C}", height: ${h}) { ... on Block { records(first: 100) { edges { node { hash } } } } } }`);
        expect(res.errors).toBeUndefined();
        for (const e of res.data!.block.records.edges) seen.add(e.node.hash);
      }
      return seen;
    };
    const births = await temp.db.$queryRawUnsafe<{ recordHash: string; submitterOrg: string }[]>(`SELECT "recordHash", "submitterOrg" FROM "EpcisEvent" WHERE "bizStep" = ?`, PROVENANT_BIZSTEP.BIRTH);
    const eventRecords = await temp.db.$queryRawUnsafe<{ recordHash: string }[]>(`SELECT "recordHash" FROM "EpcisEvent"`);
    const fsa = await listed('fsa');
    for (const r of eventRecords) expect(fsa.has(r.recordHash)).toBe(true);
    const meadow = await listed('meadow-farm');
    for (const b of births) expect(meadow.has(b.recordHash), `${b.submitterOrg} birth`).toBe(b.submitterOrg === 'meadow-farm');
    // Sampled against record(hash): a listed record answers, an unlisted event record is Forbidden.
    for (const r of eventRecords.slice(0, 12)) {
      const one = await field('meadow-farm', `record(hash: "${r.recordHash}")`, '');
      expect(one.__typename, r.recordHash).toBe(meadow.has(r.recordHash) ? 'LedgerRecord' : 'Forbidden');
    }
  });
});

describe('recall, passport, cargo and authenticity', () => {
  it('recall from the highfield feed lot: the FSA reaches the container; the farm its animals and carcasses only; a rival farm nothing', async () => {
    const csv = async (org: Org) => field(org, `recallCsv(consortium: "${C}", from: "${story.feedLots[0]}")`, '... on RecallCsv { csv rowCount }');
    const ids = (r: any) => (r.csv as string).trimEnd().split('\r\n').slice(1).map((line) => line.split(',')[0]);
    const fsa = await csv('fsa');
    expect(ids(fsa)).toEqual(expect.arrayContaining([...story.packs, ...story.cases, story.pallet].map(canonicalIdentifier).concat(story.container)));
    const farm = await csv('highfield-farm');
    const farmIds = ids(farm);
    expect(farmIds).toEqual(expect.arrayContaining([...story.animals.slice(0, 3), ...story.carcasses.slice(0, 3)].map(canonicalIdentifier)));
    for (const p of [...story.packs, ...story.cases, story.pallet]) expect(farmIds).not.toContain(canonicalIdentifier(p));
    expect(farm.rowCount).toBeLessThan(fsa.rowCount);
    expect((await csv('meadow-farm')).__typename).toBe('Forbidden');
    expect((await csv('swift-haulage')).__typename).toBe('Forbidden');
    // The retailer's packs come from this lot: it sees them downstream, with itself as custodian.
    const retail = await csv('riverside-retail');
    const held = (retail.csv as string).split('\r\n').find((l) => l.startsWith(canonicalIdentifier(story.packs[5]!)));
    expect(held?.split(',')[2]).toBe('riverside-retail');
  });

  it('product passport of a pack: farms, abattoir and processor for its holder; Forbidden to a farm and the haulier', async () => {
    const sel = '... on ProductPassport { farmsOfBirth { orgId } rearingFarms slaughter { orgId } processing { orgId } verdict coldChainCompliant }';
    const call = `productPassport(consortium: "${C}", id: "${story.packs[4]}")`;
    const retail = await field('riverside-retail', call, sel);
    expect(retail).toMatchObject({ __typename: 'ProductPassport', rearingFarms: ['highfield-farm', 'meadow-farm'], processing: [{ orgId: 'vale-processors' }], verdict: 'VERIFIED' });
    expect(retail.slaughter).toHaveLength(5);
    expect(new Set(retail.farmsOfBirth.map((f: any) => f.orgId))).toEqual(new Set(['highfield-farm', 'meadow-farm']));
    expect(await field('fsa', call, sel)).toEqual(retail);
    for (const org of ['highfield-farm', 'swift-haulage', 'oceanic-line'] as Org[]) expect((await field(org, call, sel)).__typename, org).toBe('Forbidden');
  });

  it('cargo lineage of the container: customs sees it to the packs; the haulier the cases it carried; the port the pallet; the retailer nothing', async () => {
    const sel = '... on CargoLineage { parties contents { identifier contents { identifier contents { identifier } } } verdict }';
    const call = `cargoLineage(consortium: "${C}", containerId: "${story.container}")`;
    const flat = (nodes: any[]): string[] => nodes.flatMap((n) => [n.identifier, ...flat(n.contents ?? [])]);
    const customs = await field('hmrc', call, sel);
    expect(new Set(flat(customs.contents))).toEqual(new Set([story.pallet, ...story.cases, ...story.packs].map(canonicalIdentifier)));
    expect(customs.parties).toEqual(expect.arrayContaining(['swift-haulage', 'port-felixstowe', 'hmrc', 'vale-processors']));
    expect(await field('fsa', call, sel)).toEqual(customs);
    const haulier = await field('swift-haulage', call, sel);
    expect(new Set(flat(haulier.contents))).toEqual(new Set([story.pallet, ...story.cases].map(canonicalIdentifier)));
    const port = await field('port-felixstowe', call, sel);
    expect(flat(port.contents)).toEqual([canonicalIdentifier(story.pallet)]);
    for (const org of ['riverside-retail', 'highfield-farm', 'oceanic-line'] as Org[]) expect((await field(org, call, sel)).__typename, org).toBe('Forbidden');
  });

  it('authenticity: every member gets the verdict; who commissioned the pack only those entitled to its events', async () => {
    const sel = '... on AuthenticityCheck { likelyCounterfeit brandOwner commissionedBy detailsWithheld }';
    const call = `authenticityCheck(consortium: "${C}", id: "${story.packs[0]}")`;
    const entitled = new Set<Org>(['fsa', 'hmrc', 'riverside-retail', 'vale-processors', 'northern-abattoir']);
    for (const org of ORGS) {
      const a = await field(org, call, sel);
      expect(a, org).toMatchObject({ __typename: 'AuthenticityCheck', likelyCounterfeit: false, brandOwner: 'vale-processors' });
      expect(a, org).toMatchObject(entitled.has(org) ? { commissionedBy: ['vale-processors'], detailsWithheld: false } : { commissionedBy: [], detailsWithheld: true });
    }
  });
});

describe('access log', () => {
  it('logs what was shown (redacted findings as such), and nothing for refused queries', async () => {
    const animal = story.animals[1]!;
    const pm = await eventOf('inspecting', story.carcasses[1]!);
    const birth = await eventOf(PROVENANT_BIZSTEP.BIRTH, animal);
    await field('riverside-retail', `animalHistory(consortium: "${C}", earTag: "${animal}")`, '... on AnimalHistory { animal }');
    await field('meadow-farm', `animalHistory(consortium: "${C}", earTag: "${animal}")`, '... on AnimalHistory { animal }');
    await field('meadow-farm', `trace(consortium: "${C}", id: "${story.packs[0]}", direction: UPSTREAM)`, '... on LineageTrace { verdict }');
    await field('meadow-farm', `authenticityCheck(consortium: "${C}", id: "${story.packs[0]}")`, '... on AuthenticityCheck { likelyCounterfeit }');

    const abattoirLog = await accessLogOf('northern-abattoir');
    expect(abattoirLog).toContainEqual({ viewerOrg: 'riverside-retail', subjectType: 'EpcisEvent:redacted', subjectId: pm.eventId });
    expect(abattoirLog).not.toContainEqual({ viewerOrg: 'riverside-retail', subjectType: 'EpcisEvent', subjectId: pm.eventId });
    const farmLog = await accessLogOf('highfield-farm');
    expect(farmLog).toContainEqual({ viewerOrg: 'riverside-retail', subjectType: 'EpcisEvent', subjectId: birth.eventId });
    expect(farmLog.filter((e) => e.viewerOrg === 'meadow-farm')).toEqual([]);
    // Meadow saw only the verdict of the processor's commissioning, and the log says so.
    const commissioning = await eventOf('creating_class_instance', story.packs[0]!);
    expect(await accessLogOf('vale-processors')).toContainEqual({ viewerOrg: 'meadow-farm', subjectType: 'EpcisEvent:verdict', subjectId: commissioning.eventId });
  });
});

describe('anonymous callers', () => {
  it('every Query field but health answers Unauthenticated', async () => {
    // The schema is read with a member's token: introspection is closed to anonymous callers.
    const intro = await gql(
      'fsa',
      `{ __schema { queryType { fields { name args { name type { kind name ofType { kind name ofType { kind name } } } } } } } }`,
    );
    const fields = intro.data!.__schema.queryType.fields as { name: string; args: { name: string; type: any }[] }[];
    expect(fields.length).toBeGreaterThan(10);
    const named = (t: any): { kind: string; name: string } => (t.ofType ? named(t.ofType) : t);
    const enumValues = async (name: string) =>
      ((await gql('fsa', `{ __type(name: "${name}") { enumValues { name } } }`)).data!.__type.enumValues as { name: string }[]).map((v) => v.name);
    const checked: string[] = [];
    for (const f of fields) {
      if (f.name === 'health') continue;
      const args: string[] = [];
      for (const a of f.args.filter((x) => x.type.kind === 'NON_NULL')) {
        const t = named(a.type);
        const value =
          t.kind === 'ENUM' ? (await enumValues(t.name))[0] : t.name === 'Int' ? '1' : a.name === 'consortium' ? `"${C}"` : a.name === 'hash' ? `"${'a'.repeat(64)}"` : `"${story.packs[0]}"`;
        args.push(`${a.name}: ${value}`);
      }
      const res = await gql(null, `{ f: ${f.name}${args.length ? `(${args.join(', ')})` : ''} { __typename } }`);
      expect(res.errors, f.name).toBeUndefined();
      expect(res.data!.f.__typename, f.name).toBe('Unauthenticated');
      checked.push(f.name);
    }
    expect(checked).toEqual(expect.arrayContaining(['trace', 'productPassport', 'animalHistory', 'recall', 'recallCsv', 'cargoLineage', 'authenticityCheck', 'record', 'accessLog']));
    expect((await gql(null, '{ health { status } }')).data).toEqual({ health: { status: 'ok' } });
  });

  /** REST reads found by walking the express router: every one but /health is for members only. */
  // /openapi.json describes the interface (GS1's binding and Provenant's extensions), no data.
  const REST_READS_OPEN_BY_DESIGN = new Set(['/health', '/ready', '/openapi.json', '/openapi', '/openapi/style.css']);
  const MEMBER_READS = ['/epcis/events/:eventID', '/consortia/:id/checkpoint', '/consortia/:id/log/consistency', '/consortia/:id/log/inclusion'];

  it('REST: every GET route but /health refuses an anonymous caller', async () => {
    const router = (app as unknown as { router: { stack: { route?: { path: string; methods: Record<string, boolean> } }[] } }).router;
    const gets = router.stack.filter((l) => l.route?.methods['get']).map((l) => l.route!.path);
    expect(gets).toEqual(expect.arrayContaining(['/health', ...MEMBER_READS]));
    const event = await eventOf('inspecting', story.carcasses[1]!);
    const sample: Record<string, string> = { ':eventID': encodeURIComponent(event.eventId), ':id': C, ':sha256': 'a'.repeat(64), ':ref': 'b'.repeat(64) };
    const query: Record<string, string> = { '/consortia/:id/log/consistency': '?from=1&to=2', '/consortia/:id/log/inclusion': '?index=0&size=1' };
    for (const path of gets) {
      const url = path.replace(/:[A-Za-z0-9_]+/g, (p) => sample[p] ?? 'x') + (query[path] ?? '');
      const res = await fetch(`${base}${url}`);
      if (REST_READS_OPEN_BY_DESIGN.has(path)) expect(res.status, path).toBe(200);
      else expect(res.status, path).toBe(401);
    }
    // The post-mortem finding over REST: the regulator reads it; the retailer never gets the finding.
    const url = `${base}/epcis/events/${encodeURIComponent(event.eventId)}`;
    const read = async (org: Org) => (await (await fetch(url, { headers: { authorization: `Bearer ${tokens.get(org)}` } })).json()) as { event?: Record<string, unknown>; redacted?: boolean };
    expect((await read('fsa')).event?.['provenant:postMortem']).toBe('liver fluke; offal condemned');
    expect(JSON.stringify(await read('riverside-retail'))).not.toContain('liver fluke');
  });
});

describe('oracles: an identifier nobody recorded and one the viewer may not see get the same answer', () => {
  /** A well-formed UK ear tag of a herd nobody registered here. */
  const unknownTag = 'UK 987650 4 00001';
  const calls = {
    animalHistory: [(tag: string) => `animalHistory(consortium: "${C}", earTag: "${tag}")`, '... on AnimalHistory { animal }'],
    trace: [(tag: string) => `trace(consortium: "${C}", id: "${tag}", direction: UPSTREAM)`, '... on LineageTrace { verdict }'],
    authenticityCheck: [(tag: string) => `authenticityCheck(consortium: "${C}", id: "${tag}")`, '... on AuthenticityCheck { likelyCounterfeit detailsWithheld }'],
  } as const;
  /** The answer with the identifier asked about blanked out. */
  const blanked = (answer: unknown, tag: string) => JSON.parse(JSON.stringify(answer).replaceAll(canonicalIdentifier(tag), '<id>')) as unknown;

  it("highfield asking about meadow's animal learns no more than asking about a tag nobody recorded", async () => {
    const meadowAnimal = story.animals[3]!; // born on meadow-farm; highfield never held it
    for (const [name, [call, sel]] of Object.entries(calls)) {
      const hidden = await field('highfield-farm', call(meadowAnimal), sel);
      const unknown = await field('highfield-farm', call(unknownTag), sel);
      expect(hidden.__typename, name).toBe('Forbidden');
      expect(blanked(unknown, unknownTag), name).toEqual(blanked(hidden, meadowAnimal));
    }
  });

  it('a regulator, who may ask about any item, is told an unknown tag has no events', async () => {
    for (const name of ['animalHistory', 'trace'] as const) {
      const [call, sel] = calls[name];
      expect(await field('fsa', call(unknownTag), sel), name).toMatchObject({ __typename: 'NotFound', code: 'NOT_FOUND' });
    }
  });
});
