/** One hop in full: who signed it, when and where, the signer's role then, the block, the proofs and the findings. */
import { getJson, gql, type Session } from '../api.js';
import { formatTime, shortHash } from '../format.js';
import { shortLabel } from '../identify.js';
import type { Hop } from '../types.js';
import { useAsync } from '../use-async.js';
import { classifyHop } from '../verdict.js';
import { AsyncBlock, Badge } from './common.js';

interface RecordDetail {
  hash: string;
  kind: string;
  logIndex: number;
  signedAt: string;
  blockHeight: number | null;
  blockHash: string | null;
  indexInBlock: number | null;
  redacted: boolean;
  signer: { keyId: string; orgId: string | null };
  payload: { event?: Record<string, unknown> } | null;
  inclusionProof: { leafIndex: number; treeSize: number; merkleRoot: string; path: string[] } | null;
  block: { timestamp: string; seals: { orgId: string | null; keyId: string }[] } | null;
}

const RECORD_QUERY = `query ($hash: String!) { record(hash: $hash) { __typename ... on Error { message code } ... on LedgerRecord {
  hash kind logIndex signedAt blockHeight blockHash indexInBlock redacted signer { keyId orgId } payload
  inclusionProof { leafIndex treeSize merkleRoot path } block { timestamp seals { orgId keyId } } } } }`;

async function loadDetail(hash: string) {
  const { record } = await gql<{ record: RecordDetail }>(RECORD_QUERY, { hash });
  const roles = record.signer.orgId
    ? await getJson<{ orgName: string | null; roles: string[] | null }>(`/explorer/api/roles-at?org=${encodeURIComponent(record.signer.orgId)}&logIndex=${record.logIndex}`).catch(() => null)
    : null;
  return { record, roles };
}

function placeOf(event: Record<string, unknown> | undefined): string {
  const id = (k: string) => ((event?.[k] as { id?: string } | undefined)?.id ?? null);
  const place = id('bizLocation') ?? id('readPoint');
  return place ? shortLabel(place) : 'not recorded';
}

export function HopPanel({ hop, onClose }: { hop: Hop; session: Session; onClose: () => void }) {
  const detail = useAsync(() => loadDetail(hop.recordHash), [hop.recordHash]);
  const verdict = classifyHop(hop);
  return (
    <section class="card hop-panel" aria-labelledby="hop-title" data-testid="hop-panel">
      <div class="panel-head">
        <h2 id="hop-title">
          Hop: {hop.edge.kind.toLowerCase()} <Badge verdict={verdict} />
        </h2>
        <button type="button" class="link" onClick={onClose}>Close</button>
      </div>
      <p>
        {shortLabel(hop.edge.from)} → {shortLabel(hop.edge.to)}
      </p>
      {hop.correction && (
        <p class="warning-text" data-testid="hop-correction">
          <strong>{hop.correction.status === 'CORRECTED' ? 'Corrected' : 'Retracted'}</strong> by its capturer on {formatTime(hop.correction.declarationTime)}
          {hop.correction.reason ? ` (${hop.correction.reason.replace(/_/g, ' ')})` : ''}
          {hop.correction.correctiveEventIds.length > 0 ? `; corrective events: ${hop.correction.correctiveEventIds.map((id) => shortHash(id)).join(', ')}` : ''}
        </p>
      )}
      {[...hop.failures, ...hop.warnings].length > 0 && (
        <ul class="findings">
          {hop.failures.map((f, i) => (
            <li key={`f${i}`} class="failed-text"><strong>{f.code}</strong>: {f.message}</li>
          ))}
          {hop.warnings.map((w, i) => (
            <li key={`w${i}`} class="warning-text"><strong>{w.code}</strong>: {w.message}</li>
          ))}
        </ul>
      )}
      <AsyncBlock result={detail} what="the record">
        {({ record, roles }) => {
          const event = record.payload?.event;
          return (
            <dl class="facts">
              <dt>Who</dt>
              <dd>{roles?.orgName ?? record.signer.orgId ?? 'unknown signer'}</dd>
              <dt>When</dt>
              <dd>{formatTime((event?.['eventTime'] as string | undefined) ?? hop.edge.time)}</dd>
              <dt>Where</dt>
              <dd>{placeOf(event)}</dd>
              <dt>What</dt>
              <dd>{String(event?.['bizStep'] ?? record.kind)}{record.redacted ? ' (finding withheld from you)' : ''}</dd>
              <dt>Signer</dt>
              <dd>
                key <code>{shortHash(record.signer.keyId)}</code>; role then: {roles?.roles ? roles.roles.join(', ') || 'none' : 'not a member then'}
              </dd>
              <dt>Signed</dt>
              <dd>{formatTime(record.signedAt)}</dd>
              <dt>Block</dt>
              <dd>{record.blockHeight === null ? 'not sealed yet' : <>height {record.blockHeight}, <code>{shortHash(record.blockHash)}</code>, sealed {formatTime(record.block?.timestamp)} by {record.block?.seals.map((s) => s.orgId ?? s.keyId).join(', ')}</>}</dd>
              <dt>Proofs</dt>
              <dd>
                {record.inclusionProof ? (
                  <>
                    RFC 6962 inclusion: leaf {record.inclusionProof.leafIndex} of {record.inclusionProof.treeSize}, {record.inclusionProof.path.length} sibling hash(es) to root <code>{shortHash(record.inclusionProof.merkleRoot)}</code>; record <code>{shortHash(record.hash)}</code>, log index {record.logIndex}
                  </>
                ) : (
                  'no inclusion proof yet'
                )}
              </dd>
            </dl>
          );
        }}
      </AsyncBlock>
    </section>
  );
}
