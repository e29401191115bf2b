/**
 * Embedded MQTT broker (aedes). Readings are ingested in-process from the authorizePublish hook,
 * which aedes runs before it writes PUBACK: a device's QoS 1 PUBACK therefore means the reading
 * is committed to SQLite. If the commit fails the hook fails, aedes drops the connection without
 * PUBACK, and the device resends on reconnect.
 *
 * Access (src/core/readings/mqtt-access.ts decides): devices connect with a credential signed by
 * their registered key (anonymous and unknown clients get CONNACK 5, not authorised); each
 * publishes only its own readings topic, never retained (else the connection is closed without
 * PUBACK, as MQTT 3.1.1 section 3.3.5 allows); subscribes only to its own status topic (else
 * SUBACK 0x80); and receives nothing else. aedes speaks MQTT 3.1 and 3.1.1 only: an MQTT 5
 * CONNECT gets CONNACK 1, unacceptable protocol version. A device revoked (or whose owner left)
 * while connected is disconnected when the block holding that change is final (endLapsedSessions).
 */
import net from 'node:net';
import { Aedes, type AedesPublishPacket, type AuthenticateError, type Client } from 'aedes';
import { authenticateDevice, authorisePublish, authoriseSubscribe, mayReceive, sessionStanding, type DeviceLookup, type MqttDeviceIdentity } from '../../core/readings/mqtt-access.js';
import { IotError } from '../../services/readings/ingest-types.js';

/** 'session': a connected device whose standing ended (revoked, or its owner left), disconnected. */
export type AccessAction = 'connect' | 'publish' | 'subscribe' | 'session';
/** Refusals by action and reason since the broker started. */
export type AccessRefusals = Record<AccessAction, Record<string, number>>;

export interface EmbeddedBroker {
  port: number;
  publish(topic: string, payload: string): void;
  /** The broker accepts connections. */
  listening(): boolean;
  refusals(): AccessRefusals;
  /**
   * Disconnects every connected device of the consortium (all when omitted) that is no longer
   * registered and active; they are refused at their next CONNECT. Returns how many were closed.
   */
  endLapsedSessions(consortium?: string): number;
  close(): Promise<void>;
}

export interface EmbeddedBrokerOptions {
  port: number;
  host?: string;
  /** Called for every message a device may publish; the PUBACK waits for it to resolve. */
  onReading: (topic: string, payload: Uint8Array) => Promise<void>;
  /** The registered device and its standing (the node's live consortium state). */
  lookupDevice: DeviceLookup;
  /** Longest validity a device credential may still have when presented. Default 24 h. */
  maxCredentialLifetimeS?: number;
  onRefused?: (action: AccessAction, reason: string) => void;
  now?: () => number;
}

/** CONNACK return code 5 for every refusal, so the answer does not tell which devices exist. */
function notAuthorised(message: string): AuthenticateError {
  return Object.assign(new Error(message), { returnCode: 5 }) as AuthenticateError;
}

export async function startEmbeddedBroker(options: EmbeddedBrokerOptions): Promise<EmbeddedBroker> {
  const identities = new WeakMap<Client, MqttDeviceIdentity>();
  /** Authenticated clients, so a lapsed device's session can be found and ended. */
  const sessions = new Set<Client>();
  const refusals: AccessRefusals = { connect: {}, publish: {}, subscribe: {}, session: {} };
  const refused = (action: AccessAction, reason: string): void => {
    refusals[action][reason] = (refusals[action][reason] ?? 0) + 1;
    options.onRefused?.(action, reason);
  };
  const now = options.now ?? Date.now;
  const broker = await Aedes.createBroker({
    authenticate(client, username, password, done) {
      const decision = authenticateDevice(username, password, options.lookupDevice, { nowMs: now(), maxLifetimeS: options.maxCredentialLifetimeS });
      if (!decision.ok) {
        refused('connect', decision.reason);
        return done(notAuthorised(decision.message), false);
      }
      identities.set(client, decision.identity);
      sessions.add(client);
      done(null, true);
    },
    authorizePublish(client, packet, callback) {
      // client is null for a will left by a client of an earlier broker run: refused like any stranger.
      const decision = authorisePublish(client ? identities.get(client) : undefined, packet.topic, packet.retain);
      if (!decision.ok) {
        refused('publish', decision.reason);
        return callback(new IotError('MQTT_PUBLISH_REFUSED', decision.message, { reason: decision.reason, topic: packet.topic }));
      }
      options.onReading(packet.topic, packet.payload as Buffer).then(
        () => callback(null),
        (err: Error) => callback(err),
      );
    },
    authorizeSubscribe(client, subscription, callback) {
      const decision = authoriseSubscribe(identities.get(client), subscription.topic);
      if (!decision.ok) {
        refused('subscribe', decision.reason);
        // A negated subscription: SUBACK 0x80 for this filter, the connection stays.
        return callback(null, null);
      }
      callback(null, subscription);
    },
    authorizeForward(client, packet) {
      return mayReceive(identities.get(client), packet.topic) ? packet : null;
    },
  });
  broker.on('clientDisconnect', (client) => sessions.delete(client));
  const endLapsedSessions = (consortium?: string): number => {
    let ended = 0;
    for (const client of sessions) {
      const identity = identities.get(client);
      if (client.closed || !identity) {
        sessions.delete(client);
        continue;
      }
      if (consortium !== undefined && identity.consortium !== consortium) continue;
      const standing = sessionStanding(identity, options.lookupDevice);
      if (standing.ok) continue;
      sessions.delete(client);
      refused('session', standing.reason);
      client.close();
      ended += 1;
    }
    return ended;
  };
  const server = net.createServer(broker.handle);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as net.AddressInfo).port;
  return {
    port,
    listening: () => server.listening && !broker.closed,
    publish(topic, payload) {
      const packet = { cmd: 'publish', topic, payload: Buffer.from(payload), qos: 0, retain: false, dup: false } as unknown as AedesPublishPacket;
      broker.publish(packet, () => undefined);
    },
    refusals: () => ({ connect: { ...refusals.connect }, publish: { ...refusals.publish }, subscribe: { ...refusals.subscribe }, session: { ...refusals.session } }),
    endLapsedSessions,
    async close() {
      await new Promise<void>((resolve) => broker.close(() => resolve()));
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
