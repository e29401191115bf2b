/**
 * One capture request may not hold the node: a forged 60,000-EPC event is refused on its signature
 * without being validated, a signed one is validated in a worker, and neither keeps /health waiting
 * or the event loop stalled; validation past its deadline is refused and the node goes on serving.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CaptureService } from '../../../src/services/capture/capture-service.js';
import { captureValidateTask } from '../../../src/platform/workers/pool-tasks.js';
import { statusForCode } from '../../../src/transport/http/errors.js';
import { epcisDocument as doc, objectEvent, signEnvelope } from '../../helpers/epcis-documents.js';
import { post } from '../../helpers/http.js';
import { binding, finishedJob } from '../../helpers/capture-binding.js';
import { readEpcisXml } from '../../../src/core/epcis/xml/index.js';
import { xmlReadTask } from '../../../src/platform/workers/pool-tasks.js';
import { captureTestNodeOptions } from '../../helpers/consortia.js';
import { startTestNode, type TestNode } from '../../helpers/test-node.js';

const EPCS = 60_000;
let batch = 0;

/** One event commissioning `count` fresh EPCs (60,000: about 3.1 MB as JSON). */
function bigEvent(count = EPCS): Record<string, unknown> {
  batch += 1;
  const epcList = Array.from({ length: count }, (_, i) => `urn:epc:id:sgtin:0614141.${100000 + batch}.L${String(i).padStart(15, '0')}`);
  return objectEvent({ action: 'ADD', bizStep: 'commissioning', epcList });
}

interface Responsiveness {
  /** The slowest /health answer while the work ran, in ms. */
  slowestHealthMs: number;
  healthProbes: number;
  /** The longest the event loop was held, in ms. */
  longestStallMs: number;
}

/** Runs `work` while /health is asked every 20 ms and the event loop's delay is recorded. */
async function whileProbing<T>(url: string, work: () => Promise<T>): Promise<{ result: T } & Responsiveness> {
  const histogram = monitorEventLoopDelay({ resolution: 10 });
  let running = true;
  const latencies: number[] = [];
  const probing = (async () => {
    while (running) {
      const started = performance.now();
      const res = await fetch(`${url}/health`);
      await res.arrayBuffer();
      expect(res.status).toBe(200);
      latencies.push(performance.now() - started);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  })();
  histogram.enable();
  try {
    const result = await work();
    return { result, slowestHealthMs: Math.max(...latencies), healthProbes: latencies.length, longestStallMs: histogram.max / 1e6 };
  } finally {
    histogram.disable();
    running = false;
    await probing;
  }
}

describe('one large capture request does not hold the node', () => {
  let h: TestNode;
  beforeAll(async () => {
    // What is measured here is the main thread, not the validation deadline (its own test below sets
    // one): a loaded machine may take more than the default 2 s to read the XML document in a worker.
    process.env['CAPTURE_VALIDATION_DEADLINE_MS'] = '60000';
    h = await startTestNode(captureTestNodeOptions());
    // What a started node does: workers up and schemas compiled before the first request.
    h.capture.warmUp();
    await h.capture.pool.warm();
    // The first request loads the modules the capture path imports lazily: not what is measured here.
    expect((await post(h.url, signEnvelope(doc([bigEvent(100)]), h.key('processor')))).status).toBe(200);
  }, 60_000);
  afterAll(async () => {
    delete process.env['CAPTURE_VALIDATION_DEADLINE_MS'];
    await h?.destroy();
  });
  const validations = () => h.capture.pool.taskRuns.get(captureValidateTask.name) ?? 0;

  // The machine's own noise (other processes taking the two cores) is measured just before each
  // run, with the same probes and nothing to do, and allowed on top of the 200 ms and 100 ms; the
  // best of the runs is judged. Without cheap checks first each run holds the loop for seconds.
  const quiet = async (): Promise<Responsiveness> => whileProbing(h.url, () => new Promise((resolve) => setTimeout(resolve, 600)));
  const margin = (run: Responsiveness, noise: Responsiveness) => ({
    health: run.slowestHealthMs - noise.slowestHealthMs,
    stall: run.longestStallMs - noise.longestStallMs,
  });
  it('refuses a forged 60,000-EPC event on its signature, without validating it, while /health answers within 200 ms', async () => {
    const runs: ReturnType<typeof margin>[] = [];
    for (let attempt = 0; attempt < 2; attempt++) {
      const honest = signEnvelope(doc([bigEvent()]), h.key('processor'));
      const forged = JSON.stringify({ ...honest, document: doc([bigEvent()]) });
      const noise = await quiet();
      const before = validations();
      const run = await whileProbing(h.url, () => post(h.url, forged));
      expect(run.result.status).toBe(401);
      expect(run.result.body.results[0].error.code).toBe('BAD_SIGNATURE');
      expect(validations()).toBe(before);
      expect(run.healthProbes).toBeGreaterThan(0);
      runs.push(margin(run, noise));
    }
    expect(Math.min(...runs.map((r) => r.health))).toBeLessThan(200);
  }, 60_000);

  it('validates a signed 60,000-EPC event in a worker, then refuses it as too large for a record: /health within 200 ms, no stall over 100 ms', async () => {
    const runs: ReturnType<typeof margin>[] = [];
    for (let attempt = 0; attempt < 3; attempt++) {
      const body = JSON.stringify(signEnvelope(doc([bigEvent()]), h.key('processor')));
      expect(body.length).toBeGreaterThan(3_000_000);
      const noise = await quiet();
      const before = validations();
      const run = await whileProbing(h.url, () => post(h.url, body));
      expect(run.result.status).toBe(400);
      expect(run.result.body.results[0].error.code).toBe('SUBMISSION_TOO_LARGE');
      expect(validations()).toBe(before + 1);
      expect(h.capture.pool.lastModes.get(captureValidateTask.name)).toBe('pool');
      runs.push(margin(run, noise));
    }
    const best = runs.reduce((a, b) => (a.health + a.stall <= b.health + b.stall ? a : b));
    expect(best.health).toBeLessThan(200);
    expect(best.stall).toBeLessThanOrEqual(100);
  }, 120_000);

  it('refuses a document whose validation outruns the deadline with VALIDATION_TOO_COSTLY, and goes on serving', async () => {
    const strict = new CaptureService({ node: h.node, db: h.db, validationDeadlineMs: 1 });
    try {
      await strict.pool.warm();
      const envelope = signEnvelope(doc([bigEvent()]), h.key('processor'));
      await expect(strict.capture(envelope)).rejects.toMatchObject({ code: 'VALIDATION_TOO_COSTLY', details: { deadlineMs: 1 } });
      expect(statusForCode('VALIDATION_TOO_COSTLY')).toBe(413);
      expect((await fetch(`${h.url}/health`)).status).toBe(200);
      // The worker that ran out of time was replaced: the pool still validates in workers.
      const small = signEnvelope(doc([bigEvent(2000)]), h.key('processor'));
      const accepted = await new CaptureService({ node: h.node, db: h.db, pool: strict.pool }).capture(small);
      expect(accepted.results[0]!.status).toBe('accepted');
      expect(strict.pool.lastModes.get(captureValidateTask.name)).toBe('pool');
    } finally {
      await strict.close();
    }
  }, 60_000);

  it('partial mode validates only the events whose signature verified, and reports issues at their own index', async () => {
    const good = bigEvent(3);
    const invalid = { ...bigEvent(3), eventTime: 'yesterday' };
    const forgedToo = { ...bigEvent(3), eventTime: 'yesterday' };
    const envelope = signEnvelope(doc([good, forgedToo, invalid]), h.key('processor'));
    envelope.signatures[1] = signEnvelope(doc([bigEvent(3)]), h.key('processor')).signatures[0]!;
    const before = validations();
    const res = await post(h.url, envelope, '?mode=partial');
    expect(res.status).toBe(200);
    expect(res.body.results.map((r: any) => r.status)).toEqual(['accepted', 'rejected', 'rejected']);
    expect(res.body.results[1].error.code).toBe('BAD_SIGNATURE');
    expect(res.body.results[2].error.code).toBe('INVALID_EPCIS');
    expect(res.body.results[2].error.details.issues.map((i: { path: string }) => i.path)).toContain('epcisBody.eventList[2].eventTime');
    expect(validations()).toBe(before + 1);
    // Atomic: the bad signature refuses the document before anything is validated.
    const atomic = await post(h.url, envelope);
    expect(atomic.status).toBe(401);
    expect(atomic.body.error.code).toBe('BAD_SIGNATURE');
    expect(validations()).toBe(before + 1);
  });

  it('reads and XSD-checks a 3.5 MB XML capture in a worker: /health within 200 ms', async () => {
    const token = await h.issueToken('processor');
    const runs: ReturnType<typeof margin>[] = [];
    for (let attempt = 0; attempt < 2; attempt++) {
      const epcs = (bigEvent()['epcList'] as string[]).map((epc) => `<epc>${epc}</epc>`).join('');
      const xml = `<?xml version="1.0" encoding="UTF-8"?><epcis:EPCISDocument xmlns:epcis="urn:epcglobal:epcis:xsd:2" schemaVersion="2.0" creationDate="2026-11-21T08:00:00.000Z"><EPCISBody><EventList><ObjectEvent><eventTime>2026-11-21T08:00:00.000Z</eventTime><eventTimeZoneOffset>+00:00</eventTimeZoneOffset><epcList>${epcs}</epcList><action>ADD</action><bizStep>urn:epcglobal:cbv:bizstep:commissioning</bizStep></ObjectEvent></EventList></EPCISBody></epcis:EPCISDocument>`;
      expect(xml.length).toBeGreaterThan(3_000_000);
      const envelope = signEnvelope(readEpcisXml(xml), h.key('processor'));
      const headers = { 'content-type': 'application/xml', 'provenant-consortium': envelope.consortium, 'provenant-signer': envelope.signer, 'provenant-signed-at': envelope.signedAt, 'provenant-signatures': envelope.signatures.join(',') };
      const noise = await quiet();
      const run = await whileProbing(h.url, async () => {
        const res = await binding(h.url, { body: xml, headers });
        expect(res.status, res.text).toBe(202);
        return finishedJob(h.url, res.headers.get('location')!, token);
      });
      expect(run.result.success).toBe(false);
      expect(JSON.stringify(run.result.errors)).toContain('SUBMISSION_TOO_LARGE');
      expect(h.capture.pool.lastModes.get(xmlReadTask.name)).toBe('pool');
      runs.push(margin(run, noise));
    }
    expect(Math.min(...runs.map((r) => r.health))).toBeLessThan(200);
  }, 120_000);
});
