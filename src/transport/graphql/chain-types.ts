/** Chain domain types: health, chain status, records with inclusion proofs, blocks, organisations, sealed-block notices. */
import { resolveOffsetConnection } from '@pothos/plugin-relay';
import type { Seal } from '../../core/ledger/block.js';
import type { OrgEntry } from '../../core/ledger/consortium.js';
import type { ChainStatusView, EvidenceSigner, EvidenceView, InclusionProofView, StoredBlock, StoredRecord } from '../../services/chain-reads.js';
import type { SealedBlockEvent } from '../../services/node/ledger-node.js';
import type { WitnessStatusView } from '../../services/witness-cosignatures.js';
import { withheldFieldType } from './withheld-types.js';
import type { Builder } from './builder.js';
import { serve } from './serve.js';

interface CheckpointView {
  logSize: number;
  logRoot: string;
  blockHeight: number;
  blockHash: string;
  timestamp: string;
  signatures: string;
}

/** Which witnesses cosign this node's checkpoints, and how far (docs/witness.md section 8). */
function registerWitnessTypes(builder: Builder) {
  const Cosigned = builder.objectRef<NonNullable<WitnessStatusView['lastCosigned']>>('WitnessCosignedCheckpoint').implement({
    description: 'The checkpoint of the largest log size a witness cosigned (its fields are null if this node no longer stores that checkpoint).',
    fields: (t) => ({
      logSize: t.exposeInt('logSize'),
      logRoot: t.string({ nullable: true, resolve: (c) => c.logRoot }),
      blockHeight: t.int({ nullable: true, resolve: (c) => c.blockHeight }),
      blockHash: t.string({ nullable: true, resolve: (c) => c.blockHash }),
      timestamp: t.string({ nullable: true, resolve: (c) => c.timestamp }),
      cosignedAt: t.exposeString('cosignedAt', { description: 'When this node received the cosignature.' }),
    }),
  });
  return builder.objectRef<WitnessStatusView>('ChainWitness').implement({
    description: "A witness key that cosigned this node's checkpoints, or that the node expects to (PROVENANT_WITNESS_KEYS), against the latest checkpoint.",
    fields: (t) => ({
      keyId: t.exposeString('keyId'),
      publicKey: t.exposeString('publicKey', { description: '<alg>:<base64url>, as verify-bundle --witness takes it.' }),
      expected: t.exposeBoolean('expected', { description: "Named by this node's PROVENANT_WITNESS_KEYS." }),
      lastCosigned: t.field({ type: Cosigned, nullable: true, description: 'Null: no cosignature from this key yet.', resolve: (w) => w.lastCosigned }),
      checkpointsCosigned: t.exposeInt('checkpointsCosigned'),
      coversLatestCheckpoint: t.exposeBoolean('coversLatestCheckpoint'),
      entriesBehind: t.exposeInt('entriesBehind', { description: 'Log entries of the latest checkpoint beyond the last one this key cosigned (0 when it covers it).' }),
    }),
  });
}

/** How this node follows the ordering log: derived and final heights, the authority nodes seen sealing, the lag. */
function registerFinalityTypes(builder: Builder) {
  const Peer = builder.objectRef<ChainStatusView['finality']['peers'][number]>('ChainPeer').implement({
    description: "An authority key and its last valid seal in the ordering log: how this node sees the authority nodes.",
    fields: (t) => ({
      orgId: t.string({ nullable: true, resolve: (p) => p.orgId }),
      keyId: t.exposeString('keyId'),
      local: t.exposeBoolean('local', { description: 'The key is held by this node.' }),
      inForce: t.exposeBoolean('inForce', { description: 'The key is an authority in force now.' }),
      lastSealedHeight: t.int({ nullable: true, description: 'The highest block it sealed (null: no seal seen since this node started).', resolve: (p) => p.lastSealedHeight }),
      lastSequence: t.int({ nullable: true, description: 'The log entry that carried that seal.', resolve: (p) => p.lastSequence }),
      lastSeenAt: t.string({ nullable: true, description: "The log's timestamp of that entry.", resolve: (p) => p.lastSeenAt }),
      nodeUrl: t.string({ nullable: true, description: 'The node URL its organisation registered on chain (a node.endpoint change), if any.', resolve: (p) => p.nodeUrl ?? null }),
    }),
  });

  const PeerNode = builder.objectRef<ChainStatusView['finality']['nodes'][number]>('ChainPeerNode').implement({
    description: "A member organisation's node as registered on chain (a node.endpoint change): where peer nodes reach it.",
    fields: (t) => ({
      orgId: t.exposeString('orgId'),
      url: t.exposeString('url'),
      ordering: t.exposeString('ordering', { description: 'The identity it orders under: "natsUser:NAME" or "nkey:KEY".' }),
      registeredAtLogIndex: t.exposeInt('registeredAtLogIndex'),
      local: t.exposeBoolean('local', { description: "The organisation's keys are held by this node." }),
    }),
  });

  const Finality = builder.objectRef<ChainStatusView['finality']>('ChainFinality').implement({
    description: 'Blocks derived from the consortium ordering log on this node (docs/design/network.md).',
    fields: (t) => ({
      finalHeight: t.exposeInt('finalHeight', { description: 'The last block with seals from more than two thirds of its authority set.' }),
      finalHash: t.exposeString('finalHash'),
      derivedHeight: t.exposeInt('derivedHeight', { description: 'The last block cut from the log (final or not).' }),
      lastSequence: t.exposeInt('lastSequence', { description: 'The last ordering log entry this node applied.' }),
      stuckAtHeight: t.int({ nullable: true, description: 'A derived block that can no longer reach a quorum: nothing is sealed past it.', resolve: (f) => f.stuck?.height ?? null }),
      stuckReason: t.string({ nullable: true, resolve: (f) => f.stuck?.reason ?? null }),
      haltedReason: t.string({ nullable: true, description: 'Why this node stopped deriving (a quorum sealed another block than the one it derived).', resolve: (f) => f.haltedReason }),
      peers: t.field({ type: [Peer], description: 'Every authority key in force (and any other seen sealing), by key id, with its last seal in the log.', resolve: (f) => f.peers }),
      nodes: t.field({ type: [PeerNode], description: "Every active member organisation's node registered on chain, by org id: the peers a node catches up from.", resolve: (f) => f.nodes }),
      lag: t.int({ nullable: true, description: 'Ordering log entries this node has not applied yet (null: the log does not answer).', resolve: (f) => f.lag() }),
    }),
  });
  return Finality;
}

function registerHealthType(builder: Builder) {
  return builder.objectRef<{ status: string; consortia: number }>('Health').implement({
    description: 'Public liveness; the only field anonymous callers may read.',
    fields: (t) => ({
      status: t.exposeString('status'),
      consortia: t.exposeInt('consortia', { description: 'How many consortia this node hosts.' }),
    }),
  });
}

function registerStatusTypes(builder: Builder) {
  const Health = registerHealthType(builder);

  const Checkpoint = builder.objectRef<CheckpointView>('Checkpoint').implement({
    description: 'A signed log checkpoint (log size and RFC 6962 root at a block).',
    fields: (t) => ({
      logSize: t.exposeInt('logSize'),
      logRoot: t.exposeString('logRoot'),
      blockHeight: t.exposeInt('blockHeight'),
      blockHash: t.exposeString('blockHash'),
      timestamp: t.exposeString('timestamp'),
      signatureCount: t.int({ resolve: (cp) => (JSON.parse(cp.signatures) as unknown[]).length }),
    }),
  });

  const QuorumHealth = builder.objectRef<ChainStatusView>('QuorumHealth').implement({
    fields: (t) => ({
      authoritiesInForce: t.int({ resolve: (s) => s.state.authoritiesInForce.length }),
      requiredQuorum: t.int({ resolve: (s) => s.state.requiredQuorum() }),
      authorityKeysHeld: t.exposeInt('authorityKeysHeld', { description: 'Authority keys in force that this node holds.' }),
      canSeal: t.boolean({ resolve: (s) => s.authorityKeysHeld >= s.state.requiredQuorum() }),
      sealBlockedReason: t.string({ nullable: true, resolve: (s) => s.sealBlockedReason }),
    }),
  });

  const Finality = registerFinalityTypes(builder);

  const Signer = builder.objectRef<EvidenceSigner>('ChainEvidenceSigner').implement({
    description: 'One signed header of the evidence: the authority key that sealed it, its organisation, and the block hash it sealed.',
    fields: (t) => ({
      keyId: t.exposeString('keyId'),
      orgId: t.exposeString('orgId'),
      blockHash: t.exposeString('blockHash'),
    }),
  });

  const Evidence = builder.objectRef<EvidenceView>('ChainEvidence').implement({
    description: 'Seals in the ordering log that prove misconduct or disagreement, kept with their signed headers.',
    fields: (t) => ({
      id: t.exposeString('id', { description: 'Hex SHA-256 of the evidence as kept.' }),
      kind: t.exposeString('kind', {
        description:
          'equivocation (one key sealed two blocks at one height), conflicting-seal (a seal on another block than the one derived here) or divergent-seals (authorities sealed different blocks at one height, leaving the derived one short of a quorum: the chain stops there).',
      }),
      height: t.exposeInt('height'),
      keyId: t.exposeString('keyId'),
      orgId: t.exposeString('orgId'),
      sequence: t.exposeInt('sequence', { description: 'The ordering log entry that revealed it.' }),
      detectedAt: t.exposeString('detectedAt'),
      blockHashes: t.exposeStringList('blockHashes', { description: 'The block hash of each signed header, in the order of signers.' }),
      signers: t.field({ type: [Signer], description: 'Who sealed which block, one per signed header.', resolve: (e) => e.signers }),
      signedHeaders: t.field({ type: 'JSON', description: 'The signed headers; for equivocation, { first, second } is the payload of an evidence.equivocation record.', resolve: (e) => e.body }),
    }),
  });

  const Witness = registerWitnessTypes(builder);

  const ChainStatus = builder.objectRef<ChainStatusView>('ChainStatus').implement({
    fields: (t) => ({
      consortium: t.exposeString('consortium'),
      name: t.string({ resolve: (s) => s.state.name }),
      height: t.int({ resolve: (s) => s.state.height }),
      headHash: t.string({ resolve: (s) => s.state.headHash }),
      logSize: t.int({ resolve: (s) => s.state.logSize, description: 'Records admitted, sealed or pending.' }),
      pending: t.exposeInt('pending', { description: 'Admitted records not yet sealed into a block.' }),
      lastCheckpoint: t.field({ type: Checkpoint, nullable: true, resolve: (s, _args, ctx) => ctx.reads.chain.lastCheckpoint(s.consortium) }),
      quorum: t.field({ type: QuorumHealth, resolve: (s) => s }),
      finality: t.field({ type: Finality, resolve: (s) => s.finality }),
      evidence: t.field({ type: [Evidence], description: 'Evidence found in the ordering log against authorities, oldest height first.', resolve: (s, _args, ctx) => ctx.reads.chain.evidence(s.consortium) }),
      witnesses: t.field({
        type: [Witness],
        description: 'Witnesses cosigning the checkpoints: the expected ones first, then the rest by log size cosigned (docs/witness.md).',
        resolve: (s, _args, ctx) => ctx.reads.witnesses.status(s.consortium),
      }),
    }),
  });

  const Organisation = builder.objectRef<OrgEntry & { isAuthority: boolean }>('Organisation').implement({
    fields: (t) => ({
      id: t.exposeString('id'),
      name: t.exposeString('name'),
      roles: t.stringList({ resolve: (o) => [...o.roles].sort() }),
      identifiers: t.field({ type: 'JSON', resolve: (o) => o.identifiers }),
      status: t.exposeString('status'),
      isAuthority: t.exposeBoolean('isAuthority'),
    }),
  });

  const BlockSealed = builder.objectRef<SealedBlockEvent>('BlockSealed').implement({
    fields: (t) => ({
      consortium: t.exposeString('consortium'),
      height: t.int({ resolve: (e) => e.header.height }),
      hash: t.exposeString('hash'),
      recordCount: t.int({ resolve: (e) => e.header.recordCount }),
      logSize: t.int({ resolve: (e) => e.header.logSize }),
      timestamp: t.string({ resolve: (e) => e.header.timestamp }),
    }),
  });
  return { Health, ChainStatus, Organisation, BlockSealed };
}

function registerRecordType(builder: Builder) {
  const Signer = builder.objectRef<{ keyId: string; orgId: string | null }>('Signer').implement({
    fields: (t) => ({
      keyId: t.exposeString('keyId'),
      orgId: t.exposeString('orgId', { nullable: true, description: 'Organisation owning the key (directly or through a device).' }),
    }),
  });

  const InclusionProof = builder.objectRef<InclusionProofView>('InclusionProof').implement({
    description: "RFC 6962 inclusion proof of the record hash (leaf data) in its block's Merkle tree.",
    fields: (t) => ({
      leafIndex: t.exposeInt('leafIndex'),
      treeSize: t.exposeInt('treeSize'),
      merkleRoot: t.exposeString('merkleRoot', { description: "The block header's merkleRoot." }),
      path: t.exposeStringList('path', { description: 'Sibling hashes, hex, leaf to root.' }),
    }),
  });

  return builder.objectRef<StoredRecord>('LedgerRecord').implement({
    description: 'A signed ledger record; its hash is its identity.',
    fields: (t) => ({
      hash: t.exposeString('hash'),
      consortium: t.exposeString('consortiumId'),
      kind: t.exposeString('kind'),
      signer: t.field({ type: Signer, resolve: (r, _args, ctx) => ({ keyId: r.signer, orgId: ctx.reads.chain.orgOfSigner(r.consortiumId, r.signer) }) }),
      signedAt: t.exposeString('signedAt'),
      receivedAt: t.exposeString('receivedAt'),
      logIndex: t.exposeInt('logIndex'),
      payload: t.field({
        type: 'JSON',
        description: 'The signed payload; an inspection finding you may not read is withheld (see redacted). Reading another organisation’s payload is access-logged.',
        resolve: (r, _args, ctx) => serve(() => ctx.reads.chain.payload(ctx, r)),
      }),
      redacted: t.boolean({
        description: 'The payload is shown without its inspection finding (you are not the farm of origin, the inspecting abattoir or a regulator).',
        resolve: (r, _args, ctx) => serve(() => ctx.reads.chain.redacted(ctx, r)),
      }),
      withheld: t.field({
        type: [withheldFieldType(builder)],
        description: 'Fields the signed event holds only as salted commitments (docs/redaction.md): value and salt when you see the event in full, else the commitment only.',
        resolve: (r, _args, ctx) => serve(() => ctx.reads.chain.withheld(ctx, r)),
      }),
      withheldFields: t.stringList({ description: 'Event fields withheld from the payload when redacted.', resolve: (r, _args, ctx) => serve(() => ctx.reads.chain.withheldFields(ctx, r)) }),
      blockHeight: t.exposeInt('blockHeight', { nullable: true, description: 'Null while pending.' }),
      indexInBlock: t.exposeInt('indexInBlock', { nullable: true }),
      blockHash: t.string({ nullable: true, resolve: (r, _args, ctx) => ctx.reads.chain.blockHashOf(r) }),
      inclusionProof: t.field({ type: InclusionProof, nullable: true, resolve: (r, _args, ctx) => ctx.reads.chain.inclusionProof(r) }),
    }),
  });
}

function registerBlockType(builder: Builder, LedgerRecord: ReturnType<typeof registerRecordType>) {
  const SealRef = builder.objectRef<Seal & { orgId: string | null }>('Seal').implement({
    fields: (t) => ({
      keyId: t.exposeString('keyId'),
      orgId: t.exposeString('orgId', { nullable: true }),
      signature: t.exposeString('signature'),
    }),
  });

  const Block = builder.objectRef<StoredBlock>('Block').implement({
    fields: (t) => ({
      consortium: t.exposeString('consortiumId'),
      height: t.exposeInt('height'),
      hash: t.exposeString('hash'),
      previousHash: t.exposeString('previousHash'),
      merkleRoot: t.exposeString('merkleRoot'),
      recordCount: t.exposeInt('recordCount'),
      logSize: t.exposeInt('logSize'),
      timestamp: t.exposeString('timestamp'),
      authoritySetHash: t.exposeString('authoritySetHash'),
      seals: t.field({ type: [SealRef], resolve: (b, _args, ctx) => ctx.reads.chain.seals(b) }),
      records: t.connection({
        type: LedgerRecord,
        description: 'The block’s records you may see, in block order (others are left out; cursors stay block positions).',
        resolve: (b, args, ctx) =>
          serve(async () => {
            let shown: (row: StoredRecord) => boolean = () => false;
            const page = await resolveOffsetConnection({ args, totalCount: b.recordCount }, async ({ offset, limit }) => {
              const read = await ctx.reads.chain.blockRecords(ctx, b, offset, limit);
              shown = read.shown;
              return read.rows;
            });
            return { ...page, edges: page.edges.filter((e): e is NonNullable<typeof e> => e !== null && shown(e.node)) };
          }),
      }),
    }),
  });

  builder.objectField(LedgerRecord, 'block', (t) =>
    t.field({ type: Block, nullable: true, description: 'The block that sealed this record; null while pending.', resolve: (r, _args, ctx) => ctx.reads.chain.blockOf(r) }),
  );
  return Block;
}

export function registerChainTypes(builder: Builder) {
  const status = registerStatusTypes(builder);
  const LedgerRecord = registerRecordType(builder);
  const Block = registerBlockType(builder, LedgerRecord);
  return { ...status, LedgerRecord, Block };
}

export type ChainRefs = Pick<ReturnType<typeof registerChainTypes>, 'LedgerRecord' | 'Block' | 'Organisation' | 'ChainStatus'>;
