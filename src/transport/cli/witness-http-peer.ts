/** The witness's HTTP client: a node's log routes, with the regulator's API token for that node. */
import { CodedError } from '../../core/coded-error.js';
import type { Checkpoint } from '../../core/ledger/checkpoint.js';
import type { WitnessCosignature } from '../../core/lineage/bundle.js';
import type { WitnessPeer } from '../../services/witness/witness.js';

const REQUEST_TIMEOUT_MS = 60_000;

export class WitnessPeerError extends CodedError<'NODE_UNREACHABLE' | 'NODE_REFUSED' | 'NODE_ANSWER_MALFORMED'> {
  override readonly name = 'WitnessPeerError';
}

export class HttpWitnessPeer implements WitnessPeer {
  /** tokens: the API token to send to each node URL. */
  constructor(
    private readonly consortium: string,
    private readonly tokens: ReadonlyMap<string, string>,
  ) {}

  async #call(node: string, route: string, init: { method?: string; body?: unknown } = {}): Promise<unknown> {
    const url = `${node.replace(/\/+$/, '')}/consortia/${encodeURIComponent(this.consortium)}${route}`;
    const token = this.tokens.get(node);
    let res: Response;
    try {
      res = await fetch(url, {
        method: init.method ?? 'GET',
        headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(init.body !== undefined ? { 'content-type': 'application/json' } : {}) },
        body: init.body === undefined ? undefined : JSON.stringify(init.body),
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      });
    } catch (err) {
      const cause = (err as { cause?: { message?: string } }).cause?.message ?? (err as Error).message;
      throw new WitnessPeerError('NODE_UNREACHABLE', `${init.method ?? 'GET'} ${url}: ${cause}`, { url });
    }
    const text = await res.text();
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      throw new WitnessPeerError(res.ok ? 'NODE_ANSWER_MALFORMED' : 'NODE_REFUSED', `${init.method ?? 'GET'} ${url}: HTTP ${res.status}, not JSON`, { url, status: res.status });
    }
    if (!res.ok) {
      const error = (body as { error?: { code?: string; message?: string } }).error;
      throw new WitnessPeerError('NODE_REFUSED', `${init.method ?? 'GET'} ${url}: HTTP ${res.status} ${error?.code ?? ''}: ${error?.message ?? ''}`, { url, status: res.status, code: error?.code });
    }
    return body;
  }

  checkpointEvidence(node: string): Promise<unknown> {
    return this.#call(node, '/log/checkpoint-evidence');
  }

  async consistency(node: string, from: number, to: number): Promise<string[]> {
    const body = (await this.#call(node, `/log/consistency?from=${from}&to=${to}`)) as { from?: unknown; to?: unknown; proof?: unknown };
    if (body.from !== from || body.to !== to || !Array.isArray(body.proof) || !body.proof.every((h) => typeof h === 'string')) {
      throw new WitnessPeerError('NODE_ANSWER_MALFORMED', `the consistency proof from ${node} is not { from: ${from}, to: ${to}, proof: [hex…] }`, { node });
    }
    return body.proof as string[];
  }

  async postCosignature(node: string, checkpoint: Checkpoint, cosignature: WitnessCosignature): Promise<void> {
    await this.#call(node, '/log/cosignatures', { method: 'POST', body: { checkpoint, cosignature } });
  }
}
