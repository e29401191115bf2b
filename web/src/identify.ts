/**
 * What the search box was given: a typed identifier, a pasted GS1 Digital Link URI (any host: a
 * pack's QR code, this node's resolver, id.gs1.org), an EPC URN, an ear tag or a container number.
 * Pure; parsing is the node's own identifier code (src/core/identifiers), bundled into the page.
 */
import { parseIdentifier, type Identifier } from '../../src/core/identifiers/index.js';

export const ANIMAL_PREFIX = 'urn:provenant:animal:';
export const CONTAINER_PREFIX = 'urn:provenant:container:';

export type LookupKind = 'animal' | 'container' | 'item' | 'location' | 'other';
export type ViewName = 'trace' | 'recall' | 'customs' | 'inspector';

export interface Lookup {
  /** The identifier the API is asked about. */
  id: string;
  kind: LookupKind;
  /** A short human label. */
  label: string;
  /** The view that answers the usual question about this kind. */
  view: ViewName;
}

export type IdentifyResult = { ok: true; lookup: Lookup } | { ok: false; message: string };

function fromParsed(id: Identifier): Lookup {
  switch (id.kind) {
    case 'ear-tag':
      return { id: ANIMAL_PREFIX + id.canonical, kind: 'animal', label: `ear tag ${id.display}`, view: 'inspector' };
    case 'container':
      return { id: CONTAINER_PREFIX + id.canonical, kind: 'container', label: `container ${id.canonical}`, view: 'customs' };
    case 'sgtin':
    case 'lgtin':
    case 'gtin':
    case 'sscc':
      return { id: id.canonical, kind: 'item', label: shortLabel(id.canonical), view: 'trace' };
    case 'gln':
    case 'sgln':
      return { id: id.canonical, kind: 'location', label: shortLabel(id.canonical), view: 'trace' };
    default:
      return { id: id.canonical, kind: 'other', label: id.canonical, view: 'trace' };
  }
}

export function identify(text: string): IdentifyResult {
  const input = text.trim();
  if (input === '') return { ok: false, message: 'Enter an identifier, a Digital Link URL or an ear tag.' };
  for (const prefix of [ANIMAL_PREFIX, CONTAINER_PREFIX]) {
    if (input.startsWith(prefix)) return identify(input.slice(prefix.length));
  }
  try {
    return { ok: true, lookup: fromParsed(parseIdentifier(input)) };
  } catch (err) {
    return { ok: false, message: (err as Error).message };
  }
}

const AI_NAMES: Record<string, string> = { '01': 'GTIN', '10': 'lot', '21': 'serial', '00': 'SSCC', '414': 'GLN', '254': 'ext' };

/** A readable short form: "serial MINCE-A-1", "lot C0001", "SSCC 1509…0016", ear tags and containers bare. */
export function shortLabel(id: string): string {
  if (id.startsWith('urn:epc:')) {
    try {
      return shortLabel(parseIdentifier(id).canonical);
    } catch {
      return id;
    }
  }
  if (id.startsWith(ANIMAL_PREFIX)) return id.slice(ANIMAL_PREFIX.length);
  if (id.startsWith(CONTAINER_PREFIX)) return id.slice(CONTAINER_PREFIX.length);
  const dl = /^https?:\/\/[^/]+\/(.+)$/.exec(id);
  if (dl) {
    const parts = dl[1]!.split('/');
    const ai = parts[parts.length - 2] ?? '';
    const value = decodeURIComponent(parts[parts.length - 1] ?? '');
    return `${AI_NAMES[ai] ?? ai} ${value}`;
  }
  return id.length > 32 ? `${id.slice(0, 14)}…${id.slice(-14)}` : id;
}

export type NodeKind = 'animal' | 'feed' | 'carcass' | 'product' | 'logistic unit' | 'container' | 'item';

/**
 * What each node of a lineage graph is, from the links themselves: what a transformation makes
 * from an animal is a carcass, what feeds an animal is feed, SSCCs are pallets and cases, other
 * trade items are products.
 */
export function nodeKinds(edges: readonly { from: string; to: string; kind: string }[], nodes: Iterable<string>): Map<string, NodeKind> {
  const out = new Map<string, NodeKind>();
  for (const e of edges) {
    if (e.kind === 'TRANSFORMATION' && e.from.startsWith(ANIMAL_PREFIX)) out.set(e.to, 'carcass');
    if (e.kind === 'FEEDING') out.set(e.from, 'feed');
  }
  for (const id of nodes) {
    if (id.startsWith(ANIMAL_PREFIX)) out.set(id, 'animal');
    else if (id.startsWith(CONTAINER_PREFIX)) out.set(id, 'container');
    else if (/\/00\/\d{18}$/.test(id)) out.set(id, 'logistic unit');
    else if (!out.has(id)) out.set(id, /\/01\/\d{14}\//.test(id) ? 'product' : 'item');
  }
  return out;
}
