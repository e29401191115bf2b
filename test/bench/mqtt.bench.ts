/**
 * Issue 5 figures: signed device readings per second from MQTT publish (QoS 1) to sealed
 * sensor.window record, through the embedded aedes broker and through Mosquitto with persistence on.
 *
 * Devices are registered with device.register records signed by their owner, as the CLI does.
 * Readings are signed before the clock starts (signing is the devices' work, not the node's) and
 * published at QoS 1, each device on its own mqtt.js connection, from a few publisher processes
 * (devices are other machines). The clock stops when every published reading is stored in a
 * sensor.window record that is sealed in a block; lost = published - stored must be 0.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { encodePublicKey, generateKeyPair, type KeyPair } from '../../src/core/crypto/index.js';
import { RecordKind, signRecord } from '../../src/core/ledger/record.js';
import { loadConfig } from '../../src/platform/config.js';
import { openNode, type OpenedNode } from '../../src/services/node/bootstrap.js';
import { buildDemoConsortium, DEMO_CONSORTIUM_ID } from '../../src/services/node/demo-consortium.js';
import { deviceMqttCredentials, keystoreWindowSigner, readingsTopic, signReading, startIot, type IotHandle, type Reading } from '../../src/transport/mqtt/index.js';
import { Mosquitto } from '../helpers/mqtt.js';
import { percentile, type BenchContext } from './harness.js';

type Transport = 'embedded' | 'mosquitto';

const OWNER = 'swift-haulage';
/** Readings one device observes per second (10 Hz probes). */
const DEVICE_HZ = 10;

/**
 * A publisher process standing for several devices (devices are other machines, so the node's
 * process CPU counts the node only): each device has its own MQTT connection and publishes its
 * pre-signed readings in seq order at QoS 1, with a bounded number awaiting PUBACK (its send
 * buffer). Reports each PUBACK's latency. Plain JavaScript, so no TypeScript loader is needed.
 *
 * Two clients: a minimal MQTT 3.1.1 client over node:net (default) whose PUBLISH packets are
 * encoded before the clock starts, as a sensor's firmware would send them, and mqtt.js
 * (BENCH_MQTT_PUBLISHER=mqttjs). Both wait for every PUBACK; the minimal one costs the shared
 * CPUs about a tenth as much per reading, which on this 2-core machine is CPU the node can use.
 */
const PUBLISHER_COMMON = `
let devices, inFlight, url;
const done = (latencies, cpuAtGo) => process.send({ type: 'done', acked: latencies.length, latencies, cpu: process.cpuUsage(cpuAtGo) });
process.on('disconnect', () => process.exit(0));
`;

const MQTTJS_PUBLISHER = `${PUBLISHER_COMMON}
const mqtt = require(process.env.BENCH_MQTT_PATH);
const clients = [];
process.on('message', (msg) => {
  if (msg.type === 'init') {
    ({ devices, inFlight, url } = msg);
    let connected = 0;
    for (const d of devices) {
      const client = mqtt.connect(url, { clientId: d.clientId, clean: true, protocolVersion: 4, reconnectPeriod: 200, username: d.username, password: d.password });
      client.on('error', (err) => process.send({ type: 'error', message: d.clientId + ': ' + String(err && err.message) }));
      client.once('connect', () => ++connected === devices.length && process.send({ type: 'ready' }));
      clients.push(client);
    }
    return;
  }
  if (msg.type !== 'go') return;
  const cpuAtGo = process.cpuUsage();
  const latencies = [];
  let finished = 0;
  devices.forEach((d, di) => {
    const client = clients[di];
    let next = 0;
    let acked = 0;
    const send = () => {
      const i = next++;
      const sentAt = performance.now();
      client.publish(d.topic, d.payloads[i], { qos: 1 }, (err) => {
        if (err) return process.send({ type: 'error', message: String(err.message) });
        latencies.push(performance.now() - sentAt);
        acked += 1;
        if (next < d.payloads.length) send();
        if (acked === d.payloads.length && ++finished === devices.length) {
          Promise.all(clients.map((c) => c.endAsync())).then(() => done(latencies, cpuAtGo));
        }
      });
    };
    for (let k = 0; k < Math.min(inFlight, d.payloads.length); k++) send();
  });
});
`;

const RAW_PUBLISHER = `${PUBLISHER_COMMON}
const net = require('node:net');
const fail = (message) => process.send({ type: 'error', message });
const remainingLength = (n) => {
  const out = [];
  do { let b = n % 128; n = Math.floor(n / 128); if (n > 0) b |= 128; out.push(b); } while (n > 0);
  return Buffer.from(out);
};
const str = (s) => { const b = Buffer.from(s, 'utf8'); const l = Buffer.alloc(2); l.writeUInt16BE(b.length); return Buffer.concat([l, b]); };
const packet = (first, body) => Buffer.concat([Buffer.from([first]), remainingLength(body.length), body]);
// CONNECT, MQTT 3.1.1, username and password (the device credential), clean session, keep-alive 60 s.
const connectPacket = (d) => packet(0x10, Buffer.concat([str('MQTT'), Buffer.from([4, 0xc2, 0, 60]), str(d.clientId), str(d.username), str(d.password)]));
// PUBLISH at QoS 1; packet ids cycle 1..65535 (at most inFlight are outstanding).
const publishPacket = (topic, id, payload) => { const pid = Buffer.alloc(2); pid.writeUInt16BE(id); return packet(0x32, Buffer.concat([str(topic), pid, Buffer.from(payload, 'utf8')])); };
const conns = [];
let flushScheduled = false;
process.on('message', (msg) => {
  if (msg.type === 'init') {
    ({ devices, inFlight, url } = msg);
    const { hostname, port } = new URL(url);
    let connected = 0;
    for (const d of devices) {
      const c = { d, packets: d.payloads.map((p, i) => publishPacket(d.topic, (i % 65535) + 1, p)), sentAt: new Float64Array(d.payloads.length), next: 0, acked: 0, buf: Buffer.alloc(0), onAck: null };
      c.socket = net.connect(Number(port), hostname, () => c.socket.write(connectPacket(d)));
      c.socket.setNoDelay(true);
      c.socket.on('error', (err) => fail(d.clientId + ': ' + err.message));
      c.socket.on('close', () => c.acked < c.packets.length && fail(d.clientId + ': connection closed after ' + c.acked + ' PUBACKs'));
      c.socket.on('data', (chunk) => {
        let buf = c.buf.length ? Buffer.concat([c.buf, chunk]) : chunk;
        let off = 0;
        while (buf.length - off >= 2) {
          let len = 0, mul = 1, i = off + 1, b;
          do { if (i >= buf.length) { b = -1; break; } b = buf[i++]; len += (b & 127) * mul; mul *= 128; } while (b & 128);
          if (b === -1 || buf.length - i < len) break;
          const type = buf[off] >> 4;
          if (type === 2) { if (buf[i + 1] !== 0) fail(d.clientId + ': CONNACK ' + buf[i + 1]); else if (++connected === devices.length) process.send({ type: 'ready' }); }
          else if (type === 4) c.onAck(buf.readUInt16BE(i));
          off = i + len;
        }
        c.buf = off < buf.length ? buf.subarray(off) : Buffer.alloc(0);
        if (c.flush && !flushScheduled) {
          // Once per event-loop turn: the PUBLISHes made possible by all PUBACKs read in it.
          flushScheduled = true;
          setImmediate(() => { flushScheduled = false; for (const x of conns) x.flush(); });
        }
      });
      conns.push(c);
    }
    return;
  }
  if (msg.type !== 'go') return;
  const cpuAtGo = process.cpuUsage();
  const latencies = [];
  let finished = 0;
  for (const c of conns) {
    let out = [];
    c.waiting = new Map();
    const send = () => { const i = c.next++; c.sentAt[i] = performance.now(); c.waiting.set((i % 65535) + 1, i); out.push(c.packets[i]); };
    c.flush = () => { if (out.length) { c.socket.write(out.length === 1 ? out[0] : Buffer.concat(out)); out = []; } };
    c.onAck = (id) => {
      const i = c.waiting.get(id);
      if (i === undefined) return fail(c.d.clientId + ': PUBACK for packet id ' + id + ', which is not awaiting one');
      c.waiting.delete(id);
      latencies.push(performance.now() - c.sentAt[i]);
      c.acked += 1;
      if (c.next < c.packets.length) send();
      if (c.acked === c.packets.length) {
        c.socket.end(Buffer.from([0xe0, 0]));
        if (++finished === conns.length) done(latencies, cpuAtGo);
      }
    };
    for (let k = 0; k < Math.min(inFlight, c.packets.length); k++) send();
    c.flush();
  }
});
`;

interface PublisherResult {
  acked: number;
  latencies: number[];
  /** The publisher process's CPU from go to its last PUBACK, µs. */
  cpu: { user: number; system: number };
}

/** CPU time (µs) of each thread of a process, from /proc (Linux); empty elsewhere. */
function threadCpu(pid: number | 'self'): Map<number, number> {
  const out = new Map<number, number>();
  const tick = 1e6 / 100; // USER_HZ
  try {
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      out.set(Number(tid), (Number(fields[11]) + Number(fields[12])) * tick);
    }
  } catch {
    // not Linux, or the process is gone
  }
  return out;
}

function cpuSince(before: Map<number, number>, after: Map<number, number>): Map<number, number> {
  return new Map([...after].map(([tid, t]) => [tid, t - (before.get(tid) ?? 0)]));
}

class Publisher {
  readonly child: ChildProcess;
  readonly ready: Promise<void>;
  readonly done: Promise<PublisherResult>;

  constructor(url: string, name: string, devices: { clientId: string; username: string; password: string; topic: string; payloads: string[] }[], inFlight: number) {
    const mqttPath = createRequire(import.meta.url).resolve('mqtt');
    const source = process.env.BENCH_MQTT_PUBLISHER === 'mqttjs' ? MQTTJS_PUBLISHER : RAW_PUBLISHER;
    // Under `node --cpu-prof` the publishers are profiled too (their CPU is part of the budget).
    const profile = process.execArgv.filter((a) => a.startsWith('--cpu-prof'));
    this.child = spawn(process.execPath, [...profile, '-e', source], {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      env: { ...process.env, BENCH_MQTT_PATH: mqttPath },
    });
    let readyResolve!: () => void;
    let readyReject!: (e: Error) => void;
    let doneResolve!: (r: PublisherResult) => void;
    let doneReject!: (e: Error) => void;
    this.ready = new Promise((resolve, reject) => ((readyResolve = resolve), (readyReject = reject)));
    this.done = new Promise((resolve, reject) => ((doneResolve = resolve), (doneReject = reject)));
    this.ready.catch(() => undefined);
    this.done.catch(() => undefined);
    let finished = false;
    const fail = (e: Error): void => {
      if (finished) return;
      readyReject(e);
      doneReject(e);
    };
    this.child.on('message', (msg: { type: string; message?: string; acked?: number; latencies?: number[]; cpu?: PublisherResult['cpu'] }) => {
      if (msg.type === 'ready') readyResolve();
      else if (msg.type === 'done') {
        finished = true;
        doneResolve({ acked: msg.acked!, latencies: msg.latencies!, cpu: msg.cpu! });
      }
      else if (msg.type === 'error') fail(new Error(`publisher ${name}: ${msg.message}`));
    });
    this.child.on('error', fail);
    this.child.on('exit', (code) => fail(new Error(`publisher ${name} exited with code ${code}`)));
    this.child.send({ type: 'init', url, devices, inFlight });
  }

  go(): void {
    this.child.send({ type: 'go' });
  }

  close(): void {
    // Disconnecting lets it exit normally (and write its profile under --cpu-prof).
    if (this.child.exitCode === null) {
      if (this.child.connected) this.child.disconnect();
      else this.child.kill();
    }
  }
}

async function registerDevices(opened: OpenedNode, owner: KeyPair, count: number): Promise<{ deviceId: string; key: KeyPair }[]> {
  const devices = Array.from({ length: count }, (_, i) => ({ deviceId: `bench-reefer-${i + 1}/probe`, key: generateKeyPair('ed25519') }));
  const records = devices.map((d) =>
    signRecord(
      {
        consortium: DEMO_CONSORTIUM_ID,
        kind: RecordKind.DEVICE_REGISTER,
        payload: { deviceId: d.deviceId, publicKey: encodePublicKey(d.key.publicKey), kind: 'sensor', attributes: { container: 'MSKU1234565' } },
      },
      owner,
    ),
  );
  const outcomes = await opened.node.submit(DEMO_CONSORTIUM_ID, records);
  const bad = outcomes.find((o) => o.status !== 'accepted');
  if (bad) throw new Error(`device.register failed: ${JSON.stringify(bad)}`);
  await opened.node.sealNow(DEMO_CONSORTIUM_ID);
  return devices;
}

/**
 * Pre-signed readings, each device's in seq order. They were observed in the past (a backlog a
 * reefer uploads after a sea passage), so their windows may close as soon as they are complete;
 * live readings would wait for the window end, which measures the clock, not the node.
 */
function signReadings(devices: { deviceId: string; key: KeyPair }[], perDevice: number): string[][] {
  const start = Math.floor((Date.now() - 3_600_000) / 60_000) * 60_000;
  return devices.map((d, di) =>
    Array.from({ length: perDevice }, (_, i) => {
      const seq = i + 1;
      const reading: Reading = {
        v: 1,
        consortium: DEMO_CONSORTIUM_ID,
        deviceId: d.deviceId,
        seq,
        observedAt: new Date(start + (seq * 1000) / DEVICE_HZ).toISOString(),
        type: 'temperature',
        value: 2 + ((seq * 7 + di) % 30) / 10,
        uom: 'CEL',
        subject: 'urn:epc:id:sscc:5012345.0000000017',
      };
      return JSON.stringify(signReading(reading, d.key));
    }),
  );
}

async function sealedReadings(opened: OpenedNode): Promise<{ stored: number; inSealedWindows: number; windows: number; windowedTotal: number }> {
  const [row] = await opened.db.$queryRawUnsafe<{ stored: bigint | number; sealed: bigint | number | null }[]>(
    `SELECT COUNT(*) AS stored, SUM(CASE WHEN r."blockHeight" IS NOT NULL THEN 1 ELSE 0 END) AS sealed
       FROM "DeviceReading" d LEFT JOIN "LedgerRecord" r ON r."hash" = d."windowRecordHash"
      WHERE d."consortiumId" = ?`,
    DEMO_CONSORTIUM_ID,
  );
  const windows = await opened.db.ledgerRecord.findMany({ where: { consortiumId: DEMO_CONSORTIUM_ID, kind: RecordKind.SENSOR_WINDOW }, select: { body: true } });
  const windowedTotal = windows.reduce((n, w) => n + (JSON.parse(w.body) as { payload: { count: number } }).payload.count, 0);
  return { stored: Number(row?.stored ?? 0), inSealedWindows: Number(row?.sealed ?? 0), windows: windows.length, windowedTotal };
}

async function unwindowed(opened: OpenedNode): Promise<number> {
  const [row] = await opened.db.$queryRawUnsafe<{ n: bigint | number }[]>(`SELECT COUNT(*) AS n FROM "DeviceReading" WHERE "windowRecordHash" IS NULL`);
  return Number(row?.n ?? 0);
}

async function runTransport(ctx: BenchContext, transport: Transport): Promise<void> {
  const deviceCount = ctx.quick ? 20 : 40;
  const perDevice = ctx.quick ? 500 : 1_500;
  const publisherCount = 4;
  /** Readings a device may have awaiting PUBACK. */
  const inFlight = 100;
  const total = deviceCount * perDevice;
  let mosquitto: Mosquitto | undefined;
  if (transport === 'mosquitto') {
    try {
      mosquitto = await Mosquitto.start();
    } catch (err) {
      ctx.progress(`skipping the Mosquitto figures: ${(err as Error).message}`);
      return;
    }
  }
  const dataDir = mkdtempSync(path.join(os.tmpdir(), `provenant-bench-mqtt-${transport}-`));
  const demo = buildDemoConsortium();
  const config = loadConfig({ dataDir });
  const opened = await openNode(config);
  let iot: IotHandle | undefined;
  const publishers: Publisher[] = [];
  try {
    await opened.node.createConsortium(demo.spec, demo.authorityKeys);
    ctx.progress(`${transport}: registering ${deviceCount} devices and signing ${total.toLocaleString('en-GB')} readings`);
    const devices = await registerDevices(opened, demo.orgKeys.get(OWNER)!, deviceCount);
    // The devices' data lives in the publishers; the node's process keeps none of it (its heap, and
    // so its garbage collector's work, is the node's own).
    let byDevice: string[][] | undefined = signReadings(devices, perDevice);
    iot = await startIot({
      ctx: { node: opened.node, db: opened.db, config },
      brokerUrl: mosquitto?.url,
      embeddedPort: 0,
      clientId: 'provenant-node-bench',
      windowSigner: keystoreWindowSigner(opened.node, [...demo.orgKeys.values()]),
    });
    await iot.ingestor.warm();
    const url = mosquitto ? mosquitto.url : `mqtt://127.0.0.1:${iot.port}`;
    for (let p = 0; p < publisherCount; p++) {
      const mine = devices
        .map((d, i) => ({
          clientId: `bench-${transport}-${d.deviceId.replace(/\//g, '-')}`,
          // Valid for a day: the whole run, reconnects included.
          ...deviceMqttCredentials({ consortium: DEMO_CONSORTIUM_ID, deviceId: d.deviceId, key: d.key, expiresAt: Math.floor(Date.now() / 1000) + 23 * 3600 }),
          topic: readingsTopic(DEMO_CONSORTIUM_ID, d.deviceId),
          payloads: byDevice![i]!,
        }))
        .filter((_, i) => i % publisherCount === p);
      publishers.push(new Publisher(url, `${transport}-${p}`, mine, inFlight));
    }
    byDevice = undefined;
    await Promise.all(publishers.map((p) => p.ready));

    ctx.progress(`${transport}: ${deviceCount} devices (own connections, ${publisherCount} ${process.env.BENCH_MQTT_PUBLISHER === 'mqttjs' ? 'mqtt.js' : 'minimal-client'} processes) publishing ${total.toLocaleString('en-GB')} readings at QoS 1, ${inFlight} in flight each`);
    const started = performance.now();
    const cpuAtStart = process.cpuUsage();
    const threadsAtStart = threadCpu('self');
    const brokerPid = mosquitto?.pid;
    const brokerAtStart = brokerPid ? threadCpu(brokerPid) : new Map<number, number>();
    const loopAtStart = performance.eventLoopUtilization();
    for (const p of publishers) p.go();
    let ackedAt = 0;
    const acked = Promise.all(publishers.map((p) => p.done)).then((r) => ((ackedAt = performance.now()), r));
    let publisherError: Error | undefined;
    acked.catch((err: Error) => (publisherError = err));
    // Give up when nothing moves for this long: a stall is reported as loss, not waited out.
    const stallMs = 30_000;
    let lastProgress = performance.now();
    let lastMoves = -1;
    let lastReport = started;
    let sealedAt = 0;
    let cpu = { user: 0, system: 0 };
    let threads = new Map<number, number>();
    let brokerCpu = 0;
    let loop = { utilization: 0 };
    for (;;) {
      await new Promise((r) => setTimeout(r, 20));
      if (publisherError) throw publisherError;
      const stats = iot.stats();
      const now = performance.now();
      if (stats.accepted + stats.windows !== lastMoves) {
        lastMoves = stats.accepted + stats.windows;
        lastProgress = now;
      }
      // The database is asked only near the end and once a second: the bench shares the node's thread.
      const done = stats.accepted >= total && ackedAt > 0;
      if (now - lastReport >= 1_000 || done) {
        const open = await unwindowed(opened);
        if (now - lastReport >= 1_000) {
          lastReport = now;
          ctx.progress(`${transport}: ${((now - started) / 1000).toFixed(1)} s, ${stats.accepted.toLocaleString('en-GB')} stored, ${(stats.accepted - open).toLocaleString('en-GB')} windowed, ${stats.windows} windows`);
        }
        if (done && open === 0 && opened.node.pendingCount(DEMO_CONSORTIUM_ID) === 0) {
          const check = await sealedReadings(opened);
          if (check.inSealedWindows === check.stored) {
            sealedAt = now;
            cpu = process.cpuUsage(cpuAtStart);
            threads = cpuSince(threadsAtStart, threadCpu('self'));
            if (brokerPid) brokerCpu = [...cpuSince(brokerAtStart, threadCpu(brokerPid)).values()].reduce((a, b) => a + b, 0);
            loop = performance.eventLoopUtilization(loopAtStart);
            break;
          }
        }
      }
      if (now - lastProgress > stallMs) break;
    }
    const results = await acked.catch(() => [] as PublisherResult[]);
    const final = await sealedReadings(opened);
    const stats = iot.stats();
    const rejected = Object.values(stats.rejected).reduce((a, b) => a + b, 0);
    const lost = total - final.stored;
    const seconds = ((sealedAt || performance.now()) - started) / 1000;
    const latencies = results.flatMap((r) => r.latencies).sort((a, b) => a - b);
    const label = transport === 'embedded' ? 'embedded aedes' : 'Mosquitto (persistence on)';
    ctx.report({
      section: 'mqtt',
      name: `readings/s publish → sealed record, ${label}`,
      value: total / seconds,
      unit: 'readings/s',
      compareToRaw: true,
      note: `${total.toLocaleString('en-GB')} readings from ${deviceCount} devices${sealedAt ? '' : ' (STALLED)'}`,
    });
    ctx.report({ section: 'mqtt', name: `readings/s publish → PUBACK, ${label}`, value: ackedAt ? total / ((ackedAt - started) / 1000) : 0, unit: 'readings/s', compareToRaw: true });
    ctx.report({
      section: 'mqtt',
      name: `PUBACK latency p50 / p99, ${label}`,
      value: percentile(latencies, 50),
      unit: 'ms',
      note: `p99 ${percentile(latencies, 99).toFixed(1)} ms`,
    });
    ctx.report({
      section: 'mqtt',
      name: `node CPU per reading (all threads), ${label}`,
      value: (cpu.user + cpu.system) / total,
      unit: 'µs',
      note: `main thread busy ${(loop.utilization * 100).toFixed(0)}%, ${iot.ingestor.commitStats().batches} group commits, largest ${iot.ingestor.commitStats().largestBatch}`,
    });
    // Where the CPU went, per reading: the node's main thread, its other threads (busiest first:
    // the signature workers, then V8/libuv helpers), the publishers and an external broker.
    const perReading = (us: number): string => (us / total).toFixed(0);
    const mainCpu = threads.get(process.pid) ?? 0;
    const others = [...threads].filter(([tid, t]) => tid !== process.pid && t > 0).map(([, t]) => t).sort((a, b) => b - a);
    const publisherCpu = results.reduce((n, r) => n + r.cpu.user + r.cpu.system, 0);
    ctx.report({
      section: 'mqtt',
      name: `CPU per reading: node main thread, ${label}`,
      value: mainCpu / total,
      unit: 'µs',
      note: `other node threads ${others.slice(0, 6).map(perReading).join(' + ')} µs; publishers ${perReading(publisherCpu)} µs${brokerPid ? `; mosquitto ${perReading(brokerCpu)} µs` : ''}`,
    });
    // Throughput per CPU: what one core does, whatever share of the (shared) machine the run got.
    const allCpu = cpu.user + cpu.system + publisherCpu + brokerCpu;
    ctx.report({
      section: 'mqtt',
      name: `readings per CPU-second (node + publishers${brokerPid ? ' + broker' : ''}), ${label}`,
      value: allCpu > 0 ? total / (allCpu / 1e6) : 0,
      unit: 'readings/s',
      compareToRaw: true,
      note: `CPU per reading ${(allCpu / total).toFixed(0)} µs; the run got ${((allCpu / 1e6) / seconds).toFixed(2)} of ${os.availableParallelism()} cores`,
    });
    ctx.report({
      section: 'mqtt',
      name: `lost (published − stored), ${label}`,
      value: lost,
      unit: 'readings',
      note: `stored ${final.stored.toLocaleString('en-GB')}, in sealed windows ${final.inSealedWindows.toLocaleString('en-GB')}, window counts sum ${final.windowedTotal.toLocaleString('en-GB')} in ${final.windows} records, rejected ${rejected}, gaps ${stats.gaps}`,
    });
    if (lost !== 0 || final.inSealedWindows !== total || final.windowedTotal !== total || rejected !== 0 || stats.gaps !== 0) {
      process.exitCode = 1;
      console.error(`  mqtt: ${label}: NOT every published reading reached a sealed window exactly once`);
    }
  } finally {
    for (const p of publishers) p.close();
    await iot?.stop();
    await opened.close();
    await mosquitto?.destroy();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

export async function mqttBench(ctx: BenchContext): Promise<void> {
  if (process.env.BENCH_MQTT_ONLY !== 'mosquitto') await runTransport(ctx, 'embedded');
  if (process.env.BENCH_MQTT_ONLY !== 'embedded') await runTransport(ctx, 'mosquitto');
}
