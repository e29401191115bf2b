/**
 * Cold-chain and integrity rules: evaluateAll, the 'coldchain.breach' payload
 * builder, and re-exports.
 */
import type { JsonValue } from '../crypto/index.js';
import { coldChainFindings } from './cold-chain.js';
import { doorFindings, type Geofence } from './door.js';
import { routeFindings, type DeclaredRoute } from './route.js';
import {
  DEFAULT_RULESET,
  RuleError,
  buildVerdict,
  prepareReadings,
  ruleSetRef,
  type EvaluationWindow,
  type Finding,
  type LatLon,
  type Reading,
  type RuleSet,
  type RuleSetRef,
  type Verdict,
} from './ruleset.js';

export * from './ruleset.js';
export * from './cold-chain.js';
export * from './door.js';
export * from './route.js';
export * from './authorisation.js';

export interface EvaluateAllOptions {
  readonly category: string;
  readonly ruleSet?: RuleSet;
  readonly window?: EvaluationWindow;
  /** Defaults to none: then every door opening is outside an authorised location. */
  readonly authorisedLocations?: readonly Geofence[];
  readonly declaredLocation?: LatLon;
  /** Without a declared route the route rule is not evaluated. */
  readonly route?: DeclaredRoute;
}

/** Cold chain, door and (with a route) route rules over one set of readings, as one verdict. */
export function evaluateAll(readings: readonly Reading[], options: EvaluateAllOptions): Verdict {
  const ruleSet = options.ruleSet ?? DEFAULT_RULESET;
  const ref = ruleSetRef(ruleSet);
  const sorted = prepareReadings(readings);
  const findings: Finding[] = [
    ...coldChainFindings(sorted, ruleSet, { category: options.category, window: options.window }),
    ...doorFindings(sorted, ruleSet, {
      authorisedLocations: options.authorisedLocations ?? [],
      declaredLocation: options.declaredLocation,
      window: options.window,
    }),
    ...(options.route ? routeFindings(sorted, ruleSet, { route: options.route, window: options.window }) : []),
  ];
  return buildVerdict(ref, findings);
}

export interface BreachContext {
  /** The container, logistic unit or lot the readings belong to (EPC URI / GS1 Digital Link). */
  readonly subject: string;
  /** Everything inside the subject when the breach happened; sorted and de-duplicated here. */
  readonly containedItems: readonly string[];
  /** The rule set the verdict cites ({id, version, hash}). */
  readonly ruleSet: RuleSetRef;
}

export interface BreachRecordPayload {
  readonly subject: string;
  readonly containedItems: string[];
  readonly ruleSet: RuleSetRef;
  readonly finding: JsonValue;
}

/** Payload of a 'coldchain.breach' record (pure builder; signing and submission are elsewhere). */
export function breachRecordPayload(finding: Finding, context: BreachContext): BreachRecordPayload {
  if (finding.severity !== 'breach') {
    throw new RuleError('NOT_A_BREACH', `finding ${finding.code} has severity ${finding.severity}, not breach`, {
      code: finding.code,
      severity: finding.severity,
      expected: 'breach',
    });
  }
  if (typeof context.subject !== 'string' || context.subject.length === 0) {
    throw new RuleError('INVALID_OPTIONS', 'subject must be a non-empty identifier', { field: 'subject' });
  }
  if (!Array.isArray(context.containedItems) || context.containedItems.some((x) => typeof x !== 'string' || x.length === 0)) {
    throw new RuleError('INVALID_OPTIONS', 'containedItems must be non-empty identifier strings', { field: 'containedItems' });
  }
  const r = context.ruleSet;
  if (typeof r?.id !== 'string' || !Number.isSafeInteger(r.version) || typeof r.hash !== 'string' || !/^[0-9a-f]{64}$/.test(r.hash)) {
    throw new RuleError('INVALID_OPTIONS', 'ruleSet must be {id, version, hash} with a 64-hex hash', { field: 'ruleSet' });
  }
  const containedItems = [...new Set(context.containedItems)].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return {
    subject: context.subject,
    containedItems,
    ruleSet: { id: r.id, version: r.version, hash: r.hash },
    // A JSON round trip drops undefined optionals, which JCS would reject.
    finding: JSON.parse(JSON.stringify(finding)) as JsonValue,
  };
}
