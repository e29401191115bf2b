/** Mutations of valid inputs for the bad-input section: structural (JSON) and textual (XML, GraphQL). */
import fc from 'fast-check';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

const NASTY: Json[] = [
  null, '', ' ', -1, 0, 1e308, -1e-308, 2 ** 53 + 1, true, 'javascript:alert(1)', '\u0000', '\ud800', '9999-12-31T23:59:59Z',
  '2999-01-01T00:00:00.000Z', 'urn:epc:id:sgtin:', '../../etc/passwd', '%00', '<script>', 'A'.repeat(70_000), [], {}, [[[[[[]]]]]],
  { '@context': 'http://evil.example/ctx' }, { __proto__: { polluted: true } } as Json, { constructor: { prototype: { x: 1 } } },
];

/** Every path to a value inside a JSON tree. */
function paths(value: Json, at: (string | number)[] = [], out: (string | number)[][] = []): (string | number)[][] {
  out.push(at);
  if (Array.isArray(value)) value.forEach((v, i) => paths(v, [...at, i], out));
  else if (value && typeof value === 'object') for (const k of Object.keys(value)) paths(value[k]!, [...at, k], out);
  return out;
}

function randomJson(rand: () => number): Json {
  const [sample] = fc.sample(fc.jsonValue({ maxDepth: 3 }), { numRuns: 1, seed: Math.floor(rand() * 2 ** 31) });
  return sample as Json;
}

/** One to three structural changes: replace, delete, duplicate, retype or deepen a value. */
export function mutateJson(input: Json, rand: () => number): Json {
  let doc = structuredClone(input);
  const edits = 1 + Math.floor(rand() * 3);
  for (let e = 0; e < edits; e++) {
    const all = paths(doc);
    const path = all[Math.floor(rand() * all.length)]!;
    const pick = rand();
    const replacement: Json =
      pick < 0.35 ? NASTY[Math.floor(rand() * NASTY.length)]! : pick < 0.6 ? randomJson(rand) : pick < 0.75 ? deepen(200 + Math.floor(rand() * 2000)) : '';
    if (path.length === 0) {
      doc = pick < 0.1 ? replacement : doc;
      continue;
    }
    const parent = path.slice(0, -1).reduce<Json>((v, k) => (v as Record<string, Json>)[k as string]!, doc);
    const key = path[path.length - 1]!;
    if (Array.isArray(parent)) {
      const i = key as number;
      if (pick >= 0.75 && pick < 0.85) parent.splice(i, 1);
      else if (pick >= 0.85) parent.push(...Array.from({ length: 1 + Math.floor(rand() * 50) }, () => structuredClone(parent[i]!)));
      else parent[i] = replacement;
    } else if (parent && typeof parent === 'object') {
      if (pick >= 0.75 && pick < 0.9) delete parent[key as string];
      else if (pick >= 0.9) parent[`${String(key)}${Math.floor(rand() * 10)}`] = structuredClone(parent[key as string]!);
      else parent[key as string] = replacement;
    }
  }
  return doc;
}

function deepen(depth: number): Json {
  let v: Json = 'x';
  for (let i = 0; i < depth; i++) v = [v];
  return v;
}

const XML_SNIPPETS = [
  '<!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>',
  '<!DOCTYPE r [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]>',
  '&x;', '<![CDATA[', ']]>', '<epcList>', '</epcList>', '<eventTime>2999-01-01T00:00:00Z</eventTime>', '\u0000', '&#0;', '<?xml version="1.1"?>',
  '<bizStep>javascript:alert(1)</bizStep>', 'xmlns:evil="http://evil.example/"', '<a>'.repeat(5000),
];

/** One to three textual changes: cut, duplicate, insert a hostile snippet, flip characters. */
export function mutateText(input: string, rand: () => number, snippets: readonly string[] = XML_SNIPPETS): string {
  let text = input;
  const edits = 1 + Math.floor(rand() * 3);
  for (let e = 0; e < edits; e++) {
    const at = Math.floor(rand() * (text.length + 1));
    const len = Math.floor(rand() * Math.min(200, text.length - at + 1));
    const pick = rand();
    if (pick < 0.3) text = text.slice(0, at) + text.slice(at + len);
    else if (pick < 0.5) text = text.slice(0, at) + text.slice(at, at + len).repeat(2 + Math.floor(rand() * 5)) + text.slice(at + len);
    else if (pick < 0.8) text = text.slice(0, at) + snippets[Math.floor(rand() * snippets.length)]! + text.slice(at);
    else text = text.slice(0, at) + String.fromCharCode(Math.floor(rand() * 0x2fff)) + text.slice(at + 1);
  }
  return text;
}
