/**
 * The location hierarchy of EPCIS master data (EPCIS 2.0 section 6.5; CBV 2.0 section 10): a
 * VocabularyElement of the ReadPoint or BusinessLocation vocabulary lists its `children`, and
 * WD_readPoint / WD_bizLocation (section 8.2.7.1) match a location or any direct or indirect
 * descendant of it.
 *
 * Who may say where a location sits: a link is declared by the organisation that signed the
 * document header carrying it, and widens a WD_ query only over that organisation's own events.
 * So no member can pull another's events into a query by declaring their location a child of
 * its own (or of a place of its choosing); each organisation's hierarchy places its own events.
 */

export type LocationVocabulary = 'readPoint' | 'bizLocation';

/** One declared parent-child link (a row of LocationLink, without the consortium). */
export interface LocationLinkRow {
  vocabulary: LocationVocabulary;
  orgId: string;
  parentId: string;
  childId: string;
}

/** Vocabulary type URIs of the locations (EPCIS 2.0 section 7.3.3, CBV 2.0 section 10). */
const VOCABULARY_TYPES: Record<string, LocationVocabulary> = {
  'urn:epcglobal:epcis:vtype:ReadPoint': 'readPoint',
  'urn:epcglobal:epcis:vtype:BusinessLocation': 'bizLocation',
};

/** Links one header may declare at most (the header itself is bounded at capture). */
export const MAX_LINKS_PER_HEADER = 10_000;

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function array(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

/** The `epcisHeader` an epcis.event payload signs (format 2 and later), when it has one. */
export function epcisHeaderOf(payload: unknown): Record<string, unknown> | undefined {
  const header = isObject(payload) ? payload['epcisHeader'] : undefined;
  return isObject(header) ? header : undefined;
}

/**
 * The parent-child links an `epcisHeader` declares (`epcisMasterData.vocabularyList[].
 * vocabularyElementList[].children`), for the signing organisation; self-links and other
 * vocabularies are left out. Nothing is thrown: a header capture accepted is only read.
 */
export function locationLinksOf(epcisHeader: unknown, orgId: string): LocationLinkRow[] {
  if (!isObject(epcisHeader) || !isObject(epcisHeader['epcisMasterData'])) return [];
  const seen = new Set<string>();
  const out: LocationLinkRow[] = [];
  for (const vocabularyEntry of array(epcisHeader['epcisMasterData']['vocabularyList'])) {
    if (!isObject(vocabularyEntry)) continue;
    const vocabulary = typeof vocabularyEntry['type'] === 'string' ? VOCABULARY_TYPES[vocabularyEntry['type']] : undefined;
    if (!vocabulary) continue;
    for (const element of array(vocabularyEntry['vocabularyElementList'])) {
      if (!isObject(element) || typeof element['id'] !== 'string' || element['id'] === '') continue;
      const parentId = element['id'];
      for (const child of array(element['children'])) {
        if (typeof child !== 'string' || child === '' || child === parentId) continue;
        const key = JSON.stringify([vocabulary, parentId, child]);
        if (seen.has(key)) continue;
        seen.add(key);
        out.push({ vocabulary, orgId, parentId, childId: child });
        if (out.length >= MAX_LINKS_PER_HEADER) return out;
      }
    }
  }
  return out;
}

/** Levels below a WD_ value followed at most. */
export const MAX_HIERARCHY_DEPTH = 32;
/** Descendants (organisation, location) one WD_ parameter may expand to at most. */
export const MAX_DESCENDANTS = 2_000;

/** What WD_ matches: the values themselves for any event, and each organisation's descendants for its own events. */
export interface LocationScope {
  values: string[];
  /** Organisation to the descendants its own links give (the values excluded). */
  byOrg: Map<string, string[]>;
}

/**
 * The transitive closure of WD_ values, one level at a time, so a store can fetch each level's
 * links by parent: cycles end (a location is reached once per organisation), depth and size are
 * bounded. `frontier()` names the parents to fetch the links of next; `add()` takes them.
 */
export class DescendantWalk {
  readonly #values: Set<string>;
  readonly #reached = new Map<string, Set<string>>();
  /** Per organisation, the locations reached on the last level (the values: every organisation). */
  #level: Map<string, Set<string>> | 'values';
  #depth = 0;
  #size = 0;

  constructor(values: readonly string[], readonly limits: { depth: number; size: number } = { depth: MAX_HIERARCHY_DEPTH, size: MAX_DESCENDANTS }) {
    this.#values = new Set(values);
    this.#level = 'values';
  }

  /** Whether more levels may follow. */
  get done(): boolean {
    return this.#level !== 'values' && this.#level.size === 0;
  }

  /** The parents whose links the next level comes from. */
  frontier(): string[] {
    if (this.#level === 'values') return [...this.#values];
    const out = new Set<string>();
    for (const locations of this.#level.values()) for (const l of locations) out.add(l);
    return [...out];
  }

  /**
   * Takes the links whose parent is in the frontier (others are ignored). Returns false when the
   * scope would exceed the size or depth bound: the caller answers QueryTooComplex rather than
   * a partial scope.
   */
  add(links: readonly Pick<LocationLinkRow, 'orgId' | 'parentId' | 'childId'>[]): boolean {
    const level = this.#level;
    const next = new Map<string, Set<string>>();
    for (const link of links) {
      const fromLevel = level === 'values' ? this.#values.has(link.parentId) : level.get(link.orgId)?.has(link.parentId) === true;
      if (!fromLevel || this.#values.has(link.childId)) continue;
      let reached = this.#reached.get(link.orgId);
      if (!reached) this.#reached.set(link.orgId, (reached = new Set()));
      if (reached.has(link.childId)) continue;
      reached.add(link.childId);
      if (++this.#size > this.limits.size) return false;
      let mine = next.get(link.orgId);
      if (!mine) next.set(link.orgId, (mine = new Set()));
      mine.add(link.childId);
    }
    this.#level = next;
    this.#depth += 1;
    return next.size === 0 || this.#depth <= this.limits.depth;
  }

  scope(): LocationScope {
    return { values: [...this.#values], byOrg: new Map([...this.#reached].map(([org, set]) => [org, [...set].sort()])) };
  }
}

/** The closure over links held in memory (tests, and callers that have every link at hand). */
export function descendantScope(values: readonly string[], links: readonly Pick<LocationLinkRow, 'orgId' | 'parentId' | 'childId'>[], limits?: { depth: number; size: number }): LocationScope | null {
  const walk = new DescendantWalk(values, limits);
  while (!walk.done) {
    const frontier = new Set(walk.frontier());
    if (!walk.add(links.filter((l) => frontier.has(l.parentId)))) return null;
  }
  return walk.scope();
}

/** Whether an event of the organisation at the location is within the scope. */
export function inScope(scope: LocationScope, orgId: string, location: string | null | undefined): boolean {
  if (location === null || location === undefined) return false;
  return scope.values.includes(location) || scope.byOrg.get(orgId)?.includes(location) === true;
}
