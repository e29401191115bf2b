/**
 * Custody states and the custody rule sets (docs/authorisation.md, "Custody rule sets").
 *
 * Rule set 1 (chains whose genesis names none): "nobody holds it" lets anyone with the role act on
 * an item, so a carrier could ship a released container. Rule set 2: custody only passes by a
 * legitimate hand-over: a shipping (optionally to a named destination) then a receiving by the
 * named organisation, or the first appearance of an item nobody ever recorded; an authority may
 * assign custody (custody-assignment.ts). The genesis names the rule set, governance moves it on
 * (a `custody.rules` change). Pure.
 */
import { HashTag, hashCanonical } from '../crypto/index.js';

/** Who let an item go, and under which rule: that organisation may restate the event (a corrective event). */
export interface LetGo {
  readonly by?: string;
  readonly rule?: string;
}

/** Never seen is `undefined`; every other state is one of these. */
export type CustodyState =
  | { readonly kind: 'held'; readonly orgId: string }
  /** Shipped; `destinations` names the parties it was shipped to (empty: no destination named). */
  | ({ readonly kind: 'in_transit'; readonly destinations: readonly string[] } & LetGo)
  /** Sold, consumed or otherwise released: nobody may take it again. */
  | ({ readonly kind: 'released' } & LetGo);

/**
 * What a custody lookup answers: a state; an organisation id (held by it); null (nobody holds it,
 * from the Custody table, which does not tell in transit from released); undefined (never seen).
 */
export type CustodyLookupValue = KnownCustody | undefined;
/** A lookup value for an item that was seen. */
export type KnownCustody = CustodyState | string | null;

export type CustodyRulesVersion = 1 | 2;
export const CUSTODY_RULES_VERSIONS: readonly CustodyRulesVersion[] = [1, 2];
/** What a genesis written without a `custodyRules` field means (chains made before rule set 2). */
export const LEGACY_CUSTODY_RULES: CustodyRulesVersion = 1;
/** What new genesis blocks name. */
export const LATEST_CUSTODY_RULES: CustodyRulesVersion = 2;

export function isCustodyRulesVersion(value: unknown): value is CustodyRulesVersion {
  return CUSTODY_RULES_VERSIONS.includes(value as CustodyRulesVersion);
}

const RULE_SET_TEXT: Record<CustodyRulesVersion, string> = {
  1: 'holds: the poster must be the custodian when anyone holds the item; nobody holding it (never seen, in transit, consumed, sold) lets anyone with the role act; takes: the poster holds it; releases: nobody holds it',
  2: 'holds: the poster must hold the item, or nobody ever recorded it (first appearance), or the poster let it go under the same rule and nobody took it since (a restatement); takes: the item must be never seen, held by the poster, or in transit to the poster or to no named destination; releases by a shipping rule (ships): in transit to the event\'s owning/possessing-party destinations, a member named as urn:provenant:org:{id}, urn:provenant:org-id:{scheme}:{value}, or its gln as a PGLN (urn:epc:id:pgln or Digital Link AI 417, matched on the 12 digits before the check digit); other releases: released for good; an authority\'s assignment (REGULATOR or CUSTOMS, bizStep urn:provenant:bizstep:custody_assignment, naming party destinations): in transit to them, whatever the state',
};

/** The rule set a custody decision cites, like the cold-chain verdicts' {id, version, hash}. */
export function custodyRuleSetRef(version: CustodyRulesVersion): { id: string; version: number; hash: string } {
  return { id: 'provenant-custody', version, hash: hashCanonical(HashTag.RULESET, { id: 'provenant-custody', version, rules: RULE_SET_TEXT[version] }) };
}

/** The custody rule sets, as docs/authorisation.md lists them (test/small/rules/custody-state.test.ts keeps them equal). */
export function custodyRuleSetsMarkdown(): string {
  const rows = CUSTODY_RULES_VERSIONS.map((v) => {
    const ref = custodyRuleSetRef(v);
    return `| ${ref.id} | ${v} | \`${ref.hash}\` | ${RULE_SET_TEXT[v]} |`;
  });
  return ['| rule set | version | hash | custody rules |', '| --- | --- | --- | --- |', ...rows].join('\n') + '\n';
}

/** The state a lookup value stands for (null: in transit to nobody named, the most a table row says). */
export function custodyStateOf(value: CustodyLookupValue): CustodyState | undefined {
  if (value === undefined) return undefined;
  if (value === null) return { kind: 'in_transit', destinations: [] };
  if (typeof value === 'string') return { kind: 'held', orgId: value };
  return value;
}

/** The holder a state gives the Custody table (null: nobody holds it). */
export function holderOf(state: CustodyState): string | null {
  return state.kind === 'held' ? state.orgId : null;
}

/** CBV 2.0 section 8.4 source/destination types that name a party (short or URN form). */
const PARTY_TYPES = new Set(['owning_party', 'possessing_party', 'urn:epcglobal:cbv:sdt:owning_party', 'urn:epcglobal:cbv:sdt:possessing_party']);

/** An organisation named by its member id. */
export const ORG_URN_PREFIX = 'urn:provenant:org:';
/** An organisation named by one of its registered identifiers: urn:provenant:org-id:<scheme>:<value>. */
export const ORG_IDENTIFIER_URN_PREFIX = 'urn:provenant:org-id:';

/** The party destinations of an event's destinationList (sorted, de-duplicated). */
export function partyDestinationsOf(event: unknown): string[] {
  const list = (event as { destinationList?: unknown } | null)?.destinationList;
  if (!Array.isArray(list)) return [];
  const out = new Set<string>();
  for (const d of list) {
    const { type, destination } = (d ?? {}) as { type?: unknown; destination?: unknown };
    if (typeof type === 'string' && PARTY_TYPES.has(type) && typeof destination === 'string' && destination.length > 0) out.add(destination);
  }
  return [...out].sort();
}

/**
 * The GLN a party destination names in GS1 form (CBV 2.0 section 8.4: a PGLN EPC URN, or a Digital
 * Link with AI 417), as its 12 digits before the check digit: members are matched on those, so a
 * registered GLN with a mistyped check digit still matches its PGLN (which carries none).
 */
export function partyGlnOf(destination: string): string | undefined {
  const urn = /^urn:epc:id:pgln:(\d{6,12})\.(\d{0,6})$/.exec(destination);
  if (urn) return urn[1]!.length + urn[2]!.length === 12 ? urn[1]! + urn[2]! : undefined;
  return /^https?:\/\/[^/]+\/417\/(\d{12})\d$/.exec(destination)?.[1];
}

/** Does the destination name this organisation (by member id, a registered identifier it holds, or its GLN as a party)? */
export function namesOrganisation(destination: string, org: { id: string; identifiers: Record<string, readonly string[] | undefined> }): boolean {
  if (destination === `${ORG_URN_PREFIX}${org.id}`) return true;
  const gln = partyGlnOf(destination);
  if (gln !== undefined) return org.identifiers['gln']?.some((g) => g.length === 13 && g.startsWith(gln)) ?? false;
  if (!destination.startsWith(ORG_IDENTIFIER_URN_PREFIX)) return false;
  const rest = destination.slice(ORG_IDENTIFIER_URN_PREFIX.length);
  const cut = rest.indexOf(':');
  if (cut <= 0) return false;
  return org.identifiers[rest.slice(0, cut)]?.includes(rest.slice(cut + 1)) ?? false;
}

/**
 * Rule set 2: may the signer act on an item its rule says it must hold? It must hold it, or the item
 * was never seen; or the signer let it go under this same rule and nobody took it since (a
 * restatement, such as a corrective event after an error declaration, EPCIS 2.0 section 7.4.1.4).
 */
export function mayActAsHolder(state: CustodyState | undefined, orgId: string, ruleId: string): boolean {
  if (state === undefined) return true;
  if (state.kind === 'held') return state.orgId === orgId;
  return state.by === orgId && state.rule === ruleId;
}

/** Rule set 2: may the signer take an item its rule gives it without requiring it to hold it (receiving, outputs)? */
export function mayTake(state: CustodyState | undefined, org: { id: string; identifiers: Record<string, readonly string[] | undefined> }): boolean {
  if (state === undefined) return true;
  if (state.kind === 'held') return state.orgId === org.id;
  if (state.kind === 'released') return false;
  return state.destinations.length === 0 || state.destinations.some((d) => namesOrganisation(d, org));
}
