/**
 * GET /openapi.json: GS1's binding as this node serves it, plus Provenant's extensions; and every
 * operation it names is routed by the node's app (none answers "no route").
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { captureTestNodeOptions } from '../../helpers/consortia.js';
import { startTestNode, type TestNode } from '../../helpers/test-node.js';

let node: TestNode;

beforeAll(async () => {
  node = await startTestNode(captureTestNodeOptions());
});

afterAll(async () => node?.destroy());

const SAMPLE: Record<string, string> = {
  '{eventID}': 'ni%3A%2F%2F%2Fsha-256%3Bnone',
  '{captureID}': '00000000-0000-0000-0000-000000000000',
  '{eventType}': 'ObjectEvent',
  '{epc}': 'urn%3Aepc%3Aid%3Asgtin%3A0614141.107346.1',
  '{bizStep}': 'shipping',
  '{bizLocation}': 'urn%3Aepc%3Aid%3Asgln%3A0614141.00777.0',
  '{readPoint}': 'urn%3Aepc%3Aid%3Asgln%3A0614141.00777.0',
  '{disposition}': 'in_transit',
  '{queryName}': 'none',
  '{subscriptionID}': 'none',
};

describe('GET /openapi.json', () => {
  it("is GS1's binding without what this node does not serve, with Provenant's extensions, open to anyone", async () => {
    const res = await fetch(`${node.url}/openapi.json`);
    expect(res.status).toBe(200);
    const doc = (await res.json()) as { openapi: string; info: { title: string }; paths: Record<string, Record<string, unknown>> };
    expect(doc.openapi).toMatch(/^3\./);
    expect(doc.info.title).toMatch(/Provenant/);
    expect(Object.keys(doc.paths['/events']!)).toEqual(expect.arrayContaining(['get', 'options']));
    for (const list of ['/bizSteps', '/epcs', '/bizLocations', '/readPoints', '/dispositions']) expect(doc.paths[list]?.['get'], list).toBeDefined();
    expect(doc.paths['/events']!['post']).toBeUndefined();
    for (const gone of ['/', '/nextPageToken/{token}']) expect(doc.paths[gone], gone).toBeUndefined();
    for (const ext of ['/epcis/capture', '/epcis/events/{eventID}', '/queries/{queryName}/subscriptions/{subscriptionID}/deliveries']) expect(doc.paths[ext], ext).toBeDefined();
    // Scheduled webhook subscriptions are served, and how this node reads a schedule is stated.
    const subscribe = doc.paths['/queries/{queryName}/subscriptions']!['post'] as { description: string };
    expect(subscribe.description).toMatch(/## Provenant\n[^]*`schedule`[^]*UTC[^]*reportIfEmpty/);
  });

  it('every operation it names is routed (a member token gets no "no route" answer)', async () => {
    const doc = (await (await fetch(`${node.url}/openapi.json`)).json()) as { paths: Record<string, Record<string, unknown>> };
    const token = node.tokens['auth']!;
    let checked = 0;
    for (const [path, item] of Object.entries(doc.paths)) {
      for (const method of Object.keys(item).filter((m) => ['get', 'post', 'delete', 'options'].includes(m))) {
        const url = path.replace(/\{[A-Za-z]+\}/g, (p) => SAMPLE[p] ?? 'x');
        const res = await fetch(`${node.url}${url}`, { method: method.toUpperCase(), headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: method === 'post' ? '{}' : undefined });
        const text = await res.text();
        expect(text, `${method.toUpperCase()} ${path}`).not.toMatch(/no route for/);
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(40);
  });
});

describe('GET /openapi: the documentation page', () => {
  it('answers HTML naming every operation of /openapi.json, open to anyone', async () => {
    const res = await fetch(`${node.url}/openapi`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html; charset=utf-8/);
    const page = await res.text();
    expect(page).toMatch(/^<!doctype html>/);
    const doc = (await (await fetch(`${node.url}/openapi.json`)).json()) as { paths: Record<string, Record<string, unknown>> };
    const escaped = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
    for (const [path, item] of Object.entries(doc.paths)) {
      for (const method of Object.keys(item).filter((m) => ['get', 'post', 'delete', 'options'].includes(m))) {
        expect(page, `${method} ${path}`).toContain(`<span class="method ${method}">${method}</span> ${escaped(path)}</h3>`);
      }
    }
  });

  it('references only assets this node serves, each answering 200 with its content type', async () => {
    const page = await (await fetch(`${node.url}/openapi`)).text();
    const refs = [...page.matchAll(/(?:src|href)="([^"#][^"]*)"/g)].map((m) => m[1]!);
    expect(refs.length).toBeGreaterThan(0);
    for (const ref of refs) expect(ref, ref).toMatch(/^\/[^/]/);
    expect(page).not.toMatch(/<script/i);
    const expected: Record<string, RegExp> = { '/openapi/style.css': /^text\/css/, '/openapi.json': /^application\/json/ };
    expect(new Set(refs)).toEqual(new Set(Object.keys(expected)));
    for (const [ref, type] of Object.entries(expected)) {
      const res = await fetch(`${node.url}${ref}`);
      expect(res.status, ref).toBe(200);
      expect(res.headers.get('content-type'), ref).toMatch(type);
      expect((await res.text()).length, ref).toBeGreaterThan(100);
    }
  });
});
