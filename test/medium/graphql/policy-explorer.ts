/**
 * The explorer's part of the read-policy matrix: its temperature legs, proof bundles, roles at a log
 * index and sessions, and the Digital Link resolver's public passport, read by every viewer. Each
 * must agree with record(hash): a leg shows the readings of exactly the sensor windows and the
 * breaches record(hash) shows, a bundle holds exactly the records it shows in full (and logs them
 * as a record read does), membership answers go to members of the consortium, and the passport
 * is the same published fields for everyone, naming nothing a caller without a token may not see.
 */
import { expect, it } from 'vitest';
import { verifyBundle } from '../../../src/core/lineage/bundle.js';
import { DEMO_ORGS } from '../../../src/services/node/demo-consortium.js';
import { PUBLIC_PASSPORT_FIELDS } from '../../../src/services/read-policy.js';
import { accessLogWriter, readAccessLog } from '../../../src/store/access-log.js';
import { labelUrl } from '../../../src/transport/cli/label-command.js';
import { C, headersOf, isShown, NO_TOKEN, OUTSIDERS, recordShown, VIEWER_NAMES, VIEWERS, type ViewerName, type World } from './policy-world.js';

async function json(res: Response): Promise<any> {
  return res.json();
}

export function explorerMatrix(getWorld: () => World): void {
  it('temperature legs: readings of exactly the windows, and exactly the breaches, record(hash) shows each viewer', async () => {
    const world = getWorld();
    const { deviceId, windows, breaches } = world.reefer;
    expect(windows.length).toBeGreaterThan(1);
    expect(breaches).toHaveLength(1);
    const listed: ViewerName[] = [];
    const withReadings: ViewerName[] = [];
    for (const viewer of VIEWER_NAMES) {
      const res = await fetch(`${world.base}/explorer/api/temperature-legs?subject=${encodeURIComponent(world.story.container)}`, { headers: headersOf(world, viewer) });
      if (NO_TOKEN.includes(viewer)) {
        expect(res.status, viewer).toBe(401);
        continue;
      }
      expect(res.status, viewer).toBe(200);
      const legs = (await json(res)).legs as { deviceId: string; points: unknown[]; readingsWithheld: boolean; breaches: { recordHash: string }[] }[];
      const windowShown = await Promise.all(windows.map((h) => recordShown(world, viewer, h)));
      const breachShown = await Promise.all(breaches.map((h) => recordShown(world, viewer, h)));
      const leg = legs.find((l) => l.deviceId === deviceId);
      expect(leg !== undefined, `${viewer}: leg listed`).toBe(windowShown.some(isShown) || breachShown.some(isShown));
      if (!leg) continue;
      listed.push(viewer);
      expect(leg.points.length > 0, `${viewer}: readings shown`).toBe(windowShown.some(isShown));
      expect(leg.readingsWithheld, `${viewer}: readings withheld`).toBe(!windowShown.every(isShown));
      expect(leg.breaches.map((b) => b.recordHash), `${viewer}: breaches`).toEqual(breaches.filter((_, i) => isShown(breachShown[i]!)));
      if (leg.points.length > 0) withReadings.push(viewer);
    }
    // Sensor windows: the device's organisation, regulators and customs. The breach also to those who held what it names.
    expect(withReadings.sort()).toEqual((['regulator', 'customs', 'haulier'] as ViewerName[]).sort());
    expect(listed).toContain('retailer');
    expect(listed).not.toContain('rival farm');
  }, 120_000);

  it('proof bundles: exactly the records record(hash) shows in full, each logged for its owner as a record read is', async () => {
    const world = getWorld();
    const asked = [...world.events.map((e) => e.recordHash), ...world.reefer.windows, ...world.reefer.breaches];
    const bundle = (viewer: ViewerName) =>
      fetch(`${world.base}/explorer/api/bundle`, { method: 'POST', headers: headersOf(world, viewer, { 'content-type': 'application/json' }), body: JSON.stringify({ records: asked }) });
    // The regulator reads every record in full: what it gets is what a signed checkpoint covers.
    const all = await bundle('regulator');
    expect(all.status).toBe(200);
    const covered = new Set(((await json(all)).records as { hash: string }[]).map((r) => r.hash));
    expect(covered.size).toBeGreaterThan(asked.length / 2);
    for (const viewer of VIEWER_NAMES) {
      const since = new Date().toISOString();
      const res = await bundle(viewer);
      if (NO_TOKEN.includes(viewer)) {
        expect(res.status, viewer).toBe(401);
        continue;
      }
      const expected: string[] = [];
      for (const hash of asked) if (covered.has(hash) && (await recordShown(world, viewer, hash)) === 'full') expected.push(hash);
      if (expected.length === 0) {
        expect([res.status, (await json(res)).error.code], viewer).toEqual([400, 'NOTHING_TO_BUNDLE']);
        continue;
      }
      expect(res.status, viewer).toBe(200);
      const body = await json(res);
      expect((body.records as { hash: string }[]).map((r) => r.hash).sort(), viewer).toEqual(expected.sort());
      expect(res.headers.get('x-provenant-omitted-records'), viewer).toBe(String(asked.length - expected.length));
      expect(verifyBundle(body).ok, viewer).toBe(true);
      if (viewer !== 'retailer') continue;
      // Others' records handed over in full are in their owners' access logs, as record reads are.
      await accessLogWriter(world.temp.db).flush();
      const owners = new Map(world.events.map((e) => [e.recordHash, e.submitterOrg]));
      const others = expected.filter((h) => owners.has(h) && owners.get(h) !== 'riverside-retail');
      expect(others.length).toBeGreaterThan(0);
      for (const hash of others) {
        const log = await readAccessLog(world.temp.db, { consortiumId: C, ownerOrgId: owners.get(hash)!, limit: 10_000, newestFirst: true });
        expect(log.some((row) => row.viewerOrgId === 'riverside-retail' && row.subjectId === hash && row.accessedAt >= since), `${hash} in ${owners.get(hash)}'s log`).toBe(true);
      }
    }
  }, 180_000);

  it('session and roles at a log index: members of the consortium, each about its own; no token 401', async () => {
    const world = getWorld();
    const last = world.temp.node.state(C).logSize - 1;
    for (const viewer of VIEWER_NAMES) {
      const session = await fetch(`${world.base}/explorer/api/session`, { headers: headersOf(world, viewer) });
      const roles = await fetch(`${world.base}/explorer/api/roles-at?org=highfield-farm&logIndex=${last}`, { headers: headersOf(world, viewer) });
      const status = await fetch(`${world.base}/graphql`, {
        method: 'POST',
        headers: headersOf(world, viewer, { 'content-type': 'application/json' }),
        body: JSON.stringify({ query: `{ chainStatus(consortium: "${C}") { __typename } }` }),
      });
      const chainStatusShown = (await json(status)).data.chainStatus.__typename === 'ChainStatus';
      if (NO_TOKEN.includes(viewer)) {
        expect([session.status, roles.status], viewer).toEqual([401, 401]);
        continue;
      }
      const v = VIEWERS[viewer]!;
      expect(await json(session), viewer).toMatchObject({ consortium: v.consortium, orgId: v.org });
      // The log index is this consortium's: another consortium's member is answered about its own log, where it does not exist.
      expect(roles.status, viewer).toBe(chainStatusShown ? 200 : 400);
      if (chainStatusShown) expect(await json(roles), viewer).toMatchObject({ orgId: 'highfield-farm', roles: ['FARM'] });
      expect(chainStatusShown, viewer).toBe(!OUTSIDERS.includes(viewer));
    }
  }, 60_000);

  it('the public passport: the same published fields for every caller, naming no event, record or organisation but the brand owner', async () => {
    const world = getWorld();
    const path = new URL(labelUrl(world.story.packs[0]!, world.base)).pathname;
    const seen = new Map<ViewerName, Record<string, unknown>>();
    for (const viewer of VIEWER_NAMES) {
      const res = await fetch(`${world.base}${path}`, { headers: headersOf(world, viewer, { accept: 'application/json' }) });
      expect(res.status, viewer).toBe(200);
      const text = await res.text();
      const passport = JSON.parse(text) as Record<string, unknown>;
      expect(Object.keys(passport).sort(), viewer).toEqual([...PUBLIC_PASSPORT_FIELDS].sort());
      for (const e of world.events) expect(text.includes(e.eventId) || text.includes(e.recordHash), `${viewer}: ${e.eventId}`).toBe(false);
      for (const org of DEMO_ORGS.filter((o) => o.name !== passport['brandOwner'])) {
        for (const name of [org.id, org.name.toLowerCase()]) expect(text.toLowerCase(), `${viewer}: ${name}`).not.toContain(name);
      }
      const { checkedAt: _checkedAt, ...stable } = passport;
      seen.set(viewer, stable);
    }
    for (const viewer of VIEWER_NAMES) expect(seen.get(viewer), viewer).toEqual(seen.get('anonymous'));
    expect(seen.get('anonymous')).toMatchObject({ brandOwner: 'Vale Processors', everyStepVerified: true });
  }, 60_000);
}
