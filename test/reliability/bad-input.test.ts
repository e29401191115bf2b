/**
 * The reliability suite's bad-input section: generated mutations of valid inputs on each surface a
 * stranger reaches (EPCIS JSON and XML capture, GraphQL, MQTT readings, proof bundles), against a
 * real node. Each run counts crashes (uncaught errors, a node that stops answering), 5xx answers,
 * partial writes (rows left by a refused input) and refusals without a reason; all must be 0.
 * Scale and seed: figures.ts.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MqttClient } from 'mqtt';
import { signCaptureDocument } from '../../src/client/capture-client.js';
import type { JsonObject } from '../../src/core/capture/envelope.js';
import { canonicalBytes, type JsonValue } from '../../src/core/crypto/index.js';
import { verifyBundle, type ProofBundle } from '../../src/core/lineage/bundle.js';
import { statusTopic } from '../../src/core/readings/topics.js';
import { answerBundle } from '../../src/services/lineage/answer-bundle.js';
import { trace } from '../../src/services/lineage/queries.js';
import { binding, finishedJob, hostOrganisation } from '../helpers/capture-binding.js';
import { captureTestNodeOptions, CAPTURE_TEST_CONSORTIUM } from '../helpers/consortia.js';
import { epcisDocument, objectEvent } from '../helpers/epcis-documents.js';
import { connectDevice, CONSORTIUM as DEMO, registerDevice, signed, waitFor } from '../helpers/mqtt.js';
import { startTestNode, type TestNode } from '../helpers/test-node.js';
import { EPCIS_EXAMPLES_DIR, EPCIS_XML_EXAMPLES_DIR } from '../vectors/index.js';
import { buildChain, packs, C as CHAIN_CONSORTIUM, type Chain } from '../medium/completeness/fixture.js';
import { CASES, prng, recordFigures, SEED } from './figures.js';
import { mutateJson, mutateText } from './mutate.js';

type Json = Parameters<typeof mutateJson>[0];

/** Crashes: errors nobody caught, in this process (the node runs in it). */
const uncaught: unknown[] = [];
const onUncaught = (err: unknown) => uncaught.push(err);

let t: TestNode;
let omniToken: string;

async function countRows(table: 'EpcisEvent' | 'DeviceReading'): Promise<number> {
  const rows = await t.db.$queryRawUnsafe<{ n: bigint | number }[]>(`SELECT count(*) AS n FROM "${table}"`);
  return Number(rows[0]!.n);
}

async function alive(): Promise<boolean> {
  try {
    return (await fetch(`${t.url}/health`, { signal: AbortSignal.timeout(5_000) })).status === 200;
  } catch {
    return false;
  }
}

beforeAll(async () => {
  process.on('unhandledRejection', onUncaught);
  process.on('uncaughtException', onUncaught);
  t = await startTestNode({ ...captureTestNodeOptions(), mqtt: true });
  omniToken = await hostOrganisation(t, 'omni');
}, 120_000);

afterAll(async () => {
  process.off('unhandledRejection', onUncaught);
  process.off('uncaughtException', onUncaught);
  await t?.destroy();
});

function examples(dir: string, ext: string): string[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith(ext))
    .map((f) => readFileSync(path.join(dir, f), 'utf8'));
}

describe('bad input', () => {
  it(`EPCIS JSON capture: ${CASES} signed mutations of valid documents`, async () => {
    const rand = prng(SEED);
    const seeds: Json[] = [
      ...examples(EPCIS_EXAMPLES_DIR, '.jsonld').map((text) => JSON.parse(text) as Json).filter((d) => (d as { type?: string }).type === 'EPCISDocument'),
      epcisDocument([objectEvent({ action: 'ADD', bizStep: 'commissioning', epcList: ['urn:epc:id:sgtin:0614141.107346.1'] })]) as Json,
    ];
    const f = { crashes: 0, http5xx: 0, partialWrites: 0, noReason: 0, accepted: 0, refused: 0 };
    const started = Date.now();
    for (let i = 0; i < CASES; i++) {
      const mutated = mutateJson(seeds[i % seeds.length]!, rand);
      let body: unknown;
      try {
        body = signCaptureDocument(mutated as JsonObject, { consortium: CAPTURE_TEST_CONSORTIUM, key: t.key('omni') });
        if (rand() < 0.1) body = mutateJson(body as Json, rand);
      } catch {
        body = rand() < 0.5 ? mutated : { consortium: CAPTURE_TEST_CONSORTIUM, document: mutated };
      }
      const before = await countRows('EpcisEvent');
      const res = await fetch(`${t.url}/epcis/capture`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      const answer = (await res.json().catch(() => undefined)) as { results?: { status: string }[]; error?: { code?: string } } | undefined;
      const delta = (await countRows('EpcisEvent')) - before;
      const accepted = answer?.results?.filter((r) => r.status === 'accepted').length ?? 0;
      if (res.status >= 500) f.http5xx += 1;
      if (res.status === 200) f.accepted += accepted;
      else f.refused += 1;
      if (delta !== (res.status === 200 ? accepted : 0)) f.partialWrites += 1;
      if (res.status >= 400 && typeof answer?.error?.code !== 'string') f.noReason += 1;
    }
    if (!(await alive())) f.crashes += 1;
    f.crashes += uncaught.length;
    recordFigures({ section: 'bad input', surface: 'EPCIS JSON (POST /epcis/capture)', cases: CASES, mustBeZero: pick(f), notes: { refused: f.refused, 'events accepted': f.accepted, seconds: Math.round((Date.now() - started) / 1000) } });
    expect(pick(f)).toEqual({ crashes: 0, http5xx: 0, partialWrites: 0, noReason: 0 });
  }, 1_800_000);

  it(`EPCIS XML capture: ${CASES} textual mutations of GS1's XML examples`, async () => {
    const rand = prng(SEED + 1);
    const seeds = examples(EPCIS_XML_EXAMPLES_DIR, '.xml').filter((x) => x.includes('EPCISDocument'));
    expect(seeds.length).toBeGreaterThan(5);
    const f = { crashes: 0, http5xx: 0, partialWrites: 0, noReason: 0, accepted: 0, refused: 0 };
    const started = Date.now();
    for (let i = 0; i < CASES; i++) {
      const body = mutateText(seeds[i % seeds.length]!, rand);
      const before = await countRows('EpcisEvent');
      const res = await binding(t.url, { body, headers: { authorization: `Bearer ${omniToken}`, 'content-type': 'application/xml' } });
      if (res.status >= 500) f.http5xx += 1;
      if (res.status === 202) {
        const job = await finishedJob(t.url, res.headers.get('location')!, omniToken, 60_000);
        const delta = (await countRows('EpcisEvent')) - before;
        if (job.success) f.accepted += 1;
        else {
          f.refused += 1;
          if (delta !== 0) f.partialWrites += 1;
          if (!Array.isArray(job.errors) || job.errors.length === 0 || job.errors.some((e: { type?: unknown }) => typeof e.type !== 'string')) f.noReason += 1;
        }
      } else {
        f.refused += 1;
        if ((await countRows('EpcisEvent')) !== before) f.partialWrites += 1;
        if (res.status >= 400 && typeof res.json?.type !== 'string') f.noReason += 1;
      }
    }
    if (!(await alive())) f.crashes += 1;
    f.crashes += uncaught.length;
    recordFigures({ section: 'bad input', surface: 'EPCIS XML (POST /capture)', cases: CASES, mustBeZero: pick(f), notes: { refused: f.refused, 'documents accepted': f.accepted, seconds: Math.round((Date.now() - started) / 1000) } });
    expect(pick(f)).toEqual({ crashes: 0, http5xx: 0, partialWrites: 0, noReason: 0 });
  }, 1_800_000);

  it(`GraphQL: ${CASES} mutated queries, variables and bodies`, async () => {
    const rand = prng(SEED + 2);
    const queries = [
      `query($c: ID!, $id: String!) { trace(consortium: $c, id: $id, direction: UPSTREAM) { __typename ... on LineageTrace { verdict } } }`,
      `query($c: ID!) { chainStatus(consortium: $c) { __typename } }`,
      `query($c: ID!, $id: String!) { recall(consortium: $c, from: $id) { __typename } }`,
      `query($c: ID!) { blocks(consortium: $c, first: 5) { __typename } }`,
      `query($c: ID!, $id: String!) { productPassport(consortium: $c, id: $id) { __typename } }`,
    ];
    const variables: Json = { c: CAPTURE_TEST_CONSORTIUM, id: 'urn:epc:id:sgtin:0614141.107346.1' };
    const f = { crashes: 0, http5xx: 0, partialWrites: 0, noReason: 0, answered: 0, refused: 0 };
    const before = await countRows('EpcisEvent');
    for (let i = 0; i < CASES; i++) {
      const pickKind = rand();
      const body =
        pickKind < 0.5
          ? JSON.stringify({ query: mutateText(queries[i % queries.length]!, rand, ['{', '}', '(', ')', '...', '__schema { types { name } }', 'a: __typename '.repeat(500), '@skip(if: true)', '$x', '"\\u0000"']), variables })
          : pickKind < 0.8
            ? JSON.stringify({ query: queries[i % queries.length], variables: mutateJson(variables, rand) })
            : JSON.stringify(mutateJson({ query: queries[i % queries.length]!, variables, operationName: null }, rand));
      const res = await fetch(`${t.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${t.tokens['auth']}` }, body });
      const answer = (await res.json().catch(() => undefined)) as { errors?: { message?: string; extensions?: { code?: string } }[]; error?: { code?: string } } | undefined;
      if (res.status >= 500) f.http5xx += 1;
      if (answer?.errors?.length) {
        f.refused += 1;
        if (answer.errors.some((e) => typeof e.extensions?.code !== 'string' || typeof e.message !== 'string')) f.noReason += 1;
      } else if (res.status >= 400 || answer === undefined) {
        // Refused before GraphQL runs (a rate limit, a body cap): the HTTP error shape.
        f.refused += 1;
        if (typeof answer?.error?.code !== 'string') f.noReason += 1;
      } else f.answered += 1;
    }
    if ((await countRows('EpcisEvent')) !== before) f.partialWrites += 1;
    if (!(await alive())) f.crashes += 1;
    f.crashes += uncaught.length;
    recordFigures({ section: 'bad input', surface: 'GraphQL (POST /graphql)', cases: CASES, mustBeZero: pick(f), notes: { refused: f.refused, answered: f.answered } });
    expect(pick(f)).toEqual({ crashes: 0, http5xx: 0, partialWrites: 0, noReason: 0 });
  }, 1_800_000);

  it(`MQTT readings: ${CASES} mutated payloads from an authenticated device`, async () => {
    const rand = prng(SEED + 3);
    const deviceId = 'fuzz-probe-1';
    const key = await registerDevice(t, deviceId, 'ed25519');
    const device: MqttClient = await connectDevice(t.mqttUrl, 'reliability-fuzz', { deviceId, key });
    const statuses: { status?: string; reason?: string }[] = [];
    await device.subscribeAsync(statusTopic(DEMO, deviceId), { qos: 1 });
    device.on('message', (_topic, payload) => {
      try {
        statuses.push(JSON.parse(payload.toString()) as { status?: string; reason?: string });
      } catch {
        statuses.push({});
      }
    });
    const genuine = new Set<string>();
    const f = { crashes: 0, http5xx: 0, partialWrites: 0, noReason: 0 };
    try {
      for (let i = 0; i < CASES; i++) {
        const message = signed(deviceId, i + 1, key);
        genuine.add(Buffer.from(canonicalBytes(message.reading as unknown as JsonValue)).toString('utf8'));
        const pickKind = rand();
        const payload =
          pickKind < 0.6 ? JSON.stringify(mutateJson(message as unknown as Json, rand)) : pickKind < 0.9 ? mutateText(JSON.stringify(message), rand, ['"', '{', '}', '\\u0000', 'NaN', '1e999']) : JSON.stringify(message);
        await device.publishAsync(`provenant/${DEMO}/devices/${deviceId}/readings`, payload, { qos: 1 });
      }
      // Every message is judged: stored, or answered on the status topic.
      await waitFor('the node to judge every reading', async () => statuses.filter((s) => s.status === 'rejected').length + (await countRows('DeviceReading')) >= CASES, 120_000).catch(() => undefined);
      const rows = await t.db.$queryRawUnsafe<{ body: string }[]>(`SELECT "body" FROM "DeviceReading" WHERE "deviceId" = ?`, deviceId);
      f.partialWrites = rows.filter((r) => !genuine.has(r.body)).length;
      f.noReason = statuses.filter((s) => s.status === 'rejected' && typeof s.reason !== 'string').length;
      if (!(await alive())) f.crashes += 1;
      f.crashes += uncaught.length;
      recordFigures({ section: 'bad input', surface: 'MQTT payloads (readings topic)', cases: CASES, mustBeZero: f, notes: { stored: rows.length, 'refused with a reason': statuses.filter((s) => s.status === 'rejected').length } });
      expect(f).toEqual({ crashes: 0, http5xx: 0, partialWrites: 0, noReason: 0 });
    } finally {
      await device.endAsync();
    }
  }, 1_800_000);
});

describe('bad input: proof bundles', () => {
  let chain: Chain;
  let bundle: ProofBundle;
  let genesis: string;
  beforeAll(async () => {
    chain = await buildChain();
    const answer = await trace(chain.ctx(), packs[0]!, 'UPSTREAM');
    const identifiers = [...answer.verification.completeness!.byIdentifier.keys()];
    bundle = await answerBundle(chain.temp.node, chain.temp.store, CHAIN_CONSORTIUM, { query: { kind: 'trace', identifier: packs[0]!, direction: 'UPSTREAM' }, identifiers });
    genesis = (await chain.temp.db.block.findFirst({ where: { consortiumId: CHAIN_CONSORTIUM, height: 0 } }))!.hash;
  }, 240_000);
  afterAll(async () => chain?.close());

  it(`verify-bundle: ${CASES} structural mutations of a genuine bundle`, () => {
    expect(verifyBundle(structuredClone(bundle), { genesis }).ok).toBe(true);
    const rand = prng(SEED + 4);
    const f = { crashes: 0, http5xx: 0, partialWrites: 0, noReason: 0 };
    let accepted = 0;
    for (let i = 0; i < CASES; i++) {
      const mutated = mutateJson(bundle as unknown as Json, rand);
      try {
        const report = verifyBundle(mutated, { genesis });
        if (report.ok) accepted += 1;
        else if (report.failures.length === 0 || report.failures.some((x) => typeof x.code !== 'string')) f.noReason += 1;
      } catch {
        f.crashes += 1;
      }
    }
    recordFigures({ section: 'bad input', surface: 'proof bundles (verify-bundle)', cases: CASES, mustBeZero: f, notes: { 'still verified (changed nothing signed)': accepted } });
    expect(f).toEqual({ crashes: 0, http5xx: 0, partialWrites: 0, noReason: 0 });
  }, 600_000);
});

function pick(f: { crashes: number; http5xx: number; partialWrites: number; noReason: number }) {
  return { crashes: f.crashes, http5xx: f.http5xx, partialWrites: f.partialWrites, noReason: f.noReason };
}
