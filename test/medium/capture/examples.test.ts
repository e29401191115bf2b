import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { EPCIS_EXAMPLES_DIR } from '../../vectors/index.js';
import { eventHashIdsOfDocument } from '../../../src/core/epcis/event-hash.js';
import { eventList, signEnvelope } from '../../helpers/epcis-documents.js';
import { getEvent, post } from '../../helpers/http.js';
import { captureTestNodeOptions } from '../../helpers/consortia.js';
import { startTestNode, type TestNode } from '../../helpers/test-node.js';

const EXAMPLES = EPCIS_EXAMPLES_DIR;

describe('every EPCIS reference example is captured and read back', () => {
  let h: TestNode;
  beforeAll(async () => {
    h = await startTestNode(captureTestNodeOptions());
  });
  afterAll(async () => h?.destroy());

  const files = readdirSync(EXAMPLES).filter((f) => f.endsWith('.jsonld') || f.endsWith('.json'));
  it('found the examples', () => expect(files.length).toBeGreaterThanOrEqual(10));

  it.each(files)('%s', async (file) => {
    const document = JSON.parse(readFileSync(path.join(EXAMPLES, file), 'utf8'));
    const ids = eventHashIdsOfDocument(document);
    const res = await post(h.url, signEnvelope(document, h.key('omni')!));
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.results).toHaveLength(eventList(document).length);
    res.body.results.forEach((r: any, i: number) => {
      expect(r.index).toBe(i);
      expect(r.eventId).toBe(ids[i]);
      // Some examples repeat events of another (same event, other identifier syntax).
      expect(['accepted', 'duplicate']).toContain(r.status);
    });
    for (const [i, id] of ids.entries()) {
      const got = await getEvent(h.url, h.tokens.auth!, id);
      expect(got.status).toBe(200);
      expect(got.body.eventId).toBe(id);
      if (res.body.results[i].status === 'accepted') {
        expect(got.body.event).toEqual(eventList(document)[i]);
        expect(got.body.recordHash).toBe(res.body.results[i].recordHash);
        expect(got.body.signer.orgId).toBe('omni');
      }
    }
  });
});
