/**
 * The store the tamper matrix works on: the simulators' story with the reefer leg (readings,
 * windows, a cold-chain breach), a cited document, a registered person and an erased one, a
 * correction of a captured event, and two documents whose headers declare location links; sealed,
 * checkpointed and closed, so a plain file copy holds it.
 */
import Database from 'better-sqlite3';
import { createHash } from 'node:crypto';
import { DEMO_CONSORTIUM_ID } from '../../../src/services/node/demo-consortium.js';
import { CaptureService } from '../../../src/services/capture/capture-service.js';
import { signCaptureDocument } from '../../../src/client/capture-client.js';
import { signErasure } from '../../../src/core/privacy/erasure.js';
import { DOCUMENTS_FIELD, PERSON_REF_FIELD } from '../../../src/core/capture/documents.js';
import { RecordKind } from '../../../src/core/ledger/record.js';
import { reeferLeg } from '../../../simulators/reefer.js';
import { runScenario } from '../../../simulators/scenario.js';
import { startTestNode, type TestNode } from '../../helpers/test-node.js';

export const C = DEMO_CONSORTIUM_ID;

export interface TamperWorld {
  temp: TestNode;
  /** The sealed store file (WAL checkpointed; the node is closed). */
  file: string;
  /** A retail pack whose upstream trace reads most projected rows. */
  pack: string;
  /** An API token of the regulator (stored in the file). */
  fsaToken: string;
}

async function waitFor(what: string, condition: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function document(context: unknown, events: Record<string, unknown>[]): Record<string, unknown> {
  return { '@context': context, type: 'EPCISDocument', schemaVersion: '2.0', creationDate: '2026-11-21T08:00:00.000Z', epcisBody: { eventList: events } };
}

const PROVENANT_CONTEXT = ['https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld', { provenant: 'https://provenant.dev/ns/epcis/' }];

/** Off-chain rows (document, persons) and a correction, through the same services members use. */
async function addOffChainAndCorrection(temp: TestNode, base: string, tokens: Record<string, string>): Promise<void> {
  const post = (path: string, body: BodyInit, org: string, type = 'application/json') =>
    fetch(`${base}${path}`, { method: 'POST', headers: { 'content-type': type, authorization: `Bearer ${tokens[org]}` }, body });
  const bytes = new TextEncoder().encode('%PDF-1.7 health certificate HC-TAMPER');
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  if (!(await post('/documents', bytes, 'highfield-farm', 'application/pdf')).ok) throw new Error('document upload failed');
  const refs: string[] = [];
  for (const name of ['Ann Hughes', 'Bob Pryce']) {
    const res = await post('/persons', JSON.stringify({ data: { name, role: 'farmer' } }), 'highfield-farm');
    refs.push(((await res.json()) as { personRef: string }).personRef);
  }
  const farmKey = temp.demo.orgKeys.get('highfield-farm')!;
  const capture = new CaptureService({ node: temp.node, db: temp.db });
  const events = refs.map((ref, i) => ({
    type: 'ObjectEvent',
    eventTime: `2026-11-21T08:0${i}:00.000Z`,
    eventTimeZoneOffset: '+00:00',
    action: 'OBSERVE',
    epcList: [`urn:epc:id:sgtin:5012345.000001.T${i}`],
    [PERSON_REF_FIELD]: ref,
    [DOCUMENTS_FIELD]: [{ sha256, type: 'health-certificate', name: 'HC.pdf' }],
  }));
  const outcome = await capture.capture(signCaptureDocument(document(PROVENANT_CONTEXT, events), { consortium: C, key: farmKey }));
  if (outcome.results.some((r) => r.status !== 'accepted')) throw new Error(`capture failed: ${JSON.stringify(outcome.results)}`);
  // The first of the two events is then declared in error by the farm that captured it.
  const correction = { ...events[0]!, errorDeclaration: { declarationTime: '2026-11-22T08:00:00.000Z', reason: 'incorrect_data' } };
  const corrected = await capture.capture(signCaptureDocument(document(PROVENANT_CONTEXT, [correction]), { consortium: C, key: farmKey }));
  if (corrected.results[0]?.status !== 'accepted') throw new Error(`correction failed: ${JSON.stringify(corrected.results)}`);
  // Two documents whose signed headers declare location links (LocationLink rows of two records).
  for (const [i, vocabularyList] of [
    [0, [{ type: 'urn:epcglobal:epcis:vtype:BusinessLocation', vocabularyElementList: [{ id: 'urn:epc:id:sgln:5012345.00001.0', children: ['urn:epc:id:sgln:5012345.00001.1', 'urn:epc:id:sgln:5012345.00001.2'] }] }]],
    [1, [{ type: 'urn:epcglobal:epcis:vtype:ReadPoint', vocabularyElementList: [{ id: 'urn:epc:id:sgln:5012345.00001.1', children: ['urn:epc:id:sgln:5012345.00001.7'] }] }]],
  ] as const) {
    const located = { type: 'ObjectEvent', eventTime: `2026-11-21T09:0${i}:00.000Z`, eventTimeZoneOffset: '+00:00', action: 'OBSERVE', epcList: [`urn:epc:id:sgtin:5012345.000001.L${i}`] };
    const withHeader = { ...document(PROVENANT_CONTEXT, [located]), epcisHeader: { epcisMasterData: { vocabularyList } } };
    const declared = await capture.capture(signCaptureDocument(withHeader, { consortium: C, key: farmKey, payloadFormat: 2 }));
    if (declared.results[0]?.status !== 'accepted') throw new Error(`header capture failed: ${JSON.stringify(declared.results)}`);
  }
  await capture.close();
  const erased = await fetch(`${base}/persons/${refs[1]}/erasure`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(signErasure({ commitment: refs[1]!, reason: 'data subject request' }, { consortium: C, key: farmKey })),
  });
  if (!erased.ok) throw new Error(`erasure failed: ${erased.status}`);
}

export async function buildTamperWorld(): Promise<TamperWorld> {
  // The matrix edits, deletes and swaps rows in copies of the SQLite file, whatever PROVENANT_TEST_DB says.
  const temp = await startTestNode({
    engine: 'sqlite',
    autoSeal: true,
    http: true,
    mqtt: { windowMs: 5 * 60_000, flushIntervalMs: 100, verifyWorkers: 0 },
    breachMonitor: true,
    tokens: ['fsa', 'highfield-farm'],
  });
  try {
    const story = await runScenario({
      baseUrl: temp.url,
      consortium: C,
      orgKeys: temp.demo.orgKeys,
      reefer: reeferLeg({
        baseUrl: temp.url,
        mqttUrl: temp.mqttUrl,
        consortium: C,
        owner: { orgId: 'swift-haulage', key: temp.demo.orgKeys.get('swift-haulage')! },
        // A short leg sampled each minute: a few hundred readings keep each of the matrix's verifications quick.
        legMinutes: 60,
        sampleEverySeconds: 60,
        faults: { excursion: { startMinute: 10, durationMinutes: 45, peakC: 9.5 } },
      }),
    });
    const readings = story.reefer!.published;
    await waitFor(
      'every reading in a sealed window',
      async () => {
        const rows = await temp.db.deviceReading.count({ where: { consortiumId: C, windowRecordHash: { not: null } } });
        const open = await temp.db.ledgerRecord.count({ where: { consortiumId: C, kind: RecordKind.SENSOR_WINDOW, blockHeight: null } });
        return rows === readings && open === 0;
      },
      30_000,
    );
    await waitFor('the breach sealed', async () => (await temp.db.ledgerRecord.count({ where: { consortiumId: C, kind: RecordKind.COLD_CHAIN_BREACH, blockHeight: { not: null } } })) > 0, 30_000);
    await temp.monitor!.idle();
    await addOffChainAndCorrection(temp, temp.url, temp.tokens);
    await temp.node.sealNow(C);
    return { temp, file: temp.dbFile, pack: story.packs[0]!, fsaToken: temp.tokens['fsa']! };
  } finally {
    await temp.stop();
    const raw = new Database(temp.dbFile);
    raw.pragma('wal_checkpoint(TRUNCATE)');
    raw.close();
  }
}
