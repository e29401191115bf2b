/**
 * Membership replay for proof bundles (shared by build and verify): genesis and every membership
 * record in log order through admitRecord, the signer standing of each trace record at its own log
 * index, and from that the authority sets in force at each bundled height and the signers.
 */
import { hashAuthoritySet, type AuthorityEntry } from '../ledger/state-types.js';
import { admitRecord, requireActiveSigner } from '../ledger/admission.js';
import { BatchSignatureCache } from '../ledger/batch-signature.js';
import type { BlockHeader } from '../ledger/block.js';
import type { Checkpoint } from '../ledger/checkpoint.js';
import { LedgerError } from '../ledger/errors.js';
import { RecordKind, verifyRecordSignature } from '../ledger/record.js';
import { statedEventOf } from '../ledger/records/index.js';
import { requireWindowOwnership } from '../ledger/records/sensor-window.js';
import { ConsortiumState } from '../ledger/state.js';
import { ruleFor } from '../rules/authorisation.js';
import type { BundleAuthority, BundleAuthoritySet, BundleRecord, BundleSigner } from './bundle-types.js';

/** Reports one failure at a JSON pointer into the bundle. */
export type FailAt = (path: string, code: string, message: string, extra?: { expected?: unknown; computed?: unknown }) => void;

export interface Replay {
  finalState: ConsortiumState;
  /** Authority set in force for each needed block height. */
  setsByHeight: Map<number, AuthorityEntry[]>;
}

export function neededHeights(blocks: readonly { header: BlockHeader }[], checkpoint: Checkpoint): number[] {
  const heights = new Set<number>(blocks.map((b) => b.header.height));
  heights.add(checkpoint.blockHeight + 1); // checkpoints are signed by the set in force after their block
  return [...heights].sort((a, b) => a - b);
}

/**
 * Replays genesis and the membership records in log order (admitRecord at their log index), and
 * checks each trace record's signer standing at its own log index. An authority change approved
 * in block h is in force from block h + 1 (closeBlock), so the set for height H is the pending set
 * after every membership record in blocks below H. Returns null when genesis cannot be read.
 */
export function replayMembership(
  membership: readonly BundleRecord[],
  trace: readonly BundleRecord[],
  heights: readonly number[],
  fail: FailAt,
  tracePaths: readonly string[] = trace.map((_, i) => `/records/${i}`),
): Replay | null {
  const genesis = membership[0];
  if (!genesis || genesis.record?.kind !== RecordKind.GENESIS || genesis.logIndex !== 0) {
    fail('/membershipRecords/0', 'MISSING_GENESIS', 'the first membership record must be the genesis record at log index 0');
    return null;
  }
  let state: ConsortiumState;
  try {
    state = ConsortiumState.fromGenesisRecord(genesis.record, genesis.hash);
  } catch (err) {
    failFrom(fail, '/membershipRecords/0/record', err);
    return null;
  }
  const membershipHashes = new Set(membership.map((m) => m.hash));
  type Step = { entry: BundleRecord; path: string; membership: boolean };
  const steps: Step[] = [
    ...membership.slice(1).map((entry, i) => ({ entry, path: `/membershipRecords/${i + 1}`, membership: true })),
    ...trace.map((entry, i) => ({ entry, path: tracePaths[i]!, membership: false })).filter((s) => !membershipHashes.has(s.entry.hash)),
  ].sort((a, b) => a.entry.logIndex - b.entry.logIndex);

  // Each batch signature is checked once per bundle.
  const batchCache = new BatchSignatureCache();
  const setsByHeight = new Map<number, AuthorityEntry[]>();
  const pendingHeights = [...heights];
  let currentHeight = 0;
  const takeSetsBelowOrAt = (height: number): void => {
    while (pendingHeights.length > 0 && pendingHeights[0]! <= height) {
      const h = pendingHeights.shift()!;
      setsByHeight.set(h, h <= currentHeight ? [...state.authoritiesInForce] : [...state.pendingAuthorities]);
    }
  };
  takeSetsBelowOrAt(0);
  for (const step of steps) {
    const { entry } = step;
    if (entry.blockHeight > currentHeight) {
      takeSetsBelowOrAt(entry.blockHeight);
      // Changes from block currentHeight are in force from the next block (as closeBlock does).
      state.height = currentHeight;
      state.authoritiesInForce = [...state.pendingAuthorities];
      currentHeight = entry.blockHeight;
      state.height = currentHeight - 1;
    }
    try {
      if (step.membership) {
        state.logSize = entry.logIndex;
        admitRecord(state, entry.record, { recordHash: entry.hash, batchCache });
      } else {
        const signer = requireActiveSigner(state, entry.record.signer, entry.record.kind);
        verifyRecordSignature(entry.record, signer.type === 'org' ? signer.key.publicKey : signer.device.publicKey, entry.hash, batchCache);
        // A window belongs to its device's owner (records/sensor-window.ts), as admission required.
        if (entry.record.kind === RecordKind.SENSOR_WINDOW) requireWindowOwnership(state, entry.record, signer);
        const problem = roleProblem(state, entry, signer.org.id);
        if (problem) fail(`${step.path}/record/signer`, 'ROLE_NOT_HELD', problem.message, { expected: problem.expected, computed: problem.computed });
      }
    } catch (err) {
      const field = err instanceof LedgerError && err.code === 'BAD_SIGNATURE' ? '/record/signature' : '/record';
      failFrom(fail, `${step.path}${field}`, err);
    }
  }
  takeSetsBelowOrAt(Number.MAX_SAFE_INTEGER);
  return { finalState: state, setsByHeight };
}

/** The role rule of an event record, checked against the roles its signer's org held at the record's log index. */
function roleProblem(state: ConsortiumState, entry: BundleRecord, orgId: string): { message: string; expected: string[]; computed: string[] } | undefined {
  const event = statedEventOf(entry.record);
  const rule = event !== undefined ? ruleFor(event) : undefined;
  if (!rule) return undefined;
  const held = state.rolesAt(orgId, entry.logIndex);
  if (held && rule.roles.some((r) => held.has(r))) return undefined;
  const heldText = held === undefined ? 'was not a member' : held.size === 0 ? 'held no roles' : `held ${[...held].sort().join(', ')}`;
  return {
    message: `${orgId} ${heldText} at log index ${entry.logIndex}; rule ${rule.id} needs ${rule.roles.join(' or ')}`,
    expected: [...rule.roles],
    computed: held ? [...held].sort() : [],
  };
}

export function failFrom(fail: FailAt, path: string, err: unknown): void {
  const code = typeof (err as { code?: unknown })?.code === 'string' ? (err as { code: string }).code : 'INVALID';
  const details = (err as { details?: { expected?: unknown; computed?: unknown } })?.details ?? {};
  const extra: { expected?: unknown; computed?: unknown } = {};
  if (details.expected !== undefined) extra.expected = details.expected;
  if (details.computed !== undefined) extra.computed = details.computed;
  fail(path, code, (err as Error)?.message ?? String(err), extra);
}

export function authorityList(set: readonly AuthorityEntry[]): BundleAuthority[] {
  return set
    .map((a) => ({ orgId: a.orgId, keyId: a.keyId, publicKey: a.encoded }))
    .sort((a, b) => (a.keyId < b.keyId ? -1 : a.keyId > b.keyId ? 1 : 0));
}

export function deriveAuthoritySets(replay: Replay, blocks: readonly { header: BlockHeader }[], checkpoint: Checkpoint): BundleAuthoritySet[] {
  const byHash = new Map<string, BundleAuthoritySet>();
  const entryFor = (set: readonly AuthorityEntry[]): BundleAuthoritySet => {
    const authorities = authorityList(set);
    const hash = hashAuthoritySet(authorities);
    let entry = byHash.get(hash);
    if (!entry) {
      entry = { hash, authorities, quorum: { ...replay.finalState.quorum }, heights: [], signsCheckpoint: false };
      byHash.set(hash, entry);
    }
    return entry;
  };
  for (const block of blocks) {
    const set = replay.setsByHeight.get(block.header.height);
    if (set) entryFor(set).heights.push(block.header.height);
  }
  const cpSet = replay.setsByHeight.get(checkpoint.blockHeight + 1);
  if (cpSet) entryFor(cpSet).signsCheckpoint = true;
  for (const e of byHash.values()) e.heights.sort((a, b) => a - b);
  return [...byHash.values()].sort((a, b) => (a.hash < b.hash ? -1 : a.hash > b.hash ? 1 : 0));
}

export function deriveSigners(state: ConsortiumState, trace: readonly BundleRecord[]): BundleSigner[] {
  const keyIds = [...new Set(trace.map((r) => r.record?.signer).filter((k): k is string => typeof k === 'string'))].sort();
  const out: BundleSigner[] = [];
  for (const keyId of keyIds) {
    const resolved = state.resolveSigner(keyId);
    if (!resolved) continue;
    const roles = [...resolved.org.roles].sort();
    if (resolved.type === 'org') {
      out.push({
        keyId,
        type: 'org',
        orgId: resolved.org.id,
        roles,
        publicKey: resolved.key.encoded,
        deviceId: null,
        status: resolved.key.status,
        addedAtLogIndex: resolved.key.addedAtLogIndex,
        endedAtLogIndex: resolved.key.endedAtLogIndex ?? null,
      });
    } else {
      out.push({
        keyId,
        type: 'device',
        orgId: resolved.org.id,
        roles,
        publicKey: resolved.device.encoded,
        deviceId: resolved.device.deviceId,
        status: resolved.device.status,
        addedAtLogIndex: resolved.device.registeredAtLogIndex,
        endedAtLogIndex: resolved.device.revokedAtLogIndex ?? null,
      });
    }
  }
  return out;
}
