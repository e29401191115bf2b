/**
 * Who may post which EPCIS event: ONE table (AUTHORISATION_RULES) keyed on event type, normalised
 * business step, action and subject (animal or other), plus reserved dispositions. Custody (domain
 * brief, "rules of thumb"): only the party holding an item may ship, aggregate, transform or sell it.
 * Pure: the caller supplies the custody lookup.
 */
import { ROLES, type Role } from '../ledger/membership.js';
import { bizStepOf, dispositionOf, eventType, identifiersOf, type EpcisAction, type EpcisEventType } from '../epcis/epcis-model.js';
import { parseIdentifier } from '../identifiers/index.js';
import { LEGACY_CUSTODY_RULES, custodyRuleSetRef, custodyStateOf, mayActAsHolder, mayTake, partyDestinationsOf } from './custody-state.js';
import type { CustodyLookupValue, CustodyRulesVersion, CustodyState } from './custody-state.js';
import { CUSTODY_ASSIGNMENT_BIZSTEP, CUSTODY_ASSIGNMENT_RULE, assignCustody } from './custody-assignment.js';

/** Provenant's own business steps (CBV 2.0 section 7.2 allows user vocabulary URIs). */
export const PROVENANT_BIZSTEP = {
  BIRTH: 'urn:provenant:bizstep:birth',
  TAGGING: 'urn:provenant:bizstep:tagging',
  FEEDING: 'urn:provenant:bizstep:feeding',
  SLAUGHTERING: 'urn:provenant:bizstep:slaughtering',
  OFFICIAL_INSPECTION: 'urn:provenant:bizstep:official_inspection',
  CUSTOMS_CLEARANCE: 'urn:provenant:bizstep:customs_clearance',
  CUSTOMS_HOLD: 'urn:provenant:bizstep:customs_hold',
  SELLING: 'urn:provenant:bizstep:selling',
} as const;

/** Provenant's own dispositions; only customs may set them. */
export const PROVENANT_DISPOSITION = {
  CUSTOMS_HOLD: 'urn:provenant:disp:customs_hold',
  CUSTOMS_RELEASED: 'urn:provenant:disp:customs_released',
} as const;

/** Animals are written as `urn:provenant:animal:<UK ear tag>` (or a bare ear tag). */
export const ANIMAL_URN_PREFIX = 'urn:provenant:animal:';

const BARE_ALIASES: Record<string, string> = {
  birth: PROVENANT_BIZSTEP.BIRTH,
  tagging: PROVENANT_BIZSTEP.TAGGING,
  feeding: PROVENANT_BIZSTEP.FEEDING,
  slaughtering: PROVENANT_BIZSTEP.SLAUGHTERING,
  official_inspection: PROVENANT_BIZSTEP.OFFICIAL_INSPECTION,
  customs_clearance: PROVENANT_BIZSTEP.CUSTOMS_CLEARANCE,
  customs_hold: PROVENANT_BIZSTEP.CUSTOMS_HOLD,
  selling: PROVENANT_BIZSTEP.SELLING,
};

/** CBV steps in short form ('shipping'); Provenant steps as their full URN, bare aliases included. */
export function normaliseAuthBizStep(event: unknown): string | undefined {
  const step = bizStepOf(event);
  if (step === undefined) return undefined;
  return BARE_ALIASES[step] ?? step;
}

/** The one string custody and the lineage index key an identifier by. */
export function canonicalIdentifier(text: string): string {
  const bare = text.startsWith(ANIMAL_URN_PREFIX) ? text.slice(ANIMAL_URN_PREFIX.length) : text;
  try {
    const id = parseIdentifier(bare);
    return id.kind === 'ear-tag' ? `${ANIMAL_URN_PREFIX}${id.canonical}` : id.canonical;
  } catch {
    return text;
  }
}

export function isAnimalIdentifier(text: string): boolean {
  return canonicalIdentifier(text).startsWith(ANIMAL_URN_PREFIX);
}

export type Subject = 'animal' | 'other';
/** Which instance identifiers a rule checks custody of, and what happens to custody after. */
export type CustodyPart = 'epc' | 'parent' | 'child' | 'input' | 'output';

export interface CustodyRule {
  /** The poster must hold these (when anyone holds them). */
  check: CustodyPart[];
  /** These pass to the poster. */
  take: CustodyPart[];
  /** These leave everyone's custody (in transit, consumed, sold). */
  release: CustodyPart[];
  /** The released parts are shipped (in transit to the event's party destinations), not gone. */
  transit?: true;
}

export interface AuthorisationRule {
  id: string;
  description: string;
  eventTypes: readonly EpcisEventType[];
  /** Normalised business steps; '*' matches any (including none). */
  bizSteps: readonly string[] | '*';
  actions?: readonly EpcisAction[];
  /** Animals are events whose EPCs (or transformation inputs) are ear tags. */
  subject?: Subject;
  roles: readonly Role[];
  /** The signer's organisation must hold one of these registered identifiers. */
  requiresIdentifier?: 'fsaApproval';
  custody: CustodyRule;
}

export interface DispositionRule {
  id: string;
  description: string;
  dispositions: readonly string[];
  roles: readonly Role[];
}

const ALL_TYPES: readonly EpcisEventType[] = ['ObjectEvent', 'AggregationEvent', 'TransactionEvent', 'TransformationEvent', 'AssociationEvent'];
const MOVEMENT_TYPES: readonly EpcisEventType[] = ['ObjectEvent', 'AggregationEvent', 'TransactionEvent'];
const LOGISTICS: readonly Role[] = ['HAULIER', 'CARRIER', 'PORT'];
const TRADING: readonly Role[] = ['FARM', 'ABATTOIR', 'PROCESSOR', 'HAULIER', 'CARRIER', 'PORT', 'RETAILER'];
const NO_CUSTODY: CustodyRule = { check: [], take: [], release: [] };
const HELD = ['epc', 'parent', 'child'] as CustodyPart[];

/** First matching rule wins; the last rule matches everything not matched before. */
export const AUTHORISATION_RULES: readonly AuthorisationRule[] = [
  {
    id: 'farm.birth',
    description: 'register an animal (birth / commissioning of an ear tag)',
    eventTypes: ['ObjectEvent'],
    bizSteps: ['commissioning', PROVENANT_BIZSTEP.BIRTH],
    actions: ['ADD'],
    subject: 'animal',
    roles: ['FARM'],
    custody: { check: ['epc'], take: ['epc'], release: [] },
  },
  {
    id: 'farm.tagging',
    description: 'tag an animal',
    eventTypes: ['ObjectEvent'],
    bizSteps: [PROVENANT_BIZSTEP.TAGGING],
    roles: ['FARM'],
    custody: { check: ['epc'], take: ['epc'], release: [] },
  },
  {
    id: 'farm.feeding',
    description: 'record feed given',
    eventTypes: ['ObjectEvent', 'TransactionEvent'],
    bizSteps: [PROVENANT_BIZSTEP.FEEDING],
    roles: ['FARM'],
    custody: { check: ['epc'], take: [], release: [] },
  },
  {
    id: 'farm.animal_movement_off',
    description: 'move animals off a holding (shipping / departing)',
    eventTypes: MOVEMENT_TYPES,
    bizSteps: ['shipping', 'departing'],
    subject: 'animal',
    roles: ['FARM'],
    custody: { check: HELD, take: [], release: HELD, transit: true },
  },
  {
    id: 'animal.receiving',
    description: 'receive animals (onto a holding, a vehicle or into lairage)',
    eventTypes: MOVEMENT_TYPES,
    bizSteps: ['receiving', 'arriving', 'accepting'],
    subject: 'animal',
    roles: ['FARM', 'ABATTOIR', ...LOGISTICS],
    custody: { check: [], take: HELD, release: [] },
  },
  {
    id: 'abattoir.slaughter',
    description: 'slaughter (transformation animal -> carcass)',
    eventTypes: ['TransformationEvent'],
    bizSteps: '*',
    subject: 'animal',
    roles: ['ABATTOIR'],
    requiresIdentifier: 'fsaApproval',
    custody: { check: ['input'], take: ['output'], release: ['input'] },
  },
  {
    id: 'abattoir.slaughter_step',
    description: 'slaughter recorded on its own business step',
    eventTypes: ALL_TYPES,
    bizSteps: [PROVENANT_BIZSTEP.SLAUGHTERING],
    roles: ['ABATTOIR'],
    requiresIdentifier: 'fsaApproval',
    custody: { check: ['epc', 'input'], take: ['output'], release: ['input'] },
  },
  {
    id: 'abattoir.post_mortem_inspection',
    description: 'record (post-mortem) inspection findings',
    eventTypes: ALL_TYPES,
    bizSteps: ['inspecting'],
    roles: ['ABATTOIR'],
    requiresIdentifier: 'fsaApproval',
    custody: NO_CUSTODY,
  },
  {
    id: 'regulator.official_inspection',
    description: 'official inspection',
    eventTypes: ALL_TYPES,
    bizSteps: [PROVENANT_BIZSTEP.OFFICIAL_INSPECTION],
    roles: ['REGULATOR'],
    custody: NO_CUSTODY,
  },
  {
    id: 'customs.clearance',
    description: 'customs clearance or hold',
    eventTypes: ALL_TYPES,
    bizSteps: [PROVENANT_BIZSTEP.CUSTOMS_CLEARANCE, PROVENANT_BIZSTEP.CUSTOMS_HOLD],
    roles: ['CUSTOMS'],
    custody: NO_CUSTODY,
  },
  {
    id: 'processor.transforming',
    description: 'transform products (cutting, mincing, processing)',
    eventTypes: ['TransformationEvent'],
    bizSteps: '*',
    subject: 'other',
    roles: ['PROCESSOR', 'ABATTOIR'],
    custody: { check: ['input'], take: ['output'], release: ['input'] },
  },
  {
    id: 'processor.commissioning',
    description: 'commission products (new trade items, lots, logistic units)',
    eventTypes: ['ObjectEvent'],
    bizSteps: ['commissioning'],
    actions: ['ADD'],
    subject: 'other',
    roles: ['PROCESSOR', 'ABATTOIR'],
    custody: { check: ['epc'], take: ['epc'], release: [] },
  },
  {
    id: 'processor.packing',
    description: 'pack, unpack or assemble (aggregation)',
    eventTypes: ['ObjectEvent', 'AggregationEvent', 'AssociationEvent'],
    bizSteps: ['packing', 'unpacking', 'assembling', 'disassembling'],
    roles: ['PROCESSOR', 'ABATTOIR'],
    custody: { check: HELD, take: HELD, release: [] },
  },
  {
    id: 'logistics.shipping',
    description: 'ship or depart with goods',
    eventTypes: MOVEMENT_TYPES,
    bizSteps: ['shipping', 'departing'],
    subject: 'other',
    roles: [...LOGISTICS, 'PROCESSOR', 'ABATTOIR'],
    custody: { check: HELD, take: [], release: HELD, transit: true },
  },
  {
    id: 'logistics.receiving',
    description: 'receive goods',
    eventTypes: MOVEMENT_TYPES,
    bizSteps: ['receiving', 'arriving', 'accepting'],
    subject: 'other',
    roles: [...LOGISTICS, 'PROCESSOR', 'ABATTOIR', 'RETAILER'],
    custody: { check: [], take: HELD, release: [] },
  },
  {
    id: 'logistics.handling',
    description: 'load, unload, transport, stuff or strip',
    eventTypes: MOVEMENT_TYPES,
    bizSteps: ['loading', 'unloading', 'transporting', 'stuffing', 'unstuffing', 'staging_outbound'],
    roles: LOGISTICS,
    custody: NO_CUSTODY,
  },
  {
    id: 'processor.aggregation',
    description: 'any other aggregation (ADD or DELETE)',
    eventTypes: ['AggregationEvent', 'AssociationEvent'],
    bizSteps: '*',
    actions: ['ADD', 'DELETE'],
    roles: ['PROCESSOR', 'ABATTOIR'],
    custody: { check: HELD, take: HELD, release: [] },
  },
  {
    id: 'retail.selling',
    description: 'sell at retail',
    eventTypes: MOVEMENT_TYPES,
    bizSteps: ['retail_selling', PROVENANT_BIZSTEP.SELLING],
    roles: ['RETAILER'],
    custody: { check: HELD, take: [], release: HELD },
  },
  {
    id: 'trading.other',
    description: 'any other observation by a supply-chain member',
    eventTypes: ALL_TYPES,
    bizSteps: '*',
    roles: TRADING,
    custody: NO_CUSTODY,
  },
];

/** Checked in addition to the business-step rule: every matching one must allow the signer. */
export const DISPOSITION_RULES: readonly DispositionRule[] = [
  {
    id: 'customs.disposition',
    description: 'set a customs hold or release',
    dispositions: [PROVENANT_DISPOSITION.CUSTOMS_HOLD, PROVENANT_DISPOSITION.CUSTOMS_RELEASED],
    roles: ['CUSTOMS'],
  },
];

export interface SignerOrg {
  id: string;
  roles: ReadonlySet<Role>;
  identifiers: Record<string, readonly string[] | undefined>;
}

export interface CustodyChange {
  identifier: string;
  /** null: nobody holds it (in transit, consumed or sold). */
  orgId: string | null;
  /** Rule set 2: the state it leaves the item in (held by orgId, in transit, or released); see custodyStateOfChange. */
  state?: CustodyState;
}

/** The state a change leaves (rule set 1: held, or nobody holds it, which reads as in transit to no named party). */
export function custodyStateOfChange(change: CustodyChange): CustodyState {
  return change.state ?? custodyStateOf(change.orgId)!;
}

export type AuthorisationResult =
  | { ok: true; rule: string; custodyChanges: CustodyChange[] }
  | { ok: false; code: 'NOT_AUTHORISED' | 'NOT_CUSTODIAN'; message: string; details: Record<string, unknown> };

function partsOf(event: unknown): Record<CustodyPart, string[]> {
  const ids = identifiersOf(event);
  return {
    epc: ids.epcs,
    parent: ids.parentID !== undefined ? [ids.parentID] : [],
    child: ids.childEPCs,
    input: ids.inputEPCs,
    output: ids.outputEPCs,
  };
}

export function subjectOf(event: unknown): Subject {
  const parts = partsOf(event);
  const candidates = eventType(event) === 'TransformationEvent' ? parts.input : [...parts.epc, ...parts.child];
  return candidates.some(isAnimalIdentifier) ? 'animal' : 'other';
}

function actionOf(event: unknown): EpcisAction | undefined {
  const a = (event as { action?: unknown } | null)?.action;
  return a === 'ADD' || a === 'OBSERVE' || a === 'DELETE' ? a : undefined;
}

/** The rule the event falls under (the table's last rule catches every standard event type). */
export function ruleFor(event: unknown): AuthorisationRule | undefined {
  const type = eventType(event);
  if (type === null) return undefined;
  const step = normaliseAuthBizStep(event);
  const action = actionOf(event);
  const subject = subjectOf(event);
  return AUTHORISATION_RULES.find(
    (r) =>
      r.eventTypes.includes(type) &&
      (r.bizSteps === '*' || (step !== undefined && r.bizSteps.includes(step))) &&
      (r.actions === undefined || (action !== undefined && r.actions.includes(action))) &&
      (r.subject === undefined || r.subject === subject),
  );
}

function describeEvent(event: unknown): string {
  const step = normaliseAuthBizStep(event) ?? '(no bizStep)';
  const action = actionOf(event);
  return `${eventType(event) ?? 'unknown event type'}${action ? ` ${action}` : ''} with bizStep ${step}`;
}

function hasRole(org: SignerOrg, roles: readonly Role[]): boolean {
  return roles.some((r) => org.roles.has(r));
}

/**
 * Decides whether the signer's organisation may post the event, and the custody it changes, under
 * custody rule set `version` (custody-state.ts). `custodianOf` takes a canonical identifier and
 * answers its custody state (an org id: held by it; undefined: never seen).
 */
export function authoriseEvent(
  event: unknown,
  signerOrg: SignerOrg,
  custodianOf: (identifier: string) => CustodyLookupValue,
  version: CustodyRulesVersion = LEGACY_CUSTODY_RULES,
): AuthorisationResult {
  const rule = ruleFor(event);
  const what = describeEvent(event);
  if (version >= 2 && normaliseAuthBizStep(event) === CUSTODY_ASSIGNMENT_BIZSTEP) {
    const a = assignCustody(what, signerOrg, HELD.flatMap((p) => partsOf(event)[p]).map(canonicalIdentifier), partyDestinationsOf(event));
    return a.ok ? { ok: true, rule: CUSTODY_ASSIGNMENT_RULE, custodyChanges: a.changes.map(({ identifier, state }) => ({ identifier, orgId: null, state })) } : a;
  }
  if (!rule) {
    return { ok: false, code: 'NOT_AUTHORISED', message: `no rule allows ${what}`, details: { orgId: signerOrg.id } };
  }
  if (!hasRole(signerOrg, rule.roles)) {
    return {
      ok: false,
      code: 'NOT_AUTHORISED',
      message: `${what} (${rule.description}) needs role ${rule.roles.join(' or ')}; organisation ${signerOrg.id} has ${[...signerOrg.roles].join(', ') || 'no roles'}`,
      details: { rule: rule.id, required: [...rule.roles], actual: [...signerOrg.roles], orgId: signerOrg.id },
    };
  }
  if (rule.requiresIdentifier && (signerOrg.identifiers[rule.requiresIdentifier]?.length ?? 0) === 0) {
    return {
      ok: false,
      code: 'NOT_AUTHORISED',
      message: `${what} (${rule.description}) needs role ${rule.roles.join(' or ')} with a registered ${rule.requiresIdentifier} identifier; organisation ${signerOrg.id} has none`,
      details: { rule: rule.id, requiredIdentifier: rule.requiresIdentifier, orgId: signerOrg.id },
    };
  }
  const disposition = dispositionOf(event);
  for (const d of DISPOSITION_RULES) {
    if (disposition !== undefined && d.dispositions.includes(disposition) && !hasRole(signerOrg, d.roles)) {
      return {
        ok: false,
        code: 'NOT_AUTHORISED',
        message: `${what} with disposition ${disposition} (${d.description}) needs role ${d.roles.join(' or ')}`,
        details: { rule: d.id, required: [...d.roles], actual: [...signerOrg.roles], orgId: signerOrg.id },
      };
    }
  }
  const parts = partsOf(event);
  const canonical = (part: CustodyPart): string[] => parts[part].map(canonicalIdentifier);
  const refusal = custodyRefusal(rule, what, signerOrg, canonical, custodianOf, version);
  if (refusal) return refusal;
  const changes = new Map<string, CustodyState>();
  const letGo = { by: signerOrg.id, rule: rule.id }; // who may restate it (custody-state.ts, mayActAsHolder)
  const released: CustodyState = rule.custody.transit && version >= 2 ? { kind: 'in_transit', destinations: partyDestinationsOf(event), ...letGo } : { kind: 'released', ...letGo };
  for (const part of rule.custody.release) for (const id of canonical(part)) changes.set(id, released);
  for (const part of rule.custody.take) for (const id of canonical(part)) changes.set(id, { kind: 'held', orgId: signerOrg.id });
  return {
    ok: true,
    rule: rule.id,
    // Rule set 1 tells no state beyond the holder (its changes read as the Custody table does).
    custodyChanges: [...changes].map(([identifier, state]) => ({ identifier, orgId: state.kind === 'held' ? state.orgId : null, ...(version >= 2 ? { state } : {}) })),
  };
}

/** Why the custody the rule checks or takes refuses the event, or undefined. Never names the holder. */
function custodyRefusal(
  rule: AuthorisationRule,
  what: string,
  signerOrg: SignerOrg,
  canonical: (part: CustodyPart) => string[],
  custodianOf: (identifier: string) => CustodyLookupValue,
  version: CustodyRulesVersion,
): AuthorisationResult | undefined {
  const refuse = (id: string, why: string): AuthorisationResult => ({
    ok: false,
    code: 'NOT_CUSTODIAN',
    message: `${what}: ${id} ${why}, not ${signerOrg.id}; only its current custodian may ${rule.description}`,
    details: { rule: rule.id, identifier: id, expected: signerOrg.id, ...(version >= 2 ? { ruleSet: custodyRuleSetRef(version) } : {}) },
  });
  const checked = new Set(rule.custody.check);
  for (const part of rule.custody.check) {
    for (const id of canonical(part)) {
      const state = custodyStateOf(custodianOf(id));
      if (version < 2) {
        if (state?.kind === 'held' && state.orgId !== signerOrg.id) return refuse(id, 'is held by another organisation');
      } else if (!mayActAsHolder(state, signerOrg.id, rule.id)) {
        return refuse(id, state?.kind === 'held' ? 'is held by another organisation' : state?.kind === 'released' ? 'was released (sold, consumed or released) and is held by nobody' : 'is in transit and held by nobody');
      }
    }
  }
  if (version < 2) return undefined;
  for (const part of rule.custody.take) {
    if (checked.has(part)) continue;
    for (const id of canonical(part)) {
      const state = custodyStateOf(custodianOf(id));
      if (mayTake(state, signerOrg)) continue;
      // A hand-over needs a shipping to the receiver (or to no named party); the refusal names neither holder nor destination.
      return refuse(id, state?.kind === 'held' ? 'is held by another organisation' : state?.kind === 'released' ? 'was released and cannot be taken' : 'was shipped to another party');
    }
  }
  return undefined;
}

export { ROLES };

/** The table as markdown (docs/authorisation.md is generated from this). */
export function authorisationTableMarkdown(): string {
  const steps = (r: AuthorisationRule) => (r.bizSteps === '*' ? 'any other' : r.bizSteps.map((s) => `\`${s}\``).join(', '));
  const custody = (c: CustodyRule) =>
    [c.check.length ? `holds: ${c.check.join('/')}` : '', c.take.length ? `takes: ${c.take.join('/')}` : '', c.release.length ? `${c.transit ? 'ships' : 'releases'}: ${c.release.join('/')}` : '']
      .filter(Boolean)
      .join('; ') || '-';
  const lines = [
    '| rule | event types | bizStep | action | subject | roles | custody |',
    '| --- | --- | --- | --- | --- | --- | --- |',
    ...AUTHORISATION_RULES.map(
      (r) =>
        `| ${r.id} | ${r.eventTypes.join(', ')} | ${steps(r)} | ${r.actions?.join(', ') ?? 'any'} | ${r.subject ?? 'any'} | ${r.roles.join(', ')}${r.requiresIdentifier ? ` (with ${r.requiresIdentifier})` : ''} | ${custody(r.custody)} |`,
    ),
  ];
  const disp = [
    '| rule | dispositions | roles |',
    '| --- | --- | --- |',
    ...DISPOSITION_RULES.map((d) => `| ${d.id} | ${d.dispositions.map((s) => `\`${s}\``).join(', ')} | ${d.roles.join(', ')} |`),
  ];
  return `${lines.join('\n')}\n\nReserved dispositions (checked in addition):\n\n${disp.join('\n')}\n`;
}
