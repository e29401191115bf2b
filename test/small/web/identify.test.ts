import { describe, expect, it } from 'vitest';
import { identify, nodeKinds, shortLabel } from '../../../web/src/identify.js';

const lookup = (text: string) => {
  const r = identify(text);
  if (!r.ok) throw new Error(r.message);
  return r.lookup;
};

describe('the search box', () => {
  it('reads a pasted Digital Link on any host as the canonical id.gs1.org form', () => {
    for (const text of [
      'http://127.0.0.1:4000/01/05098765333339/21/MINCE-A-1',
      'https://brand.example/products/01/05098765333339/10/MINCE-A/21/MINCE-A-1?utm=qr',
      'urn:epc:id:sgtin:5098765.033333.MINCE-A-1',
      '(01)05098765333339(21)MINCE-A-1',
    ]) {
      expect(lookup(text)).toMatchObject({ id: 'https://id.gs1.org/01/05098765333339/21/MINCE-A-1', kind: 'item', view: 'trace' });
    }
  });

  it('sends ear tags to the inspector and containers to customs, in the API\'s identifier forms', () => {
    expect(lookup('UK 123450 600001')).toMatchObject({ id: 'urn:provenant:animal:UK123450600001', kind: 'animal', view: 'inspector' });
    expect(lookup('urn:provenant:animal:UK123450600001').id).toBe('urn:provenant:animal:UK123450600001');
    expect(lookup('CSQU3054383')).toMatchObject({ id: 'urn:provenant:container:CSQU3054383', view: 'customs' });
    expect(lookup('urn:provenant:container:CSQU3054383').view).toBe('customs');
  });

  it('refuses a wrong check digit with the identifier code\'s own message', () => {
    const r = identify('https://id.gs1.org/01/05098765333338/21/X');
    expect(r.ok).toBe(false);
    expect(!r.ok && r.message).toMatch(/check digit/);
    expect(identify('UK123450600002').ok).toBe(false);
    expect(identify('   ').ok).toBe(false);
  });

  it('labels nodes shortly and knows carcasses and feed from the links', () => {
    expect(shortLabel('https://id.gs1.org/01/05098765333339/21/MINCE-A-1')).toBe('serial MINCE-A-1');
    expect(shortLabel('urn:epc:id:sgln:5012345.00050.0')).toBe('GLN 5012345000503');
    expect(shortLabel('urn:provenant:animal:UK123450600001')).toBe('UK123450600001');
    const kinds = nodeKinds(
      [
        { from: 'urn:provenant:animal:UK123450700100', to: 'https://id.gs1.org/01/05098765111111/21/C0001', kind: 'TRANSFORMATION' },
        { from: 'https://id.gs1.org/01/05012345999999/10/FEED-A1', to: 'urn:provenant:animal:UK123450700100', kind: 'FEEDING' },
        { from: 'https://id.gs1.org/01/05098765333339/21/MINCE-A-1', to: 'https://id.gs1.org/00/150987650000000016', kind: 'AGGREGATION' },
      ],
      ['https://id.gs1.org/01/05098765333339/21/MINCE-A-1', 'https://id.gs1.org/00/150987650000000016', 'urn:provenant:container:CSQU3054383'],
    );
    expect(Object.fromEntries(kinds)).toMatchObject({
      'https://id.gs1.org/01/05098765111111/21/C0001': 'carcass',
      'https://id.gs1.org/01/05012345999999/10/FEED-A1': 'feed',
      'https://id.gs1.org/01/05098765333339/21/MINCE-A-1': 'product',
      'https://id.gs1.org/00/150987650000000016': 'logistic unit',
      'urn:provenant:container:CSQU3054383': 'container',
    });
  });
});
