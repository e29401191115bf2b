/**
 * Embedded MQTT broker (aedes). Readings are ingested in-process from the authorizePublish hook,
 * which aedes runs before it writes PUBACK: a device's QoS 1 PUBACK therefore means the reading
 * is committed to SQLite. If the commit fails the hook fails, aedes drops the connection without
 * PUBACK, and the device resends on reconnect.
 */
import net from 'node:net';
import { Aedes, type AedesPublishPacket } from 'aedes';
import { parseDeviceTopic } from '../../core/readings/topics.js';

export interface EmbeddedBroker {
  port: number;
  publish(topic: string, payload: string): void;
  /** The broker accepts connections. */
  listening(): boolean;
  close(): Promise<void>;
}

export interface EmbeddedBrokerOptions {
  port: number;
  host?: string;
  /** Called for every message on a readings topic; the PUBACK waits for it to resolve. */
  onReading: (topic: string, payload: Uint8Array) => Promise<void>;
}

export async function startEmbeddedBroker(options: EmbeddedBrokerOptions): Promise<EmbeddedBroker> {
  const broker = await Aedes.createBroker({
    authorizePublish(client, packet, callback) {
      const where = parseDeviceTopic(packet.topic);
      if (!client || !where) return callback(null);
      // Status topics carry the node's verdicts; a device must not forge them.
      if (where.channel === 'status') return callback(new Error('status topics are published by the node only'));
      options.onReading(packet.topic, packet.payload as Buffer).then(
        () => callback(null),
        (err: Error) => callback(err),
      );
    },
  });
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
    async close() {
      await new Promise<void>((resolve) => broker.close(() => resolve()));
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
