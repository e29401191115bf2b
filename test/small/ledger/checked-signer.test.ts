/**
 * A signer checked before admission (capture checks it when the document arrives) is not checked
 * again at admission while nothing that decides signers has changed; once a membership record is
 * admitted, or the state is a copy, it is checked again, with the same codes as ever.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ConsortiumState, RecordKind, admitRecord, checkSigner, currentSigner, type CheckedSigner } from '../../../src/core/ledger/index.js';
import { DemoChain } from './demo-consortium.js';

const event = (chain: DemoChain, org: string, n: number) => chain.sign(org, RecordKind.EPCIS_EVENT, { event: { type: 'ObjectEvent', n } });

describe('admission takes a checked signer', () => {
  afterEach(() => vi.restoreAllMocks());

  it('resolves the signer once: at the check, not again at admission', () => {
    const chain = new DemoChain();
    const checked = checkSigner(chain.state, chain.key('green-farm').keyId, RecordKind.EPCIS_EVENT);
    const resolve = vi.spyOn(ConsortiumState.prototype, 'resolveSigner');
    const admitted = admitRecord(chain.state, event(chain, 'green-farm', 1), { signer: checked });
    expect(admitted.signer).toBe(checked.signer);
    expect(resolve).not.toHaveBeenCalled();
    // Without one, admission checks it itself.
    admitRecord(chain.state, event(chain, 'green-farm', 2));
    expect(resolve).toHaveBeenCalledTimes(1);
  });

  it('checks again once signers changed: a key revoked after the check is SIGNER_REVOKED, as before', () => {
    const chain = new DemoChain();
    const farm = chain.key('acme-abattoir');
    const checked = checkSigner(chain.state, farm.keyId, RecordKind.EPCIS_EVENT);
    const mark = chain.state.signerMark;
    chain.govern({ type: 'key.revoke', orgId: 'acme-abattoir', keyId: farm.keyId });
    expect(chain.state.signerMark).not.toBe(mark);
    expect(() => admitRecord(chain.state, event(chain, 'acme-abattoir', 1), { signer: checked })).toThrow(expect.objectContaining({ code: 'SIGNER_REVOKED' }));
  });

  it('an event record leaves the mark; a membership record, a copy of the state and another key or kind do not pass', () => {
    const chain = new DemoChain();
    const farm = chain.key('green-farm');
    const checked: CheckedSigner = checkSigner(chain.state, farm.keyId, RecordKind.EPCIS_EVENT);
    chain.event('green-farm', 3);
    expect(currentSigner(chain.state, farm.keyId, RecordKind.EPCIS_EVENT, checked)).toBe(checked);
    expect(currentSigner(chain.state.clone(), farm.keyId, RecordKind.EPCIS_EVENT, checked)).not.toBe(checked);
    expect(currentSigner(chain.state, chain.key('fsa').keyId, RecordKind.EPCIS_EVENT, checked).signer.org.id).toBe('fsa');
    expect(currentSigner(chain.state, farm.keyId, RecordKind.PROPOSAL, checked)).not.toBe(checked);
    chain.propose('fsa', { type: 'role.grant', orgId: 'swift-haulage', role: 'FARM' });
    expect(currentSigner(chain.state, farm.keyId, RecordKind.EPCIS_EVENT, checked)).not.toBe(checked);
  });

  it('a copy that keeps the signer mark takes a signer checked on its source, until either admits a signer change', () => {
    const chain = new DemoChain();
    const farm = chain.key('acme-abattoir');
    const tracking = chain.state.clone({ keepSignerMark: true });
    const checked = checkSigner(tracking, farm.keyId, RecordKind.EPCIS_EVENT);
    expect(currentSigner(chain.state, farm.keyId, RecordKind.EPCIS_EVENT, checked)).toBe(checked);
    chain.govern({ type: 'key.revoke', orgId: 'acme-abattoir', keyId: farm.keyId });
    expect(() => admitRecord(chain.state, event(chain, 'acme-abattoir', 1), { signer: checked })).toThrow(expect.objectContaining({ code: 'SIGNER_REVOKED' }));
    expect(currentSigner(tracking, farm.keyId, RecordKind.EPCIS_EVENT, checked)).toBe(checked);
  });
});
