/**
 * Membership model of a consortium: organisations, their roles, keys and identifiers, the
 * authority set, and the changes governance may make to them. Shape checks here are pure; checks
 * against the current state (validateChange) and their effect (applyChange) take the state.
 */
import { CryptoError, encodePublicKey, keyIdOf, parsePublicKey, type PublicKey } from '../crypto/index.js';
import { LedgerError } from './errors.js';
import { isConsortiumId } from './record.js';
import type { AuthorityEntry, ConsortiumState } from './consortium.js';

export const ROLES = ['FARM', 'ABATTOIR', 'PROCESSOR', 'HAULIER', 'CARRIER', 'PORT', 'RETAILER', 'REGULATOR', 'CUSTOMS'] as const;
export type Role = (typeof ROLES)[number];

export function isRole(value: unknown): value is Role {
  return typeof value === 'string' && (ROLES as readonly string[]).includes(value);
}

/** Identifier schemes (GS1 GLN, CPH holding number, FSA approval number, EORI, ...) to values. */
export type OrgIdentifiers = { gln?: string[]; cph?: string[]; fsaApproval?: string[]; eori?: string[] } & Record<string, string[] | undefined>;

export interface OrgSpec {
  /** Slug, e.g. 'green-farm'. */
  id: string;
  name: string;
  roles: Role[];
  /** encodePublicKey texts ("ed25519:..." or "p256:..."). */
  keys: string[];
  identifiers: OrgIdentifiers;
}

export interface AuthoritySpec {
  orgId: string;
  keyId: string;
}

export type MembershipChange =
  | { type: 'org.add'; org: OrgSpec }
  | { type: 'org.remove'; orgId: string }
  | { type: 'role.grant'; orgId: string; role: Role }
  | { type: 'role.revoke'; orgId: string; role: Role }
  | { type: 'key.add'; orgId: string; publicKey: string }
  | { type: 'key.rotate'; orgId: string; oldKeyId: string; newPublicKey: string }
  | { type: 'key.revoke'; orgId: string; keyId: string }
  | { type: 'authority.add'; orgId: string; keyId: string }
  | { type: 'authority.remove'; keyId: string };

export type MembershipChangeType = MembershipChange['type'];

export interface ProposalPayload {
  change: MembershipChange;
  reason?: string;
}

export interface ApprovalPayload {
  /** Record hash of the governance.proposal record. */
  proposal: string;
}

export interface DeviceRegisterPayload {
  deviceId: string;
  publicKey: string;
  kind?: 'sensor' | 'gateway';
  attributes?: Record<string, unknown>;
}

export interface DeviceRevokePayload {
  deviceId: string;
  reason?: string;
}

const IDENTIFIER_SCHEME = /^[A-Za-z][A-Za-z0-9]{0,31}$/;
const DEVICE_ID = /^[A-Za-z0-9][A-Za-z0-9._:/-]{0,199}$/;
const MAX_NAME = 200;
const MAX_REASON = 2000;
const HEX64 = /^[0-9a-f]{64}$/;

export function invalidChange(message: string, details: Record<string, unknown> = {}): LedgerError {
  return new LedgerError('INVALID_CHANGE', message, details);
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && Object.getPrototypeOf(value) === Object.prototype;
}

function requireFields(what: string, value: unknown, required: readonly string[], optional: readonly string[] = []): Record<string, unknown> {
  if (!isPlainObject(value)) throw invalidChange(`${what} must be an object`);
  for (const key of Object.keys(value)) {
    if (!required.includes(key) && !optional.includes(key)) throw invalidChange(`${what} has unexpected field "${key}"`, { field: key });
  }
  for (const key of required) if (value[key] === undefined) throw invalidChange(`${what} is missing "${key}"`, { field: key });
  return value;
}

function requireSlug(what: string, value: unknown): string {
  if (!isConsortiumId(value)) throw invalidChange(`${what} must be a lower-case slug like "green-farm"`, { value: String(value).slice(0, 80) });
  return value;
}

function requireKeyId(what: string, value: unknown): string {
  if (typeof value !== 'string' || !HEX64.test(value)) throw invalidChange(`${what} must be a 64-hex key id`, { value: String(value).slice(0, 80) });
  return value;
}

function requireName(what: string, value: unknown): string {
  if (typeof value !== 'string' || value.trim().length === 0 || value.length > MAX_NAME) {
    throw invalidChange(`${what} must be a non-empty string of at most ${MAX_NAME} characters`);
  }
  return value;
}

export function isDeviceId(value: unknown): value is string {
  return typeof value === 'string' && DEVICE_ID.test(value);
}

/** Parses an encoded public key; a malformed one is an INVALID_CHANGE naming where it was. */
export function parseMemberKey(what: string, text: unknown): { publicKey: PublicKey; encoded: string; keyId: string } {
  let publicKey: PublicKey;
  try {
    publicKey = parsePublicKey(text);
  } catch (err) {
    if (err instanceof CryptoError) throw invalidChange(`${what}: ${err.message}`, { cause: err.code, ...err.details });
    throw err;
  }
  return { publicKey, encoded: encodePublicKey(publicKey), keyId: keyIdOf(publicKey) };
}

/** Checks an OrgSpec's shape (not its uniqueness against a state); returns a normalised copy. */
export function validateOrgSpec(value: unknown, where = 'org'): OrgSpec {
  const o = requireFields(where, value, ['id', 'name', 'roles', 'keys', 'identifiers']);
  const id = requireSlug(`${where}.id`, o.id);
  const name = requireName(`${where}.name`, o.name);
  if (!Array.isArray(o.roles) || o.roles.length === 0) throw invalidChange(`${where}.roles must be a non-empty array of roles`, { orgId: id });
  const roles: Role[] = [];
  for (const role of o.roles) {
    if (!isRole(role)) throw invalidChange(`${where}.roles: unknown role ${JSON.stringify(role)}; expected one of ${ROLES.join(', ')}`, { orgId: id });
    if (roles.includes(role)) throw invalidChange(`${where}.roles: role ${role} listed twice`, { orgId: id });
    roles.push(role);
  }
  if (!Array.isArray(o.keys) || o.keys.length === 0) throw invalidChange(`${where}.keys must be a non-empty array of public keys`, { orgId: id });
  const keys: string[] = [];
  const keyIds = new Set<string>();
  o.keys.forEach((text, i) => {
    const parsed = parseMemberKey(`${where}.keys[${i}]`, text);
    if (keyIds.has(parsed.keyId)) throw invalidChange(`${where}.keys[${i}] duplicates another key of the org`, { orgId: id, keyId: parsed.keyId });
    keyIds.add(parsed.keyId);
    keys.push(parsed.encoded);
  });
  if (!isPlainObject(o.identifiers)) throw invalidChange(`${where}.identifiers must be an object of scheme -> string[]`, { orgId: id });
  const identifiers: Record<string, string[]> = {};
  for (const [scheme, values] of Object.entries(o.identifiers)) {
    if (!IDENTIFIER_SCHEME.test(scheme)) throw invalidChange(`${where}.identifiers: bad scheme name ${JSON.stringify(scheme)}`, { orgId: id });
    if (!Array.isArray(values) || values.some((v) => typeof v !== 'string' || v.length === 0 || v.length > 200)) {
      throw invalidChange(`${where}.identifiers.${scheme} must be an array of non-empty strings`, { orgId: id });
    }
    if (new Set(values).size !== values.length) throw invalidChange(`${where}.identifiers.${scheme} lists a value twice`, { orgId: id });
    identifiers[scheme] = [...(values as string[])];
  }
  return { id, name, roles, keys, identifiers };
}

/** Checks a MembershipChange's shape; returns a normalised copy (keys re-encoded canonically). */
export function parseMembershipChange(value: unknown): MembershipChange {
  if (!isPlainObject(value) || typeof value.type !== 'string') throw invalidChange('change must be an object with a "type"');
  const type = value.type;
  switch (type) {
    case 'org.add': {
      const c = requireFields('org.add change', value, ['type', 'org']);
      return { type, org: validateOrgSpec(c.org, 'change.org') };
    }
    case 'org.remove': {
      const c = requireFields('org.remove change', value, ['type', 'orgId']);
      return { type, orgId: requireSlug('change.orgId', c.orgId) };
    }
    case 'role.grant':
    case 'role.revoke': {
      const c = requireFields(`${type} change`, value, ['type', 'orgId', 'role']);
      if (!isRole(c.role)) throw invalidChange(`change.role: unknown role ${JSON.stringify(c.role)}; expected one of ${ROLES.join(', ')}`);
      return { type, orgId: requireSlug('change.orgId', c.orgId), role: c.role };
    }
    case 'key.add': {
      const c = requireFields('key.add change', value, ['type', 'orgId', 'publicKey']);
      return { type, orgId: requireSlug('change.orgId', c.orgId), publicKey: parseMemberKey('change.publicKey', c.publicKey).encoded };
    }
    case 'key.rotate': {
      const c = requireFields('key.rotate change', value, ['type', 'orgId', 'oldKeyId', 'newPublicKey']);
      return {
        type,
        orgId: requireSlug('change.orgId', c.orgId),
        oldKeyId: requireKeyId('change.oldKeyId', c.oldKeyId),
        newPublicKey: parseMemberKey('change.newPublicKey', c.newPublicKey).encoded,
      };
    }
    case 'key.revoke': {
      const c = requireFields('key.revoke change', value, ['type', 'orgId', 'keyId']);
      return { type, orgId: requireSlug('change.orgId', c.orgId), keyId: requireKeyId('change.keyId', c.keyId) };
    }
    case 'authority.add': {
      const c = requireFields('authority.add change', value, ['type', 'orgId', 'keyId']);
      return { type, orgId: requireSlug('change.orgId', c.orgId), keyId: requireKeyId('change.keyId', c.keyId) };
    }
    case 'authority.remove': {
      const c = requireFields('authority.remove change', value, ['type', 'keyId']);
      return { type, keyId: requireKeyId('change.keyId', c.keyId) };
    }
    default:
      throw invalidChange(`unknown change type ${JSON.stringify(type)}`);
  }
}

export function parseProposalPayload(value: unknown): ProposalPayload {
  const p = requireFields('proposal payload', value, ['change'], ['reason']);
  if (p.reason !== undefined && (typeof p.reason !== 'string' || p.reason.length > MAX_REASON)) {
    throw invalidChange(`proposal reason must be a string of at most ${MAX_REASON} characters`);
  }
  const change = parseMembershipChange(p.change);
  return p.reason === undefined ? { change } : { change, reason: p.reason as string };
}

export function parseApprovalPayload(value: unknown): ApprovalPayload {
  if (!isPlainObject(value) || Object.keys(value).length !== 1 || typeof value.proposal !== 'string' || !HEX64.test(value.proposal)) {
    throw new LedgerError('MALFORMED_RECORD', 'approval payload must be exactly { proposal: <64-hex record hash> }');
  }
  return { proposal: value.proposal };
}

export function parseDeviceRegisterPayload(value: unknown): DeviceRegisterPayload & { parsedKey: ReturnType<typeof parseMemberKey> } {
  const p = requireFields('device.register payload', value, ['deviceId', 'publicKey'], ['kind', 'attributes']);
  if (!isDeviceId(p.deviceId)) throw invalidChange('deviceId must be 1-200 characters of [A-Za-z0-9._:/-], starting with a letter or digit');
  const parsedKey = parseMemberKey('device publicKey', p.publicKey);
  if (p.kind !== undefined && p.kind !== 'sensor' && p.kind !== 'gateway') throw invalidChange('device kind must be "sensor" or "gateway"');
  if (p.attributes !== undefined && !isPlainObject(p.attributes)) throw invalidChange('device attributes must be an object');
  return {
    deviceId: p.deviceId,
    publicKey: parsedKey.encoded,
    kind: (p.kind as 'sensor' | 'gateway' | undefined) ?? 'sensor',
    attributes: (p.attributes as Record<string, unknown> | undefined) ?? {},
    parsedKey,
  };
}

export function parseDeviceRevokePayload(value: unknown): DeviceRevokePayload {
  const p = requireFields('device.revoke payload', value, ['deviceId'], ['reason']);
  if (!isDeviceId(p.deviceId)) throw invalidChange('deviceId is malformed');
  if (p.reason !== undefined && (typeof p.reason !== 'string' || p.reason.length > MAX_REASON)) throw invalidChange('reason must be a short string');
  return p.reason === undefined ? { deviceId: p.deviceId } : { deviceId: p.deviceId, reason: p.reason as string };
}

/** A one-line description of a change, for AdmissionResult.effects and audit views. */
export function describeChange(change: MembershipChange): string {
  switch (change.type) {
    case 'org.add':
      return `org.add ${change.org.id} (${change.org.roles.join(', ')})`;
    case 'org.remove':
      return `org.remove ${change.orgId}`;
    case 'role.grant':
    case 'role.revoke':
      return `${change.type} ${change.role} ${change.type === 'role.grant' ? 'to' : 'from'} ${change.orgId}`;
    case 'key.add':
      return `key.add ${short(keyIdOf(parsePublicKey(change.publicKey)))} for ${change.orgId}`;
    case 'key.rotate':
      return `key.rotate ${short(change.oldKeyId)} -> ${short(keyIdOf(parsePublicKey(change.newPublicKey)))} for ${change.orgId}`;
    case 'key.revoke':
      return `key.revoke ${short(change.keyId)} of ${change.orgId}`;
    case 'authority.add':
      return `authority.add ${change.orgId} key ${short(change.keyId)}`;
    case 'authority.remove':
      return `authority.remove key ${short(change.keyId)}`;
  }
}

function short(keyId: string): string {
  return keyId.slice(0, 12);
}

// ---- Validation and effect against a state ----

function requireActiveOrg(state: ConsortiumState, orgId: string) {
  const org = state.orgs.get(orgId);
  if (!org) throw invalidChange(`unknown org "${orgId}"`, { orgId });
  if (org.status !== 'active') throw invalidChange(`org "${orgId}" has been removed`, { orgId });
  return org;
}

function requireNewKey(state: ConsortiumState, keyId: string, what: string): void {
  const existing = state.keys.get(keyId);
  if (existing) throw invalidChange(`${what} is already registered (to org "${existing.orgId}", status ${existing.status})`, { keyId });
  if (state.deviceByKeyId.has(keyId)) throw invalidChange(`${what} is already registered to device "${state.deviceByKeyId.get(keyId)}"`, { keyId });
}

function requireOwnActiveKey(state: ConsortiumState, orgId: string, keyId: string, what: string) {
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
export function validateChange(state: ConsortiumState, change: MembershipChange): void {
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
  }
}

/** Applies an already validated change at log index logIndex. Returns effect descriptions. */
export function applyChange(state: ConsortiumState, change: MembershipChange, logIndex: number): string[] {
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
  }
  return effects;
}
