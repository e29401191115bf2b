/**
 * Governance rules against a state: whether a membership change can apply now (validateChange)
 * and its effect (applyChange). Authority-set changes modify the pending (next-block) set.
 */
import { describeChange, invalidChange, parseMemberKey, type MembershipChange } from './membership.js';
import { orderingIdentityText } from './node-endpoint.js';
import type { AdmissionState, AuthorityEntry } from './state-types.js';

function requireActiveOrg(state: AdmissionState, orgId: string) {
  const org = state.orgs.get(orgId);
  if (!org) throw invalidChange(`unknown org "${orgId}"`, { orgId });
  if (org.status !== 'active') throw invalidChange(`org "${orgId}" has been removed`, { orgId });
  return org;
}

function requireNewKey(state: AdmissionState, keyId: string, what: string): void {
  const existing = state.keys.get(keyId);
  if (existing) throw invalidChange(`${what} is already registered (to org "${existing.orgId}", status ${existing.status})`, { keyId });
  if (state.deviceByKeyId.has(keyId)) throw invalidChange(`${what} is already registered to device "${state.deviceByKeyId.get(keyId)}"`, { keyId });
}

function requireOwnActiveKey(state: AdmissionState, orgId: string, keyId: string, what: string) {
  const key = state.keys.get(keyId);
  if (!key) throw invalidChange(`${what}: unknown key ${keyId}`, { keyId });
  if (key.orgId !== orgId) throw invalidChange(`${what}: key ${keyId} belongs to org "${key.orgId}", not "${orgId}"`, { keyId, orgId, owner: key.orgId });
  if (key.status !== 'active') throw invalidChange(`${what}: key ${keyId} is ${key.status}`, { keyId, status: key.status });
  return key;
}

function requireNotLastAuthority(pending: readonly AuthorityEntry[], removedKeyIds: readonly string[], what: string): void {
  if (pending.length > 0 && pending.every((a) => removedKeyIds.includes(a.keyId))) {
    throw invalidChange(`${what} would remove the last authority`, { keyIds: removedKeyIds });
  }
}

/**
 * Checks that the change can apply to the current state (throws INVALID_CHANGE naming why).
 * Authority changes are checked against the pending (next-block) set, which they modify.
 */
export function validateChange(state: AdmissionState, change: MembershipChange): void {
  const pending = state.pendingAuthorities;
  switch (change.type) {
    case 'org.add': {
      const org = change.org;
      if (state.orgs.has(org.id)) throw invalidChange(`duplicate org id "${org.id}"`, { orgId: org.id });
      for (const text of org.keys) requireNewKey(state, parseMemberKey('org key', text).keyId, `key of new org "${org.id}"`);
      for (const [scheme, values] of Object.entries(org.identifiers)) {
        for (const value of values ?? []) {
          const holder = state.orgByIdentifier(scheme, value);
          if (holder) throw invalidChange(`identifier ${scheme} ${value} already belongs to org "${holder.id}"`, { scheme, value, orgId: holder.id });
        }
      }
      return;
    }
    case 'org.remove': {
      requireActiveOrg(state, change.orgId);
      const theirs = pending.filter((a) => a.orgId === change.orgId).map((a) => a.keyId);
      if (theirs.length > 0) requireNotLastAuthority(pending, theirs, `removing org "${change.orgId}"`);
      return;
    }
    case 'role.grant': {
      const org = requireActiveOrg(state, change.orgId);
      if (org.roles.has(change.role)) throw invalidChange(`org "${change.orgId}" already holds role ${change.role}`, { orgId: change.orgId, role: change.role });
      return;
    }
    case 'role.revoke': {
      const org = requireActiveOrg(state, change.orgId);
      if (!org.roles.has(change.role)) throw invalidChange(`org "${change.orgId}" does not hold role ${change.role}`, { orgId: change.orgId, role: change.role });
      return;
    }
    case 'key.add': {
      requireActiveOrg(state, change.orgId);
      requireNewKey(state, parseMemberKey('key', change.publicKey).keyId, 'new key');
      return;
    }
    case 'key.rotate': {
      requireActiveOrg(state, change.orgId);
      requireOwnActiveKey(state, change.orgId, change.oldKeyId, 'key.rotate');
      requireNewKey(state, parseMemberKey('key', change.newPublicKey).keyId, 'new key');
      return;
    }
    case 'key.revoke': {
      requireActiveOrg(state, change.orgId);
      requireOwnActiveKey(state, change.orgId, change.keyId, 'key.revoke');
      if (pending.some((a) => a.keyId === change.keyId)) requireNotLastAuthority(pending, [change.keyId], 'revoking this authority key');
      return;
    }
    case 'authority.add': {
      requireActiveOrg(state, change.orgId);
      requireOwnActiveKey(state, change.orgId, change.keyId, 'authority.add');
      if (pending.some((a) => a.keyId === change.keyId)) throw invalidChange(`key ${change.keyId} is already an authority`, { keyId: change.keyId });
      // One authority key per org, so seals and approvals count organisations, not keys.
      const other = pending.find((a) => a.orgId === change.orgId);
      if (other) throw invalidChange(`org "${change.orgId}" already has authority key ${other.keyId}`, { orgId: change.orgId, keyId: other.keyId });
      return;
    }
    case 'authority.remove': {
      if (!pending.some((a) => a.keyId === change.keyId)) throw invalidChange(`key ${change.keyId} is not an authority`, { keyId: change.keyId });
      requireNotLastAuthority(pending, [change.keyId], 'authority.remove');
      return;
    }
    case 'seal.maxRecords':
      if (state.sealMaxRecords === change.maxRecords) throw invalidChange(`the block size is already ${change.maxRecords} records`, { maxRecords: change.maxRecords });
      return;
    case 'node.endpoint': {
      requireActiveOrg(state, change.orgId);
      const identity = orderingIdentityText(change.ordering);
      for (const org of state.orgs.values()) {
        if (org.id === change.orgId || org.status !== 'active' || !org.node) continue;
        if (org.node.url === change.url) throw invalidChange(`node URL ${change.url} is registered to org "${org.id}"`, { orgId: org.id, url: change.url });
        if (orderingIdentityText(org.node.ordering) === identity) throw invalidChange(`ordering identity ${identity} is registered to org "${org.id}"`, { orgId: org.id });
      }
      return;
    }
    case 'custody.rules':
      // Rule sets only move forward: going back would reopen what a later set closed.
      if (change.version <= state.custodyRules) throw invalidChange(`the custody rule set is ${state.custodyRules}; a change must name a later one`, { version: change.version, current: state.custodyRules });
      return;
  }
}

/** Applies an already validated change at log index logIndex. Returns effect descriptions. */
export function applyChange(state: AdmissionState, change: MembershipChange, logIndex: number): string[] {
  const effects = [`change applied: ${describeChange(change)}`];
  const pendingChanged = (): void => {
    effects.push('authority set change takes effect at the next block');
  };
  switch (change.type) {
    case 'org.add':
      state.addOrg(change.org, logIndex);
      break;
    case 'org.remove': {
      state.removeOrg(change.orgId, logIndex);
      const before = state.pendingAuthorities.length;
      state.pendingAuthorities = state.pendingAuthorities.filter((a) => a.orgId !== change.orgId);
      if (state.pendingAuthorities.length !== before) pendingChanged();
      break;
    }
    case 'role.grant':
      state.grantRole(change.orgId, change.role, logIndex);
      break;
    case 'role.revoke':
      state.revokeRole(change.orgId, change.role, logIndex);
      break;
    case 'key.add':
      state.addOrgKey(change.orgId, change.publicKey, logIndex);
      break;
    case 'key.rotate': {
      const old = state.keys.get(change.oldKeyId)!;
      old.status = 'rotated';
      old.endedAtLogIndex = logIndex;
      const added = state.addOrgKey(change.orgId, change.newPublicKey, logIndex);
      const idx = state.pendingAuthorities.findIndex((a) => a.keyId === change.oldKeyId);
      if (idx >= 0) {
        const next = [...state.pendingAuthorities];
        next[idx] = { orgId: change.orgId, keyId: added.keyId, publicKey: added.publicKey, encoded: added.encoded };
        state.pendingAuthorities = next;
        pendingChanged();
      }
      break;
    }
    case 'key.revoke': {
      const key = state.keys.get(change.keyId)!;
      key.status = 'revoked';
      key.endedAtLogIndex = logIndex;
      const before = state.pendingAuthorities.length;
      state.pendingAuthorities = state.pendingAuthorities.filter((a) => a.keyId !== change.keyId);
      if (state.pendingAuthorities.length !== before) pendingChanged();
      break;
    }
    case 'authority.add': {
      const key = state.keys.get(change.keyId)!;
      state.pendingAuthorities = [...state.pendingAuthorities, { orgId: change.orgId, keyId: key.keyId, publicKey: key.publicKey, encoded: key.encoded }];
      pendingChanged();
      break;
    }
    case 'authority.remove':
      state.pendingAuthorities = state.pendingAuthorities.filter((a) => a.keyId !== change.keyId);
      pendingChanged();
      break;
    case 'seal.maxRecords':
      // From the next submission on (docs/design/network.md): the open block is cut as soon as it holds this many.
      state.sealMaxRecords = change.maxRecords;
      break;
    case 'custody.rules':
      // Records after this one are admitted and replayed under the new set; earlier ones keep theirs.
      state.adoptCustodyRules(change.version, logIndex + 1);
      effects.push(`custody rule set ${change.version} in force from log index ${logIndex + 1}`);
      break;
    case 'node.endpoint':
      // Replaces any earlier registration of the organisation; the entry is never mutated, so copies share it.
      state.orgs.get(change.orgId)!.node = { url: change.url, ordering: change.ordering, fromLogIndex: logIndex };
      break;
  }
  return effects;
}
