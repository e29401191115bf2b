/**
 * A reefer container whose sensor unit (temperature probe, door switch, GPS) is its own device.
 * Its owner, the haulier, registers it on chain with a signed device.register record
 * through the public HTTP interface (as `provenant register-device` does); the unit then publishes
 * readings signed with its own key, numbered by seq, over MQTT with QoS 1, for the transport leg.
 * It never touches the database.
 *
 * Faults (all off unless configured):
 * - excursion: temperature above the chilled-red-meat limit (7 °C) for a set time;
 * - doorOpening: the door opens on the road, away from every authorised location;
 * - dropConnection: the link drops mid-stream (socket destroyed, like a lost modem) and comes back
 *   after offlineMs; readings taken meanwhile wait in the client's QoS 1 store and are sent on
 *   reconnect, so none is lost;
 * - clockDrift: the unit's clock runs fast (or slow) by msPerHour, so observedAt drifts from the
 *   true time of the sample.
 *
 * Time: with clock 'simulated' (default) samples are taken every sampleEverySeconds of simulated
 * time from `start` and published as fast as the broker acknowledges (the demo replays a 4-hour
 * leg in a few seconds); with 'live', observedAt is the wall clock and samples are paceMs apart.
 */
import mqtt, { type MqttClient } from 'mqtt';
import { encodePublicKey, generateKeyPair, type KeyPair } from '../src/core/crypto/index.js';
import { RecordKind, signRecord } from '../src/core/ledger/record.js';
import { deviceMqttCredentials, readingsTopic, signReading, type Reading, type ReadingValue } from '../src/transport/mqtt/index.js';
import type { SimClock } from './participant.js';

export interface LatLon {
  lat: number;
  lon: number;
}

export interface ReeferFaults {
  /** Temperature rises to peakC (default 9.5 °C) from startMinute of the leg for durationMinutes. */
  excursion?: { startMinute: number; durationMinutes: number; peakC?: number };
  /** The door is open from atMinute for durationMinutes wherever the truck then is. */
  doorOpening?: { atMinute: number; durationMinutes: number };
  /** After this many readings the connection drops for offlineMs. */
  dropConnection?: { afterReadings: number; offlineMs: number };
  /** Device clock error growing by msPerHour of elapsed time (positive: runs fast). */
  clockDrift?: { msPerHour: number };
}

export interface ReeferOptions {
  baseUrl: string;
  mqttUrl: string;
  consortium: string;
  /** The organisation answering for the unit (the haulier) and its signing key. */
  owner: { orgId: string; key: KeyPair };
  /** The container the unit is fitted to (what the readings are about). */
  container: string;
  /** Default `reefer/<container number>`. */
  deviceId?: string;
  /** Default a fresh Ed25519 key. */
  deviceKey?: KeyPair;
  /** Product category of the cargo (rule set category). Default chilled-red-meat. */
  category?: string;
  /** Departure (simulated time). Default now. */
  start?: Date;
  /** Length of the leg. Default 240 minutes. */
  legMinutes?: number;
  sampleEverySeconds?: number;
  setpointC?: number;
  /** Road route, origin first; GPS fixes follow it. Default Leeds to Felixstowe. */
  route?: LatLon[];
  faults?: ReeferFaults;
  clock?: 'simulated' | 'live';
  /** Wall-clock pause between samples (default 0; use with clock 'live'). */
  paceMs?: number;
  /** Readings awaiting PUBACK before the unit waits. Default 64. */
  maxInFlight?: number;
  /** Register the device first (default true). */
  register?: boolean;
  /** First seq to publish (default 1); a unit resuming after a restart continues from its last seq + 1. */
  firstSeq?: number;
  log?: (line: string) => void;
}

export interface ReeferResult {
  deviceId: string;
  deviceKey: KeyPair;
  /** Hash of the device.register record, when this run registered the unit. */
  registration?: string;
  published: number;
  firstSeq: number;
  lastSeq: number;
  /** True time of the first and last sample (simulated or wall clock). */
  firstSampleAt: string;
  lastSampleAt: string;
  reconnects: number;
  authorisedLocations: { id: string; lat: number; lon: number; radiusM: number }[];
}

/** Leeds to Felixstowe by road, in legs of at most ~40 km (the route rule's geometry wants <= 50 km). */
export const LEEDS_TO_FELIXSTOWE: LatLon[] = densify([
  { lat: 53.7997, lon: -1.5492 },
  { lat: 53.5228, lon: -1.1285 },
  { lat: 53.0765, lon: -0.809 },
  { lat: 52.5695, lon: -0.2405 },
  { lat: 52.2053, lon: 0.1218 },
  { lat: 52.0567, lon: 1.1482 },
  { lat: 51.963, lon: 1.351 },
]);

const CHILLED_LIMIT_C = 7;

export class ReeferError extends Error {
  override readonly name = 'ReeferError';
  constructor(
    readonly code: 'REGISTRATION_FAILED' | 'PUBLISH_FAILED' | 'INVALID_OPTIONS',
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

function approxKm(a: LatLon, b: LatLon): number {
  const x = (b.lon - a.lon) * Math.cos(((a.lat + b.lat) / 2) * (Math.PI / 180));
  const y = b.lat - a.lat;
  return Math.sqrt(x * x + y * y) * 111.195;
}

function densify(points: LatLon[], maxKm = 40): LatLon[] {
  const out: LatLon[] = [points[0]!];
  for (let i = 1; i < points.length; i++) {
    const a = points[i - 1]!;
    const b = points[i]!;
    const parts = Math.ceil(approxKm(a, b) / maxKm);
    for (let k = 1; k <= parts; k++) out.push({ lat: round6(a.lat + ((b.lat - a.lat) * k) / parts), lon: round6(a.lon + ((b.lon - a.lon) * k) / parts) });
  }
  return out;
}

function round6(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}

/** Where along the route the truck is after `fraction` of the leg (by distance). */
export function positionAlong(route: readonly LatLon[], fraction: number): LatLon {
  const lengths = route.slice(1).map((p, i) => approxKm(route[i]!, p));
  let remaining = Math.min(Math.max(fraction, 0), 1) * lengths.reduce((a, b) => a + b, 0);
  for (let i = 0; i < lengths.length; i++) {
    const len = lengths[i]!;
    if (remaining <= len || i === lengths.length - 1) {
      const t = len === 0 ? 0 : Math.min(remaining / len, 1);
      const a = route[i]!;
      const b = route[i + 1]!;
      return { lat: round6(a.lat + (b.lat - a.lat) * t), lon: round6(a.lon + (b.lon - a.lon) * t) };
    }
    remaining -= len;
  }
  return route[route.length - 1]!;
}

export function reeferDeviceId(container: string): string {
  return `reefer/${container.split(':').pop()}`;
}

/** Registers the unit on chain: a device.register record signed by its owner, posted over HTTP; waits for the seal. */
export async function registerReefer(options: {
  baseUrl: string;
  consortium: string;
  owner: { orgId: string; key: KeyPair };
  deviceId: string;
  deviceKey: KeyPair;
  attributes: Record<string, unknown>;
}): Promise<string> {
  const record = signRecord(
    {
      consortium: options.consortium,
      kind: RecordKind.DEVICE_REGISTER,
      payload: { deviceId: options.deviceId, publicKey: encodePublicKey(options.deviceKey.publicKey), kind: 'sensor', attributes: JSON.parse(JSON.stringify(options.attributes)) },
    },
    options.owner.key,
  );
  const url = `${options.baseUrl.replace(/\/$/, '')}/consortia/${encodeURIComponent(options.consortium)}/records?wait=seal`;
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ records: [record] }) });
  const body = (await res.json().catch(() => ({}))) as { results?: { status: string; recordHash?: string; error?: { code: string; message: string } }[]; error?: { code: string; message: string } };
  const result = body.results?.[0];
  if (!res.ok || !result || (result.status !== 'accepted' && result.status !== 'duplicate')) {
    const error = result?.error ?? body.error;
    throw new ReeferError('REGISTRATION_FAILED', `device.register of ${options.deviceId} by ${options.owner.orgId} failed: HTTP ${res.status} ${error?.code ?? ''} ${error?.message ?? ''}`.trim(), {
      deviceId: options.deviceId,
      status: res.status,
      error,
    });
  }
  return result.recordHash!;
}

/** Temperature at minute m of the leg: setpoint with a small wobble, or the excursion profile. */
export function temperatureAt(minute: number, setpointC: number, excursion?: ReeferFaults['excursion']): number {
  const normal = setpointC + 0.4 * Math.sin(minute / 7);
  if (!excursion || minute < excursion.startMinute || minute >= excursion.startMinute + excursion.durationMinutes) return round1(normal);
  const peak = excursion.peakC ?? 9.5;
  // Three minutes to warm up to the peak, as a failing compressor would.
  const rise = Math.min(1, (minute - excursion.startMinute + 1) / 3);
  return round1(normal + (peak - setpointC) * rise);
}

function round1(x: number): number {
  return Math.round(x * 10) / 10;
}

export async function runReefer(options: ReeferOptions): Promise<ReeferResult> {
  const log = options.log ?? (() => undefined);
  const faults = options.faults ?? {};
  const deviceId = options.deviceId ?? reeferDeviceId(options.container);
  const deviceKey = options.deviceKey ?? generateKeyPair('ed25519');
  const route = options.route ?? LEEDS_TO_FELIXSTOWE;
  const legMinutes = options.legMinutes ?? 240;
  const stepS = options.sampleEverySeconds ?? 60;
  const setpointC = options.setpointC ?? 2;
  const clock = options.clock ?? 'simulated';
  const maxInFlight = options.maxInFlight ?? 64;
  if (!(legMinutes > 0) || !(stepS > 0) || route.length < 2) {
    throw new ReeferError('INVALID_OPTIONS', 'legMinutes and sampleEverySeconds must be positive and the route needs 2 points', { legMinutes, stepS });
  }
  const origin = route[0]!;
  const destination = route[route.length - 1]!;
  const authorisedLocations = [
    { id: 'origin-depot', lat: origin.lat, lon: origin.lon, radiusM: 500 },
    { id: 'destination-port', lat: destination.lat, lon: destination.lon, radiusM: 1500 },
  ];
  let registration: string | undefined;
  if (options.register !== false) {
    registration = await registerReefer({
      baseUrl: options.baseUrl,
      consortium: options.consortium,
      owner: options.owner,
      deviceId,
      deviceKey,
      attributes: { container: options.container, category: options.category ?? 'chilled-red-meat', authorisedLocations, route: { points: route } },
    });
    log(`${options.owner.orgId.padEnd(18)} registered reefer unit ${deviceId} on chain`);
  }

  const reconnectMs = 200;
  // The unit proves it is the registered device with a short-lived credential signed by its key (docs/mqtt.md).
  const credentials = () => deviceMqttCredentials({ consortium: options.consortium, deviceId, key: deviceKey });
  const client: MqttClient = await mqtt.connectAsync(options.mqttUrl, {
    clientId: `provenant-${deviceId.replace(/[^A-Za-z0-9_-]/g, '-')}`.slice(0, 64),
    clean: false,
    reconnectPeriod: reconnectMs,
    protocolVersion: 4,
    username: deviceId,
    password: credentials().password,
  });
  let reconnects = 0;
  client.on('connect', () => {
    client.options.reconnectPeriod = reconnectMs;
  });
  client.on('reconnect', () => {
    reconnects += 1;
    // A fresh credential for each reconnect, so a long leg outlives any one credential.
    client.options.password = credentials().password;
  });

  const startMs = (options.start ?? new Date()).getTime();
  const wallStart = Date.now();
  const samples = Math.floor((legMinutes * 60) / stepS) + 1;
  const inFlight = new Set<Promise<unknown>>();
  const failures: Error[] = [];
  const firstSeq = options.firstSeq ?? 1;
  let seq = firstSeq - 1;
  let published = 0;
  let dropped = false;
  let firstSampleAt = '';
  let lastSampleAt = '';

  const publish = async (type: string, value: ReadingValue, trueMs: number, uom?: string): Promise<void> => {
    const elapsedH = (clock === 'live' ? Date.now() - wallStart : trueMs - startMs) / 3600_000;
    const driftMs = Math.round((faults.clockDrift?.msPerHour ?? 0) * elapsedH);
    const reading: Reading = {
      v: 1,
      consortium: options.consortium,
      deviceId,
      seq: ++seq,
      observedAt: new Date((clock === 'live' ? Date.now() : trueMs) + driftMs).toISOString(),
      type,
      value,
      ...(uom ? { uom } : {}),
      subject: options.container,
    };
    const message = signReading(reading, deviceKey);
    const p = client.publishAsync(readingsTopic(options.consortium, deviceId), JSON.stringify(message), { qos: 1 }).catch((err: Error) => {
      failures.push(err);
    });
    inFlight.add(p);
    void p.finally(() => inFlight.delete(p));
    published += 1;
    if (inFlight.size >= maxInFlight) await Promise.race(inFlight);
    const drop = faults.dropConnection;
    if (drop && !dropped && published >= drop.afterReadings) {
      dropped = true;
      log(`${deviceId.padEnd(18)} connection dropped after ${published} readings (offline ${drop.offlineMs} ms)`);
      client.options.reconnectPeriod = Math.max(drop.offlineMs, 1);
      client.stream.destroy();
    }
  };

  for (let i = 0; i < samples; i++) {
    const trueMs = clock === 'live' ? Date.now() : startMs + i * stepS * 1000;
    const minute = (i * stepS) / 60;
    if (i === 0) firstSampleAt = new Date(trueMs).toISOString();
    lastSampleAt = new Date(trueMs).toISOString();
    const door = faults.doorOpening;
    const doorOpen = door !== undefined && minute >= door.atMinute && minute < door.atMinute + door.durationMinutes;
    await publish('temperature', temperatureAt(minute, setpointC, faults.excursion), trueMs, 'CEL');
    await publish('door', doorOpen, trueMs);
    await publish('gps', positionAlong(route, i / (samples - 1)), trueMs);
    if (options.paceMs) await new Promise((r) => setTimeout(r, options.paceMs));
  }
  while (inFlight.size > 0) await Promise.all([...inFlight]);
  await client.endAsync();
  if (failures.length > 0) {
    throw new ReeferError('PUBLISH_FAILED', `${failures.length} readings of ${deviceId} were not acknowledged: ${failures[0]!.message}`, { deviceId, failed: failures.length });
  }
  const excursion = faults.excursion;
  log(
    `${deviceId.padEnd(18)} published ${published} signed readings (seq ${firstSeq}..${seq}) over MQTT for a ${legMinutes}-minute leg` +
      (excursion ? `; compressor fault: above ${CHILLED_LIMIT_C} °C for ~${excursion.durationMinutes} min from minute ${excursion.startMinute}` : '') +
      (faults.doorOpening ? `; door opened on the road at minute ${faults.doorOpening.atMinute}` : '') +
      (faults.clockDrift ? `; clock drifting ${faults.clockDrift.msPerHour} ms/h` : '') +
      (dropped ? `; reconnected ${reconnects}x` : ''),
  );
  return { deviceId, deviceKey, registration, published, firstSeq, lastSeq: seq, firstSampleAt, lastSampleAt, reconnects, authorisedLocations };
}

/**
 * The reefer leg of the scenario (simulators/scenario.ts `reefer` option): departs a minute after
 * the haulier's departure event and moves the story's clock past the leg.
 */
export function reeferLeg(base: Omit<ReeferOptions, 'container' | 'start'>): (container: string, clock: SimClock) => Promise<ReeferResult> {
  return async (container, clock) => {
    const start = new Date(clock.next(1));
    const result = await runReefer({ ...base, container, start });
    clock.next(base.legMinutes ?? 240);
    return result;
  };
}
