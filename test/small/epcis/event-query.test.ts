import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { matchesResidual } from '../../../src/core/epcis/query/event-match.js';
import { DEFAULT_PER_PAGE, MAX_PER_PAGE, parseEventQuery } from '../../../src/core/epcis/query/event-query.js';
import { decodePageToken, encodePageToken } from '../../../src/core/epcis/query/page-token.js';
import { mergeContexts } from '../../../src/core/epcis/query/query-document.js';
import { QueryError } from '../../../src/core/epcis/query/query-errors.js';

const parse = (query: string) => parseEventQuery(new URLSearchParams(query).entries());

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    if (err instanceof QueryError) return err.code;
    throw err;
  }
  return undefined;
}

describe('parseEventQuery', () => {
  it('reads pipe-delimited lists and normalises CBV values to the short forms the store keeps', () => {
    const { query, perPage } = parse('eventType=ObjectEvent|AggregationEvent&EQ_bizStep=urn:epcglobal:cbv:bizstep:shipping|receiving&EQ_disposition=https://ref.gs1.org/cbv/Disp-in_transit&EQ_errorReason=urn:epcglobal:cbv:er:incorrect_data');
    expect(query.eventTypes).toEqual(['ObjectEvent', 'AggregationEvent']);
    expect(query.bizSteps).toEqual(['shipping', 'receiving']);
    expect(query.dispositions).toEqual(['in_transit']);
    expect(query.errorReasons).toEqual(['incorrect_data']);
    expect(perPage).toBe(DEFAULT_PER_PAGE);
  });

  it('turns times into UTC instants, whatever offset they carry', () => {
    const { query } = parse(`GE_eventTime=${encodeURIComponent('2026-11-21T10:30:00.5+02:00')}&LT_recordTime=2026-11-21T08:00:00Z`);
    expect(query.eventTime).toEqual({ ge: '2026-11-21T08:30:00.500Z' });
    expect(query.recordTime).toEqual({ lt: '2026-11-21T08:00:00.000Z' });
    // '+' not percent-encoded reaches the server as a space.
    expect(parse('GE_eventTime=2026-11-21T10:30:00+02:00').query.eventTime.ge).toBe('2026-11-21T08:30:00.000Z');
  });

  it('MATCH_ values are canonical identifiers; sgtin patterns are classes', () => {
    const { query } = parse(`MATCH_anyEPC=urn:epc:id:sgtin:0614141.107346.2017|${encodeURIComponent('urn:epc:idpat:sgtin:0614141.107346.*')}`);
    expect(query.matches).toEqual([
      {
        param: 'MATCH_anyEPC',
        fields: ['epcList', 'childEPCs', 'parentID', 'inputEPCList', 'outputEPCList'],
        values: [{ exact: 'https://id.gs1.org/01/10614141073464/21/2017' }, { classOf: 'https://id.gs1.org/01/10614141073464' }],
      },
    ]);
  });

  it('refuses unknown, repeated and ill-typed parameters (QUERY_PARAMETER), and standard ones it does not answer (QUERY_PARAMETER_UNSUPPORTED)', () => {
    for (const q of ['nope=1', 'eventType=Thing', 'EQ_action=MAYBE', 'GE_eventTime=2026-11-21', 'perPage=0', `perPage=${MAX_PER_PAGE + 1}`, 'eventCountLimit=-1', 'EXISTS_errorDeclaration=maybe', 'EQ_bizStep=a||b', 'orderDirection=asc', 'LT_quantity=x', 'EQ_bizStep=a&EQ_bizStep=b', 'GE_eventTime=2026-01-02T00:00:00Z&LT_eventTime=2026-01-01T00:00:00Z']) {
      expect(codeOf(() => parse(q)), q).toBe('QUERY_PARAMETER');
    }
    for (const q of ['EQ_quantity_KGM=1', 'maxEventCount=1', 'EQ_ERROR_DECLARATION_ex:x=1', 'EQ_INNER_ILMD_x=1', 'EQ_readPoint_ex:x=1', 'HASATTR_bizLocation=x', 'orderBy=ext:field', 'MATCH_epc=urn:epc:idpat:sscc:0614141.*']) {
      expect(codeOf(() => parse(q)), q).toBe('QUERY_PARAMETER_UNSUPPORTED');
    }
  });

  it('collects typed business transactions, sources and destinations', () => {
    const { query } = parse('EQ_bizTransaction_po=a|b&EQ_source_owning_party=s&EQ_destination_location=d');
    expect([...query.bizTransactions]).toEqual([['po', ['a', 'b']]]);
    expect([...query.sources]).toEqual([['owning_party', ['s']]]);
    expect([...query.destinations]).toEqual([['location', ['d']]]);
  });
});

describe('matchesResidual', () => {
  const event = {
    type: 'ObjectEvent',
    epcList: ['urn:epc:id:sgtin:0614141.107346.1'],
    quantityList: [{ epcClass: 'urn:epc:class:lgtin:4012345.012345.998877', quantity: 10 }],
    bizTransactionList: [{ type: 'urn:epcglobal:cbv:btt:po', bizTransaction: 'urn:po:1' }],
    destinationList: [{ type: 'https://ref.gs1.org/cbv/SDT-location', destination: 'urn:epc:id:sgln:1.2.3' }],
  };
  const q = (text: string) => parse(text).query;

  it('checks each MATCH_ on its own fields only', () => {
    expect(matchesResidual(q('MATCH_epc=urn:epc:id:sgtin:0614141.107346.1'), event)).toBe(true);
    expect(matchesResidual(q('MATCH_parentID=urn:epc:id:sgtin:0614141.107346.1'), event)).toBe(false);
    expect(matchesResidual(q('MATCH_epcClass=urn:epc:id:sgtin:0614141.107346.1'), event)).toBe(false);
    expect(matchesResidual(q(`MATCH_epcClass=${encodeURIComponent('urn:epc:idpat:sgtin:4012345.012345.*')}`), event)).toBe(true);
    expect(matchesResidual(q(`MATCH_anyEPCClass=${encodeURIComponent('urn:epc:idpat:sgtin:4012345.012346.*')}`), event)).toBe(false);
  });

  it('quantity bounds hold together on one element; typed lists compare types in short form', () => {
    expect(matchesResidual(q('GE_quantity=10&LE_quantity=10'), event)).toBe(true);
    expect(matchesResidual(q('GT_quantity=10'), event)).toBe(false);
    expect(matchesResidual(q('EQ_bizTransaction_po=urn:po:1'), event)).toBe(true);
    expect(matchesResidual(q('EQ_bizTransaction_inv=urn:po:1'), event)).toBe(false);
    expect(matchesResidual(q('EQ_destination_location=urn:epc:id:sgln:1.2.3'), event)).toBe(true);
    expect(matchesResidual(q('EQ_source_location=urn:epc:id:sgln:1.2.3'), event)).toBe(false);
    expect(matchesResidual(q('EQ_transformationID=urn:x'), event)).toBe(false);
  });
});

describe('page tokens', () => {
  it('round-trip their cursor for the same query, and only for it', () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), fc.nat(), (key, eventId, returned) => {
        const { query } = parse('EQ_bizStep=shipping');
        const token = encodePageToken(query, { key, eventId, returned });
        expect(decodePageToken(parse('EQ_bizStep=shipping&perPage=7').query, token)).toEqual({ key, eventId, returned });
        expect(codeOf(() => decodePageToken(parse('EQ_bizStep=receiving').query, token))).toBe('QUERY_PARAMETER');
      }),
    );
  });

  it('refuses what is not a token', () => {
    const { query } = parse('');
    for (const t of ['', 'abc', '!!!', encodePageToken(query, { key: 'k', eventId: 'e', returned: 0 }).slice(0, -2)]) expect(codeOf(() => decodePageToken(query, t)), t).toBe('QUERY_PARAMETER');
  });
});

describe('mergeContexts', () => {
  it("keeps GS1's context first, then other URLs, then every term (first definition wins)", () => {
    const merged = mergeContexts([['https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld', { ex: 'https://ex.com/' }], null, { ex: 'https://other/', ex2: 'https://ex2/' }, 'https://partner/context.jsonld']);
    expect(merged[0]).toBe('https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld');
    expect(merged).toContain('https://partner/context.jsonld');
    expect(merged.at(-1)).toMatchObject({ ex: 'https://ex.com/', ex2: 'https://ex2/' });
  });
});
