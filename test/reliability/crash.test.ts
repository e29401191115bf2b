/**
 * The reliability suite's crash section: a real node process under HTTP capture, MQTT readings and
 * sealing is killed with SIGKILL at KILLS points (figures.ts), and restarted on the same data
 * directory each time. After each restart every acknowledged event and reading is stored; at the
 * end nothing unacknowledged is half present and `verify` (chain and every projection) passes.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signCaptureDocument } from '../../src/client/capture-client.js';
import type { KeyPair } from '../../src/core/crypto/index.js';
import { loadConfig } from '../../src/platform/config.js';
import { verifyConsortium } from '../../src/services/admin.js';
import { epcisDocument, objectEvent } from '../helpers/epcis-documents.js';
import { CONSORTIUM, deviceLogin, registerDevice, signed } from '../helpers/mqtt.js';
import { startTestNode } from '../helpers/test-node.js';
import { KILLS, prng, recordFigures, SEED } from './figures.js';

const REPO = path.resolve(import.meta.dirname, '../..');
const DEVICE = 'crash-probe-1';

interface Running {
  child: ChildProcess;
  url: string;
  mqttUrl: string;
}

async function startProcess(dataDir: string): Promise<Running> {
  const child = spawn(process.execPath, [path.join(REPO, 'src/transport/cli/provenant.mjs'), 'start', '--port', '0'], {
    cwd: REPO,
    env: { ...process.env, PROVENANT_DATA_DIR: dataDir, MQTT_PORT: '0', DATABASE_URL: '', HOST: '127.0.0.1', LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let out = '';
  child.stdout!.setEncoding('utf8').on('data', (c: string) => (out += c));
  child.stderr!.setEncoding('utf8').on('data', (c: string) => (out += c));
  const deadline = Date.now() + 120_000;
  for (;;) {
    const url = /Provenant node on (http:\/\/\S+)/.exec(out)?.[1];
    const port = /MQTT broker \(embedded\) on port (\d+)/.exec(out)?.[1];
    if (url && port) return { child, url, mqttUrl: `mqtt://127.0.0.1:${port}` };
    if (child.exitCode !== null || Date.now() > deadline) {
      kill(child);
      throw new Error(`the node did not start (exit ${child.exitCode}):\n${out.slice(-3000)}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

function kill(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  try {
    process.kill(-child.pid!, 'SIGKILL');
  } catch {
    return Promise.resolve();
  }
  return exited;
}

describe('crash: SIGKILL under capture, MQTT ingestion and sealing', () => {
  let dataDir: string;
  let processorKey: KeyPair;
  let deviceKey: KeyPair;
  let running: Running | undefined;

  beforeAll(async () => {
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'provenant-crash-'));
    // The demo consortium and a registered device, made in-process; the node process then serves them.
    const t = await startTestNode({ dataDir });
    processorKey = t.demo.orgKeys.get('vale-processors')!;
    deviceKey = await registerDevice(t, DEVICE, 'ed25519');
    await t.close();
  }, 120_000);

  afterAll(async () => {
    if (running) await kill(running.child);
    if (process.env.KEEP_CRASH_DIR) console.error(`crash data dir kept: ${dataDir}`);
    else rmSync(dataDir, { recursive: true, force: true });
  });

  it(`every acknowledged event and reading survives ${KILLS} SIGKILLs, and verify passes`, async () => {
    const rand = prng(SEED + 10);
    const ackedEvents = new Set<string>();
    const ackedReadings = new Set<number>();
    let serial = 0;
    let seq = 0;
    const f = { 'acknowledged events lost': 0, 'acknowledged readings lost': 0, 'half-present records': 0, 'verify failures': 0, 'restarts refused': 0 };
    const started = Date.now();
    for (let k = 0; k < KILLS; k++) {
      try {
        running = await startProcess(dataDir);
      } catch (err) {
        f['restarts refused'] += 1;
        process.stderr.write(`crash ${k + 1}/${KILLS}: restart refused: ${(err as Error).message}\n`);
        break;
      }
      const { url, mqttUrl } = running;
      // Load until the kill: two capture loops and one device publishing QoS 1 readings.
      let stop = false;
      const capture = async () => {
        while (!stop) {
          const events = Array.from({ length: 1 + Math.floor(rand() * 20) }, () => objectEvent({ action: 'ADD', bizStep: 'commissioning', epcList: [`urn:epc:id:sgtin:5098765.044444.C${serial++}`] }));
          const envelope = signCaptureDocument(epcisDocument(events) as never, { consortium: CONSORTIUM, key: processorKey });
          try {
            const res = await fetch(`${url}/epcis/capture`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(envelope), signal: AbortSignal.timeout(30_000) });
            if (res.status !== 200) continue;
            const body = (await res.json()) as { results: { status: string; eventId: string }[] };
            for (const r of body.results) if (r.status === 'accepted') ackedEvents.add(r.eventId);
          } catch {
            return; // the node is gone
          }
        }
      };
      const readings = async () => {
        let client: MqttClient;
        try {
          client = await mqtt.connectAsync(mqttUrl, { clientId: `crash-${k}`, reconnectPeriod: 0, protocolVersion: 4, ...deviceLogin(DEVICE, deviceKey) });
        } catch {
          return;
        }
        client.on('error', () => undefined);
        // A QoS 1 publish in flight when the broker dies never settles by itself.
        const closed = new Promise<never>((_, reject) => client.once('close', () => reject(new Error('closed'))));
        closed.catch(() => undefined);
        while (!stop) {
          const n = ++seq;
          try {
            await Promise.race([client.publishAsync(`provenant/${CONSORTIUM}/devices/${DEVICE}/readings`, JSON.stringify(signed(DEVICE, n, deviceKey)), { qos: 1 }), closed]);
            ackedReadings.add(n);
          } catch {
            break;
          }
        }
        client.end(true);
      };
      const load = Promise.all([capture(), capture(), readings()]);
      await new Promise((r) => setTimeout(r, 400 + Math.floor(rand() * 1600)));
      await kill(running.child);
      stop = true;
      await load;
      running = undefined;
      // Acknowledged means stored: read the file the killed node left.
      const db = new Database(path.join(dataDir, 'provenant.db'), { readonly: true });
      try {
        const stored = new Set((db.prepare('SELECT "eventId" FROM "EpcisEvent"').all() as { eventId: string }[]).map((r) => r.eventId));
        f['acknowledged events lost'] = [...ackedEvents].filter((id) => !stored.has(id)).length;
        const storedSeq = new Set((db.prepare('SELECT "seq" FROM "DeviceReading" WHERE "deviceId" = ?').all(DEVICE) as { seq: number }[]).map((r) => Number(r.seq)));
        f['acknowledged readings lost'] = [...ackedReadings].filter((s) => !storedSeq.has(s)).length;
        f['half-present records'] = (
          db.prepare(`SELECT count(*) AS n FROM "EpcisEvent" e LEFT JOIN "LedgerRecord" r ON r."hash" = e."recordHash" WHERE r."hash" IS NULL`).get() as { n: number }
        ).n;
      } finally {
        db.close();
      }
      process.stderr.write(`crash ${k + 1}/${KILLS}: ${ackedEvents.size} events, ${ackedReadings.size} readings acknowledged\n`);
      if (f['acknowledged events lost'] + f['acknowledged readings lost'] + f['half-present records'] > 0) break;
    }
    // A clean start after the last kill finishes what was pending (sealing), then verify the whole store.
    running = await startProcess(dataDir);
    await new Promise((r) => setTimeout(r, 2_000));
    const exited = new Promise<void>((resolve) => running!.child.once('exit', () => resolve()));
    running.child.kill('SIGTERM');
    await Promise.race([exited, new Promise((r) => setTimeout(r, 30_000))]);
    await kill(running.child);
    running = undefined;
    const report = await verifyConsortium(loadConfig({ dataDir }), CONSORTIUM);
    if (!report.ok) f['verify failures'] += 1;
    recordFigures({
      section: 'crash',
      surface: 'SIGKILL during HTTP capture, MQTT ingestion and sealing',
      cases: KILLS,
      mustBeZero: f,
      notes: { 'events acknowledged': ackedEvents.size, 'readings acknowledged': ackedReadings.size, seconds: Math.round((Date.now() - started) / 1000) },
    });
    expect(f).toEqual({ 'acknowledged events lost': 0, 'acknowledged readings lost': 0, 'half-present records': 0, 'verify failures': 0, 'restarts refused': 0 });
    expect(ackedEvents.size).toBeGreaterThan(0);
    expect(ackedReadings.size).toBeGreaterThan(0);
  }, 3_600_000);
});
