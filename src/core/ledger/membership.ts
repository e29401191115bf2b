/**
 * Membership model of a consortium: organisations, their roles, keys and identifiers, the
 * authority set, and the changes governance may make to them. Shape checks only (pure, no state):
 * checks against a state and their effect are in membership-change.ts.
 */
import { CryptoError, encodePublicKey, keyIdOf, parsePublicKey, type PublicKey } from '../crypto/index.js';
import { LedgerError } from './errors.js';
import { isConsortiumId, isHash } from './record.js';
import { MAX_SEAL_MAX_RECORDS, isSealMaxRecords } from './block.js';
import { CUSTODY_RULES_VERSIONS, isCustodyRulesVersion, type CustodyRulesVersion } from '../rules/custody-state.js';
import { orderingIdentityText, parseNodeUrl, parseOrderingIdentity, type OrderingIdentity } from './node-endpoint.js';

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
  | { type: 'authority.remove'; keyId: string }
  /** The consortium's block size: a block is cut at the submission that brings it to this many records. */
  | { type: 'seal.maxRecords'; maxRecords: number }
  /** The custody rule set (docs/authorisation.md), in force from the record after the one that applies it. */
  | { type: 'custody.rules'; version: CustodyRulesVersion }
  /** The organisation's node: where peers reach it over HTTP and who it orders as (docs/record-kinds.md "Node endpoints"). */
  | { type: 'node.endpoint'; orgId: string; url: string; ordering: OrderingIdentity };

export type MembershipChangeType = MembershipChange['type'];

const IDENTIFIER_SCHEME = /^[A-Za-z][A-Za-z0-9]{0,31}$/;
const DEVICE_ID = /^[A-Za-z0-9][A-Za-z0-9._:/-]{0,199}$/;
const MAX_NAME = 200;
/** Longest free-text reason a governance or device record may carry. */
export const MAX_REASON = 2000;

export function invalidChange(message: string, details: Record<string, unknown> = {}): LedgerError {
  return new LedgerError('INVALID_CHANGE', message, details);
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && Object.getPrototypeOf(value) === Object.prototype;
}

export function requireFields(what: string, value: unknown, required: readonly string[], optional: readonly string[] = []): Record<string, unknown> {
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
  if (!isHash(value)) throw invalidChange(`${what} must be a 64-hex key id`, { value: String(value).slice(0, 80) });
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
    case 'seal.maxRecords': {
      const c = requireFields('seal.maxRecords change', value, ['type', 'maxRecords']);
      if (!isSealMaxRecords(c.maxRecords)) throw invalidChange(`change.maxRecords must be an integer from 1 to ${MAX_SEAL_MAX_RECORDS}`, { maxRecords: c.maxRecords });
      return { type, maxRecords: c.maxRecords };
    }
    case 'custody.rules': {
      const c = requireFields('custody.rules change', value, ['type', 'version']);
      if (!isCustodyRulesVersion(c.version)) throw invalidChange(`change.version must be one of ${CUSTODY_RULES_VERSIONS.join(', ')}`, { version: c.version });
      return { type, version: c.version };
    }
    case 'node.endpoint': {
      const c = requireFields('node.endpoint change', value, ['type', 'orgId', 'url', 'ordering']);
      return { type, orgId: requireSlug('change.orgId', c.orgId), url: parseNodeUrl(c.url), ordering: parseOrderingIdentity(c.ordering) };
    }
    default:
      throw invalidChange(`unknown change type ${JSON.stringify(type)}`);
  }
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
    case 'seal.maxRecords':
      return `seal.maxRecords ${change.maxRecords}`;
    case 'custody.rules':
      return `custody.rules ${change.version}`;
    case 'node.endpoint':
      return `node.endpoint ${change.orgId} at ${change.url} (${orderingIdentityText(change.ordering)})`;
  }
}

function short(keyId: string): string {
  return keyId.slice(0, 12);
}
