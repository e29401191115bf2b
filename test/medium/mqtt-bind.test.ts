import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keystoreWindowSigner, startIot } from '../../src/transport/mqtt/index.js';
import { startTestNode, type TestNode } from '../helpers/test-node.js';

function connects(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
  });
}

describe('embedded MQTT broker bind address (MQTT_HOST)', () => {
  let node: TestNode;
  beforeAll(async () => {
    node = await startTestNode();
  });
  afterAll(async () => {
    await node.destroy();
  });

  it('listens on the configured host only', async () => {
    const iot = await startIot({
      ctx: { node: node.node, db: node.db, config: { mqttPort: 0, mqttHost: '127.0.0.2' } },
      windowSigner: keystoreWindowSigner(node.node, node.keystore.list().map((k) => k.keyPair)),
      verifyWorkers: 0,
    });
    try {
      expect(await connects('127.0.0.2', iot.port!)).toBe(true);
      expect(await connects('127.0.0.1', iot.port!)).toBe(false);
    } finally {
      await iot.stop();
    }
  });
});
