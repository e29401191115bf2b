/** CBV vocabulary fields against the CBV and the registry of extension namespaces (pure). */
import { describe, expect, it } from 'vitest';
import { parseVocabularyNamespaces, unregisteredVocabulary, VocabularyNamespaceError } from '../../../src/core/epcis/vocabulary-namespaces.js';
import { loadConfig } from '../../../src/platform/config.js';

const NS = ['https://ns.example.org/voc/', 'urn:example:rail:'];
const fields = (event: Record<string, unknown>, namespaces = NS) => unregisteredVocabulary(event, namespaces).map((i) => i.field);

describe('unregisteredVocabulary', () => {
  it('accepts every CBV spelling: bare word, GS1 Web URI, EPCglobal URN, compact IRI', () => {
    for (const bizStep of ['shipping', 'https://ref.gs1.org/cbv/BizStep-shipping', 'urn:epcglobal:cbv:bizstep:shipping', 'cbv:BizStep-shipping']) {
      expect(fields({ bizStep }), bizStep).toEqual([]);
    }
    expect(
      fields({
        disposition: 'urn:epcglobal:cbv:disp:in_transit',
        persistentDisposition: { set: ['https://ref.gs1.org/cbv/Disp-completeness_verified'], unset: ['completeness_inferred'] },
        bizTransactionList: [{ type: 'po', bizTransaction: 'x' }, { type: 'urn:epcglobal:cbv:btt:desadv', bizTransaction: 'y' }, { bizTransaction: 'untyped' }],
        sourceList: [{ type: 'owning_party', source: 'x' }],
        destinationList: [{ type: 'https://ref.gs1.org/cbv/SDT-location', destination: 'y' }],
        errorDeclaration: { declarationTime: '2026-01-01T00:00:00Z', reason: 'incorrect_data' },
        sensorElementList: [{ sensorReport: [{ type: 'gs1:Temperature' }, { type: 'https://gs1.org/voc/RelativeHumidity' }, { type: 'Speed' }, { value: 1 }] }],
      }),
    ).toEqual([]);
  });

  it('accepts URIs in a registered namespace and in urn:provenant: (always registered)', () => {
    expect(fields({ bizStep: 'https://ns.example.org/voc/bizstep/weighing', disposition: 'urn:provenant:disp:quarantined' })).toEqual([]);
    expect(fields({ bizTransactionList: [{ type: 'urn:example:rail:btt:passage', bizTransaction: 'x' }] })).toEqual([]);
  });

  it('refuses, naming each field, values outside the CBV and the registry', () => {
    const event = {
      bizStep: 'https://evil.example/voc/bizstep/weighing',
      disposition: 'in-transit',
      persistentDisposition: { set: ['https://ns.example.org/other'.replace('ns.', 'nz.')] },
      bizTransactionList: [{ type: 'purchase_order', bizTransaction: 'x' }],
      sourceList: [{ type: 'javascript:alert(1)', source: 'x' }],
      destinationList: [{ type: 7, destination: 'y' }],
      errorDeclaration: { reason: 'urn:epcglobal:cbv:er:made_up' },
      sensorElementList: [{ sensorReport: [{ type: 'gs1:Tempreature' }] }],
    };
    expect(fields(event)).toEqual([
      'bizStep',
      'disposition',
      'persistentDisposition.set[0]',
      'bizTransactionList[0].type',
      'sourceList[0].type',
      'destinationList[0].type',
      'errorDeclaration.reason',
      'sensorElementList[0].sensorReport[0].type',
    ]);
    const [first] = unregisteredVocabulary(event, NS);
    expect(first!.message).toContain('urn:provenant:, https://ns.example.org/voc/, urn:example:rail:');
  });

  it('a namespace matches as a prefix only, and not the bare namespace itself', () => {
    expect(fields({ bizStep: 'https://ns.example.org/voc/' })).toEqual(['bizStep']);
    expect(fields({ bizStep: 'https://ns.example.org/vocabulary/x' })).toEqual(['bizStep']);
    expect(fields({ bizStep: 'https://ns.example.org/voc/x' }, [])).toEqual(['bizStep']);
  });
});

describe('parseVocabularyNamespaces and the node setting', () => {
  it('takes comma-separated http(s) namespaces ending in / or # and URN prefixes ending in :', () => {
    expect(parseVocabularyNamespaces(' https://ns.example.org/voc/ ,urn:example:rail:, ,https://a.example/terms#,urn:example:rail:')).toEqual(['https://ns.example.org/voc/', 'urn:example:rail:', 'https://a.example/terms#']);
  });

  it('refuses anything else', () => {
    for (const bad of ['javascript:alert(1)/', 'https://a.example#', 'https://ns.example.org/voc', 'urn:example', 'ftp://x.example/', 'https://x.example/a b/']) {
      expect(() => parseVocabularyNamespaces(bad), bad).toThrow(VocabularyNamespaceError);
    }
  });

  it('PROVENANT_VOCABULARY_NAMESPACES: unset is off, set is the registry, malformed is CONFIG_INVALID', () => {
    const saved = process.env.PROVENANT_VOCABULARY_NAMESPACES;
    try {
      delete process.env.PROVENANT_VOCABULARY_NAMESPACES;
      expect(loadConfig({ dataDir: '/tmp/x' }).vocabularyNamespaces).toBeUndefined();
      process.env.PROVENANT_VOCABULARY_NAMESPACES = 'https://ns.example.org/voc/';
      expect(loadConfig({ dataDir: '/tmp/x' }).vocabularyNamespaces).toEqual(['https://ns.example.org/voc/']);
      process.env.PROVENANT_VOCABULARY_NAMESPACES = '';
      expect(loadConfig({ dataDir: '/tmp/x' }).vocabularyNamespaces).toEqual([]);
      process.env.PROVENANT_VOCABULARY_NAMESPACES = 'not a namespace';
      expect(() => loadConfig({ dataDir: '/tmp/x' })).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID' }));
    } finally {
      if (saved === undefined) delete process.env.PROVENANT_VOCABULARY_NAMESPACES;
      else process.env.PROVENANT_VOCABULARY_NAMESPACES = saved;
    }
  });
});
