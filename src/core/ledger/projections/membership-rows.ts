/** The membership tables (Organisation, OrgIdentifier, OrgKey, Device) as a consortium state says they are. */
import type { ConsortiumState } from '../state.js';
import type { MembershipProjection, OrgIdentifierRow } from './rows.js';

/** Organisation, OrgKey and Device rows of the state, in the state's order. */
export function membershipProjectionOf(state: ConsortiumState): MembershipProjection {
  const authorityOrgs = new Set(state.authoritiesInForce.map((a) => a.orgId));
  return {
    orgs: [...state.orgs.values()].map((o) => ({
      id: o.id,
      name: o.name,
      roles: [...o.roles].sort(),
      identifiers: o.identifiers,
      status: o.status,
      isAuthority: authorityOrgs.has(o.id),
    })),
    keys: [...state.keys.values()].map((k) => ({
      keyId: k.keyId,
      orgId: k.orgId,
      alg: k.publicKey.alg,
      publicKey: k.encoded,
      status: k.status,
      addedAtLogIndex: k.addedAtLogIndex,
      endedAtLogIndex: k.endedAtLogIndex ?? null,
    })),
    devices: [...state.devices.values()].map((d) => ({
      deviceId: d.deviceId,
      orgId: d.orgId,
      keyId: d.keyId,
      alg: d.publicKey.alg,
      publicKey: d.encoded,
      status: d.status,
      registeredAtLogIndex: d.registeredAtLogIndex,
      revokedAtLogIndex: d.revokedAtLogIndex ?? null,
      attributes: { kind: d.kind, ...d.attributes },
    })),
  };
}

/** OrgIdentifier rows: each registered identifier names its organisation (a later organisation registering the same one wins). */
export function orgIdentifierRowsOf(projection: MembershipProjection): OrgIdentifierRow[] {
  const rows = new Map<string, OrgIdentifierRow>();
  for (const org of projection.orgs) {
    for (const [scheme, values] of Object.entries(org.identifiers)) {
      for (const value of values) rows.set(`${scheme}\u0000${value}`, { scheme, value, orgId: org.id });
    }
  }
  return [...rows.values()];
}
