/**
 * Asks a peer node for a page of its final blocks (GET /peer/consortia/:id/blocks), signed by the
 * caller. Only transport failures are this module's: what the page holds is verified by the caller.
 */
import { CodedError } from '../core/coded-error.js';
import { PEER_REQUEST_HEADER } from '../core/ledger/peer-request.js';

export type PeerFetchErrorCode = 'PEER_UNREACHABLE' | 'PEER_REFUSED' | 'PEER_BAD_ANSWER';

export class PeerFetchError extends CodedError<PeerFetchErrorCode> {
  override readonly name = 'PeerFetchError';
}

/** A page answer larger than this is refused (a page holds at most PEER_PAGE_MAX blocks). */
const MAX_ANSWER_BYTES = 256 * 1024 * 1024;

export async function fetchPeerBlocks(baseUrl: string, consortium: string, range: { fromHeight: number; limit: number }, signature: string, timeoutMs: number): Promise<unknown> {
  const url = `${baseUrl}/peer/consortia/${encodeURIComponent(consortium)}/blocks?from=${range.fromHeight}&limit=${range.limit}`;
  let res: Response;
  try {
    res = await fetch(url, { headers: { [PEER_REQUEST_HEADER]: signature, accept: 'application/json' }, signal: AbortSignal.timeout(timeoutMs), redirect: 'error' });
  } catch (err) {
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    throw new PeerFetchError('PEER_UNREACHABLE', `${url}: ${cause?.code ?? cause?.message ?? (err as Error).message}`, { url });
  }
  const length = Number(res.headers.get('content-length') ?? 0);
  if (length > MAX_ANSWER_BYTES) throw new PeerFetchError('PEER_BAD_ANSWER', `${url}: an answer of ${length} bytes is larger than ${MAX_ANSWER_BYTES}`, { url });
  let body: unknown;
  try {
    body = await res.json();
  } catch {
    throw new PeerFetchError('PEER_BAD_ANSWER', `${url}: HTTP ${res.status} with a body that is not JSON`, { url, status: res.status });
  }
  if (!res.ok) {
    const error = (body as { error?: { code?: string; message?: string } })?.error;
    throw new PeerFetchError('PEER_REFUSED', `${url}: HTTP ${res.status} ${error?.code ?? ''} ${error?.message ?? ''}`.trim(), { url, status: res.status, code: error?.code ?? null });
  }
  return body;
}
