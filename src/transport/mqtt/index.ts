/**
 * IoT ingestion entry point: an embedded aedes broker by default, or a subscription to
 * an external broker by URL; readings are stored before acknowledgement and windowed into
 * sensor.window records. See docs/mqtt.md.
 */
import type { KeyPair } from '../../core/crypto/index.js';
import type { LedgerNode } from '../../services/node/ledger-node.js';
import { startEmbeddedBroker, type AccessRefusals } from './embedded-broker.js';
import { startExternalSubscriber } from './external-subscriber.js';
import { IotError, ReadingIngestor, type IngestStats, type ReadingProof, type ReadingServiceDeps } from '../../services/readings/ingest.js';
import type { SignedRecord } from '../../core/ledger/record.js';
import { iotMetrics } from '../../services/readings/metrics.js';
import { deviceStanding } from '../../services/readings/topic-device.js';

export * from '../../core/readings/reading.js';
export * from '../../core/readings/mqtt-access.js';
export type { AccessRefusals } from './embedded-broker.js';
export * from '../../core/readings/topics.js';
export * from '../../core/readings/window.js';
export * from '../../services/readings/ingest.js';

/** The services' dependencies as the node's start-up made them, and the MQTT configuration. */
export interface IotContext extends ReadingServiceDeps {
  config?: { mqttPort?: number; mqttHost?: string; mqttUrl?: string };
}

export interface StartIotOptions {
  ctx: IotContext;
  /** External broker, e.g. mqtt://127.0.0.1:1883. Default ctx.config.mqttUrl; without one the embedded broker runs. */
  brokerUrl?: string;
  /** Embedded broker port (0 = any free port). Default ctx.config.mqttPort, else 1883. */
  embeddedPort?: number;
  /** Embedded broker bind address. Default ctx.config.mqttHost, else 127.0.0.1. */
  embeddedHost?: string;
  /** Fixed client id of the node's persistent session on an external broker. */
  clientId?: string;
  windowMs?: number;
  windowMaxReadings?: number;
  windowGraceMs?: number;
  flushIntervalMs?: number;
  /** Threads that check reading signatures (0: the main thread). Default: the machine's parallelism, at most 4. */
  verifyWorkers?: number;
  /** How far observedAt may run ahead of receipt before a reading is flagged clock_ahead. Default 60 s. */
  clockToleranceMs?: number;
  windowSigner: (deviceOrgId: string, consortiumId: string) => KeyPair;
  /** Embedded broker: longest validity a device credential may still have when presented. Default 24 h. */
  maxCredentialLifetimeS?: number;
}

export interface IotHandle {
  /** Embedded broker port, undefined with an external broker. */
  port?: number;
  ingestor: ReadingIngestor;
  stats(): IngestStats;
  /** Readiness: the embedded broker listens, or the node is connected to the external broker. */
  ready(): boolean;
  /** Turns closable (or, with force, all) stored readings into sensor.window records. */
  flush(force?: boolean): Promise<SignedRecord[]>;
  readingProof(deviceId: string, seq: number, consortium?: string): Promise<ReadingProof>;
  /** Embedded broker: connects, publishes and subscriptions it refused, by reason (empty with an external broker). */
  refusals(): AccessRefusals;
  stop(): Promise<void>;
}

export async function startIot(options: StartIotOptions): Promise<IotHandle> {
  const { ctx } = options;
  let publishStatus: ((topic: string, payload: string) => void) | undefined;
  const ingestor = new ReadingIngestor({
    node: ctx.node,
    db: ctx.db,
    windowMs: options.windowMs,
    windowMaxReadings: options.windowMaxReadings,
    windowGraceMs: options.windowGraceMs,
    flushIntervalMs: options.flushIntervalMs,
    verifyWorkers: options.verifyWorkers,
    clockToleranceMs: options.clockToleranceMs,
    windowSigner: options.windowSigner,
    publishStatus: (topic, payload) => publishStatus?.(topic, payload),
  });
  // Rejections are settled outcomes (acknowledged, counted, reported); only store failures withhold the ack.
  const onReading = async (topic: string, payload: Uint8Array): Promise<void> => {
    await ingestor.ingest(topic, payload);
  };
  const brokerUrl = options.brokerUrl ?? ctx.config?.mqttUrl;
  let port: number | undefined;
  let closeTransport: () => Promise<void>;
  let transportReady: () => boolean;
  let refusals = (): AccessRefusals => ({ connect: {}, publish: {}, subscribe: {}, session: {} });
  let unlisten = (): void => undefined;
  if (brokerUrl) {
    const sub = await startExternalSubscriber({ url: brokerUrl, clientId: options.clientId ?? 'provenant-node', onReading });
    publishStatus = (topic, payload) => sub.publish(topic, payload);
    closeTransport = () => sub.close();
    transportReady = () => sub.client.connected;
  } else {
    const broker = await startEmbeddedBroker({
      port: options.embeddedPort ?? ctx.config?.mqttPort ?? 1883,
      host: options.embeddedHost ?? ctx.config?.mqttHost,
      onReading,
      lookupDevice: (consortium, deviceId) => deviceStanding(ctx.node, consortium, deviceId),
      maxCredentialLifetimeS: options.maxCredentialLifetimeS,
      onRefused: (action, reason) => iotMetrics().mqttRefused.inc({ action, reason }),
    });
    publishStatus = (topic, payload) => broker.publish(topic, payload);
    refusals = () => broker.refusals();
    // A device.revoke or org.remove ends the device's session once its block is final.
    const onSealed = (event: { consortium: string }): void => void broker.endLapsedSessions(event.consortium);
    ctx.node.on('sealed', onSealed);
    unlisten = () => void ctx.node.off('sealed', onSealed);
    port = broker.port;
    closeTransport = () => broker.close();
    transportReady = () => broker.listening();
  }
  ingestor.start();
  let stopped = false;
  return {
    port,
    ingestor,
    stats: () => ingestor.stats(),
    ready: () => !stopped && transportReady(),
    flush: (force) => ingestor.flush(force),
    readingProof: (deviceId, seq, consortium) => ingestor.readingProof(deviceId, seq, consortium),
    refusals: () => refusals(),
    async stop() {
      if (stopped) return;
      stopped = true;
      unlisten();
      await closeTransport();
      await ingestor.stop();
    },
  };
}

/**
 * The usual windowSigner: the device owner's key if this node holds an active one, else one of
 * this node's authority keys in force.
 */
export function keystoreWindowSigner(node: LedgerNode, keys: readonly KeyPair[]): (deviceOrgId: string, consortiumId: string) => KeyPair {
  return (orgId, consortiumId) => {
    const state = node.state(consortiumId);
    const own = keys.find((k) => {
      const entry = state.keys.get(k.keyId);
      return entry?.orgId === orgId && entry.status === 'active';
    });
    if (own) return own;
    const authority = keys.find((k) => state.isAuthorityKey(k.keyId));
    if (!authority) {
      throw new IotError('NO_WINDOW_SIGNER', `this node holds no key of "${orgId}" and no authority key of "${consortiumId}" to sign sensor windows`, {
        orgId,
        consortiumId,
      });
    }
    return authority;
  };
}
