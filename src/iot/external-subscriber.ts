/**
 * Subscriber to an external broker (e.g. Mosquitto) with mqtt.js over MQTT 5: a persistent session
 * (clean false, fixed client id, session expiry) at QoS 1, so the broker keeps readings for the node while it is down.
 * customHandleAcks holds each PUBACK until the reading is committed; unacknowledged messages are
 * redelivered by the broker and deduplicated by (device, seq).
 */
import mqtt, { type MqttClient } from 'mqtt';
import { DEVICES_SUBSCRIPTION, parseDeviceTopic } from './topics.js';

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
}

/** 30 days. */
export const SESSION_EXPIRY_SECONDS = 30 * 24 * 3600;

export async function startExternalSubscriber(options: ExternalSubscriberOptions): Promise<ExternalSubscriber> {
  const client = mqtt.connect(options.url, {
    clientId: options.clientId,
    clean: false,
    // MQTT 5: mqtt.js honours customHandleAcks only on v5, and a v5 session outlives the connection
    // only with a session expiry interval.
    protocolVersion: 5,
    properties: { sessionExpiryInterval: options.sessionExpirySeconds ?? SESSION_EXPIRY_SECONDS },
    reconnectPeriod: 500,
    connectTimeout: 10_000,
    resubscribe: true,
    customHandleAcks(topic, message, _packet, done) {
      // The subtree also holds status topics (the node's own verdicts): acknowledge and skip them.
      if (parseDeviceTopic(topic)?.channel !== 'readings') return done(0);
      options.onReading(topic, message).then(
        () => done(0),
        (err: Error) => done(err),
      );
    },
  });
  client.on('error', (err) => options.onError?.(err));
  await new Promise<void>((resolve, reject) => {
    const onError = (err: Error): void => reject(err);
    client.once('error', onError);
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
