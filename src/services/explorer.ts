/**
 * What the web explorer asks beyond GraphQL: who a token signs in as, the demo sign-in tokens (demo
 * nodes only), an organisation's roles at a record's log index, a proof bundle of the records
 * behind an answer (cut by the read policy to the records the viewer may read in full, as
 * record(hash) decides them, and access-logged alike), a container's temperature legs
 * (cold-chain-legs.ts) and the public passport (passport.ts).
 */
import { CodedError } from '../core/coded-error.js';
import type { Role } from '../core/ledger/governance.js';
import { BundleError, type BundleAnswer, type ProofBundle } from '../core/lineage/bundle.js';
import { exportProofBundle } from '../store/bundle-store.js';
import { redactEvent } from '../core/lineage/visibility.js';
import { commitmentsOf, withheldViews } from './withheld-reads.js';
import type { Database } from '../store/database.js';
import { LineageStore } from '../store/lineage-store.js';
import { issueApiToken } from './auth.js';
import { temperatureLegs, type TemperatureLeg } from './cold-chain-legs.js';
import { hostedState, type NodeHandles } from './node-handles.js';
import type { LedgerNode } from './node/ledger-node.js';
import { MAX_BUNDLE_IDENTIFIERS, answerBundle } from './lineage/answer-bundle.js';
import { DEMO_CONSORTIUM_ID, DEMO_ORGS } from './node/demo-consortium.js';
import { publicPassport, type PublicPassport } from './passport.js';
import { requireMember, requireViewer, type ReadContext } from './read-context.js';
import { Visibility } from './visibility.js';

export type ExplorerErrorCode = 'BAD_REQUEST' | 'NOT_FOUND' | 'NOTHING_TO_BUNDLE' | 'INCOMPLETE';

export class ExplorerError extends CodedError<ExplorerErrorCode> {
  override readonly name = 'ExplorerError';
}

export interface SessionInfo {
  consortium: string;
  consortiumName: string;
  orgId: string;
  orgName: string;
  roles: Role[];
  isRegulator: boolean;
}

export interface DemoToken {
  orgId: string;
  name: string;
  roles: Role[];
  token: string;
}

/** The demo organisations a visitor may sign in as, one per role the explorer's views serve. */
export const DEMO_SIGN_IN_ORGS = ['fsa', 'hmrc', 'riverside-retail', 'vale-processors', 'northern-abattoir', 'highfield-farm'] as const;

/** Issues one API token per demo organisation (label "explorer demo"); only a node started with --demo calls this. */
export async function issueDemoTokens(node: LedgerNode, db: Database): Promise<DemoToken[]> {
  if (!node.consortia().includes(DEMO_CONSORTIUM_ID)) return [];
  const state = node.state(DEMO_CONSORTIUM_ID);
  const out: DemoToken[] = [];
  for (const orgId of DEMO_SIGN_IN_ORGS) {
    const org = state.orgs.get(orgId);
    const spec = DEMO_ORGS.find((o) => o.id === orgId);
    if (!org || !spec || org.status !== 'active') continue;
    const issued = await issueApiToken(db, DEMO_CONSORTIUM_ID, orgId, 'explorer demo');
    out.push({ orgId, name: org.name, roles: [...org.roles].sort(), token: issued.token });
  }
  return out;
}

export const MAX_BUNDLE_RECORDS = 2000;
const HEX64 = /^[0-9a-f]{64}$/;

export interface ViewerBundle {
  bundle: ProofBundle;
  /** Records asked for that the viewer may not read in full (or that are not sealed under a checkpoint yet). */
  omitted: { recordHash: string; reason: string }[];
}

/** What an answer bundle states it answers, as the explorer posts it: the query and every identifier the answer visited. */
export interface ExplorerAnswer {
  query: unknown;
  identifiers: unknown;
}

function checkedAnswer(answer: ExplorerAnswer): { query: BundleAnswer['query']; identifiers: string[] } {
  const { query, identifiers } = answer;
  const plain = typeof query === 'object' && query !== null && !Array.isArray(query) && typeof (query as { kind?: unknown }).kind === 'string';
  if (!plain || JSON.stringify(query).length > 2000) throw new ExplorerError('BAD_REQUEST', 'query must be an object naming its kind (at most 2000 characters of JSON)');
  if (!Array.isArray(identifiers) || identifiers.length === 0 || identifiers.length > MAX_BUNDLE_IDENTIFIERS || !identifiers.every((i) => typeof i === 'string' && i.length > 0 && i.length <= 500)) {
    throw new ExplorerError('BAD_REQUEST', `identifiers must be a list of 1..${MAX_BUNDLE_IDENTIFIERS} identifiers`, { count: Array.isArray(identifiers) ? identifiers.length : null });
  }
  return { query: query as BundleAnswer['query'], identifiers: identifiers as string[] };
}

function requireRecordHashes(recordHashes: readonly unknown[]): string[] {
  if (!Array.isArray(recordHashes) || recordHashes.length === 0 || recordHashes.length > MAX_BUNDLE_RECORDS) {
    throw new ExplorerError('BAD_REQUEST', `records must be a list of 1..${MAX_BUNDLE_RECORDS} record hashes`, { count: Array.isArray(recordHashes) ? recordHashes.length : null });
  }
  const bad = recordHashes.find((h) => typeof h !== 'string' || !HEX64.test(h));
  if (bad !== undefined) throw new ExplorerError('BAD_REQUEST', 'a record hash is 64 lower-case hex characters', { recordHash: bad });
  return [...new Set(recordHashes as string[])];
}

/** The viewer, as a member of its own consortium (the read policy's consortium rule). */
function member(rc: ReadContext) {
  return requireMember(rc, requireViewer(rc).consortiumId);
}

export class ExplorerReads {
  readonly #visibility: Visibility;

  constructor(private readonly handles: NodeHandles) {
    this.#visibility = new Visibility(handles.db, (id) => hostedState(handles.node, id));
  }

  session(rc: ReadContext): SessionInfo {
    const viewer = member(rc);
    const state = this.handles.node.state(viewer.consortiumId);
    return {
      consortium: viewer.consortiumId,
      consortiumName: state.name,
      orgId: viewer.orgId,
      orgName: state.orgs.get(viewer.orgId)?.name ?? viewer.orgId,
      roles: [...viewer.roles].sort(),
      isRegulator: viewer.isRegulator,
    };
  }

  /** Roles the organisation held for a record at this log index (membership, which every member of the consortium sees). */
  rolesAt(rc: ReadContext, orgId: string, logIndex: number): { orgId: string; orgName: string | null; logIndex: number; roles: Role[] | null } {
    const viewer = member(rc);
    if (!Number.isSafeInteger(logIndex) || logIndex < 0) throw new ExplorerError('BAD_REQUEST', 'logIndex must be a non-negative integer', { logIndex });
    const state = this.handles.node.state(viewer.consortiumId);
    if (logIndex >= state.logSize) throw new ExplorerError('BAD_REQUEST', `logIndex ${logIndex} is beyond the log (size ${state.logSize})`, { logIndex });
    const roles = state.rolesAt(orgId, logIndex);
    return { orgId, orgName: state.orgs.get(orgId)?.name ?? null, logIndex, roles: roles ? [...roles].sort() : null };
  }

  /** For each record hash, why the viewer may not have it in full (absent: they may), with the visibility decisions. */
  async #withheld(viewer: ReturnType<typeof member>, hashes: readonly string[]) {
    const consortiumId = viewer.consortiumId;
    const rows = await new LineageStore(this.handles.db, consortiumId).records([...hashes]);
    const forVisibility = rows.map((r) => {
      const body = JSON.parse(r.body) as { kind?: unknown; signer?: unknown };
      return { hash: r.hash, consortiumId: r.consortiumId, kind: String(body.kind ?? ''), signer: String(body.signer ?? ''), body: r.body };
    });
    const decisions = await this.#visibility.decideRecords(viewer, forVisibility);
    const checkpoint = await this.handles.store.latestCheckpoint(consortiumId);
    const withheld = new Map<string, string>();
    const found = new Map(rows.map((r) => [r.hash, r]));
    for (const hash of hashes) {
      const row = found.get(hash);
      const visibility = decisions.get(hash)?.visibility;
      if (!row || visibility === undefined || visibility === 'HIDDEN') withheld.set(hash, 'not yours to see');
      // A redacted record goes in only when its signed event holds nothing the redaction hides (its finding committed, docs/redaction.md).
      else if (visibility === 'REDACTED' && !findingCommitted(row.body)) withheld.set(hash, 'its inspection finding is withheld from you');
      else if (row.blockHeight === null || !checkpoint || row.logIndex >= checkpoint.logSize) withheld.set(hash, 'not yet covered by a signed checkpoint');
    }
    return { withheld, decisions };
  }

  /**
   * A proof bundle of the records the viewer may read in full among those asked for (as
   * record(hash) decides each); the rest are named as omitted. With the answer (query and
   * identifiers) it is a v2 bundle proving each identifier's history complete at its checkpoint;
   * records of those histories the viewer may not read are withheld. Each bundled record of
   * another organisation goes into its access log, as a record read does.
   */
  async proofBundle(rc: ReadContext, recordHashes: readonly unknown[], answer?: ExplorerAnswer): Promise<ViewerBundle> {
    const viewer = member(rc);
    const hashes = requireRecordHashes(recordHashes);
    const consortiumId = viewer.consortiumId;
    if (answer) {
      const { query, identifiers } = checkedAnswer(answer);
      const omitted = new Map<string, string>();
      let decided: Awaited<ReturnType<Visibility['decideRecords']>> = new Map();
      const withhold = async (named: string[]) => {
        const { withheld, decisions } = await this.#withheld(viewer, named);
        decided = decisions;
        for (const [h, why] of withheld) omitted.set(h, why);
        return withheld;
      };
      const bundle = await answerBundle(this.handles.node, this.handles.store, consortiumId, { query, identifiers, recordHashes: hashes, withhold }).catch((err: unknown) => {
        throw err instanceof BundleError && err.code === 'BUNDLE_INCOMPLETE' ? new ExplorerError('INCOMPLETE', err.message, err.details) : err;
      });
      for (const r of bundle.records) rc.access.record(decided.get(r.hash));
      await this.#addOpenings(bundle, decided);
      return { bundle, omitted: [...omitted].map(([recordHash, reason]) => ({ recordHash, reason })) };
    }
    const { withheld, decisions } = await this.#withheld(viewer, hashes);
    const omitted: ViewerBundle['omitted'] = [...withheld].map(([recordHash, reason]) => ({ recordHash, reason }));
    const kept = hashes.filter((h) => !withheld.has(h));
    if (kept.length === 0) throw new ExplorerError('NOTHING_TO_BUNDLE', 'none of these records can be bundled for you', { omitted });
    const bundle = await exportProofBundle(this.handles.store, consortiumId, kept);
    for (const hash of kept) rc.access.record(decisions.get(hash));
    await this.#addOpenings(bundle, decisions);
    return { bundle, omitted };
  }

  /** The openings of the bundled records the viewer sees in full (VISIBLE), for `verify-bundle` to check. */
  async #addOpenings(bundle: ProofBundle, decisions: ReadonlyMap<string, { visibility: string } | undefined>): Promise<void> {
    const subjects = bundle.records.map((r) => ({ recordHash: r.hash, event: (r.record.payload as { event?: unknown } | null)?.event, open: decisions.get(r.hash)?.visibility === 'VISIBLE' }));
    const views = await withheldViews(this.handles.db, bundle.consortium, subjects);
    const openings = [...views].flatMap(([recordHash, list]) => list.filter((v) => v.salt !== null && (v.verdict === 'VERIFIED' || v.verdict === 'FAILED')).map((v) => ({ recordHash, path: v.path, commitment: v.commitment, value: v.value!, salt: v.salt! })));
    if (openings.length > 0) bundle.openings = openings;
  }

  /** The temperature legs of a container or lot, cut by the read policy (cold-chain-legs.ts). */
  temperatureLegs(rc: ReadContext, identifier: string): Promise<TemperatureLeg[]> {
    return temperatureLegs(this.handles, this.#visibility, rc, identifier);
  }

  /** The public passport of a trade item: the same public fields for every caller, with a token or without. */
  publicPassport(rc: ReadContext, identifier: string, now?: () => Date): Promise<PublicPassport> {
    return publicPassport(this.handles, rc.viewer, identifier, now);
  }
}

/** True when the record's event carries withheld-field commitments and nothing in clear that a redaction would withhold. */
function findingCommitted(body: string): boolean {
  const event = (JSON.parse(body) as { payload?: { event?: unknown } }).payload?.event;
  return commitmentsOf(event).length > 0 && redactEvent(event).withheld.length === 0;
}
