/**
 * A loopback TCP proxy that a test can cut: partition() closes every proxied connection and
 * refuses new ones until heal(). Put between one node and its NATS server, it cuts that node off
 * while the node process and the server both keep running.
 */
import net from 'node:net';

export class TcpProxy {
  readonly #server: net.Server;
  readonly #sockets = new Set<net.Socket>();
  #cut = false;
  #target: { host: string; port: number } | undefined;

  private constructor() {
    this.#server = net.createServer((client) => this.#accept(client));
  }

  /** Listens on a free loopback port; `target` may be set later (before the first connection). */
  static async start(): Promise<TcpProxy> {
    const proxy = new TcpProxy();
    await new Promise<void>((resolve, reject) => {
      proxy.#server.once('error', reject);
      proxy.#server.listen(0, '127.0.0.1', () => resolve());
    });
    return proxy;
  }

  get url(): string {
    return `nats://127.0.0.1:${(this.#server.address() as net.AddressInfo).port}`;
  }

  /** Where connections go: a `nats://host:port` URL. */
  forwardTo(url: string): void {
    const { hostname, port } = new URL(url);
    this.#target = { host: hostname, port: Number(port) };
  }

  partition(): void {
    this.#cut = true;
    for (const socket of this.#sockets) socket.destroy();
    this.#sockets.clear();
  }

  heal(): void {
    this.#cut = false;
  }

  async stop(): Promise<void> {
    this.partition();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  #accept(client: net.Socket): void {
    if (this.#cut || !this.#target) {
      client.destroy();
      return;
    }
    const upstream = net.connect(this.#target);
    for (const [a, b] of [
      [client, upstream],
      [upstream, client],
    ] as const) {
      this.#sockets.add(a);
      a.on('error', () => b.destroy());
      a.on('close', () => {
        this.#sockets.delete(a);
        b.destroy();
      });
      a.pipe(b);
    }
  }
}
