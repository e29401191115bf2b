/** Chain domain: health, chain status, records with inclusion proofs, blocks, organisations, blockSealed. */
import { resolveArrayConnection, resolveCursorConnection, resolveOffsetConnection, type ResolveCursorConnectionArgs } from '@pothos/plugin-relay';
import { fromHex, toHex } from '../../core/crypto/index.js';
import type { Seal } from '../../core/ledger/block.js';
import type { ConsortiumState, OrgEntry } from '../../core/ledger/consortium.js';
import { inclusionProof, leafHash } from '../../core/ledger/merkle.js';
import type { SealedBlockEvent } from '../../services/node/ledger-node.js';
import type { Block as BlockRow, LedgerRecord as RecordRow } from '../../generated/prisma/client.js';
import { isShown, redactEvent } from '../../core/lineage/visibility.js';
import { VisibilityStore, type RecordDecision } from '../../store/visibility-store.js';
import { ACCESS_SUBJECT, recordAccess } from './access-log.js';
import { requireMember, requireViewer, type Builder, type GraphqlContext } from './builder.js';
import { ForbiddenError, InvalidIdentifierError, NotFoundError } from './errors.js';

const HEX64 = /^[0-9a-f]{64}$/;

interface ChainStatusView {
  consortium: string;
  state: ConsortiumState;
  pending: number;
  sealBlockedReason: string | null;
  authorityKeysHeld: number;
}

interface CheckpointView {
  logSize: number;
  logRoot: string;
  blockHeight: number;
  blockHash: string;
  timestamp: string;
  signatures: string;
}

interface InclusionProofView {
  leafIndex: number;
  treeSize: number;
  merkleRoot: string;
  path: string[];
}

function liveState(ctx: GraphqlContext, consortiumId: string): ConsortiumState {
  requireMember(ctx, consortiumId);
  if (!ctx.app.node.consortia().includes(consortiumId)) throw new NotFoundError(`unknown consortium "${consortiumId}"`, { consortium: consortiumId });
  return ctx.app.node.state(consortiumId);
}

/** Organisation that owns a signing key (org key or device key); null if the key is unknown. */
function orgOfSigner(state: ConsortiumState | undefined, keyId: string): string | null {
  if (!state) return null;
  return state.orgOfKey(keyId)?.id ?? state.deviceKeys.get(keyId)?.orgId ?? null;
}

function stateOf(ctx: GraphqlContext, consortiumId: string): ConsortiumState | undefined {
  return ctx.app.node.consortia().includes(consortiumId) ? ctx.app.node.state(consortiumId) : undefined;
}

/** Decisions already made for rows this request returned (rows are per-request objects). */
const recordDecisions = new WeakMap<RecordRow, RecordDecision>();

/** Who may see each record (src/lineage/visibility.ts); records of other consortia are not the viewer's. */
async function decideRecordRows(ctx: GraphqlContext, rows: readonly RecordRow[]): Promise<Map<string, RecordDecision>> {
  const viewer = requireViewer(ctx);
  const out = new Map<string, RecordDecision>();
  const mine = rows.filter((r) => r.consortiumId === viewer.consortiumId);
  for (const r of rows) if (r.consortiumId !== viewer.consortiumId) out.set(r.hash, { decision: { visibility: 'HIDDEN', reason: 'OTHER_CONSORTIUM' }, ownerOrg: null });
  const state = stateOf(ctx, viewer.consortiumId);
  if (mine.length > 0 && state) {
    const store = new VisibilityStore(ctx.app.db, viewer.consortiumId, state);
    const decided = await store.decideRecords({ orgId: viewer.orgId, consortiumId: viewer.consortiumId, roles: viewer.roles }, mine);
    for (const [hash, d] of decided) out.set(hash, d);
  }
  for (const r of rows) {
    const d = out.get(r.hash);
    if (d) recordDecisions.set(r, d);
  }
  return out;
}

async function recordDecision(ctx: GraphqlContext, row: RecordRow): Promise<RecordDecision> {
  const known = recordDecisions.get(row);
  if (known) return known;
  return (await decideRecordRows(ctx, [row])).get(row.hash) ?? { decision: { visibility: 'HIDDEN', reason: 'NOT_ENTITLED' }, ownerOrg: null };
}

function forbiddenRecord(hash: string): ForbiddenError {
  return new ForbiddenError(`record ${hash} is another organisation's and nothing you hold entitles you to it (docs/access.md)`, { hash });
}

function parseHeightCursor(cursor: string | undefined): number | undefined {
  if (cursor === undefined) return undefined;
  const height = Number(cursor);
  if (!Number.isSafeInteger(height) || height < 0) throw new InvalidIdentifierError(`bad cursor "${cursor}"`, { cursor });
  return height;
}

export function registerChain(builder: Builder) {
  const Health = builder.objectRef<{ status: string; consortia: number }>('Health').implement({
    description: 'Public liveness; the only field anonymous callers may read.',
    fields: (t) => ({
      status: t.exposeString('status'),
      consortia: t.exposeInt('consortia', { description: 'How many consortia this node hosts.' }),
    }),
  });

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

  const ChainStatus = builder.objectRef<ChainStatusView>('ChainStatus').implement({
    fields: (t) => ({
      consortium: t.exposeString('consortium'),
      name: t.string({ resolve: (s) => s.state.name }),
      height: t.int({ resolve: (s) => s.state.height }),
      headHash: t.string({ resolve: (s) => s.state.headHash }),
      logSize: t.int({ resolve: (s) => s.state.logSize, description: 'Records admitted, sealed or pending.' }),
      pending: t.exposeInt('pending', { description: 'Admitted records not yet sealed into a block.' }),
      lastCheckpoint: t.field({
        type: Checkpoint,
        nullable: true,
        resolve: (s, _args, ctx) => ctx.app.store.latestCheckpoint(s.consortium),
      }),
      quorum: t.field({ type: QuorumHealth, resolve: (s) => s }),
    }),
  });

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

  const LedgerRecord = builder.objectRef<RecordRow>('LedgerRecord').implement({
    description: 'A signed ledger record; its hash is its identity.',
    fields: (t) => ({
      hash: t.exposeString('hash'),
      consortium: t.exposeString('consortiumId'),
      kind: t.exposeString('kind'),
      signer: t.field({
        type: Signer,
        resolve: (r, _args, ctx) => ({ keyId: r.signer, orgId: orgOfSigner(stateOf(ctx, r.consortiumId), r.signer) }),
      }),
      signedAt: t.exposeString('signedAt'),
      receivedAt: t.exposeString('receivedAt'),
      logIndex: t.exposeInt('logIndex'),
      payload: t.field({
        type: 'JSON',
        description: 'The signed payload; an inspection finding you may not read is withheld (see redacted). Reading another organisation’s payload is access-logged.',
        resolve: async (r, _args, ctx) => {
          const { decision, ownerOrg } = await recordDecision(ctx, r);
          if (!isShown(decision)) throw forbiddenRecord(r.hash);
          const payload = (JSON.parse(r.body) as { payload: unknown }).payload;
          const redacted = decision.visibility === 'REDACTED';
          if (ownerOrg) recordAccess(ctx, { ownerOrgId: ownerOrg, subjectType: redacted ? ACCESS_SUBJECT.REDACTED_RECORD : ACCESS_SUBJECT.RECORD, subjectId: r.hash });
          if (!redacted || !payload || typeof payload !== 'object') return payload;
          return { ...(payload as Record<string, unknown>), event: redactEvent((payload as { event?: unknown }).event).event };
        },
      }),
      redacted: t.boolean({
        description: 'The payload is shown without its inspection finding (you are not the farm of origin, the inspecting abattoir or a regulator).',
        resolve: async (r, _args, ctx) => (await recordDecision(ctx, r)).decision.visibility === 'REDACTED',
      }),
      withheldFields: t.stringList({
        description: 'Event fields withheld from the payload when redacted.',
        resolve: async (r, _args, ctx) => {
          if ((await recordDecision(ctx, r)).decision.visibility !== 'REDACTED') return [];
          return redactEvent((JSON.parse(r.body) as { payload?: { event?: unknown } }).payload?.event).withheld;
        },
      }),
      blockHeight: t.exposeInt('blockHeight', { nullable: true, description: 'Null while pending.' }),
      indexInBlock: t.exposeInt('indexInBlock', { nullable: true }),
      blockHash: t.string({
        nullable: true,
        resolve: async (r, _args, ctx) =>
          r.blockHeight === null
            ? null
            : ((await ctx.app.db.block.findUnique({ where: { consortiumId_height: { consortiumId: r.consortiumId, height: r.blockHeight } }, select: { hash: true } }))?.hash ?? null),
      }),
      inclusionProof: t.field({
        type: InclusionProof,
        nullable: true,
        resolve: async (r, _args, ctx) => {
          if (r.blockHeight === null || r.indexInBlock === null) return null;
          const [block, rows] = await Promise.all([
            ctx.app.db.block.findUnique({ where: { consortiumId_height: { consortiumId: r.consortiumId, height: r.blockHeight } }, select: { merkleRoot: true } }),
            ctx.app.db.ledgerRecord.findMany({
              where: { consortiumId: r.consortiumId, blockHeight: r.blockHeight },
              orderBy: { indexInBlock: 'asc' },
              select: { hash: true },
            }),
          ]);
          if (!block) return null;
          const leaves = rows.map((row) => leafHash(fromHex(row.hash, 32)));
          return { leafIndex: r.indexInBlock, treeSize: leaves.length, merkleRoot: block.merkleRoot, path: inclusionProof(leaves, r.indexInBlock).map(toHex) };
        },
      }),
    }),
  });

  const SealRef = builder.objectRef<Seal & { orgId: string | null }>('Seal').implement({
    fields: (t) => ({
      keyId: t.exposeString('keyId'),
      orgId: t.exposeString('orgId', { nullable: true }),
      signature: t.exposeString('signature'),
    }),
  });

  const Block = builder.objectRef<BlockRow>('Block').implement({
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
      seals: t.field({
        type: [SealRef],
        resolve: (b, _args, ctx) => {
          const state = stateOf(ctx, b.consortiumId);
          return (JSON.parse(b.seals) as Seal[]).map((s) => ({ ...s, orgId: orgOfSigner(state, s.keyId) }));
        },
      }),
      records: t.connection({
        type: LedgerRecord,
        description: 'The block’s records you may see, in block order (others are left out; cursors stay block positions).',
        resolve: async (b, args, ctx) => {
          const page = await resolveOffsetConnection({ args, totalCount: b.recordCount }, ({ offset, limit }) =>
            ctx.app.db.ledgerRecord.findMany({
              where: { consortiumId: b.consortiumId, blockHeight: b.height },
              orderBy: { indexInBlock: 'asc' },
              skip: offset,
              take: limit,
            }),
          );
          const edges = page.edges.filter((e): e is NonNullable<typeof e> => e !== null);
          const decisions = await decideRecordRows(ctx, edges.map((e) => e.node));
          return { ...page, edges: edges.filter((e) => isShown(decisions.get(e.node.hash)?.decision)) };
        },
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

  builder.objectField(LedgerRecord, 'block', (t) =>
    t.field({
      type: Block,
      nullable: true,
      description: 'The block that sealed this record; null while pending.',
      resolve: (r, _args, ctx) =>
        r.blockHeight === null ? null : ctx.app.db.block.findUnique({ where: { consortiumId_height: { consortiumId: r.consortiumId, height: r.blockHeight } } }),
    }),
  );

  builder.queryFields((t) => ({
    health: t.field({
      type: Health,
      resolve: (_root, _args, ctx) => ({ status: 'ok', consortia: ctx.app.node.consortia().length }),
    }),

    chainStatus: t.field({
      type: ChainStatus,
      args: { consortium: t.arg.id({ required: true }) },
      errors: { types: [NotFoundError], directResult: true },
      resolve: (_root, args, ctx) => {
        const consortium = String(args.consortium);
        const state = liveState(ctx, consortium);
        const seal = ctx.app.node.sealStatus(consortium);
        const held = new Set(ctx.app.keystore.list().map((k) => k.keyPair.keyId));
        return {
          consortium,
          state,
          pending: seal.pending,
          sealBlockedReason: seal.blockedReason ?? null,
          authorityKeysHeld: state.authoritiesInForce.filter((a) => held.has(a.keyId)).length,
        };
      },
    }),

    record: t.field({
      type: LedgerRecord,
      args: { hash: t.arg.string({ required: true, description: 'Record hash, 64 lower-case hex characters.' }) },
      errors: { types: [NotFoundError, InvalidIdentifierError], directResult: true },
      resolve: async (_root, args, ctx) => {
        const viewer = requireViewer(ctx);
        const hash = args.hash.toLowerCase();
        if (!HEX64.test(hash)) throw new InvalidIdentifierError('a record hash is 64 hex characters', { hash: args.hash });
        const row = await ctx.app.db.ledgerRecord.findUnique({ where: { hash } });
        // Records of other consortia are as good as absent.
        if (!row || row.consortiumId !== viewer.consortiumId) throw new NotFoundError(`no record ${hash}`, { hash });
        const { decision } = (await decideRecordRows(ctx, [row])).get(row.hash)!;
        if (!isShown(decision)) throw forbiddenRecord(hash);
        return row;
      },
    }),

    block: t.field({
      type: Block,
      args: { consortium: t.arg.id({ required: true }), height: t.arg.int({ required: true }) },
      errors: { types: [NotFoundError], directResult: true },
      resolve: async (_root, args, ctx) => {
        const consortiumId = String(args.consortium);
        liveState(ctx, consortiumId);
        const row = await ctx.app.db.block.findUnique({ where: { consortiumId_height: { consortiumId, height: args.height } } });
        if (!row) throw new NotFoundError(`no block ${args.height} in "${consortiumId}"`, { consortium: consortiumId, height: args.height });
        return row;
      },
    }),

    blocks: t.connection({
      type: Block,
      description: 'Blocks, newest first.',
      args: { consortium: t.arg.id({ required: true }) },
      errors: { types: [NotFoundError, InvalidIdentifierError], directResult: true },
      resolve: (_root, args, ctx) => {
        const consortiumId = String(args.consortium);
        liveState(ctx, consortiumId);
        return resolveCursorConnection(
          { args, toCursor: (b: BlockRow) => String(b.height) },
          ({ before, after, limit, inverted }: ResolveCursorConnectionArgs) => {
            const below = parseHeightCursor(after);
            const above = parseHeightCursor(before);
            return ctx.app.db.block.findMany({
              where: { consortiumId, height: { ...(below !== undefined ? { lt: below } : {}), ...(above !== undefined ? { gt: above } : {}) } },
              orderBy: { height: inverted ? 'asc' : 'desc' },
              take: limit,
            });
          },
        );
      },
    }),

    organisations: t.connection({
      type: Organisation,
      description: 'Member organisations in the live consortium state, by id.',
      args: { consortium: t.arg.id({ required: true }) },
      errors: { types: [NotFoundError], directResult: true },
      resolve: (_root, args, ctx) => {
        const state = liveState(ctx, String(args.consortium));
        const orgs = [...state.orgs.values()]
          .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
          .map((o) => ({ ...o, isAuthority: state.isAuthorityOrg(o.id) }));
        return resolveArrayConnection({ args }, orgs);
      },
    }),
  }));

  builder.subscriptionFields((t) => ({
    blockSealed: t.field({
      type: BlockSealed,
      description: 'Each block this node seals in the consortium.',
      args: { consortium: t.arg.id({ required: true }) },
      subscribe: (_root, args, ctx) => {
        // No result union on subscriptions: the typed error goes out with its code.
        requireMember(ctx, String(args.consortium));
        return ctx.pubsub.subscribe('blockSealed', String(args.consortium));
      },
      resolve: (event) => event,
    }),
  }));

  return { LedgerRecord, Block, Organisation, ChainStatus };
}

export type ChainRefs = ReturnType<typeof registerChain>;
