import type { ConsortiumState } from '../../core/ledger/consortium.js';
import type { MembershipProjection } from '../../store/chain-store.js';

/** The organisation/key/device tables as the consortium state says they are. */
export function projectionOf(state: ConsortiumState): MembershipProjection {
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
