/** GraphQL subscriptions over server-sent events, as a client sees them (shared by the subscription tests). */
export type Item = Record<string, any>;

/** One SSE subscription over real HTTP: collects each `next` payload's field value. */
export class Sse {
  readonly items: Item[] = [];
  completed = false;
  failure: Error | undefined;
  readonly #abort = new AbortController();
  #waiters: (() => void)[] = [];
  readonly finished: Promise<void>;

  constructor(port: number, query: string, field: string, token?: string) {
    this.finished = (async () => {
      try {
        const res = await fetch(`http://127.0.0.1:${port}/graphql`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', accept: 'text/event-stream', ...(token ? { authorization: `Bearer ${token}` } : {}) },
          body: JSON.stringify({ query }),
          signal: this.#abort.signal,
        });
        if (!res.headers.get('content-type')?.includes('text/event-stream')) throw new Error(`not an event stream: ${res.status} ${await res.text()}`);
        const decoder = new TextDecoder();
        let buffer = '';
        for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
          buffer += decoder.decode(chunk, { stream: true });
          let end: number;
          while ((end = buffer.indexOf('\n\n')) >= 0) {
            const message = buffer.slice(0, end);
            buffer = buffer.slice(end + 2);
            const lines = message.split('\n');
            const event = lines.find((l) => l.startsWith('event:'))?.slice(6).trim();
            const data = lines.filter((l) => l.startsWith('data:')).map((l) => l.slice(5).trim()).join('\n');
            if (event === 'next' && data) {
              const payload = JSON.parse(data) as { data?: Record<string, Item>; errors?: unknown[] };
              this.items.push(payload.data?.[field] ?? { errors: payload.errors });
            }
            if (event === 'complete') this.completed = true;
            this.#wake();
          }
        }
      } catch (err) {
        if ((err as Error).name !== 'AbortError') this.failure = err as Error;
      } finally {
        this.completed = true;
        this.#wake();
      }
    })();
  }

  #wake() {
    for (const w of this.#waiters.splice(0)) w();
  }

  /** Waits until at least n items have arrived (or the stream ended). */
  async waitFor(n: number, timeoutMs = 15_000): Promise<Item[]> {
    const deadline = Date.now() + timeoutMs;
    while (this.items.length < n) {
      if (this.failure) throw this.failure;
      if (this.completed) throw new Error(`stream ended after ${this.items.length} of ${n} items: ${JSON.stringify(this.items).slice(0, 500)}`);
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${n} items; have ${JSON.stringify(this.items).slice(0, 500)}`);
      await new Promise<void>((resolve) => {
        this.#waiters.push(resolve);
        setTimeout(resolve, 100);
      });
    }
    return this.items;
  }

  close() {
    this.#abort.abort();
  }
}

export async function until(check: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

