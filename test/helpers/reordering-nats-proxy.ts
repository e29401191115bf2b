/**
 * A loopback proxy in front of one NATS server that plays a faulty broker for the nodes connected
 * through it: once armed, it delivers the first two `submission` messages after a stream sequence
 * with their contents swapped. Each keeps its place in the stream (sequence, log timestamp,
 * consumer counters in the JetStream reply subject); only the message bytes (NATS headers and
 * payload) trade places, so those nodes read a log in which the two submissions came in the other
 * order, and everything else as it is. The choice depends on the log alone, so every node behind
 * the proxy, and every re-created consumer, sees the same swap.
 *
 * Client to server bytes pass untouched. Server to client bytes are parsed as NATS protocol frames
 * (INFO, PING, PONG, +OK, -ERR, MSG, HMSG); a JetStream delivery is a MSG/HMSG whose reply subject
 * is `$JS.ACK.<stream>.<consumer>.<delivered>.<stream seq>.<consumer seq>.<time>.<pending>` (or the
 * 12-token form with domain and account hash). While the first submission waits for the second,
 * the frames of its subscription are held back in order; other subscriptions flow on.
 */
import net from 'node:net';

interface Frame {
  /** The control line without CRLF. */
  readonly line: string;
  /** Headers then payload, without the trailing CRLF (empty for frames without a body). */
  readonly body: Buffer;
  readonly headerLength: number;
}

interface Delivery {
  readonly sid: string;
  readonly sequence: number;
}

const CRLF = Buffer.from('\r\n');

function streamSequenceOf(reply: string | undefined): number | undefined {
  if (!reply?.startsWith('$JS.ACK.')) return undefined;
  const tokens = reply.split('.');
  const at = tokens.length === 9 ? 5 : tokens.length >= 12 ? 7 : -1;
  const sequence = at < 0 ? NaN : Number(tokens[at]);
  return Number.isSafeInteger(sequence) ? sequence : undefined;
}

/** MSG <subject> <sid> [reply] <size> / HMSG <subject> <sid> [reply] <header size> <total size>. */
function parseMessageLine(line: string): { subject: string; sid: string; reply?: string; headerLength: number; total: number } {
  const tokens = line.split(' ').filter((t) => t.length > 0);
  const headers = tokens[0] === 'HMSG';
  const sizes = headers ? 2 : 1;
  const rest = tokens.slice(1, tokens.length - sizes);
  const total = Number(tokens[tokens.length - 1]);
  const headerLength = headers ? Number(tokens[tokens.length - 2]) : 0;
  return { subject: rest[0]!, sid: rest[1]!, ...(rest[2] ? { reply: rest[2] } : {}), headerLength, total };
}

function isSubmission(frame: Frame): boolean {
  try {
    return (JSON.parse(frame.body.subarray(frame.headerLength).toString('utf8')) as { kind?: unknown }).kind === 'submission';
  } catch {
    return false;
  }
}

/** The frame with another message's headers and payload, in its own place. */
function withBodyOf(frame: Frame, donor: Frame): Frame {
  const { subject, sid, reply } = parseMessageLine(frame.line);
  const where = [subject, sid, ...(reply ? [reply] : [])].join(' ');
  const line = donor.headerLength > 0 ? `HMSG ${where} ${donor.headerLength} ${donor.body.length}` : `MSG ${where} ${donor.body.length}`;
  return { line, body: donor.body, headerLength: donor.headerLength };
}

function encode(frame: Frame): Buffer {
  const isMessage = frame.line.startsWith('MSG ') || frame.line.startsWith('HMSG ');
  return isMessage ? Buffer.concat([Buffer.from(frame.line), CRLF, frame.body, CRLF]) : Buffer.concat([Buffer.from(frame.line), CRLF]);
}

/** Splits the server's byte stream into frames; keeps an incomplete tail for the next chunk. */
class FrameReader {
  #buffer: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): Frame[] {
    this.#buffer = this.#buffer.length === 0 ? chunk : Buffer.concat([this.#buffer, chunk]);
    const frames: Frame[] = [];
    for (;;) {
      const end = this.#buffer.indexOf(CRLF);
      if (end < 0) return frames;
      const line = this.#buffer.subarray(0, end).toString('latin1');
      if (!line.startsWith('MSG ') && !line.startsWith('HMSG ')) {
        frames.push({ line, body: Buffer.alloc(0), headerLength: 0 });
        this.#buffer = this.#buffer.subarray(end + 2);
        continue;
      }
      const { headerLength, total } = parseMessageLine(line);
      if (this.#buffer.length < end + 2 + total + 2) return frames;
      frames.push({ line, body: Buffer.from(this.#buffer.subarray(end + 2, end + 2 + total)), headerLength });
      this.#buffer = this.#buffer.subarray(end + 2 + total + 2);
    }
  }
}

export class ReorderingNatsProxy {
  readonly #server: net.Server;
  readonly #sockets = new Set<net.Socket>();
  #target: { host: string; port: number } | undefined;
  #armedAfter: number | undefined;
  /** The first submission after the armed sequence, once some node was sent it. */
  #first: { sequence: number; frame: Frame } | undefined;
  /** Decided: stream sequence → the message whose bytes it is delivered with. */
  readonly #swap = new Map<number, Frame>();

  private constructor() {
    this.#server = net.createServer((client) => this.#accept(client));
  }

  /** Listens on a free loopback port; `forwardTo` names the server before the first connection. */
  static async start(): Promise<ReorderingNatsProxy> {
    const proxy = new ReorderingNatsProxy();
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

  /** Swaps the first two submissions after this stream sequence (once; later arming is refused). */
  arm(afterSequence: number): void {
    if (this.#armedAfter !== undefined) throw new Error('the proxy swaps one pair only');
    this.#armedAfter = afterSequence;
  }

  /** The two stream sequences whose contents were swapped, once decided. */
  get swapped(): [number, number] | undefined {
    const sequences = [...this.#swap.keys()].sort((a, b) => a - b);
    return sequences.length === 2 ? [sequences[0]!, sequences[1]!] : undefined;
  }

  async stop(): Promise<void> {
    for (const socket of this.#sockets) socket.destroy();
    this.#sockets.clear();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  #accept(client: net.Socket): void {
    if (!this.#target) {
      client.destroy();
      return;
    }
    const upstream = net.connect(this.#target);
    for (const socket of [client, upstream]) {
      this.#sockets.add(socket);
      socket.on('error', () => {
        client.destroy();
        upstream.destroy();
      });
      socket.on('close', () => {
        this.#sockets.delete(socket);
        client.destroy();
        upstream.destroy();
      });
    }
    client.pipe(upstream);
    const reader = new FrameReader();
    /** Frames held back per subscription id while its first submission waits for the second. */
    const held = new Map<string, Frame[]>();
    upstream.on('data', (chunk: Buffer) => {
      const out: Buffer[] = [];
      for (const frame of reader.push(chunk)) for (const f of this.#route(frame, held)) out.push(encode(f));
      if (out.length > 0 && !client.destroyed) client.write(Buffer.concat(out));
    });
  }

  /** What to send the client now for this frame (held frames included once released). */
  #route(frame: Frame, held: Map<string, Frame[]>): Frame[] {
    const delivery = this.#deliveryOf(frame);
    if (!delivery) {
      const sid = frame.line.startsWith('MSG ') || frame.line.startsWith('HMSG ') ? parseMessageLine(frame.line).sid : undefined;
      const waiting = sid === undefined ? undefined : held.get(sid);
      if (waiting) {
        waiting.push(frame);
        return [];
      }
      return [frame];
    }
    this.#decide(delivery, frame);
    const waiting = held.get(delivery.sid);
    if (this.#swap.size === 0 && this.#first?.sequence === delivery.sequence) {
      // The first of the pair: hold it (and what follows on its subscription) until the second.
      held.set(delivery.sid, [...(waiting ?? []), frame]);
      return [];
    }
    if (waiting && this.#swap.size === 0) {
      waiting.push(frame);
      return [];
    }
    held.delete(delivery.sid);
    return [...(waiting ?? []), frame].map((f) => this.#rewritten(f));
  }

  #deliveryOf(frame: Frame): Delivery | undefined {
    if (!frame.line.startsWith('MSG ') && !frame.line.startsWith('HMSG ')) return undefined;
    const { sid, reply } = parseMessageLine(frame.line);
    const sequence = streamSequenceOf(reply);
    return sequence === undefined ? undefined : { sid, sequence };
  }

  /** Learns the pair from the log's contents: the first two submissions after the armed sequence. */
  #decide(delivery: Delivery, frame: Frame): void {
    if (this.#armedAfter === undefined || this.#swap.size > 0 || delivery.sequence <= this.#armedAfter || !isSubmission(frame)) return;
    if (!this.#first || this.#first.sequence === delivery.sequence) {
      this.#first = { sequence: delivery.sequence, frame };
      return;
    }
    if (delivery.sequence < this.#first.sequence) return;
    this.#swap.set(this.#first.sequence, frame);
    this.#swap.set(delivery.sequence, this.#first.frame);
  }

  #rewritten(frame: Frame): Frame {
    const delivery = this.#deliveryOf(frame);
    const donor = delivery && this.#swap.get(delivery.sequence);
    return donor ? withBodyOf(frame, donor) : frame;
  }
}
