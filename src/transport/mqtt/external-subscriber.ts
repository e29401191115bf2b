/**
 * Subscriber to an external broker (e.g. Mosquitto) with mqtt.js over MQTT 5: a persistent session
 * (clean false, fixed client id, session expiry) at QoS 1, so the broker keeps readings for the node while it is down.
 * Each PUBACK is sent only after the reading is committed; unacknowledged messages are
 * redelivered by the broker and deduplicated by (device, seq).
 *
 * Why the PUBACK is sent here and not by mqtt.js: mqtt.js handles incoming messages one at a
 * time and takes the next only after the previous one's PUBACK, so holding the PUBACK until the
 * commit would allow one reading per SQLite transaction. Instead each reading declines mqtt.js's
 * own PUBACK (the customHandleAcks error path: mqtt.js moves on without sending one) and this
 * module sends the PUBACK itself once the reading's group commit is done, on the same connection
 * (after a reconnect the broker redelivers instead). Acknowledgements keep arrival order, as MQTT
 * requires, because the ingestor settles readings in arrival order.
 */
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { DEVICES_SUBSCRIPTION, parseDeviceTopic } from '../../core/readings/topics.js';

export interface ExternalSubscriber {
  client: MqttClient;
  publish(topic: string, payload: string): void;
  close(): Promise<void>;
}

export interface ExternalSubscriberOptions {
  url: string;
  clientId: string;
  onReading: (topic: string, payload: Uint8Array) => Promise<void>;
  onError?: (err: Error) => void;
  /** How long the broker keeps the node's session (and queued readings) while the node is down. */
  sessionExpirySeconds?: number;
  /**
   * MQTT 5 Receive Maximum: readings the broker may have in flight to the node, unacknowledged.
   * The node acknowledges after each group commit, so this bounds the readings in its pipeline
   * (batches being checked and committed, up to 2000 each). Default 4000.
   */
  receiveMaximum?: number;
}

/** 30 days. */
export const SESSION_EXPIRY_SECONDS = 30 * 24 * 3600;

/** Declines mqtt.js's own PUBACK for a reading whose PUBACK this module sends after the commit. */
class DeferredAck extends Error {
  constructor() {
    super('PUBACK deferred until the reading is committed');
  }
}
const DEFERRED = new DeferredAck();

/** The part of mqtt.js's client used to send a PUBACK (what its own publish handler calls). */
interface PacketSender {
  _sendPacket(packet: { cmd: 'puback'; messageId: number; reasonCode: number }, cb?: (err?: Error) => void): void;
}

export async function startExternalSubscriber(options: ExternalSubscriberOptions): Promise<ExternalSubscriber> {
  // Assigned once below; the PUBACK closure needs it before then.
  // eslint-disable-next-line prefer-const
  let client: MqttClient;
  const ackAfterCommit = (topic: string, message: Buffer, messageId: number | undefined): void => {
    const stream = client.stream;
    options.onReading(topic, message).then(
      () => {
        // Only on the connection that delivered it: after a reconnect the broker redelivers the
        // message (deduplicated by seq), and a late PUBACK could match a reused packet id.
        if (messageId === undefined || !client.connected || client.stream !== stream) return;
        (client as unknown as PacketSender)._sendPacket({ cmd: 'puback', messageId, reasonCode: 0 });
      },
      (err: Error) => {
        options.onError?.(err);
        // Not stored: drop the connection without PUBACK so the broker redelivers on reconnect.
        if (client.stream === stream) stream.destroy();
      },
    );
  };
  const connectOptions: IClientOptions = {
    clientId: options.clientId,
    clean: false,
    // MQTT 5: a session outlives the connection only with a session expiry interval, and
    // Receive Maximum lets the broker send a batch ahead of the acknowledgements.
    protocolVersion: 5,
    properties: { sessionExpiryInterval: options.sessionExpirySeconds ?? SESSION_EXPIRY_SECONDS, receiveMaximum: options.receiveMaximum ?? 4000 },
    reconnectPeriod: 500,
    // mqtt.js logs every packet through `debug`; even disabled, that is a few µs per reading.
    log: () => undefined,
    connectTimeout: 10_000,
    resubscribe: true,
    customHandleAcks(topic, message, packet, done) {
      // The subtree also holds status topics (the node's own verdicts): acknowledge and skip them.
      if (parseDeviceTopic(topic)?.channel !== 'readings') return done(0);
      // Parsed before its connection was dropped (after a failed commit): the broker sends it again.
      if (!client.stream.destroyed) ackAfterCommit(topic, message, packet.messageId);
      done(DEFERRED);
    },
  };
  client = mqtt.connect(options.url, connectOptions);
  client.on('error', (err) => {
    if (err !== DEFERRED) options.onError?.(err);
  });
  await new Promise<void>((resolve, reject) => {
    const onError = (err: Error): void => {
      if (err !== DEFERRED) reject(err);
    };
    client.on('error', onError);
    client.once('connect', () => {
      client.off('error', onError);
      resolve();
    });
  });
  await client.subscribeAsync(DEVICES_SUBSCRIPTION, { qos: 1 });
  return {
    client,
    publish(topic, payload) {
      client.publish(topic, payload, { qos: 0 });
    },
    async close() {
      await client.endAsync();
    },
  };
}
