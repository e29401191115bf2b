/** A webhook receiver on a fixed loopback port, that can go down and come back (query subscriptions). */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedDelivery {
  headers: IncomingHttpHeaders;
  body: string;
  /** The body as JSON (undefined when it is not). */
  document: any;
}

export class WebhookReceiver {
  readonly received: ReceivedDelivery[] = [];
  #server: Server | undefined;
  /** 0 until the first up(); then the same port on every later up(). */
  port = 0;

  async up(): Promise<void> {
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        let document: unknown;
        try {
          document = JSON.parse(body);
        } catch {
          document = undefined;
        }
        this.received.push({ headers: req.headers, body, document });
        res.writeHead(200).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(this.port, '127.0.0.1', resolve));
    this.port = (server.address() as AddressInfo).port;
    this.#server = server;
  }

  async down(): Promise<void> {
    const server = this.#server;
    this.#server = undefined;
    if (server) await new Promise((resolve) => server.close(resolve));
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}/callback`;
  }

  /** The documents a subscription received, in order. */
  of(subscriptionId: string): ReceivedDelivery[] {
    return this.received.filter((r) => r.document?.epcisBody?.queryResults?.subscriptionID === subscriptionId);
  }
}

/** Polls `probe` every 50 ms until it gives a value, or fails after `timeoutMs` naming what it waited for. */
export async function until<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, timeoutMs = 20_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
