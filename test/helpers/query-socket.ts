/**
 * A WebSocket query subscriber for tests (GS1 openapi.json, GET /queries/{queryName}/events with
 * `Upgrade: websocket`): opens the handshake with an API token, collects each message as parsed
 * JSON, and records a refused handshake's status and problem, or the close code and reason.
 */
import WebSocket from 'ws';

export interface QuerySocket {
  /** The messages received so far, parsed. */
  messages: Record<string, any>[];
  /** Set when the server closed the socket. */
  closed?: { code: number; reason: string };
  close(): void;
}

export type Opened = { socket: QuerySocket } | { refused: { status: number; body: any } };

/** Opens a subscription; resolves once the socket is open or the handshake was refused (within 10 s). */
export function openQuerySocket(baseUrl: string, path: string, token: string | null): Promise<Opened> {
  const ws = new WebSocket(baseUrl.replace(/^http/, 'ws') + path, { headers: token ? { authorization: `Bearer ${token}` } : {}, handshakeTimeout: 10_000 });
  const socket: QuerySocket = { messages: [], close: () => ws.terminate() };
  ws.on('message', (data) => socket.messages.push(JSON.parse(String(data)) as Record<string, any>));
  ws.on('close', (code, reason) => (socket.closed = { code, reason: reason.toString() }));
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve({ socket }));
    ws.once('unexpected-response', (_req, res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let body: unknown = text;
        try {
          body = JSON.parse(text);
        } catch {
          // not JSON: kept as text
        }
        ws.terminate();
        resolve({ refused: { status: res.statusCode ?? 0, body } });
      });
    });
    ws.once('error', (err) => reject(err));
  });
}

/** Polls until the probe gives a value (within the timeout). */
export async function eventually<T>(what: string, probe: () => T | undefined, timeoutMs = 15_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
