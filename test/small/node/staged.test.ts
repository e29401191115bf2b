/** What a group commit knows between submissions: stored values, the group's, and the open submission's until it ends. */
import { describe, expect, it } from 'vitest';
import { DuplicateScreen, StagedMap } from '../../../src/services/node/staged.js';

describe('StagedMap', () => {
  it('reads the open submission, then the group, then the stored values; a submission that does not stand leaves nothing', () => {
    const custody = new StagedMap<string | null>(new Map([['a', 'farm'], ['b', 'farm']]));
    custody.set('a', 'abattoir');
    custody.set('c', null);
    expect([custody.get('a'), custody.get('b'), custody.get('c'), custody.get('d')]).toEqual(['abattoir', 'farm', null, undefined]);
    custody.end(true);
    custody.set('b', 'haulier');
    custody.set('a', null);
    expect([custody.get('a'), custody.get('b')]).toEqual([null, 'haulier']);
    custody.end(false);
    expect([custody.get('a'), custody.get('b'), custody.get('c')]).toEqual(['abattoir', 'farm', null]);
  });
});

describe('DuplicateScreen', () => {
  it('finds a key stored, admitted earlier in the group, or seen earlier in the submission', () => {
    const screen = new DuplicateScreen(new Set(['stored']));
    expect(screen.screen('stored')).toBe(true);
    expect(screen.screen('x', 'x-hash')).toBe(false);
    expect(screen.screen('other', 'x-hash')).toBe(true);
    expect(screen.screen('y')).toBe(false);
    screen.end(['x', 'x-hash']); // y was rejected: only x stands
    expect(screen.screen('x')).toBe(true);
    expect(screen.screen('y')).toBe(false);
  });
});
