/**
 * A cold-chain breach is decided as an observation of the items it names, and the owner of the
 * device whose readings established it sees it too (docs/access.md, "Records"), in full and as its own.
 */
import { describe, expect, it } from 'vitest';
import { EMPTY_SCOPE, eventFacts, type VisibilityViewer } from '../../../src/core/lineage/visibility.js';
import { decideRead } from '../../../src/services/read-policy.js';

const C = 'uk-red-meat';
const viewer = (orgId: string, roles: VisibilityViewer['roles'] = new Set(['HAULIER'])): VisibilityViewer => ({ orgId, consortiumId: C, roles });
const facts = eventFacts({ eventId: 'ab'.repeat(32), consortiumId: C, signerOrg: 'fsa', event: { type: 'ObjectEvent', action: 'OBSERVE', epcList: ['urn:epc:id:sscc:5012345.0000000017'] } });
const breach = (deviceOwner?: string) => ({ kind: 'event' as const, facts, scope: EMPTY_SCOPE, as: 'record' as const, ...(deviceOwner ? { deviceOwner } : {}) });

describe('breach records and the device owner', () => {
  it("the device's owner sees the breach with nothing in custody; another member does not", () => {
    expect(decideRead(viewer('swift-haulage'), breach('swift-haulage'))).toMatchObject({ visibility: 'VISIBLE', reason: 'OWNER' });
    expect(decideRead(viewer('swift-haulage'), breach())).toMatchObject({ visibility: 'HIDDEN', reason: 'NOT_ENTITLED' });
    expect(decideRead(viewer('rival-haulage'), breach('swift-haulage'))).toMatchObject({ visibility: 'HIDDEN', reason: 'NOT_ENTITLED' });
  });

  it("the owner's read goes into the signer's access log like any record read; another consortium's member sees nothing", () => {
    expect(decideRead(viewer('swift-haulage'), breach('swift-haulage')).access).toMatchObject({ ownerOrgId: 'fsa', subjectType: 'LedgerRecord' });
    expect(decideRead({ ...viewer('swift-haulage'), consortiumId: 'other' }, breach('swift-haulage'))).toMatchObject({ visibility: 'HIDDEN', reason: 'OTHER_CONSORTIUM' });
  });
});
