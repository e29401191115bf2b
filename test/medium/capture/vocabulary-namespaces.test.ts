/**
 * The registry of extension namespaces at capture (NodeConfig.vocabularyNamespaces): CBV values
 * and registered namespaces pass, anything else is refused per event with VOCABULARY_NOT_REGISTERED
 * naming the field and the namespaces accepted; without a registry, today's URI rule alone applies.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CaptureService } from '../../../src/services/capture/capture-service.js';
import { SKIP_ROLE_CHECK, startTestNode, type TestNode } from '../../helpers/test-node.js';
import { inspectionEvents } from '../../helpers/epcis-documents.js';

let node: TestNode;
let registry: CaptureService;
beforeAll(async () => {
  node = await startTestNode({ authorise: SKIP_ROLE_CHECK });
  registry = new CaptureService({ node: node.node, db: node.db, keystore: node.ctx.keystore, authorise: SKIP_ROLE_CHECK, vocabularyNamespaces: ['https://ns.example.org/voc/'] });
}, 60_000);
afterAll(async () => {
  await registry?.close();
  await node?.destroy();
});

const observe = inspectionEvents('VOCAB');

describe('capture with a registry of extension namespaces', () => {
  it('accepts CBV values in every spelling and registered or urn:provenant: URIs; refuses the rest naming the field and the registry', async () => {
    const outcome = await node.captureEvents(
      'highfield-farm',
      [
        observe({ bizStep: 'https://ref.gs1.org/cbv/BizStep-shipping', disposition: 'https://ref.gs1.org/cbv/Disp-in_transit' }),
        observe({ bizStep: 'https://ns.example.org/voc/bizstep/weighing' }),
        observe({ bizStep: 'urn:provenant:bizstep:slaughtering' }),
        observe({ bizStep: 'https://other.example.org/voc/bizstep/weighing' }),
        observe({ bizTransactionList: [{ type: 'urn:example:btt:waybill', bizTransaction: 'urn:example:waybill:1' }] }),
      ],
      { mode: 'partial', via: registry },
    );
    const results = outcome.results.map((r) => (r.status === 'rejected' ? r.error! : r.status));
    expect(results.slice(0, 3)).toEqual(['accepted', 'accepted', 'accepted']);
    expect(results[3]).toMatchObject({
      code: 'VOCABULARY_NOT_REGISTERED',
      message: expect.stringMatching(/^bizStep "https:\/\/other\.example\.org\/voc\/bizstep\/weighing": bizStep must be a CBV value .* \(urn:provenant:, https:\/\/ns\.example\.org\/voc\/\)$/),
      details: { fields: [{ field: 'bizStep', value: 'https://other.example.org/voc/bizstep/weighing' }], namespaces: ['urn:provenant:', 'https://ns.example.org/voc/'] },
    });
    expect(results[4]).toMatchObject({ code: 'VOCABULARY_NOT_REGISTERED', details: { fields: [{ field: 'bizTransactionList[0].type' }] } });
  });

  it('atomic mode refuses the whole document on the first unregistered value', async () => {
    await expect(node.captureEvents('highfield-farm', [observe(), observe({ disposition: 'urn:example:disp:odd' })], { via: registry })).rejects.toMatchObject({ code: 'VOCABULARY_NOT_REGISTERED' });
  });

  it('without a registry (the default) a well-formed extension URI is accepted as before', async () => {
    const outcome = await node.captureEvents('highfield-farm', [observe({ bizStep: 'https://other.example.org/voc/bizstep/weighing' })], { mode: 'partial' });
    expect(outcome.results.map((r) => r.status)).toEqual(['accepted']);
  });
});
