/**
 * CBV vocabulary fields checked against the CBV and a registry of extension namespaces (a node
 * setting, PROVENANT_VOCABULARY_NAMESPACES; docs/limits.md). A value is accepted when it is a CBV
 * 2.0 term in one of its spellings (bare word, GS1 Web URI, EPCglobal URN, `cbv:`/`gs1:` compact
 * IRI) or an absolute URI starting with a registered namespace. Applied at capture only: records
 * already on a chain replay unchanged whatever the registry says. Pure.
 */
import {
  BIZ_STEP_TERMS,
  BIZ_TRANSACTION_TYPE_TERMS,
  CBV_BASE,
  DISPOSITION_TERMS,
  ERROR_REASON_TERMS,
  GS1_VOC_BASE,
  MEASUREMENT_TYPE_TERMS,
  SOURCE_DEST_TYPE_TERMS,
} from './cbv-vocabulary.js';

/** Provenant's own vocabulary (the demo's bizSteps such as urn:provenant:bizstep:slaughtering): always registered. */
export const PROVENANT_NAMESPACE = 'urn:provenant:';

/** A registered namespace: an http(s) URI ending in `/` or `#`, or a URN prefix ending in `:`. */
const NAMESPACE = /^(?:https?:\/\/[A-Za-z0-9.-]+(?::\d+)?\/(?:[!-~]*[/#])?|urn:[a-z0-9][a-z0-9-]{0,31}:(?:[!-~]*:)?)$/i;
const MAX_NAMESPACES = 100;

/** One CBV vocabulary with its spellings (CBV 2.0 sections 7 and 8; EPCIS 2.0 JSON-LD context). */
interface Vocabulary {
  terms: ReadonlySet<string>;
  /** GS1 Web URI prefix, e.g. https://ref.gs1.org/cbv/BizStep- */
  web: string;
  /** EPCglobal URN prefix, e.g. urn:epcglobal:cbv:bizstep: */
  urn?: string;
  /** Compact IRI prefix, e.g. cbv:BizStep- */
  compact: string;
}

const vocab = (terms: ReadonlySet<string>, webPrefix: string, urn: string | undefined, base = CBV_BASE, compactBase = 'cbv:'): Vocabulary => ({
  terms,
  web: `${base}${webPrefix}`,
  urn,
  compact: `${compactBase}${webPrefix}`,
});

const BIZ_STEP = vocab(BIZ_STEP_TERMS, 'BizStep-', 'urn:epcglobal:cbv:bizstep:');
const DISPOSITION = vocab(DISPOSITION_TERMS, 'Disp-', 'urn:epcglobal:cbv:disp:');
const BIZ_TRANSACTION_TYPE = vocab(BIZ_TRANSACTION_TYPE_TERMS, 'BTT-', 'urn:epcglobal:cbv:btt:');
const SOURCE_DEST_TYPE = vocab(SOURCE_DEST_TYPE_TERMS, 'SDT-', 'urn:epcglobal:cbv:sdt:');
const ERROR_REASON = vocab(ERROR_REASON_TERMS, 'ER-', 'urn:epcglobal:cbv:er:');
const MEASUREMENT_TYPE = vocab(MEASUREMENT_TYPE_TERMS, '', undefined, GS1_VOC_BASE, 'gs1:');

export class VocabularyNamespaceError extends Error {
  override readonly name = 'VocabularyNamespaceError';
}

/** The registry from its setting: comma-separated namespaces; blanks ignored, each checked. */
export function parseVocabularyNamespaces(text: string): string[] {
  const list = text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  if (list.length > MAX_NAMESPACES) throw new VocabularyNamespaceError(`at most ${MAX_NAMESPACES} extension namespaces`);
  for (const ns of list) {
    if (!NAMESPACE.test(ns)) throw new VocabularyNamespaceError(`"${ns}" is not an extension namespace: use an http(s) URI ending in / or #, or a URN prefix ending in :`);
  }
  return [...new Set(list)];
}

function isCbvValue(value: string, v: Vocabulary): boolean {
  if (v.terms.has(value)) return true;
  for (const prefix of [v.web, v.urn, v.compact]) {
    if (prefix !== undefined && value.startsWith(prefix) && v.terms.has(value.slice(prefix.length))) return true;
  }
  return false;
}

export interface VocabularyIssue {
  /** Where in the event, e.g. bizTransactionList[0].type */
  field: string;
  value: unknown;
  message: string;
}

/** The CBV fields of one event whose value is neither a CBV term nor in a registered namespace. */
export function unregisteredVocabulary(event: Readonly<Record<string, unknown>>, namespaces: readonly string[]): VocabularyIssue[] {
  const registry = [PROVENANT_NAMESPACE, ...namespaces];
  const issues: VocabularyIssue[] = [];
  const check = (field: string, value: unknown, v: Vocabulary): void => {
    if (value === undefined) return;
    if (typeof value === 'string' && (isCbvValue(value, v) || registry.some((ns) => value.startsWith(ns) && value.length > ns.length))) return;
    issues.push({ field, value, message: `${field} must be a CBV value (e.g. ${[...v.terms][0]}, ${v.web}${[...v.terms][0]}) or a URI in a registered extension namespace (${registry.join(', ')})` });
  };
  check('bizStep', event['bizStep'], BIZ_STEP);
  check('disposition', event['disposition'], DISPOSITION);
  const persistent = asRecord(event['persistentDisposition']);
  for (const key of ['set', 'unset']) asArray(persistent?.[key]).forEach((d, i) => check(`persistentDisposition.${key}[${i}]`, d, DISPOSITION));
  asArray(event['bizTransactionList']).forEach((t, i) => check(`bizTransactionList[${i}].type`, asRecord(t)?.['type'], BIZ_TRANSACTION_TYPE));
  for (const key of ['sourceList', 'destinationList']) asArray(event[key]).forEach((s, i) => check(`${key}[${i}].type`, asRecord(s)?.['type'], SOURCE_DEST_TYPE));
  check('errorDeclaration.reason', asRecord(event['errorDeclaration'])?.['reason'], ERROR_REASON);
  asArray(event['sensorElementList']).forEach((el, i) =>
    asArray(asRecord(el)?.['sensorReport']).forEach((r, j) => check(`sensorElementList[${i}].sensorReport[${j}].type`, asRecord(r)?.['type'], MEASUREMENT_TYPE)),
  );
  return issues;
}

function asArray(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

function asRecord(value: unknown): Record<string, unknown> | undefined {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}
