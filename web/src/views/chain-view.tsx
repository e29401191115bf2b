/** Chain status: height, head, pending records, quorum and witnesses (checkpoint signatures), and the latest blocks. */
import { gql, type Session } from '../api.js';
import { formatTime, shortHash } from '../format.js';
import { useAsync } from '../use-async.js';
import { AsyncBlock } from './common.js';

interface Status {
  name: string;
  height: number;
  headHash: string;
  logSize: number;
  pending: number;
  quorum: { authoritiesInForce: number; authorityKeysHeld: number; requiredQuorum: number; canSeal: boolean; sealBlockedReason: string | null };
  lastCheckpoint: { blockHeight: number; logSize: number; logRoot: string; signatureCount: number; timestamp: string } | null;
}

interface BlockRow {
  height: number;
  hash: string;
  timestamp: string;
  recordCount: number;
  seals: { orgId: string | null }[];
}

const QUERY = `query ($c: ID!) {
  chainStatus(consortium: $c) { __typename ... on Error { message code } ... on ChainStatus { name height headHash logSize pending
    quorum { authoritiesInForce authorityKeysHeld requiredQuorum canSeal sealBlockedReason } lastCheckpoint { blockHeight logSize logRoot signatureCount timestamp } } }
  blocks(consortium: $c, first: 10) { __typename ... on Error { message code } ... on QueryBlocksConnection { edges { node { height hash timestamp recordCount seals { orgId } } } } }
  health { status consortia } }`;

export function ChainView({ session }: { session: Session }) {
  const status = useAsync(() => gql<{ chainStatus: Status; blocks: { edges: { node: BlockRow }[] }; health: { status: string; consortia: number } }>(QUERY, { c: session.consortium }), [session.consortium]);
  return (
    <section aria-labelledby="chain-h">
      <h1 id="chain-h">Chain status</h1>
      <AsyncBlock result={status} what="the chain status">
        {({ chainStatus: s, blocks, health }) => (
          <>
            <dl class="facts card" data-testid="chain-status">
              <dt>Consortium</dt><dd>{s.name}</dd>
              <dt>This node</dt><dd>{health.status}, hosting {health.consortia} consortium(s)</dd>
              <dt>Height</dt><dd>{s.height}</dd>
              <dt>Head</dt><dd><code>{shortHash(s.headHash)}</code></dd>
              <dt>Records</dt><dd>{s.logSize} ({s.pending} not yet sealed)</dd>
              <dt>Authorities</dt><dd>{s.quorum.authoritiesInForce} in force, {s.quorum.requiredQuorum} needed to seal; this node holds {s.quorum.authorityKeysHeld} key(s); {s.quorum.canSeal ? 'sealing' : `cannot seal: ${s.quorum.sealBlockedReason ?? 'no quorum'}`}</dd>
              <dt>Witnesses</dt><dd>{s.lastCheckpoint ? `${s.lastCheckpoint.signatureCount} authority signature(s) on the checkpoint at block ${s.lastCheckpoint.blockHeight} (log size ${s.lastCheckpoint.logSize}, ${formatTime(s.lastCheckpoint.timestamp)})` : 'no signed checkpoint yet'}</dd>
              <dt>Evidence</dt><dd>Check any answer offline with its proof bundle: <code>npx provenant verify-bundle FILE --genesis HASH</code>; the whole chain with <code>npx provenant verify --consortium {session.consortium}</code>.</dd>
            </dl>
            <div class="table-scroll">
              <table>
                <caption>Latest blocks</caption>
                <thead><tr><th scope="col">Height</th><th scope="col">Hash</th><th scope="col">Sealed</th><th scope="col">Records</th><th scope="col">Seals</th></tr></thead>
                <tbody>
                  {blocks.edges.map(({ node: b }) => (
                    <tr key={b.hash}><td>{b.height}</td><td><code>{shortHash(b.hash)}</code></td><td>{formatTime(b.timestamp)}</td><td>{b.recordCount}</td><td>{b.seals.map((x) => x.orgId).join(', ')}</td></tr>
                  ))}
                </tbody>
              </table>
            </div>
          </>
        )}
      </AsyncBlock>
    </section>
  );
}
